"""Canonical invoice / customer records -> Visma.net ERP payloads.

Invoices go to POST /v2/customerinvoice as CustomerInvoiceUpdateDto; credit
invoices go to POST /v2/customerCreditNote as CustomerCreditNoteUpdateDto
(POST /v1/customerCreditNote takes the same DTO but is deprecated in the
spec); customers go to POST /v1/customer (PUT /v1/customer/{customerCd} to
update) as CustomerUpdateDto. Every value is wrapped as `{"value": ...}`, as
the spec's DtoValueOf* schemas say.

Start text settings change the payload exactly as the help page says, and a
setting that is not given (None) leaves its field out, so Visma.net's own
setting stays in force:

- overrideNumberSeries: true sends Opter's invoice number as referenceNumber
  with overrideNumberSeries=true; false sends neither (Visma.net numbers the
  invoice); not given sends referenceNumber only, which Visma.net uses when
  its number series allows manual numbering (the help page's note).
- dontEmail, dontPrint, sendToAutoInvoice: the fields of the same names.
- paymentMethodId: paymentMethodId (invoices; the credit note DTO has none).
- periodDateSource: financialPeriod "YYYYMM" from the period's created date
  (CreateDate) or the invoice's accounting date (AccountingDate).
- includeExchangeRate: true sends exchangeRate (invoices; the credit note
  DTO, CustomerCreditNoteUpdateDto, has none); false or not given sends none.
  A credit note mapped with it on logs a warning naming the credit note and
  the rate it could not send, so the run output says so.
- useCustomerClass / vatCustomerClassMapping: customerClassId on customers
  (see `customer_class`).
- disableCustomerExport / disableCustomerUpdate: CustomerPayload.create /
  .update, which the target obeys; with customer export disabled, invoices
  require the customer to exist (pre-flight).

Rows: lineNumber, description, quantity, unitPriceInCurrency, discountPercent,
accountNumber, vatCodeId and subaccount are sent. Opter's article number and
unit are not: Visma.net would require them to exist as inventory items and
units, and the account number already decides the posting. A credit note
carries the rows with the opposite sign (Opter's credit rows are negative).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.records import Record
from ledgerbridge.plugins.visma_net import limits
from ledgerbridge.plugins.visma_net.keys import customer_key
from ledgerbridge.plugins.visma_net.masterdata import MasterDataRefs
from ledgerbridge.plugins.visma_net.pdf import reduce_pdf
from ledgerbridge.plugins.visma_net.settings import VismaNetSettings
from ledgerbridge.plugins.visma_net.starttext import StartText
from ledgerbridge.plugins.visma_net.vat import translate

INVOICE_ENDPOINT = "/v2/customerinvoice"
CREDIT_NOTE_ENDPOINT = "/v2/customerCreditNote"
CUSTOMER_ENDPOINT = "/v1/customer"
log = logging.getLogger("ledgerbridge.visma_net")


@dataclass(frozen=True)
class InvoicePayload:
    """What the target writes for one invoice record.

    kind:             "invoice" -> CustomerInvoiceUpdateDto at INVOICE_ENDPOINT,
                      "credit_note" -> CustomerCreditNoteUpdateDto at CREDIT_NOTE_ENDPOINT.
    body:             the DTO as JSON.
    customer_key:     the Visma.net customer number the document is for.
    attachment:       (file name, PDF bytes) to attach, or None.
    references:       master data the body refers to, for `preflight`.
    number:           Opter's invoice number (also sent as externalReference,
                      so the target can find a document it already created).
    credited_invoice: for a credit note, Opter's number of the credited invoice.
    """

    kind: Literal["invoice", "credit_note"]
    body: dict[str, Any]
    customer_key: str
    attachment: tuple[str, bytes] | None
    references: MasterDataRefs
    number: str = ""
    credited_invoice: str | None = None

    @property
    def endpoint(self) -> str:
        return INVOICE_ENDPOINT if self.kind == "invoice" else CREDIT_NOTE_ENDPOINT


@dataclass(frozen=True)
class CustomerPayload:
    """What the target writes for one customer record (CustomerUpdateDto).

    create: the customer may be created when Visma.net lacks it
            (False with disableCustomerExport=true).
    update: an existing customer may be updated (False with
            disableCustomerUpdate=true or disableCustomerExport=true).
    """

    key: str
    body: dict[str, Any]
    create: bool
    update: bool
    references: MasterDataRefs


def v(value: Any) -> dict[str, Any]:
    """A DtoValueOf* wrapper."""
    return {"value": value}


def _put(body: dict[str, Any], name: str, value: Any) -> None:
    """Set body[name] = {"value": value} unless value is None (= leave out)."""
    if value is not None:
        body[name] = v(value)


def _date(text: str | None) -> str | None:
    return f"{text}T00:00:00" if text else None


AMOUNT_TOLERANCE = Decimal("0.01")


def check_amount(
    row: Mapping[str, Any], index: int, quantity: Decimal, price: Decimal, credit: bool
) -> None:
    """Visma.net computes a line's amount from quantity, unit price and
    discount; Opter's own amount must agree, or the books of the two systems
    would differ from the invoice the customer received. Signs count on an
    invoice; a credit's rows may carry the minus on any of the three."""
    if row.get("amount") in (None, ""):
        return
    discount = Decimal(row.get("discountPercent") or 0)
    expected = (quantity * price * (1 - discount / 100)).quantize(Decimal("0.01"))
    amount = Decimal(row["amount"])
    off = abs(abs(expected) - abs(amount)) if credit else abs(expected - amount)
    if off > AMOUNT_TOLERANCE:
        raise RecordError(
            f"row {index}: amount {amount} is not quantity {quantity} x unit price {price}"
            + (f" less {discount}% discount" if discount else "")
            + f" = {expected}",
            field=f"rows[{index}].amount",
            value=str(amount),
            rule="a row's amount must equal quantity x unit price less discount (to the cent), "
            "as Visma.net computes it",
            fix="correct the row in Opter (quantity, price or discount) and export again",
        )


def _number(text: str, negate: bool = False) -> float:
    value = Decimal(text)
    return float(-value if negate else value)


# -- customers ---------------------------------------------------------------


def customer_class(customer: Mapping[str, Any], start_text: StartText) -> tuple[str, str] | None:
    """(customer class, the customer field it came from), or None = Visma.net's.

    vatCustomerClassMapping wins when it has the customer's VAT rate (Pricing
    tab); otherwise useCustomerClass=true uses the customer category. A VAT
    rate not in the mapping leaves the class to useCustomerClass / Visma.net.
    """
    mapping = start_text.vat_customer_class_mapping
    rate = customer.get("vatRate")
    if mapping and rate is not None and rate in mapping:
        return mapping[rate], "customer.vatRate"
    category = customer.get("customerCategory")
    if start_text.use_customer_class and category:
        return str(category), "customer.customerCategory"
    return None


def _address(customer: Mapping[str, Any]) -> dict[str, Any]:
    address: dict[str, Any] = {}
    for index, line in enumerate(customer.get("addressLines", [])[:3], start=1):
        limits.check(line, limits.ADDRESS_LINE, f"addressLines[{index}]")
        address[f"addressLine{index}"] = v(line)
    limits.check(customer.get("postalCode"), limits.POSTAL_CODE, "postalCode")
    limits.check(customer.get("city"), limits.CITY, "city")
    _put(address, "postalCode", customer.get("postalCode"))
    _put(address, "city", customer.get("city"))
    _put(address, "countryId", customer.get("countryCode"))
    return address


def _contact(customer: Mapping[str, Any]) -> dict[str, Any]:
    contact: dict[str, Any] = {}
    _put(contact, "name", customer.get("name"))
    _put(contact, "email", customer.get("email"))
    _put(contact, "phone1", customer.get("phone"))
    return contact


def customer_body(customer: Mapping[str, Any], key: str, start_text: StartText) -> dict[str, Any]:
    """CustomerUpdateDto for a canonical customer."""
    limits.check(key, limits.CUSTOMER_NUMBER, "number")
    limits.check(customer.get("name"), limits.CUSTOMER_NAME, "name")
    body: dict[str, Any] = {"number": v(key), "name": v(customer["name"])}
    # The number must be Opter's (customer code or sales ledger number), not one
    # from Visma.net's customer number series, or invoices could not find it.
    body["overrideNumberSeries"] = v(True)
    _put(body, "corporateId", customer.get("organisationNumber"))
    _put(body, "vatRegistrationId", customer.get("vatNumber"))
    _put(body, "creditTermsId", customer.get("paymentTermsId"))
    body["mainAddress"] = v(_address(customer))
    body["mainContact"] = v(_contact(customer))
    chosen = customer_class(customer, start_text)
    if chosen is not None:
        limits.check(chosen[0], limits.CUSTOMER_CLASS, "customerClassId")
        body["customerClassId"] = v(chosen[0])
    return body


class CustomerMapper:
    """Canonical customer record -> CustomerPayload."""

    def __init__(self, settings: VismaNetSettings) -> None:
        self.settings = settings

    def map(self, record: Record) -> CustomerPayload:
        customer = record.data
        st = self.settings.start_text
        key = customer_key(customer, self.settings.use_customer_number)
        body = customer_body(customer, key, st)
        refs = MasterDataRefs(
            payment_terms=_used([(body.get("creditTermsId"), "creditTermsId")]),
            customer_classes=_used([(body.get("customerClassId"), "customerClassId")]),
            customer=key,
        )
        exported = st.disable_customer_export is not True
        return CustomerPayload(
            key, body, exported, exported and st.disable_customer_update is not True, refs
        )


# -- invoices ----------------------------------------------------------------


def _used(pairs: Iterable[tuple[Any, str]]) -> dict[str, tuple[str, ...]]:
    """{value: fields} from (DtoValue or plain value, field) pairs; None skipped."""
    out: dict[str, tuple[str, ...]] = {}
    for value, where in pairs:
        if isinstance(value, Mapping):
            value = value.get("value")
        if value is not None:
            out[str(value)] = (*out.get(str(value), ()), where)
    return out


def _raise_all(errors: list[RecordError]) -> None:
    """Raise one error naming every problem (one per row)."""
    if not errors:
        return
    if len(errors) == 1:
        raise errors[0]
    first = errors[0]
    raise RecordError(
        "; ".join(e.message for e in errors),
        field=", ".join(e.field for e in errors if e.field) or None,
        rule=first.rule,
        fix=first.fix,
        details={"errors": [e.to_json() for e in errors]},
    )


def _warn_no_rate(invoice: Mapping[str, Any]) -> None:
    """includeExchangeRate cannot be kept on a credit note: say so, per note."""
    log.warning(
        "includeExchangeRate is not applied to credit note %s: Visma.net's credit-note API "
        "(POST %s) carries no exchange rate, so it was sent without Opter's rate %s and "
        "Visma.net uses its own %s rate; compare its amounts in %s with Opter's",
        invoice["invoiceNumber"],
        CREDIT_NOTE_ENDPOINT,
        invoice.get("exchangeRate"),
        invoice.get("currency"),
        invoice.get("systemCurrency") or "the system currency",
    )


class InvoiceMapper:
    """Canonical invoice record -> InvoicePayload (see the module docstring)."""

    def __init__(self, settings: VismaNetSettings) -> None:
        self.settings = settings

    def map(self, record: Record) -> InvoicePayload:
        invoice = record.data
        credit = invoice["type"] == "credit"
        key = customer_key(invoice["customer"], self.settings.use_customer_number)
        lines = self._lines(invoice, credit)
        body = self._header(invoice, key, credit)
        body["lines" if credit else "invoiceLines"] = lines
        return InvoicePayload(
            kind="credit_note" if credit else "invoice",
            body=body,
            customer_key=key,
            attachment=self._attachment(record),
            references=self._references(invoice, body, lines, key, credit),
            number=str(invoice["invoiceNumber"]),
            credited_invoice=invoice.get("creditedInvoiceNumber") if credit else None,
        )

    # header

    def _header(self, invoice: Mapping[str, Any], key: str, credit: bool) -> dict[str, Any]:
        st = self.settings.start_text
        number = str(invoice["invoiceNumber"])
        body: dict[str, Any] = {"customerNumber": v(key)}
        self._numbering(body, number, st)
        _put(body, "documentDate", _date(invoice.get("invoiceDate")))
        _put(body, "currencyId", invoice.get("currency"))
        _put(body, "externalReference", number)
        limits.check(invoice.get("yourReference"), limits.CUSTOMER_REF_NUMBER, "customerRefNumber")
        _put(body, "customerRefNumber", invoice.get("yourReference"))
        _put(body, "branchNumber", self.settings.office.branch)
        _put(body, "financialPeriod", self._financial_period(invoice))
        _put(body, "dontEmail", st.dont_email)
        _put(body, "dontPrint", st.dont_print)
        _put(body, "sendToAutoInvoice", st.send_to_auto_invoice)
        if credit:
            _put(body, "invoiceText", f"Credit of invoice {invoice.get('creditedInvoiceNumber')}")
            if st.include_exchange_rate:
                _warn_no_rate(invoice)
        else:
            self._invoice_only(body, invoice, st)
        return body

    @staticmethod
    def _numbering(body: dict[str, Any], number: str, st: StartText) -> None:
        if st.override_number_series is False:
            body["overrideNumberSeries"] = v(False)
            return
        if st.override_number_series:
            limits.check(number, limits.REFERENCE_NUMBER, "referenceNumber")
            body["referenceNumber"] = v(number)
            body["overrideNumberSeries"] = v(True)
        elif len(number) <= limits.REFERENCE_NUMBER.max_length:
            # not set: the number is offered and Visma.net's number series decides;
            # one too long to offer is left out rather than failing the invoice
            body["referenceNumber"] = v(number)

    @staticmethod
    def _invoice_only(body: dict[str, Any], invoice: Mapping[str, Any], st: StartText) -> None:
        _put(body, "documentDueDate", _date(invoice.get("dueDate")))
        _put(body, "creditTermsId", invoice.get("paymentTermsId"))
        _put(body, "paymentMethodId", st.payment_method_id)
        if st.include_exchange_rate:
            body["exchangeRate"] = v(_number(invoice["exchangeRate"]))

    def _financial_period(self, invoice: Mapping[str, Any]) -> str | None:
        source = self.settings.start_text.period_date_source
        if source is None:
            return None
        date = (
            invoice["period"]["createdDate"]
            if source == "CreateDate"
            else invoice["accountingDate"]
        )
        return f"{date[0:4]}{date[5:7]}"

    # rows

    def _rows(self, invoice: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = list(invoice["rows"])
        transform = self.settings.row_transform
        if transform is None:
            return rows
        attributes = {
            "invoiceNumber": str(invoice["invoiceNumber"]),
            "invoiceType": "Credit" if invoice["type"] == "credit" else "Invoice",
            "currency": str(invoice.get("currency", "")),
            "customerCode": str(invoice["customer"]["customerCode"]),
            "office": str(invoice.get("office", "")),
        }
        return transform.apply(rows, attributes)

    def _lines(self, invoice: Mapping[str, Any], credit: bool) -> list[dict[str, Any]]:
        lines, errors = [], []
        for index, row in enumerate(self._rows(invoice), start=1):
            try:
                lines.append(self._line(row, index, credit))
            except RecordError as err:
                errors.append(err)
        _raise_all(errors)
        return lines

    def _line(self, row: Mapping[str, Any], index: int, credit: bool) -> dict[str, Any]:
        description = row.get("description") or ""
        limits.check(description, limits.LINE_DESCRIPTION, f"rows[{index}].description")
        quantity, price = Decimal(row["quantity"]), Decimal(row["unitPrice"])
        check_amount(row, index, quantity, price, credit)
        flip_quantity = credit and quantity < 0
        line: dict[str, Any] = {
            "operation": "Insert",
            "lineNumber": v(index),
            "description": v(description),
            "quantity": v(_number(row["quantity"], negate=flip_quantity)),
            "unitPriceInCurrency": v(float(-price if credit and not flip_quantity else price)),
            "accountNumber": v(row["accountNumber"]),
            "vatCodeId": v(
                translate(row["vatRate"], self.settings.vat_codes, f"rows[{index}].vatRate")
            ),
        }
        if row.get("discountPercent") is not None:
            line["discountPercent"] = v(_number(row["discountPercent"]))
        sub = row.get("subaccount")
        if sub:
            line["subaccount"] = [{"segmentId": int(sub["segment"]), "segmentValue": sub["value"]}]
        return line

    # side data

    def _attachment(self, record: Record) -> tuple[str, bytes] | None:
        pdf = record.attachments.get("pdf")
        if not self.settings.include_pdf_copy or pdf is None:
            return None
        name = str(record.data.get("pdf", {}).get("fileName") or f"{record.key}.pdf")
        return name, reduce_pdf(pdf) if self.settings.reduce_pdf_size else pdf

    def _references(
        self,
        invoice: Mapping[str, Any],
        body: Mapping[str, Any],
        lines: list[dict[str, Any]],
        key: str,
        credit: bool,
    ) -> MasterDataRefs:
        prefix = "lines" if credit else "invoiceLines"
        st = self.settings.start_text
        chosen = customer_class(invoice["customer"], st)
        return MasterDataRefs(
            accounts=_used(
                (ln["accountNumber"], f"{prefix}[{i}].accountNumber")
                for i, ln in enumerate(lines, start=1)
            ),
            payment_terms=_used([(body.get("creditTermsId"), "creditTermsId")]),
            branches=_used([(body.get("branchNumber"), "branchNumber")]),
            currencies=_used([(body.get("currencyId"), "currencyId")]),
            vat_codes=_used(
                (ln["vatCodeId"], f"{prefix}[{i}].vatCodeId") for i, ln in enumerate(lines, start=1)
            ),
            customer_classes=_used([(chosen[0], "customer.customerClassId")] if chosen else []),
            payment_methods=_used([(body.get("paymentMethodId"), "paymentMethodId")]),
            customer=key,
            customer_must_exist=st.disable_customer_export is True,
        )
