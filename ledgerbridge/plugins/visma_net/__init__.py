"""visma_net: Opter-style invoice exports -> Visma.net ERP sales ledger.

Pure, offline parts: the export format and its source (source.py), Start text
(starttext.py), VAT code translation (vat.py), row XSLT (xslt.py), payload
mapping (mapper.py), the pre-flight check (masterdata.py) and PDF size
reduction (pdf.py). The OpenAPI components the payloads follow are in
openapi/components.json.
"""
