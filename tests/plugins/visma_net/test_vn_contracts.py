"""Payloads follow the Visma.net OpenAPI; records and config follow their schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from vn_support import SAMPLES, config, settings

from ledgerbridge.core.config import validate_config
from ledgerbridge.core.records import Record
from ledgerbridge.plugins.visma_net.exportformat import INVOICE_CUSTOMER_FIELDS
from ledgerbridge.plugins.visma_net.mapper import CustomerMapper, InvoiceMapper
from ledgerbridge.plugins.visma_net.source import OpterExportSource

START_TEXTS = [
    "",
    "overrideNumberSeries=true\ndontEmail=true\ndontPrint=true\nsendToAutoInvoice=true\n"
    "paymentMethodId=OCR\nperiodDateSource=CreateDate\nincludeExchangeRate=true\n"
    "useCustomerClass=true",
    "overrideNumberSeries=false\nperiodDateSource=AccountingDate\n"
    'vatCustomerClassMapping={"EU": "20"}',
]


def load_json(package: str, name: str) -> dict[str, Any]:
    with resources.files(package).joinpath(name).open("rb") as fh:
        data: dict[str, Any] = json.load(fh)
        return data


COMPONENTS = load_json("ledgerbridge.plugins.visma_net", "openapi/components.json")


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes a null type,
    and every object with properties is closed (additionalProperties false), so
    a field the DTO does not have fails validation."""
    if isinstance(node, list):
        return [openapi_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def dto_validator(name: str) -> Draft202012Validator:
    schemas = openapi_to_json_schema(COMPONENTS["components"]["schemas"])
    root = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas}}
    return Draft202012Validator(root)


def sample_records(entity: str) -> Iterator[Record]:
    for item in OpterExportSource(SAMPLES, entity=entity).read(None):  # type: ignore[arg-type]
        assert isinstance(item, Record), item
        yield item


def test_components_say_where_they_come_from() -> None:
    source = COMPONENTS["x-source"]
    assert "visma-net-erp-api-v1-20250424.openapi.json" in source
    assert (
        "angoyd/Visma.Net.Swagger" in source
        and "cc958cd64d4404e2945a5d625ab4a77f968a3275" in source
    )
    schemas = COMPONENTS["components"]["schemas"]
    for name in ("CustomerInvoiceUpdateDto", "CustomerCreditNoteUpdateDto", "CustomerUpdateDto"):
        assert name in schemas


def test_closure_is_complete() -> None:
    text = json.dumps(COMPONENTS["components"])
    names = set(COMPONENTS["components"]["schemas"])
    refs = {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}
    assert refs <= names


def test_nullable_becomes_a_null_type() -> None:
    converted = openapi_to_json_schema({"type": "string", "nullable": True})
    assert converted == {"type": ["string", "null"]}


@pytest.mark.parametrize("start_text", START_TEXTS)
def test_invoice_payloads_follow_the_dtos(start_text: str) -> None:
    mapper = InvoiceMapper(settings(officeCode="12345-1", startText=start_text))
    validators = {
        "invoice": dto_validator("CustomerInvoiceUpdateDto"),
        "credit_note": dto_validator("CustomerCreditNoteUpdateDto"),
    }
    kinds = set()
    for record in sample_records("invoice"):
        payload = mapper.map(record)
        kinds.add(payload.kind)
        errors = [e.message for e in validators[payload.kind].iter_errors(payload.body)]
        assert errors == [], (record.key, errors)
    assert kinds == {"invoice", "credit_note"}


@pytest.mark.parametrize("start_text", START_TEXTS)
def test_customer_payloads_follow_the_dto(start_text: str) -> None:
    mapper = CustomerMapper(settings(startText=start_text))
    validator = dto_validator("CustomerUpdateDto")
    for record in sample_records("customer"):
        errors = [e.message for e in validator.iter_errors(mapper.map(record).body)]
        assert errors == [], (record.key, errors)


def test_the_check_catches_a_wrong_payload() -> None:
    payload = InvoiceMapper(settings()).map(next(sample_records("invoice")))
    validator = dto_validator("CustomerInvoiceUpdateDto")
    unwrapped = {**payload.body, "currencyId": "SEK"}
    assert not validator.is_valid(unwrapped)
    unknown = {**payload.body, "invoiceNumber": {"value": "1"}}
    assert not validator.is_valid(unknown)
    as_credit = copy.deepcopy(payload.body)
    assert not dto_validator("CustomerCreditNoteUpdateDto").is_valid(as_credit)  # invoiceLines


def test_records_follow_the_canonical_schemas() -> None:
    invoice_schema = load_json("ledgerbridge.schemas", "invoice.json")
    customer_schema = load_json("ledgerbridge.schemas", "customer.json")
    # An invoice's customer carries only what the invoice mapper reads, so that a
    # customer edit does not make a sent invoice look changed (its content hash).
    assert set(invoice_schema["properties"]["customer"]["properties"]) == set(
        INVOICE_CUSTOMER_FIELDS
    )
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in (invoice_schema, customer_schema)
    )
    invoices = Draft202012Validator(invoice_schema, registry=registry)
    customers = Draft202012Validator(customer_schema, registry=registry)
    for record in sample_records("invoice"):
        assert [e.message for e in invoices.iter_errors(dict(record.data))] == []
    for record in sample_records("customer"):
        assert [e.message for e in customers.iter_errors(dict(record.data))] == []
    broken = dict(next(sample_records("invoice")).data)
    broken["rows"] = [{**broken["rows"][0], "quantity": "two"}]
    assert not invoices.is_valid(broken)


# -- config schema -----------------------------------------------------------------

CONFIG_SCHEMA = load_json("ledgerbridge.schemas", "visma_net.config.json")


def test_valid_config() -> None:
    assert validate_config(CONFIG_SCHEMA, config()) == []
    full = config(
        officeCode="12345-1",
        useCustomerNumber=True,
        includePdfCopy=True,
        reducePdfSize=True,
        encoding="CP865",
        apiBaseUrl="https://api.finance.visma.net",
        startTextSettings={
            "dontEmail": True,
            "periodDateSource": "CreateDate",
            "vatCustomerClassMapping": {"EU": "20"},
        },
        rowXslt="rows.xsl",
    )
    assert validate_config(CONFIG_SCHEMA, full) == []


def test_every_property_is_described() -> None:
    for name, prop in CONFIG_SCHEMA["properties"].items():
        assert len(prop.get("description", "")) > 30, name
    assert CONFIG_SCHEMA["properties"]["tenantId"]["x-secret"] is True
    assert CONFIG_SCHEMA["properties"]["clientSecret"]["x-secret"] is True
    assert CONFIG_SCHEMA["properties"]["apiBaseUrl"]["default"] == "https://api.finance.visma.net"
    assert (
        CONFIG_SCHEMA["properties"]["tokenUrl"]["default"]
        == "https://connect.visma.com/connect/token"
    )


def test_invalid_values_name_the_key_and_rule() -> None:
    bad = config(
        tenantId="a-pasted-tenant-id",
        officeCode="12345/1",
        encoding="latin1",
        vatCodes={"25%": 1},
        startTextSettings={"periodDateSource": "Today"},
        useCustomerNumber="yes",
    )
    problems = validate_config(CONFIG_SCHEMA, bad)
    text = "\n".join(problems)
    assert "a-pasted-tenant-id" not in text  # a pasted secret is never echoed
    for key in (
        "tenantId",
        "officeCode",
        "encoding",
        "vatCodes.25%",
        "startTextSettings.periodDateSource",
        "useCustomerNumber",
    ):
        assert f"key '{key}'" in text, key
    assert "12345-1" in text  # the office code's description says what to enter
