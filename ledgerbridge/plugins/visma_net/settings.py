"""A visma_net config turned into checked settings for the mapper.

`load_settings(config)` parses what JSON Schema cannot check (the Start text
lines, the row XSLT, the office code's parts) and reports every problem in
one ConfigError, so an operator fixes a config in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ledgerbridge.core.errors import ConfigError
from ledgerbridge.plugins.visma_net.starttext import StartText, load_start_text
from ledgerbridge.plugins.visma_net.xslt import RowTransform, compile_row_xslt

T = TypeVar("T")
OFFICE_CODE = re.compile(r"^([0-9]{1,10})(?:-([A-Za-z0-9]{1,30}))?$")


@dataclass(frozen=True)
class OfficeCode:
    """`<company id>` or `<company id>-<branch id>` ("12345", "12345-1")."""

    company_id: str
    branch: str | None = None


def parse_office_code(text: str) -> OfficeCode:
    match = OFFICE_CODE.match(text.strip())
    if match is None:
        raise ConfigError(
            "Office code is not valid:",
            [
                f"key 'officeCode': value {text!r}: rule: <company ID> or "
                '<company ID>-<branch ID>, e.g. "12345" or "12345-1"; fix: enter your Visma '
                "company ID (ask Visma if unsure), optionally followed by a dash and the "
                "branch number"
            ],
        )
    return OfficeCode(match.group(1), match.group(2))


@dataclass(frozen=True)
class VismaNetSettings:
    """What the mapper needs from a tenant's config."""

    office: OfficeCode
    start_text: StartText = field(default_factory=StartText)
    vat_codes: Mapping[str, str] = field(default_factory=dict)
    use_customer_number: bool = False
    include_pdf_copy: bool = False
    reduce_pdf_size: bool = False
    row_transform: RowTransform | None = None


CREDENTIALS = ("tenantId", "clientId", "clientSecret")
ENDPOINTS = ("apiBaseUrl", "tokenUrl")
ADD_CONNECTION = (
    "ledgerbridge connection add TENANT visma --system visma_net --config FILE, then "
    'put "connection": "visma" in this config'
)


def connection_problems(config: Mapping[str, Any]) -> list[str]:
    """A config names a Visma.net connection, or carries the credentials itself
    (as configs did before connections): one or the other, and whole."""
    inline = [k for k in (*CREDENTIALS, *ENDPOINTS) if k in config]
    if "connection" in config:
        if not inline:
            return []
        return [
            f"key '{k}': not allowed with 'connection'; rule: the credentials and endpoints "
            f"come from the connection {config['connection']!r}; fix: remove {k} here (or set "
            "it in the connection)"
            for k in inline
        ]
    missing = [k for k in CREDENTIALS if k not in config]
    if not missing:
        return []
    if len(missing) == len(CREDENTIALS):
        return [
            "key 'connection': missing; rule: the config names the tenant's Visma.net "
            "connection, or carries tenantId, clientId and clientSecret itself; "
            f"fix: {ADD_CONNECTION}"
        ]
    return [
        f"key '{k}': missing; rule: required when the config carries the credentials itself "
        f"(no 'connection'); fix: add it, or name a connection instead: {ADD_CONNECTION}"
        for k in missing
    ]


def load_settings(config: Mapping[str, Any], base: Path | None = None) -> VismaNetSettings:
    """Settings from a config already validated against visma_net.config.json.

    base: folder a relative rowXslt path is taken from.
    """
    problems: list[str] = connection_problems(config)
    office = _collect(problems, lambda: parse_office_code(str(config.get("officeCode", ""))))
    start_text = _collect(problems, lambda: load_start_text(config))
    row_xslt = config.get("rowXslt")
    transform = _collect(problems, lambda: compile_row_xslt(row_xslt, base)) if row_xslt else None
    if problems or office is None or start_text is None:
        raise ConfigError("The visma_net config has problems:", problems)
    vat_codes = {str(k).strip(): str(v).strip() for k, v in config.get("vatCodes", {}).items()}
    return VismaNetSettings(
        office=office,
        start_text=start_text,
        vat_codes=MappingProxyType(vat_codes),
        use_customer_number=bool(config.get("useCustomerNumber", False)),
        include_pdf_copy=bool(config.get("includePdfCopy", False)),
        reduce_pdf_size=bool(config.get("reducePdfSize", False)),
        row_transform=transform,
    )


def _collect(problems: list[str], build: Callable[[], T]) -> T | None:
    """Run `build`, moving its ConfigError's problems into `problems`."""
    try:
        return build()
    except ConfigError as err:
        head = str(err).splitlines()[0]
        problems.extend(
            [p if p.startswith("key ") else f"{head} {p}" for p in err.problems]
            if err.problems
            else [head]
        )
        return None
