"""Field length limits checked before anything is sent to Visma.net.

The Visma.net OpenAPI (2025-04-24) declares no maxLength on any write DTO.
Where its descriptions state a limit it is used (customer class ID: "an
alphanumeric string of up to 10 characters", CustomerClassDto.id). The other
limits are the field sizes of the Acumatica platform Visma.net ERP is built
on (database columns behind the Customers AR303000 and Sales invoices
AR301000 windows: business account ID 30, account name 255, address lines
and city 50, postcode 20, document reference number 15, customer order
number 40, line description 256). They are upper bounds: if Visma.net's own
columns are narrower, Visma.net's rejection still fails the record alone.
Checking here turns a truncation or a cryptic 500 into an error that names
the field, the limit and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.core.errors import RecordError


@dataclass(frozen=True)
class Limit:
    max_length: int
    opter_field: str
    fix: str


CUSTOMER_NUMBER = Limit(
    30,
    "customer code / customer number",
    "shorten the customer code (or sales ledger number) in Opter",
)
CUSTOMER_NAME = Limit(
    255, "customer name", "shorten the customer's name in Opter's customer registry"
)
ADDRESS_LINE = Limit(50, "address line", "split the address over the address lines in Opter")
CITY = Limit(50, "city", "shorten the city in Opter's customer registry")
POSTAL_CODE = Limit(20, "postal code", "correct the postal code in Opter's customer registry")
CUSTOMER_CLASS = Limit(
    10, "customer class", "use the customer class ID from Visma.net (at most 10 characters)"
)
REFERENCE_NUMBER = Limit(
    15,
    "invoice number",
    "Visma.net invoice numbers have at most 15 characters; remove "
    "overrideNumberSeries=true or shorten Opter's invoice number series",
)
CUSTOMER_REF_NUMBER = Limit(40, "your reference", "shorten Your reference on the invoice in Opter")
LINE_DESCRIPTION = Limit(
    256, "row description", "shorten the row text in Opter or shorten it in the row XSLT"
)


def check(value: str | None, limit: Limit, field: str) -> None:
    """Raise RecordError when `value` is longer than the limit."""
    if value is None or len(value) <= limit.max_length:
        return
    raise RecordError(
        f"{limit.opter_field} is {len(value)} characters long; Visma.net allows {limit.max_length}",
        field=field,
        value=value if len(value) <= 80 else value[:77] + "...",
        rule=f"{field} may have at most {limit.max_length} characters",
        fix=limit.fix,
    )
