"""SAF-T Cash Register files for tests, the demo and benchmarks, valid
against Skatteetaten's XSD (tests validate every file written).

A `Day` is what one register sold between two settlements: receipts of
article lines paid by some means, credit sales to customers, tips, cash taken
to the bank. `write_saft` computes the Z report from them the way a cash
register does (line VAT, per-rate totals, cash rounded to whole kroner with
the rounding on the transaction), so a generated settlement balances to the
øre unless a test breaks it on purpose. `sample.random_days` makes a
realistic stream of days for a shop from a seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lxml import etree

from ledgerbridge.plugins.pos_zreport.saft.schema import NS, q

CENT = Decimal("0.01")
KRONE = Decimal("1")
VAT_CODES = {"25.00": ("3", "3"), "15.00": ("31", "31"), "12.00": ("33", "33"), "0.00": ("5", "5")}
PAYMENTS = {  # basicID -> (predefined code, description)
    "CASH": ("12001", "Kontant"),
    "BANKAXEPT": ("12002", "BankAxept"),
    "VISA": ("12003", "Visa"),
    "MASTERCARD": ("12003", "MasterCard"),
    "VIPPS": ("12011", "Vipps"),
    "GAVEKORT": ("12005", "Gavekort innløst"),
}


@dataclass(frozen=True)
class Line:
    art: str
    qty: Decimal
    price: Decimal  # per unit, VAT included
    vat: str = "25.00"
    cost: Decimal | None = None  # per unit
    group: str = "100"


@dataclass(frozen=True)
class Receipt:
    lines: Sequence[Line]
    payment: str = "BANKAXEPT"
    time: str = "12:00:00"
    tip: Decimal = Decimal(0)
    customer: str | None = None  # a credit sale (fakturagrunnlag) to this customer


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    org_no: str | None = None
    phone: str | None = None
    email: str | None = None
    street: str = "Storgata 1"
    zip: str = "0155"
    city: str = "Oslo"


@dataclass
class Day:
    date: str
    report_id: str
    receipts: list[Receipt] = field(default_factory=list)
    report_date: str | None = None  # the day the Z report was run (late: the next)
    report_time: str = "22:00:00"
    pay_outs: Decimal = Decimal(0)  # cash to the bank / nightsafe
    opening_float: Decimal = Decimal("1500.00")


@dataclass(frozen=True)
class Shop:
    company_ident: str = "999999999"
    company_name: str = "Butikken AS"
    location: str = "Butikk Sentrum"
    register: str = "1"
    articles: Sequence[tuple[str, str, str]] = ()  # (artID, group, description)
    customers: Sequence[Customer] = ()


def _m(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _sub(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = str(text)
    return el


def line_amounts(line: Line) -> tuple[Decimal, Decimal, Decimal]:
    """(incl. VAT, excl. VAT, VAT) of a line, rounded as a register rounds."""
    gross = (line.qty * line.price).quantize(CENT, rounding=ROUND_HALF_UP)
    rate = Decimal(line.vat) / 100
    net = (gross / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return gross, net, gross - net


def write_saft(path: Path, shop: Shop, days: Iterable[Day], *, encoding: str = "UTF-8") -> Path:
    """Write one file with the given days of one register; returns the path."""
    days = list(days)
    root = etree.Element(q("auditfile"), nsmap={None: NS})
    first, last = days[0].date if days else "2024-01-01", days[-1].date if days else "2024-01-01"
    header = _sub(root, "header")
    for name, text in (
        ("fiscalYear", first[:4]),
        ("startDate", first),
        ("endDate", last),
        ("curCode", "NOK"),
        ("dateCreated", last),
        ("timeCreated", "23:59:00"),
        ("softwareDesc", "DUELL"),
        ("softwareVersion", "2024.1"),
        ("softwareCompanyName", "Kasseservice AS"),
        ("auditfileVersion", "1.0"),
    ):
        _sub(header, name, text)
    company = _sub(root, "company")
    _sub(company, "companyIdent", shop.company_ident)
    _sub(company, "companyName", shop.company_name)
    _sub(company, "taxRegistrationCountry", "NO")
    _sub(company, "taxRegIdent", f"{shop.company_ident}MVA")
    _customers(company, shop.customers)
    _vat_codes(company, first)
    employees = _sub(company, "employees")
    emp = _sub(employees, "employee")
    for name, text in (("empID", "1"), ("dateOfEntry", first), ("timeOfEntry", "08:00:00")):
        _sub(emp, name, text)
    _sub(emp, "surName", "Kasserer")
    _articles(company, shop, days, first)
    _basics(company)
    location = _sub(company, "location")
    _sub(location, "name", shop.location)
    register = _sub(location, "cashregister")
    _sub(register, "registerID", shop.register)
    _sub(register, "regDesc", f"{shop.location} kasse {shop.register}")
    for i, day in enumerate(days):
        _z_event(register, shop, day, i)
    nr = 0
    for day in days:
        for receipt in day.receipts:
            nr += 1
            _transaction(register, day, receipt, nr)
    data = etree.tostring(root, xml_declaration=True, encoding=encoding, pretty_print=True)
    path.write_bytes(data)
    return path


def _customers(company: etree._Element, customers: Sequence[Customer]) -> None:
    if not customers:
        return
    holder = _sub(company, "customersSuppliers")
    for c in customers:
        el = _sub(holder, "customerSupplier")
        _sub(el, "custSupID", c.id)
        _sub(el, "custSupName", c.name)
        _sub(el, "custSupType", "Customer")
        if c.phone:
            _sub(el, "telephone", c.phone)
        if c.email:
            _sub(el, "eMail", c.email)
        if c.org_no:
            _sub(el, "taxRegistrationCountry", "NO")
            _sub(el, "taxRegIdent", c.org_no)
        address = _sub(el, "streetAddress")
        _sub(address, "streetname", c.street)
        _sub(address, "city", c.city)
        _sub(address, "postalCode", c.zip)
        _sub(address, "country", "NO")


def _vat_codes(company: etree._Element, first: str) -> None:
    holder = _sub(company, "vatCodeDetails")
    for rate, (code, standard) in VAT_CODES.items():
        el = _sub(holder, "vatCodeDetail")
        _sub(el, "vatCode", code)
        _sub(el, "dateOfEntry", first)
        _sub(el, "vatDesc", f"MVA {rate} %")
        _sub(el, "standardVatCode", standard)


def _articles(company: etree._Element, shop: Shop, days: list[Day], first: str) -> None:
    known = {a: (g, d) for a, g, d in shop.articles}
    for day in days:
        for receipt in day.receipts:
            for line in receipt.lines:
                known.setdefault(line.art, (line.group, f"Vare {line.art}"))
    if not known:
        return
    holder = _sub(company, "articles")
    for art, (group, text) in sorted(known.items()):
        el = _sub(holder, "article")
        _sub(el, "artID", art)
        _sub(el, "dateOfEntry", first)
        _sub(el, "artGroupID", group)
        _sub(el, "artDesc", text)


def _basics(company: etree._Element) -> None:
    holder = _sub(company, "basics")
    rows = [("11", "CASHSAL", "11001", "Kontantsalg"), ("11", "CREDSAL", "11002", "Kredittsalg")]
    rows += [("12", k, code, text) for k, (code, text) in PAYMENTS.items()]
    rows += [("13", "ZREP", "13009", "Z-rapport")]
    for kind, basic, predefined, text in rows:
        el = _sub(holder, "basic")
        _sub(el, "basicType", kind)
        _sub(el, "basicID", basic)
        _sub(el, "predefinedBasicID", predefined)
        _sub(el, "basicDesc", text)


def _z_event(register: etree._Element, shop: Shop, day: Day, index: int) -> None:
    event = _sub(register, "event")
    _sub(event, "eventID", f"{day.report_id}-{index}")
    _sub(event, "eventType", "ZREP")
    _sub(event, "empID", "1")
    date = day.report_date or day.date
    _sub(event, "eventDate", date)
    _sub(event, "eventTime", day.report_time)
    rep = _sub(event, "eventReport")
    cash = [r for r in day.receipts if r.customer is None]
    groups: dict[str, list[Decimal]] = {}
    vat: dict[str, list[Decimal]] = {}
    payments: dict[str, list[Decimal]] = {}
    tips = Decimal(0)
    returns = [Decimal(0), Decimal(0)]
    for r in cash:
        total = Decimal(0)
        for line in r.lines:
            gross, net, tax = line_amounts(line)
            total += gross
            g = groups.setdefault(line.group, [Decimal(0), Decimal(0)])
            g[0] += abs(line.qty)
            g[1] += gross
            t = vat.setdefault(line.vat, [Decimal(0), Decimal(0)])
            t[0] += net
            t[1] += tax
            if gross < 0:
                returns[0] += 1
                returns[1] += -gross
        p = payments.setdefault(r.payment, [Decimal(0), Decimal(0)])
        p[0] += 1
        p[1] += _paid(r, total)
        tips += r.tip
    net_sales = sum((t[0] + t[1] for t in vat.values()), Decimal(0))
    text: object
    for name, text in (
        ("reportID", day.report_id),
        ("reportType", "Z report"),
        ("companyIdent", shop.company_ident),
        ("companyName", shop.company_name),
        ("reportDate", date),
        ("reportTime", day.report_time),
        ("registerID", shop.register),
    ):
        _sub(rep, name, text)
    _sub(_sub(rep, "reportTotalCashSales"), "totalCashSaleAmnt", _m(net_sales))
    art = _sub(rep, "reportArtGroups")
    for gid, (num, amount) in sorted(groups.items()) or [("04999", [Decimal(0), Decimal(0)])]:
        row = _sub(art, "reportArtGroup")
        _sub(row, "artGroupID", gid)
        _sub(row, "artGroupNum", format(num.normalize(), "f"))
        _sub(row, "artGroupAmnt", _m(amount))
    pay = _sub(rep, "reportPayments")
    for kind, (num, amount) in sorted(payments.items()) or [("CASH", [Decimal(0), Decimal(0)])]:
        row = _sub(pay, "reportPayment")
        _sub(row, "paymentType", kind)
        _sub(row, "paymentNum", int(num))
        _sub(row, "paymentAmnt", _m(amount))
    if tips:
        tip = _sub(rep, "reportTip")
        _sub(tip, "tipNum", sum(1 for r in cash if r.tip))
        _sub(tip, "tipAmnt", _m(tips))
    vats = _sub(rep, "reportCashSalesVat")
    for rate, (base, tax) in sorted(vat.items()) or [("25.00", [Decimal(0), Decimal(0)])]:
        row = _sub(vats, "reportCashSaleVat")
        _sub(row, "vatCode", VAT_CODES.get(rate, ("0", "0"))[0])
        _sub(row, "vatPerc", rate)
        _sub(row, "cashSaleAmnt", _m(base))
        _sub(row, "vatAmnt", _m(tax))
        _sub(row, "vatAmntTp", "C")
    _sub(rep, "reportOpeningChangeFloat", _m(day.opening_float))
    for name, text in (
        ("reportReceiptNum", len(cash)),
        ("reportOpenCashBoxNum", 0),
        ("reportReceiptCopyNum", 0),
        ("reportReceiptCopyAmnt", "0.00"),
        ("reportReceiptProformaNum", 0),
        ("reportReceiptProformaAmnt", "0.00"),
        ("reportReturnNum", int(returns[0])),
        ("reportReturnAmnt", _m(returns[1])),
        ("reportDiscountNum", 0),
        ("reportDiscountAmnt", "0.00"),
        ("reportVoidTransNum", 0),
        ("reportVoidTransAmnt", "0.00"),
    ):
        _sub(rep, name, text)
    for holder, item, fields in (
        ("reportCorrLines", "reportCorrLine", ("corrLineType", "corrLineNum", "corrLineAmnt")),
        (
            "reportPriceInquiries",
            "reportPriceInquiry",
            ("priceInquiryGroup", "priceInquiryNum", "priceInquiryAmnt"),
        ),
        ("reportOtherCorrs", "reportOtherCorr", ("otherCorrType", "otherCorrNum", "otherCorrAmnt")),
    ):
        row = _sub(_sub(rep, holder), item)
        for f, value in zip(fields, ("None", 0, "0.00"), strict=True):
            _sub(row, f, value)
    for name, text in (
        ("reportReceiptDeliveryNum", 0),
        ("reportReceiptDeliveryAmnt", "0.00"),
        ("reportTrainingNum", 0),
        ("reportTrainingAmnt", "0.00"),
    ):
        _sub(rep, name, text)
    credit = [r for r in day.receipts if r.customer is not None]
    if credit:
        cs = _sub(rep, "reportCreditSales")
        _sub(cs, "creditSalesNum", len(credit))
        amount = sum((line_amounts(ln)[0] for r in credit for ln in r.lines), Decimal(0))
        _sub(cs, "creditSalesAmnt", _m(amount))
    if day.pay_outs:
        row = _sub(_sub(rep, "reportPayOuts"), "reportPayOut")
        _sub(row, "payOutType", "BANK")
        _sub(row, "payOutNum", 1)
        _sub(row, "payOutAmnt", _m(day.pay_outs))
    sold = sum((g[1] for g in groups.values()), Decimal(0)) + returns[1]
    _sub(rep, "reportGrandTotalSales", _m(sold))
    _sub(rep, "reportGrandTotalReturn", _m(returns[1]))
    _sub(rep, "reportGrandTotalSalesNet", _m(net_sales))


def _paid(receipt: Receipt, total: Decimal) -> Decimal:
    """What the customer paid: cash is rounded to whole kroner."""
    if receipt.payment == "CASH":
        return total.quantize(KRONE, rounding=ROUND_HALF_UP) + receipt.tip
    return total + receipt.tip


def _transaction(register: etree._Element, day: Day, r: Receipt, nr: int) -> None:
    tx = _sub(register, "cashtransaction")
    gross_total = sum((line_amounts(ln)[0] for ln in r.lines), Decimal(0))
    net_total = sum((line_amounts(ln)[1] for ln in r.lines), Decimal(0))
    for name, text in (
        ("nr", nr),
        ("transID", f"{day.date.replace('-', '')}-{nr}"),
        ("transType", "CREDSAL" if r.customer else "CASHSAL"),
        ("transAmntIn", _m(gross_total)),
        ("transAmntEx", _m(net_total)),
        ("amntTp", "C"),
        ("empID", "1"),
    ):
        _sub(tx, name, text)
    if r.customer:
        _sub(tx, "custSupID", r.customer)
    _sub(tx, "transDate", day.date)
    _sub(tx, "transTime", r.time)
    for i, line in enumerate(r.lines, start=1):
        gross, net, tax = line_amounts(line)
        ct = _sub(tx, "ctLine")
        _sub(ct, "nr", nr)
        _sub(ct, "lineID", i)
        _sub(ct, "lineType", "RET" if gross < 0 else "SAL")
        _sub(ct, "artGroupID", line.group)
        _sub(ct, "artID", line.art)
        _sub(ct, "qnt", format(line.qty.normalize(), "f"))
        _sub(ct, "lineAmntIn", _m(gross))
        _sub(ct, "lineAmntEx", _m(net))
        _sub(ct, "amntTp", "D" if gross < 0 else "C")
        _sub(ct, "ppu", _m(line.price))
        if line.cost is not None:
            _sub(ct, "costPrice", _m(line.cost))
        vat = _sub(ct, "vat")
        _sub(vat, "vatCode", VAT_CODES.get(line.vat, ("0", "0"))[0])
        _sub(vat, "vatPerc", line.vat)
        _sub(vat, "vatAmnt", _m(tax))
        _sub(vat, "vatAmntTp", "C")
        _sub(vat, "vatBasAmnt", _m(net))
    if r.customer is None:
        paid = _paid(r, gross_total)
        _sub(_sub(tx, "rounding"), "roundingAmnt", _m(paid - gross_total - r.tip))
        payment = _sub(tx, "payment")
        _sub(payment, "paymentType", r.payment)
        _sub(payment, "paidAmnt", _m(paid))
        _sub(payment, "curCode", "NOK")
    _sub(tx, "signature", "generated-by-ledgerbridge")
    _sub(tx, "keyVersion", "1")
