"""Pre-flight: every referenced master data item must exist in Visma.net."""

from __future__ import annotations

from pathlib import Path

from vn_builders import Invoice, Row, export_xml, write_export
from vn_support import map_invoice

from ledgerbridge.core.records import Record
from ledgerbridge.plugins.visma_net.masterdata import MasterData, MasterDataRefs, preflight
from ledgerbridge.plugins.visma_net.source import OpterExportSource

KNOWN = MasterData(
    accounts=frozenset({"3010"}),
    payment_terms=frozenset({"30"}),
    branches=frozenset({"1"}),
    currencies=frozenset({"SEK"}),
    vat_codes=frozenset({"01"}),
    customer_classes=frozenset({"10"}),
    payment_methods=frozenset({"BG"}),
    customers=frozenset({"ACME"}),
)


def test_nothing_missing() -> None:
    refs = MasterDataRefs(
        accounts={"3010": ("invoiceLines[1].accountNumber",)},
        currencies={"SEK": ("currencyId",)},
        customer="ACME",
        customer_must_exist=True,
    )
    assert preflight(refs, KNOWN) == []


def test_every_missing_item_is_listed(tmp_path: Path) -> None:
    rows = [
        Row(account="3010", vat_rate="25%"),
        Row(account="3999", vat_rate="EU"),
        Row(account="3998", vat_rate="25%"),
    ]
    inv = Invoice(number="20001", currency="NOK", terms="60", rows=rows)
    inv.customer.code = "NEWCO"
    write_export(tmp_path, "a.xml", export_xml([inv]))
    record = next(iter(OpterExportSource(tmp_path).read(None)))
    assert isinstance(record, Record)
    payload = map_invoice(
        record,
        officeCode="12345-7",
        startText="paymentMethodId=OCR\nuseCustomerClass=true\ndisableCustomerExport=true",
    )
    errors = preflight(payload.references, KNOWN)
    missing = {(e.message.split(" is ")[0], e.value) for e in errors}
    assert missing == {
        ("Customer NEWCO", "NEWCO"),
        ("Account 3998", "3998"),
        ("Account 3999", "3999"),
        ("Payment terms 60", "60"),
        ("Branch 7", "7"),
        ("Currency NOK", "NOK"),
        ("VAT code '15'", "15"),
        ("Customer class TRANSP", "TRANSP"),
        ("Payment method OCR", "OCR"),
    }
    by_value = {e.value: e for e in errors}
    assert by_value["3999"].field == "invoiceLines[2].accountNumber"
    assert by_value["3999"].rule and "must exist in Visma.net" in by_value["3999"].rule
    assert by_value["3999"].fix and "account" in by_value["3999"].fix
    assert "disableCustomerExport" in (by_value["NEWCO"].fix or "")


def test_lists_not_fetched_are_not_checked() -> None:
    refs = MasterDataRefs(accounts={"9999": ("x",)}, customer="NOPE", customer_must_exist=True)
    assert preflight(refs, MasterData()) == []


def test_customer_may_be_missing_when_it_is_exported() -> None:
    refs = MasterDataRefs(customer="NEWCO", customer_must_exist=False)
    assert preflight(refs, KNOWN) == []
