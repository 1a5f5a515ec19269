"""Shared helpers for the visma_net tests: configs, settings, sample records,
reading an export folder."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

from ledgerbridge.core.records import Record, Rejected
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


def read(folder: Path, since: str | None = None, **kwargs: Any) -> list[Record | Rejected]:
    """Everything the source yields for `folder` from cursor `since`."""
    return list(OpterExportSource(folder, **kwargs).read(since))


def keys(items: list[Record | Rejected]) -> list[str]:
    return [i.key for i in items]


class CountingFile(io.RawIOBase):
    """A binary file that adds the bytes read from it to `counter[0]`."""

    def __init__(self, inner: BinaryIO, counter: list[int]) -> None:
        self._inner, self._counter = inner, counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self._counter[0] += len(data)
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


class CountingSource(OpterExportSource):
    """Counts the bytes read from export files, in `bytes_read[0]`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bytes_read = [0]

    def _open(self, path: Path) -> BinaryIO:
        return CountingFile(path.open("rb"), self.bytes_read)  # type: ignore[return-value]
