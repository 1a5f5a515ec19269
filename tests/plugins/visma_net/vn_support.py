"""Shared helpers for the visma_net tests: configs, settings, sample records."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from ledgerbridge.core.records import Record
from ledgerbridge.plugins.visma_net.mapper import InvoiceMapper, InvoicePayload
from ledgerbridge.plugins.visma_net.settings import VismaNetSettings, load_settings
from ledgerbridge.plugins.visma_net.source import OpterExportSource

SAMPLES = Path(str(resources.files("ledgerbridge.plugins.visma_net").joinpath("samples")))
VAT_CODES = {"25%": "01", "12%": "02", "6%": "03", "0%": "05", "EU": "15", "CV": "16"}


def config(**overrides: Any) -> dict[str, Any]:
    """A valid visma_net config with `overrides` applied."""
    base: dict[str, Any] = {
        "tenantId": {"secret": "VISMA_TENANT"},
        "clientId": "ledgerbridge-test",
        "clientSecret": {"secret": "VISMA_CLIENT_SECRET"},
        "officeCode": "12345",
        "exportFolder": "exports",
        "vatCodes": dict(VAT_CODES),
    }
    base.update(overrides)
    return base


def settings(**overrides: Any) -> VismaNetSettings:
    return load_settings(config(**overrides))


def sample_invoice(number: str = "10023", include_pdf: bool = False) -> Record:
    """An invoice record read from the UTF-8 sample period (with its PDF copy
    when `include_pdf`, as with includePdfCopy=true)."""
    for item in OpterExportSource(SAMPLES, invoices=[number], include_pdf=include_pdf).read(None):
        assert isinstance(item, Record), item
        return item
    raise AssertionError(f"sample invoice {number} not found")


def map_invoice(record: Record, **overrides: Any) -> InvoicePayload:
    """Map with a config that has `overrides`."""
    return InvoiceMapper(settings(**overrides)).map(record)
