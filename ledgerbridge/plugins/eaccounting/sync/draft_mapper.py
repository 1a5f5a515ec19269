"""A PM invoice (canonical record) as an eAccounting invoice draft body.

The seed's mapping ("Fakturautkast"): the customer, the invoice address
(eAccounting takes postal code, city and country from the customer, which
is why the customer is synced first), terms of payment, your and our
reference; PM's notes and the free texts before and after the rows as text
rows; each row with the article of its product code (the default article
when it has none), description, quantity, unit, price and the cost center
item of its project. Credit invoices are not transferred (the seed: credit
in eAccounting), so they are skipped with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ledgerbridge.core.errors import RecordError, SkipRecord
from ledgerbridge.core.records import Record
from ledgerbridge.core.state.links import LinkView
from ledgerbridge.plugins.eaccounting.sync.invoice_setup import InvoiceSetup

TEXT_MAX = 2000  # CustomerInvoiceDraftRowApi.Text
ADDRESS_MAX = 50  # CustomerInvoiceDraftApi.InvoiceAddress1
REFERENCE_MAX = 100  # YourReference, OurReference


@dataclass(frozen=True)
class DraftPayload:
    """The draft body, and how messages name the invoice."""

    body: dict[str, Any]
    label: str
    pm_invoice: str = field(default="")


def _named(thing: Mapping[str, Any]) -> str:
    return f"{thing.get('number') or '?'} {thing.get('name') or ''}".strip()


def who(data: Mapping[str, Any]) -> str:
    """`customer 1001 Acme AB and project 42 Projekt A`, the seed's naming."""
    customer = data.get("customer") or {}
    text = f"customer {customer.get('number') or '?'} {customer.get('name') or ''}".strip()
    projects = data.get("projects") or []
    if projects:
        names = ", ".join(
            f"{p.get('number') or '?'} {p.get('name') or ''}".strip() for p in projects
        )
        text += f" and project {names}"
    return text


NEW_CUSTOMER = "(the customer, which this run creates first)"


class DraftMapper:
    """`dry_run`: a customer not in eAccounting yet is one the customers flow
    would create first in a real run, so the plan goes on with a placeholder."""

    def __init__(self, setup: InvoiceSetup, links: LinkView, dry_run: bool = False) -> None:
        self.setup, self.links, self.dry_run = setup, links, dry_run

    def map(self, record: Record) -> DraftPayload:
        data = record.data
        named = who(data)
        if data.get("isCreditNote"):
            raise SkipRecord(
                f"credit invoice for {named}: credit invoices are not transferred; "
                "make the credit in eAccounting"
            )
        address = self._address(data, named)
        body: dict[str, Any] = {
            "CustomerId": self._customer(data, named),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "InvoiceAddress1": address,
            "Rows": self._rows(data, named),
        }
        for key, name in (("yourReference", "YourReference"), ("ourReference", "OurReference")):
            value = _text(data.get(key))
            if value is not None:
                body[name] = _limited(value, REFERENCE_MAX, key, named)
        if data.get("paymentTerm") is not None:
            body["TermsOfPaymentId"] = self.setup.terms_id(
                int(data["paymentTerm"]), f"The invoice for {named}"
            )
        return DraftPayload(body, f"invoice for {named}", record.key)

    # -- header ------------------------------------------------------------------------

    def _address(self, data: Mapping[str, Any], named: str) -> str:
        address = data.get("address") or {}
        missing = [
            k for k in ("addressline", "postalCode", "city", "country") if not address.get(k)
        ]
        if missing:
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting, because invoice "
                "address is missing.",
                field="receiverAddress." + missing[0],
                rule="an invoice has the customer's address: address, postal code, city and "
                "country (Faktureringsinformation - Kundens adress)",
                fix="open the invoice in Visma PM and fill in the customer's address under "
                "Billing information; if it is there, transfer the customer alone and check "
                "that its name, number and address are at most 50 characters",
            )
        line = str(address["addressline"]).strip()
        if len(line) > ADDRESS_MAX:
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: ErrorCode: 2000, "
                "DeveloperErrorMessage: ValidateModelAttributeException - The field "
                f"InvoiceAddress1 must be a string with a maximum length of {ADDRESS_MAX}.",
                field="receiverAddress.addressline",
                value=line,
                rule=f"the customer's address (Adress 1) is at most {ADDRESS_MAX} characters",
                fix=f"shorten the customer's address (Adress 1) to {ADDRESS_MAX} characters "
                "in Visma PM and run again",
            )
        return line

    def _customer(self, data: Mapping[str, Any], named: str) -> str:
        guid = str((data.get("customer") or {}).get("guid") or "")
        side = self.links.other("pm", "customer", guid, "eaccounting") if guid else None
        if side is None and self.dry_run and guid:
            return NEW_CUSTOMER
        if side is None:
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: the customer is not "
                "in eAccounting yet (the customers flow has not transferred it)",
                field="customer",
                value=guid or None,
                rule="the customer is transferred before its invoice",
                fix="see why the customer failed (ledgerbridge errors), correct it in Visma PM "
                "and run again",
            )
        return side.key

    # -- rows --------------------------------------------------------------------------------

    def _rows(self, data: Mapping[str, Any], named: str) -> list[dict[str, Any]]:
        before = [data.get("notes"), data.get("freeTextBefore")]
        rows = [text_row(t) for value in before for t in _chunks(value)]
        projects = data.get("projects") or []
        only = projects[0] if len(projects) == 1 else None
        for index, row in enumerate(data.get("rows") or []):
            rows.append(self._row(row, index, only, named))
        rows += [text_row(t) for t in _chunks(data.get("freeTextAfter"))]
        if not any(not r["IsTextRow"] for r in rows):
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: it has no invoice rows",
                field="rows",
                rule="an invoice has at least one row to invoice",
                fix="add rows to the invoice in Visma PM, or take it out of the status to transfer",
            )
        return rows

    def _row(self, row: Mapping[str, Any], index: int, project: Any, named: str) -> dict[str, Any]:
        article = self._article(row, index, named)
        out: dict[str, Any] = {
            "IsTextRow": False,
            "ArticleId": article["Id"],
            "Quantity": round(float(row.get("quantity") or 0), 2),
            "UnitPrice": round(float(row.get("unitPrice") or 0), 2),
            "ReversedConstructionServicesVatFree": False,
        }
        text = _text(row.get("description"))
        if text is not None:
            out["Text"] = _limited(text, TEXT_MAX, f"rows[{index}].description", named)
        unit = _text(row.get("unit"))
        if unit is not None:
            out["UnitName"] = unit
        item = self._cost_center(row, index, row.get("project") or project, named)
        if item is not None:
            out[f"CostCenterItemId{item[0]}"] = item[1]["Id"]
        return out

    def _article(self, row: Mapping[str, Any], index: int, named: str) -> dict[str, Any]:
        code = _text(row.get("code"))
        article = self.setup.article(code) if code else self.setup.default_article()
        if article is None and code:
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: row {index + 1} has "
                f"product code {code}, and eAccounting has no article number {code}",
                field=f"rows[{index}].code",
                value=code,
                rule="a row's product, work type or travel expense is the eAccounting article "
                "with its code as article number",
                fix=f"transfer the products first, or add article {code} in eAccounting",
            )
        if article is None:
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: row {index + 1} is "
                "linked to no product, work type or travel expense, and no default article "
                "number is set",
                field=f"rows[{index}].code",
                rule="rows linked to no product, work type or travel expense are booked on the "
                "default article (Standard artikelnummer)",
                fix="set defaultArticleNumber in the eaccounting config to an eAccounting "
                "article number",
            )
        if not article.get("IsActive", True):
            raise RecordError(
                f"Could not add invoice for {named} to Visma eAccounting: The remote server "
                f"returned an error: (409) Conflict. Article {article.get('Number')} "
                f"{article.get('Name')} of row {index + 1} is inactive in eAccounting",
                field=f"rows[{index}].code",
                value=article.get("Number"),
                rule="the work types, products and travel expenses of an invoice are active "
                "articles in eAccounting",
                fix=f"activate article {article.get('Number')} in eAccounting and run again",
            )
        return article

    def _cost_center(
        self, row: Mapping[str, Any], index: int, project: Any, named: str
    ) -> tuple[int, dict[str, Any]] | None:
        """The row's own cost center, else its project's cost center item
        (short name = project number; the link, once projects are linked)."""
        if not self.setup.uses_cost_centers():
            return None
        center = row.get("costCenter") or {}
        if center:
            short = _text(center.get("identifier") or center.get("number") or center.get("name"))
            found = self.setup.item_by_short_name(short) if short else None
            if found is None:
                found = self._item_named(_text(center.get("name")))
            return found or self._no_item("cost center", short, index, named)
        if not project:
            return None
        side = None
        if project.get("guid"):
            side = self.links.other("pm", "project", str(project["guid"]), "eaccounting")
        found = self.setup.item_by_id(side.key) if side is not None else None
        number = _text(project.get("number"))
        if found is None and number:
            found = self.setup.item_by_short_name(number, self.setup.project_center)
        return found or self._no_item("project", f"{number} {project.get('name')}", index, named)

    def _item_named(self, name: str | None) -> tuple[int, dict[str, Any]] | None:
        if not name:
            return None
        for number, item in self.setup.items():
            if str(item.get("Name") or "").casefold() == name.casefold():
                return number, item
        return None

    def _no_item(self, kind: str, what: Any, index: int, named: str) -> NoReturn:
        raise RecordError(
            f"Could not add invoice for {named} to Visma eAccounting: row {index + 1} belongs "
            f"to {kind} {what}, which has no cost center item (resultatenhet) in eAccounting",
            field=f"rows[{index}].{'costCenter' if kind == 'cost center' else 'project'}",
            value=str(what),
            rule="a row's project is the eAccounting cost center item whose short name "
            "(Förkortning) is the project number",
            fix="transfer the projects first, or check that the project's name and number "
            "match the cost center item in eAccounting",
        )


def text_row(text: str) -> dict[str, Any]:
    return {"IsTextRow": True, "Text": text, "ReversedConstructionServicesVatFree": False}


def _chunks(value: Any) -> list[str]:
    """A text as text rows of at most TEXT_MAX characters, split on lines."""
    text = _text(value)
    if text is None:
        return []
    out, current = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > TEXT_MAX:
            if current:
                out.append(current)
                current = ""
            out.append(line[:TEXT_MAX])
            line = line[TEXT_MAX:]
        if len(current) + len(line) > TEXT_MAX:
            out.append(current)
            current = ""
        current += line
    if current.strip():
        out.append(current)
    return [c.strip() for c in out if c.strip()]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def _limited(value: str, most: int, field: str, named: str) -> str:
    if len(value) > most:
        raise RecordError(
            f"Could not add invoice for {named} to Visma eAccounting: {field} is "
            f"{len(value)} characters, longer than the {most} eAccounting allows",
            field=field,
            value=value,
            rule=f"at most {most} characters",
            fix=f"shorten {field} of the invoice in Visma PM to {most} characters",
        )
    return value
