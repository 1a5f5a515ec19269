"""Which Opter value identifies a customer in Visma.net.

"Use customer number instead of customer code" on the invoice export's
General tab decides it: off, the customer code is the Visma.net customer
number; on, the sales ledger number (CustomerNumber) is. The source keys
customer records and the mapper refers to customers on invoices with the
same function, so the two flows always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledgerbridge.core.errors import RecordError


def customer_key(customer: Mapping[str, Any], use_customer_number: bool) -> str:
    """The customer's key in Visma.net; RecordError when it has none."""
    if not use_customer_number:
        return str(customer["customerCode"])
    number = customer.get("customerNumber")
    if number:
        return str(number)
    raise RecordError(
        f"customer {customer.get('customerCode')} has no customer number (sales ledger number)",
        field="customer.customerNumber",
        value=None,
        rule='"Use customer number instead of customer code" is on, so every customer '
        "needs a sales ledger number",
        fix="enter the sales ledger number on the customer in Opter's customer registry, "
        "or turn off useCustomerNumber",
    )
