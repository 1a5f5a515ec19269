"""A pos_zreport config turned into checked settings.

JSON Schema (schemas/config.json) checks the shape; `problems(config)`
checks what a schema cannot say, each as one "key ...: rule; fix" line so an
operator fixes the config in one pass. One rule matters most: stock change
(Beholdningsendring) books the cost of goods in the Z-report's batch, and
stock (Lager) releases an inventory issue, which Visma.net posts with its
own cost-of-goods entries: both together would book the cost of goods twice,
so the combination is refused here, before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ledgerbridge.core.errors import ConfigError

CENT = Decimal("0.01")


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    text = (
        resources.files("ledgerbridge.plugins.pos_zreport")
        .joinpath("schemas/config.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def rate_key(value: Any) -> str:
    """A VAT rate as the settings key it: "25", "25.0", "25.00" -> "25.00"."""
    try:
        return str(Decimal(str(value)).quantize(CENT))
    except (InvalidOperation, ValueError):
        return str(value)


@dataclass(frozen=True)
class Department:
    key: str
    name: str
    folder: Path
    connection: str | None = None
    branch: str | None = None
    cost_bearer: tuple[int, str] | None = None
    warehouse: str | None = None
    duell_token: str | None = None

    def subaccount(self) -> list[dict[str, Any]] | None:
        """The cost bearer as SegmentUpdateDto values, or None."""
        if self.cost_bearer is None:
            return None
        seg, value = self.cost_bearer
        return [{"segmentId": seg, "segmentValue": value}]


@dataclass(frozen=True)
class VatEntry:
    rate: str
    vat_id: str
    category: str
    account: str | None


@dataclass(frozen=True)
class Accounts:
    payments: Mapping[str, str]
    revenue: Mapping[str, str]
    rounding: str
    tips: str | None = None
    gift_cards: str | None = None
    cash_difference: str | None = None
    stock_change: str | None = None
    inventory: str | None = None
    pay_outs: Mapping[str, str] = field(default_factory=dict)
    pay_ins: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    folder: Path
    encoding: str
    departments: Mapping[str, Department]
    vat: Mapping[str, VatEntry]
    accounts: Accounts
    invoices: bool = True
    zreport: bool = True
    stock_change: bool = False
    stock: bool = False
    automatic_transfer: bool = True
    products: bool = True
    customers: bool = True
    gift_card_groups: frozenset[str] = frozenset()
    customer_base: str = "duell"
    product_base: str = "duell"
    allow_duplicate_customers: bool = False
    cost_price_field: str = "average"
    barcode_type: str = "Barcode"
    item_class: str | None = None
    customer_class: str | None = None
    invoice_account: str | None = None


def load_settings(config: Mapping[str, Any], base: Path | None = None) -> Settings:
    found = problems(config)
    if found:
        raise ConfigError("The pos_zreport config is not valid:", found)
    root = Path(config["saftFolder"])
    if base is not None and not root.is_absolute():
        root = base / root
    departments = {
        key: _department(key, entry, root, base) for key, entry in config["departments"].items()
    }
    accounts = config["accounts"]
    return Settings(
        folder=root,
        encoding=config.get("encoding", "UTF-8"),
        departments=departments,
        vat={
            rate_key(rate): VatEntry(
                rate_key(rate),
                entry["vatId"],
                entry.get("vatCategoryId", entry["vatId"]),
                entry.get("vatAccount"),
            )
            for rate, entry in config["vatMap"].items()
        },
        accounts=Accounts(
            payments=dict(accounts["payments"]),
            revenue={rate_key(k): v for k, v in accounts.get("revenue", {}).items()},
            rounding=accounts["rounding"],
            tips=accounts.get("tips"),
            gift_cards=accounts.get("giftCards"),
            cash_difference=accounts.get("cashDifference"),
            stock_change=accounts.get("stockChange"),
            inventory=accounts.get("inventory"),
            pay_outs=dict(accounts.get("payOuts", {})),
            pay_ins=dict(accounts.get("payIns", {})),
        ),
        invoices=config.get("invoices", True),
        zreport=config.get("zReport", True),
        stock_change=config.get("stockChange", False),
        stock=config.get("stock", False),
        automatic_transfer=config.get("automaticTransfer", True),
        products=config.get("products", True),
        customers=config.get("customers", True),
        gift_card_groups=frozenset(config.get("giftCardArticleGroups", ())),
        customer_base=config.get("customerBase", "duell"),
        product_base=config.get("productBase", "duell"),
        allow_duplicate_customers=config.get("allowDuplicateCustomerData", False),
        cost_price_field=config.get("costPriceField", "average"),
        barcode_type=config.get("barcodeCrossReference", "Barcode"),
        item_class=config.get("itemClass"),
        customer_class=config.get("customerClass"),
        invoice_account=config.get("invoiceAccount"),
    )


def _department(key: str, entry: Mapping[str, Any], root: Path, base: Path | None) -> Department:
    folder = Path(entry["folder"]) if entry.get("folder") else root / key
    if base is not None and not folder.is_absolute():
        folder = base / folder
    bearer = entry.get("costBearer")
    return Department(
        key=key,
        name=entry.get("name", key),
        folder=folder,
        connection=entry.get("connection"),
        branch=entry.get("branch"),
        cost_bearer=(bearer["segmentId"], bearer["segmentValue"]) if bearer else None,
        warehouse=entry.get("warehouse"),
        duell_token=entry.get("duellDepartmentToken"),
    )


def problems(config: Mapping[str, Any]) -> list[str]:
    """What JSON Schema cannot check, one line per problem."""
    out: list[str] = []
    accounts = config.get("accounts") or {}
    if config.get("stockChange") and config.get("stock"):
        out.append(
            "keys 'stockChange' and 'stock': both are true; rule: stock change books the cost "
            "of goods in the Z-report's batch and stock releases an inventory issue that "
            "Visma.net posts with its own cost of goods, so together they count it twice; "
            "fix: turn one of them off (stock, to have Visma.net keep the stock; stockChange, "
            "to keep stock outside Visma.net)"
        )
    if config.get("stockChange"):
        for key, usual in (("stockChange", "4390"), ("inventory", "1460")):
            if not accounts.get(key):
                out.append(
                    f"key 'accounts.{key}': missing; rule: stock change (Beholdningsendring) "
                    f"needs the {key} account of the account plan; fix: add it "
                    f'(usually "{usual}") under accounts'
                )
    departments = config.get("departments") or {}
    if config.get("stock"):
        for key, entry in departments.items():
            if isinstance(entry, Mapping) and not entry.get("warehouse"):
                out.append(
                    f"key 'departments.{key}.warehouse': missing; rule: with stock (Lager) on, "
                    "each department names the Visma.net warehouse its sales are issued from; "
                    "fix: add the warehouse id (GET /v1/warehouse)"
                )
    out += company_problems(config)
    for rate in config.get("vatMap") or {}:
        if rate_key(rate) != rate and rate_key(rate) in {
            rate_key(r) for r in config["vatMap"] if r != rate
        }:
            out.append(f"key 'vatMap.{rate}': the rate is given twice; fix: keep one entry")
    return out


def own_connection(config: Mapping[str, Any]) -> str | None:
    """The name of the connector's Visma.net connection, when it names one."""
    named = config.get("connections")
    if isinstance(named, Mapping) and named.get("visma_net"):
        return str(named["visma_net"])
    return str(config["connection"]) if config.get("connection") else None


def company_problems(config: Mapping[str, Any]) -> list[str]:
    """Which Visma.net company gets what must be unambiguous: each company is
    named once (the connector's connection is every department's default,
    and the base company with Visma.net as base), and items created from
    DUELL in any company need an item class."""
    out: list[str] = []
    own = own_connection(config)
    departments = config.get("departments") or {}
    others = set()
    for key, entry in departments.items():
        named = entry.get("connection") if isinstance(entry, Mapping) else None
        if named and named == own:
            out.append(
                f"key 'departments.{key}.connection': {named!r} is the connector's own "
                "connection; rule: a Visma.net company is named once, and the connector's "
                "connection is already every department's default (and the base company "
                "when Visma is the product or customer base), so its registers and "
                "document numbers would be kept twice; fix: remove "
                f"departments.{key}.connection"
            )
        elif named:
            others.add(named)
    duell = isinstance(config.get("connections"), Mapping) and config["connections"].get("duell")
    if not duell or not config.get("products", True) or config.get("itemClass"):
        return out
    if config.get("productBase", "duell") == "duell":
        out.append(
            "key 'itemClass': missing; rule: Visma.net needs an item class for every item "
            "created from DUELL (DUELL is the product base); fix: add the item class id, "
            "or set products to false"
        )
    elif others:
        out.append(
            "key 'itemClass': missing; rule: with Visma as product base, the companies of "
            f"departments on their own connection ({', '.join(sorted(others))}) receive "
            "DUELL's products, and Visma.net needs an item class for every item created "
            "there; fix: add the item class id, or set products to false"
        )
    return out
