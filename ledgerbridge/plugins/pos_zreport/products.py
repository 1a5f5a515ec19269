"""Products ("Varer") between DUELL and Visma.net, matched by item number/SKU.

DUELL as product base: every DUELL product goes to Visma.net's item of the
same number (DUELL's product_number = Visma.net's inventoryNumber), created
when Visma.net has none, updated when the product changed; its barcode goes
to the item's cross-reference of the configured type (Barcode). A product
without a name gets its item number as name ("Hvorfor har varen fått varenr
registrert som navn?" in the seed's FAQ, applied in our direction too).

Visma.net as product base: Visma.net's items go to DUELL (`product/save`
creates or updates by product_number), with the cost price from the field
chosen (average or last cost of the item's cost statistics) and the barcode
from the cross-reference; only items changed since the last run are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledgerbridge.core.components import WriteResult
from ledgerbridge.core.errors import RecordError
from ledgerbridge.core.http import ApiError
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.bindings import Binding
from ledgerbridge.plugins.pos_zreport.duell.api import DuellApi
from ledgerbridge.plugins.pos_zreport.duell.listing import DuellList
from ledgerbridge.plugins.pos_zreport.saft.reader import money
from ledgerbridge.plugins.pos_zreport.settings import Settings, rate_key
from ledgerbridge.plugins.pos_zreport.visma import DEFAULT, Company
from ledgerbridge.plugins.visma_net.api import VismaNetApi
from ledgerbridge.plugins.visma_net.ledger_targets import InventoryPayload, InventoryTarget
from ledgerbridge.plugins.visma_net.target import SYSTEM as VISMA
from ledgerbridge.plugins.visma_net.target import TITLE as VISMA_TITLE
from ledgerbridge.plugins.visma_net.target import raise_refusal

CENT = Decimal("0.01")


def v(value: Any) -> dict[str, Any]:
    return {"value": value}


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


# -- DUELL -> Visma.net ---------------------------------------------------------------


class DuellProductSource:
    system = "duell"
    title = "DUELL"

    def __init__(self, products: DuellList) -> None:
        self.products = products

    def read(self, since: str | None) -> Iterator[Record]:
        for row in self.products.rows():
            number = _s(row.get("product_number"))
            if not number:
                continue
            data = {
                "number": number,
                "name": _s(row.get("product_name")),
                "barcode": _s(row.get("barcode")) or None,
                "priceIncVat": _s(row.get("price_inc_vat")) or "0",
                "vatRate": rate_key(row.get("vatrate_percent") or 0),
                "cost": _s(row.get("cost_price")) or None,
                "stockItem": row.get("is_stock_item", True) is not False,
            }
            yield Record("product", number, data)


@dataclass(frozen=True)
class ItemPayload:
    inventory: InventoryPayload
    barcode: str | None


class ItemMapper:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def map(self, record: Record) -> ItemPayload:
        d = record.data
        rate = d["vatRate"]
        entry = self.settings.vat.get(rate)
        if entry is None:
            raise RecordError(
                f"Product {record.key} has VAT rate {rate} %, which has no Avgiftsnr in vatMap",
                field="vatrate_percent",
                value=rate,
                rule="every VAT rate needs its Avgiftsnr (vatMap)",
                fix=f'add "{rate}": {{"vatId": "<Avgiftsnr>"}} under vatMap',
            )
        gross = money(d["priceIncVat"])
        net = (gross / (1 + Decimal(rate) / 100)).quantize(CENT, rounding=ROUND_HALF_UP)
        body = {
            "description": v(d["name"] or d["number"]),  # a nameless product: its number
            "status": v("Active"),
            "type": v("FinishedGoodItem" if d["stockItem"] else "NonStockItem"),
            "itemClass": v(self.settings.item_class),
            "vatCode": v(entry.category),
            "defaultPrice": v(float(net)),
        }
        return ItemPayload(InventoryPayload(d["number"], body), d.get("barcode"))


class ItemTarget:
    """visma_net's inventory target, plus the barcode cross-reference, in
    one company: its links are the company's (`Company.system`), the item
    numbers kept as `CONNECTION/number` outside the connector's company."""

    def __init__(self, api: VismaNetApi, barcode_type: str, company: Company = DEFAULT) -> None:
        self.api = api
        self.items = InventoryTarget(api)
        self.barcode_type = barcode_type
        self.company = company
        self.system = company.system
        self.title = company.title

    def write(self, payload: ItemPayload, record: Record, binding: Binding | None) -> WriteResult:
        number = payload.inventory.number
        with self.api.client.reserve(3, "v1/inventory"):
            result = self.items.write(payload.inventory, record, binding)
            if payload.barcode:
                body = {
                    "alternateType": v(self.barcode_type),
                    "alternateID": v(payload.barcode),
                    "description": v("Strekkode"),
                }
                try:
                    self.api.client.request(
                        "POST", f"v1/inventory/{number}/crossReferences", json=body
                    )
                except ApiError as exc:
                    raise_refusal(
                        exc,
                        f"barcode {payload.barcode} of item {number}{self.company.where}",
                        "correct the barcode in DUELL",
                    )
        return self.company.qualified(result)

    def lookup(self, payload: ItemPayload, record: Record) -> WriteResult | None:
        found = self.items.lookup(payload.inventory, record)
        return None if found is None else self.company.qualified(found)


# -- Visma.net -> DUELL ---------------------------------------------------------------


class VismaItemSource:
    system = VISMA
    title = VISMA_TITLE

    def __init__(self, api: VismaNetApi, settings: Settings) -> None:
        self.api = api
        self.settings = settings

    def read(self, since: str | None) -> Iterator[Record]:
        params = {"addCostPriceStatistics": "true", "expandCrossReference": "true"}
        if since:
            params.update(lastModifiedDateTime=since, lastModifiedDateTimeCondition=">=")
        found = []
        for item in self.api.iter("v1/inventory", params=params):
            number = _s(item.get("inventoryNumber"))
            stamp = _s(item.get("lastModifiedDateTime")) or None
            found.append((stamp or "", number, self._data(item)))
        for stamp, number, data in sorted(found):
            yield Record("product", number, data, updated_at=stamp or None, version=stamp or None)

    def _data(self, item: dict[str, Any]) -> dict[str, Any]:
        stats = item.get("costPriceStatistics") or {}
        field = "averageCost" if self.settings.cost_price_field == "average" else "lastCost"
        barcode = next(
            (
                _s(x.get("alternateID"))
                for x in item.get("crossReferences") or []
                if x.get("alternateType") == self.settings.barcode_type
            ),
            None,
        )
        number = _s(item.get("inventoryNumber"))
        return {
            "number": number,
            "name": _s(item.get("description")) or number,  # the seed's FAQ
            "barcode": barcode,
            "cost": None if stats.get(field) is None else str(stats.get(field)),
        }


class DuellProductMapper:
    def map(self, record: Record) -> dict[str, Any]:
        d = record.data
        row = {"product_number": d["number"], "product_name": d["name"]}
        if d.get("barcode"):
            row["barcode"] = d["barcode"]
        if d.get("cost") is not None:
            row["cost_price"] = d["cost"]
        return row


class DuellProductTarget:
    """`product/save` creates or updates by product_number: sending a product
    twice leaves one product, so a lost answer is simply sent again."""

    system = "duell"
    title = "DUELL"

    def __init__(self, api: DuellApi) -> None:
        self.api = api

    def write(
        self, payload: dict[str, Any], record: Record, binding: Binding | None
    ) -> WriteResult:
        try:
            self.api.save_products([payload])
        except ApiError as exc:
            if exc.status == 422:
                raise RecordError(
                    f"DUELL refused product {record.key}: {exc.message}",
                    field="product_number",
                    value=record.key,
                    rule="DUELL's product/save rules",
                    fix="correct the item in Visma.net",
                ) from None
            raise
        return WriteResult(record.key, "updated" if binding else "created")

    def lookup(self, payload: dict[str, Any], record: Record) -> WriteResult | None:
        return None
