"""The SAF-T Cash Register XSD (Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd,
see SOURCE.md), compiled once per process."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from lxml import etree

NS = "urn:StandardAuditFile-Taxation-CashRegister:NO"
XSD_NAME = "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"


@lru_cache(maxsize=1)
def xml_schema() -> etree.XMLSchema:
    data = resources.files("ledgerbridge.plugins.pos_zreport").joinpath(f"saft/{XSD_NAME}")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(data.read_bytes(), parser))


def q(tag: str) -> str:
    """The qualified name of a SAF-T element."""
    return f"{{{NS}}}{tag}"


def local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]
