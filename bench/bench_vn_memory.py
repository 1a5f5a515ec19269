"""Benchmark: peak memory of the visma_net source reading an export file with
one oversized invoice, with the file limits (exportfile.FileLimits) and
without them (limits raised out of reach: how the source read before).

Cases, each read in its own process with includePdfCopy on, the worst case
(peak RSS, VmHWM, of that process):

- `pdf`: one invoice whose PdfCopy holds `--pdf-mb` MB of base64 (200 by
  default), between two ordinary invoices;
- `tags`: one invoice of `--rows` rows (500,000 by default), some 9 tags each;
- `baseline`: the same file without the oversized invoice.

    python bench/bench_vn_memory.py [--pdf-mb 200] [--rows 500000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INVOICE = (
    "<Invoice><InvoiceNumber>{n}</InvoiceNumber><InvoiceType>Invoice</InvoiceType>"
    "<InvoiceDate>2024-05-31</InvoiceDate><AccountingDate>2024-05-31</AccountingDate>"
    "<DueDate>2024-06-30</DueDate><PaymentTermsId>30</PaymentTermsId><Currency>SEK</Currency>"
    "<ExchangeRate>1</ExchangeRate><Customer><CustomerCode>ACME</CustomerCode>"
    "<Name>Acme AB</Name><CountryCode>SE</CountryCode><Changed>2024-05-20T10:00:00</Changed>"
    "</Customer><Rows>{rows}</Rows><Totals><NetAmount>1000.00</NetAmount>"
    "<VatAmount>250.00</VatAmount><TotalAmount>1250.00</TotalAmount></Totals>{pdf}</Invoice>\n"
)
ROW = (
    "<Row><Description>Frakt</Description><Quantity>1</Quantity><UnitPrice>1000.00</UnitPrice>"
    "<Amount>1000.00</Amount><VatRate>25%</VatRate><AccountNumber>3010</AccountNumber></Row>"
)
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<InvoiceExport version="1">\n<Header>'
    "<ExportCreated>2024-06-01T08:00:00</ExportCreated><Scope>Period</Scope><Period>"
    "<PeriodId>2024-05</PeriodId><CreatedDate>2024-06-01</CreatedDate></Period></Header>\n"
)


def write_file(path: Path, case: str, pdf_mb: int, rows: int) -> None:
    """The export file, written in pieces (never held whole)."""
    with path.open("w", encoding="ascii") as out:
        out.write(HEAD)
        out.write(INVOICE.format(n=1, rows=ROW, pdf=""))
        if case == "pdf":
            out.write(INVOICE.format(n=2, rows=ROW, pdf="@@").split("@@")[0])
            out.write('<PdfCopy fileName="big.pdf">')
            line = "QUJD" * 19 + "\n"  # 76 base64 characters a line, as encoders write
            for _ in range(pdf_mb * 1_048_576 // len(line)):
                out.write(line)
            out.write("</PdfCopy>" + INVOICE.format(n=2, rows=ROW, pdf="@@").split("@@")[1])
        elif case == "tags":
            head, tail = INVOICE.format(n=2, rows="@@", pdf="").split("@@")
            out.write(head)
            for _ in range(rows):
                out.write(ROW)
            out.write(tail)
        out.write(INVOICE.format(n=3, rows=ROW, pdf=""))
        out.write("</InvoiceExport>\n")


CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
from benchutil import peak_rss_kib
from ledgerbridge.plugins.visma_net.exportfile import FileLimits
from ledgerbridge.plugins.visma_net.source import OpterExportSource
limits = FileLimits() if {limited!r} else FileLimits(max_bytes=2**40, max_markup=2**40)
items = list(OpterExportSource({folder!r}, limits=limits, include_pdf=True).read(None))
print(json.dumps({{"peak_mib": peak_rss_kib() / 1024, "items": [i.key for i in items]}}))
"""


def measure(folder: Path, limited: bool) -> dict[str, object]:
    code = CHILD.format(bench=str(HERE), folder=str(folder), limited=limited)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdf-mb", type=int, default=200)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    print(f"{'case':<10} {'file MB':>8} {'limits':>8} {'peak MiB':>9}  read")
    for case in ("baseline", "pdf", "tags"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "export.xml"
            write_file(path, case, args.pdf_mb, args.rows)
            size = path.stat().st_size / 1_048_576
            for limited in (True, False):
                result = measure(Path(tmp), limited)
                label = "on" if limited else "off"
                print(
                    f"{case:<10} {size:>8.1f} {label:>8} {result['peak_mib']:>9.1f}  "
                    f"{result['items']}"
                )


if __name__ == "__main__":
    main()
