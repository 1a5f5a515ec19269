"""One SAF-T Cash Register file, streamed and validated against the XSD.

lxml's `iterparse` validates against Skatteetaten's schema while it reads,
so a file is never held whole: each element the connector needs (a basic
code, a customer, a Z-report event, a cash transaction) is turned into plain
data when it ends and then freed. What is kept per file is small: the Z
reports and credit sales it holds, and per Z report the sums of its
transactions (cost of goods, cash rounding, quantities per article).

A file is used only once it has been read to its end and found valid:
`read_saft` returns its content or raises `SaftFileError` naming the file,
the line and what is wrong, so a bad file fails alone and no report of a
half-read file is ever booked. Files come in the encoding their declaration
names (or the configured one); visma_net's `Utf8Stream` decodes them and
`NoDoctype` refuses a DOCTYPE before lxml sees it (no entity is ever
expanded or fetched).

Transactions belong to the first Z report of their register at or after
their time (a late settlement covers every sale since the previous one);
transactions after the register's last Z report are not settled yet and are
left for the file that holds their Z report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from ledgerbridge.plugins.pos_zreport.saft import codes
from ledgerbridge.plugins.pos_zreport.saft.schema import local, q, xml_schema
from ledgerbridge.plugins.visma_net.encoding import (
    DoctypeFound,
    EncodingProblem,
    NoDoctype,
    Utf8Stream,
)

CENT = Decimal("0.01")
Data = dict[str, Any]


class SaftFileError(Exception):
    """The file cannot be used; `line` is where reading stopped (if known)."""

    def __init__(self, path: Path, what: str, line: int | None = None) -> None:
        where = f" near line {line}" if line else ""
        super().__init__(f"SAF-T file {path.name}{where}: {what}")
        self.path = path
        self.what = what
        self.line = line


@dataclass
class SaftContent:
    """What one valid file holds, in document order."""

    company_ident: str = ""
    currency: str = "NOK"
    zreports: list[Data] = field(default_factory=list)
    credit_sales: list[Data] = field(default_factory=list)
    unsettled: int = 0  # transactions after their register's last Z report


def money(text: str | None) -> Decimal:
    if text is None or not text.strip():
        return Decimal(0)
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return Decimal(0)


def fmt(value: Decimal) -> str:
    return str(value.quantize(CENT))


def read_saft(path: Path, encoding: str = "UTF-8") -> SaftContent:
    """The file's Z reports and credit sales, or SaftFileError."""
    reader = _Reader(path)
    try:
        with path.open("rb") as raw:
            parser = etree.iterparse(
                NoDoctype(Utf8Stream(raw, encoding)),
                events=("end",),
                schema=xml_schema(),
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
                remove_comments=True,
                remove_pis=True,
            )
            for _event, element in parser:
                reader.line = element.sourceline or reader.line
                reader.end(element)
    except etree.XMLSyntaxError as err:
        raise SaftFileError(path, _xsd_text(err), _line(err) or reader.line or None) from None
    except DoctypeFound as err:
        raise SaftFileError(path, "a DOCTYPE is not accepted in a SAF-T file", err.line) from None
    except EncodingProblem as err:
        raise SaftFileError(path, str(err)) from None
    except OSError as err:
        raise SaftFileError(path, f"it cannot be read ({err.strerror or err})") from None
    return reader.content


def _line(err: etree.XMLSyntaxError) -> int | None:
    """Where validation stopped: the exception's line, else its error log's."""
    if err.lineno:
        return int(err.lineno)
    log = getattr(err, "error_log", None)
    last = log.last_error if log is not None else None
    return int(last.line) if last is not None and last.line else None


def _xsd_text(err: etree.XMLSyntaxError) -> str:
    text = str(err.msg or err).replace(f"{{{q('')[1:-1]}}}", "")
    return f"not valid against the SAF-T Cash Register schema 1.00: {text}"


class _Reader:
    """Handles each element as it ends (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.content = SaftContent()
        self.basics: dict[tuple[str, str], str] = {}
        self.customers: dict[str, Data] = {}
        self.articles: dict[str, str] = {}
        self.register = ""
        self.reports: list[Data] = []  # the current register's Z reports
        self.line = 0  # of the last element read (libxml2's streaming validation has none)

    def end(self, el: etree._Element) -> None:
        name = local(el.tag)
        handler = _HANDLERS.get(name)
        if handler is None:
            return
        parent = el.getparent()
        if handler(self, el, local(parent.tag) if parent is not None else ""):
            _release(el)

    # -- company masters ---------------------------------------------------------

    def on_text(self, el: etree._Element, parent: str) -> bool:
        if parent == "header" and local(el.tag) == "curCode":
            self.content.currency = (el.text or "NOK").strip()
        elif parent == "company" and local(el.tag) == "companyIdent":
            self.content.company_ident = (el.text or "").strip()
        elif parent == "cashregister" and local(el.tag) == "registerID":
            self.register = (el.text or "").strip()
            self.reports = []
        return False

    def on_basic(self, el: etree._Element, parent: str) -> bool:
        key = (_t(el, "basicType"), _t(el, "basicID"))
        self.basics[key] = _t(el, "predefinedBasicID") or ""
        return True

    def on_customer(self, el: etree._Element, parent: str) -> bool:
        street = el.find(q("streetAddress"))
        postal = el.find(q("postalAddress"))
        address = street if street is not None else postal
        cid = _t(el, "custSupID")
        self.customers[cid] = {
            "customer_id": cid,
            "name": _t(el, "custSupName"),
            "type": _t(el, "custSupType"),
            "org_no": _t(el, "taxRegIdent") or None,
            "phone": _t(el, "telephone") or None,
            "email": _t(el, "eMail") or None,
            "address": _t(address, "streetname") if address is not None else None,
            "zip": _t(address, "postalCode") if address is not None else None,
            "city": _t(address, "city") if address is not None else None,
            "country": _t(address, "country") if address is not None else None,
        }
        return True

    def on_article(self, el: etree._Element, parent: str) -> bool:
        self.articles[_t(el, "artID")] = _t(el, "artDesc")
        return True

    # -- events and transactions -------------------------------------------------------

    def on_event(self, el: etree._Element, parent: str) -> bool:
        report = el.find(q("eventReport"))
        if report is not None and _t(report, "reportType") == "Z report":
            z = _zreport(report, self.basics)
            z["eventID"] = _t(el, "eventID")
            z["line"] = el.sourceline
            z["sums"] = _Sums()
            self.reports.append(z)
            self.reports.sort(key=lambda r: (r["reportDate"], r["reportTime"]))
        return True

    def on_transaction(self, el: etree._Element, parent: str) -> bool:
        if _t(el, "voidTransaction") == "true" or _t(el, "trainingID") == "true":
            return True
        when = (_t(el, "transDate"), _t(el, "transTime"))
        kind = self.basics.get(("11", _t(el, "transType")), "")
        if kind == codes.CREDIT_SALE:
            self.content.credit_sales.append(self._credit_sale(el))
        z = next((r for r in self.reports if (r["reportDate"], r["reportTime"]) >= when), None)
        if z is None:
            self.content.unsettled += 1
            return True
        z["sums"].add(el, credit=kind == codes.CREDIT_SALE)
        return True

    def on_register(self, el: etree._Element, parent: str) -> bool:
        for z in self.reports:
            sums: _Sums = z.pop("sums")
            z.update(sums.result(self.articles))
            z["articleNames"] = {a: self.articles.get(a, "") for a in sums.items}
            self.content.zreports.append(z)
        self.reports = []
        return True

    def _credit_sale(self, el: etree._Element) -> Data:
        cust = _t(el, "custSupID")
        lines = []
        for line in el.iterfind(q("ctLine")):
            vat = line.find(q("vat"))
            art = _t(line, "artID")
            lines.append(
                {
                    "lineID": _t(line, "lineID"),
                    "artID": art or None,
                    "description": _t(line, "cashTransLineDescr") or self.articles.get(art, ""),
                    "qnt": format(_signed(money(_t(line, "qnt") or "1"), line).normalize(), "f"),
                    "amountEx": fmt(_signed(money(_t(line, "lineAmntEx")), line)),
                    "amountIn": fmt(_signed(money(_t(line, "lineAmntIn")), line)),
                    "vatPerc": _t(vat, "vatPerc") if vat is not None else "0.00",
                    "vatAmnt": fmt(_signed(money(_t(vat, "vatAmnt")), line))
                    if vat is not None
                    else "0.00",
                    "discount": fmt(
                        sum(
                            (money(_t(d, "dscAmnt")) for d in line.iterfind(q("discount"))),
                            Decimal(0),
                        )
                    ),
                }
            )
        return {
            "register": self.register,
            "transID": _t(el, "transID"),
            "invoiceID": _t(el, "invoiceID") or None,
            "date": _t(el, "transDate"),
            "time": _t(el, "transTime"),
            "amountIn": _t(el, "transAmntIn"),
            "amountEx": _t(el, "transAmntEx"),
            "reference": _t(el, "refID") or None,
            "note": _t(el, "desc") or None,
            "customer": self.customers.get(cust, {"customer_id": cust, "name": cust}),
            "lines": lines,
            "line": el.sourceline,
        }


class _Sums:
    """What a Z report's transactions add up to."""

    def __init__(self) -> None:
        self.rounding = Decimal(0)
        self.cost = Decimal(0)
        self.count = 0
        self.items: dict[str, list[Decimal]] = {}  # artID -> [quantity, cost]
        self.no_cost: set[str] = set()
        self.groups: dict[str, str] = {}

    def add(self, el: etree._Element, *, credit: bool) -> None:
        self.count += 1
        if not credit:
            rounding = el.find(q("rounding"))
            if rounding is not None:
                self.rounding += money(_t(rounding, "roundingAmnt"))
        for line in el.iterfind(q("ctLine")):
            art = _t(line, "artID")
            if not art:
                continue
            qty = _signed(money(_t(line, "qnt") or "0"), line)
            entry = self.items.setdefault(art, [Decimal(0), Decimal(0)])
            entry[0] += qty
            self.groups.setdefault(art, _t(line, "artGroupID"))
            cost = _t(line, "costPrice")
            if cost:
                entry[1] += qty * money(cost)
            else:
                self.no_cost.add(art)

    def result(self, articles: dict[str, str]) -> Data:
        """Per article: quantity (sold minus returned), cost, group, and whether
        every line had a cost price (the mapper decides what counts)."""
        items = [
            {
                "artID": a,
                "group": self.groups.get(a, ""),
                "qnt": format(q_.normalize(), "f"),
                "cost": fmt(c),
                "costKnown": a not in self.no_cost,
            }
            for a, (q_, c) in sorted(self.items.items())
            if q_ != 0 or c != 0
        ]
        return {"transactions": self.count, "rounding": fmt(self.rounding), "items": items}


def _zreport(el: etree._Element, basics: dict[tuple[str, str], str]) -> Data:
    def rows(group: str, item: str, fields: tuple[str, ...]) -> list[Data]:
        holder = el.find(q(group))
        if holder is None:
            return []
        return [{f: _t(row, f) or None for f in fields} for row in holder.iterfind(q(item))]

    payments = rows(
        "reportPayments", "reportPayment", ("paymentType", "paymentNum", "paymentAmnt", "accID")
    )
    for p in payments:
        p["predefined"] = basics.get(("12", p["paymentType"] or ""), "") or None
    tip = el.find(q("reportTip"))
    credit = el.find(q("reportCreditSales"))
    return {
        "reportID": _t(el, "reportID"),
        "registerID": _t(el, "registerID"),
        "companyIdent": _t(el, "companyIdent"),
        "companyName": _t(el, "companyName"),
        "reportDate": _t(el, "reportDate"),
        "reportTime": _t(el, "reportTime"),
        "totalCashSale": _t(el.find(q("reportTotalCashSales")), "totalCashSaleAmnt"),
        "artGroups": rows(
            "reportArtGroups", "reportArtGroup", ("artGroupID", "artGroupNum", "artGroupAmnt")
        ),
        "payments": payments,
        "tip": None if tip is None else {"num": _t(tip, "tipNum"), "amount": _t(tip, "tipAmnt")},
        "vat": rows(
            "reportCashSalesVat",
            "reportCashSaleVat",
            ("vatCode", "vatPerc", "cashSaleAmnt", "vatAmnt", "accID"),
        ),
        "openingFloat": _t(el, "reportOpeningChangeFloat"),
        "creditSales": None
        if credit is None
        else {"num": _t(credit, "creditSalesNum"), "amount": _t(credit, "creditSalesAmnt")},
        "payIns": rows(
            "reportPayIns", "reportPayIn", ("payInType", "payInNum", "payInAmnt", "accID")
        ),
        "payOuts": rows(
            "reportPayOuts", "reportPayOut", ("payOutType", "payOutNum", "payOutAmnt", "accID")
        ),
        "returns": {"num": _t(el, "reportReturnNum"), "amount": _t(el, "reportReturnAmnt")},
        "grandTotalSales": _t(el, "reportGrandTotalSales"),
        "grandTotalReturn": _t(el, "reportGrandTotalReturn"),
        "grandTotalNet": _t(el, "reportGrandTotalSalesNet"),
    }


def _signed(value: Decimal, line: etree._Element) -> Decimal:
    """A line's quantity or amount with its direction: a return line (amntTp
    D) takes goods and money back; files write it negative or positive."""
    if _t(line, "amntTp") == "D" and value > 0:
        return -value
    return value


def _t(el: etree._Element | None, name: str) -> str:
    if el is None:
        return ""
    child = el.find(q(name))
    return "" if child is None or child.text is None else child.text.strip()


def _release(el: etree._Element) -> None:
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


_HANDLERS = {
    "curCode": _Reader.on_text,
    "companyIdent": _Reader.on_text,
    "registerID": _Reader.on_text,
    "basic": _Reader.on_basic,
    "customerSupplier": _Reader.on_customer,
    "article": _Reader.on_article,
    "event": _Reader.on_event,
    "cashtransaction": _Reader.on_transaction,
    "cashregister": _Reader.on_register,
}


def iter_files(folder: Path) -> Iterator[Path]:
    """The SAF-T files of a folder, by name (subfolders such as archive/ are not read)."""
    return iter(sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".xml"))
