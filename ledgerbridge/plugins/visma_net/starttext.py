"""The invoice export's "Start text": settings applied in Visma.net on import.

Users paste one `key=value` setting per line, as the Opter help page shows
them (`overrideNumberSeries=true`). The same settings can be given as a
structured object (`startTextSettings` in the config). Either way the result
is a `StartText` in which an omitted setting is None: "If no settings are
configured here, the settings defined in Visma.net will be used", so a None
setting is left out of the Visma.net payload entirely.

Parsing is forgiving where pasting is: blank lines and spaces around keys and
values are ignored, true/false in any case, and typographic quotes (“ ” „)
in vatCustomerClassMapping are read as straight ones, since the help page
shows the syntax with them. It is strict about meaning: an unknown key, a
value that is not true/false, a bad periodDateSource or JSON that does not
parse are all reported together in one ConfigError, each with its line, key,
value, rule and fix.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, Literal

from ledgerbridge.core.errors import ConfigError

PeriodDateSource = Literal["CreateDate", "AccountingDate"]
PERIOD_DATE_SOURCES: tuple[str, ...] = ("CreateDate", "AccountingDate")
CUSTOMER_CLASS_MAX = 10  # CustomerClassDto.id: "an alphanumeric string of up to 10 characters"


@dataclass(frozen=True)
class StartText:
    """Start text settings; None = not set, Visma.net's own setting applies."""

    override_number_series: bool | None = None
    disable_customer_export: bool | None = None
    disable_customer_update: bool | None = None
    dont_email: bool | None = None
    dont_print: bool | None = None
    send_to_auto_invoice: bool | None = None
    payment_method_id: str | None = None
    use_customer_class: bool | None = None
    period_date_source: PeriodDateSource | None = None
    include_exchange_rate: bool | None = None
    vat_customer_class_mapping: Mapping[str, str] | None = None


# Start text key -> StartText field, in the help page's order.
KEYS: dict[str, str] = {
    "overrideNumberSeries": "override_number_series",
    "disableCustomerExport": "disable_customer_export",
    "disableCustomerUpdate": "disable_customer_update",
    "dontEmail": "dont_email",
    "dontPrint": "dont_print",
    "sendToAutoInvoice": "send_to_auto_invoice",
    "paymentMethodId": "payment_method_id",
    "useCustomerClass": "use_customer_class",
    "periodDateSource": "period_date_source",
    "includeExchangeRate": "include_exchange_rate",
    "vatCustomerClassMapping": "vat_customer_class_mapping",
}
assert set(KEYS.values()) == {f.name for f in fields(StartText)}

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "＂": '"'})
_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\ufeff": ""})


class _Invalid(ValueError):
    """One value breaks its rule; message = 'rule; fix'."""


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise _Invalid("rule: must be true or false; fix: write true or false (one of them, not both)")


def _payment_method(value: Any) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise _Invalid(
            "rule: must be the ID of a payment method in Visma.net; "
            "fix: enter the ID as shown in Visma.net's Payment methods window, or remove the line"
        )
    return text


def _period_date_source(value: Any) -> str:
    text = str(value).strip()
    for option in PERIOD_DATE_SOURCES:
        if text.lower() == option.lower():
            return option
    raise _Invalid(
        "rule: must be CreateDate or AccountingDate; fix: write CreateDate (the date the "
        "invoice period was created) or AccountingDate (the invoices' accounting date)"
    )


def _class_mapping(value: Any) -> Mapping[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value.translate(_QUOTES))
        except json.JSONDecodeError as err:
            raise _Invalid(
                f'rule: must be JSON, e.g. {{"25%": "10", "EU": "20"}} ({err.msg} at '
                f"character {err.pos + 1}); fix: put each VAT code and customer class in "
                "double quotes, separate pairs with commas, and enclose all in { }"
            ) from None
    if not isinstance(value, Mapping):
        raise _Invalid(
            'rule: must be a JSON object {"VAT code in Opter": "customer class"}; '
            "fix: enclose the pairs in { }"
        )
    for rate, klass in value.items():
        if not isinstance(klass, str) or not klass.strip():
            raise _Invalid(
                f"rule: the customer class for {rate!r} must be text in quotes; "
                f'fix: write "{rate}": "{klass}" with the class in double quotes'
            )
        if len(klass) > CUSTOMER_CLASS_MAX:
            raise _Invalid(
                f"rule: a Visma.net customer class ID has at most {CUSTOMER_CLASS_MAX} "
                f"characters ({klass!r} has {len(klass)}); fix: use the class ID, "
                "not its description"
            )
    return MappingProxyType({str(k): str(v) for k, v in value.items()})


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "paymentMethodId": _payment_method,
    "periodDateSource": _period_date_source,
    "vatCustomerClassMapping": _class_mapping,
}


def _convert(key: str, value: Any) -> Any:
    converter: Callable[[Any], Any] = _CONVERTERS.get(key, _boolean)
    return converter(value)


def _unknown_key(key: str) -> str:
    by_case = {k.lower(): k for k in KEYS}
    guess = by_case.get(key.lower()) or next(
        iter(difflib.get_close_matches(key, KEYS, 1, 0.6)), None
    )
    hint = f"did you mean {guess}? " if guess else ""
    return (
        f"rule: must be one of the Start text settings ({', '.join(KEYS)}); "
        f"fix: {hint}correct the key or remove the line"
    )


def parse_start_text(text: str) -> StartText:
    """Parse Start text exactly as pasted into the invoice export."""
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.translate(_SPACES).strip()
        if not line:
            continue
        key, sep, value = (part.strip() for part in line.partition("="))
        if not sep:
            problems.append(
                f"line {number}: {line!r}: rule: each setting is key=value on its "
                "own line; fix: write e.g. dontEmail=true"
            )
            continue
        problem = _take(key, value, number, seen, values)
        if problem:
            problems.append(f"line {number}: {key}={value}: {problem}")
    return _finish(values, problems, "Start text", "startText")


def _take(key: str, value: str, number: int, seen: dict[str, int], values: dict[str, Any]) -> str:
    """Convert one setting into `values`; return the problem, or ''."""
    if key not in KEYS:
        return _unknown_key(key)
    if key in seen:
        return (
            f"rule: each setting once; fix: {key} is also on line {seen[key]}, "
            "keep one of the lines"
        )
    seen[key] = number
    try:
        values[KEYS[key]] = _convert(key, value)
    except _Invalid as err:
        return str(err)
    return ""


def start_text_from_settings(settings: Mapping[str, Any]) -> StartText:
    """Build from the structured form (`startTextSettings`: the same keys)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in settings.items():
        if key not in KEYS:
            problems.append(f"startTextSettings.{key}: {_unknown_key(key)}")
            continue
        if value is None:
            continue
        try:
            values[KEYS[key]] = _convert(key, value)
        except _Invalid as err:
            problems.append(f"startTextSettings.{key}={value!r}: {err}")
    return _finish(values, problems, "startTextSettings", "startTextSettings")


def _finish(values: dict[str, Any], problems: list[str], what: str, key: str) -> StartText:
    if problems:
        count = len(problems)
        raise ConfigError(
            f"{what} has {count} problem{'s' if count > 1 else ''}:",
            [p if p.startswith("key ") else f"key '{key}' {p}" for p in problems],
        )
    return StartText(**values)


def load_start_text(config: Mapping[str, Any]) -> StartText:
    """The StartText of a visma_net config (`startText` or `startTextSettings`)."""
    text = config.get("startText")
    settings = config.get("startTextSettings")
    if text is not None and settings is not None:
        raise ConfigError(
            "Start text is given twice:",
            [
                "key 'startText' and key 'startTextSettings': rule: use one of them; "
                "fix: keep the pasted lines (startText) or the object (startTextSettings)"
            ],
        )
    if settings is not None:
        return start_text_from_settings(settings)
    return parse_start_text(text or "")
