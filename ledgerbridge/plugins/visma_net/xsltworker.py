"""The row XSLT's worker process: `python -m ledgerbridge.plugins.visma_net.xsltworker
MEMORY_BYTES SECONDS`, driven over stdin/stdout by xsltsandbox.py.

Frames are a 4-byte big-endian length and the bytes. The first frame is the
stylesheet; the worker answers `K` (compiled) or `E<message>`. Then each
frame is one invoice's `<Rows>` document, answered with `R<result>` or
`E<message>` (the stylesheet failed) or `M` (out of memory: a MemoryError,
or a failure with the address space near its limit, as libxslt reports a
failed allocation as some other error).

Before compiling, the worker caps its own address space at MEMORY_BYTES
(RLIMIT_AS: libxslt's allocations fail instead of growing), and before each
transform it caps its CPU time at SECONDS more than it has used (RLIMIT_CPU:
the kernel ends it), so an endless stylesheet ends even if the parent that
would kill it is gone. The stylesheet runs with no file or network access.
"""

from __future__ import annotations

import math
import resource
import struct
import sys
from pathlib import Path
from typing import BinaryIO

from lxml import etree

_HEADER = struct.Struct(">I")


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    data = stream.read(length)
    return data if len(data) == length else None


def frame(data: bytes) -> bytes:
    return _HEADER.pack(len(data)) + data


def _reply(out: BinaryIO, data: bytes) -> None:
    out.write(frame(data))
    out.flush()


def _compile(source: bytes) -> etree.XSLT:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.fromstring(source, parser)
    return etree.XSLT(document, access_control=etree.XSLTAccessControl.DENY_ALL)


def _limit_cpu(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = math.ceil(used + seconds)  # the parent's deadline (wall time) comes first, or both
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _transform(xslt: etree.XSLT, document: bytes) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        result = xslt(etree.fromstring(document, parser).getroottree())
    except etree.XSLTApplyError as err:
        log = "; ".join(f"line {e.line}: {e.message}" for e in xslt.error_log)
        return b"E" + (log or str(err)).encode("utf-8", "replace")
    if result.getroot() is None:
        return b"R"
    output: bytes = etree.tostring(result, encoding="UTF-8")
    return b"R" + output


def _near_limit(memory: int) -> bool:
    """Whether a failure was (most likely) a failed allocation: libxslt often
    reports one as another error ("Undefined variable"), so the peak address
    space is what tells. A growing string or node set fails when it asks for
    at most twice what it holds, so a peak over half the limit is the sign."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024 > memory // 2
    except (OSError, ValueError, IndexError):
        pass
    return False


def serve(source: bytes, stdin: BinaryIO, stdout: BinaryIO, seconds: float, memory: int) -> int:
    try:
        xslt = _compile(source)
    except (etree.Error, ValueError) as err:
        _reply(stdout, b"E" + str(err).encode("utf-8", "replace"))
        return 1
    _reply(stdout, b"K")
    while (document := read_frame(stdin)) is not None:
        _limit_cpu(seconds)
        try:
            reply = _transform(xslt, document)
        except MemoryError:
            reply = b"M"
        except Exception as err:  # reported to the parent, which fails the invoice
            reply = b"E" + f"{type(err).__name__}: {err}".encode("utf-8", "replace")
        if reply[:1] == b"E" and _near_limit(memory):
            reply = b"M"
        _reply(stdout, reply)
    return 0


def main(argv: list[str]) -> int:
    memory, seconds = int(argv[1]), float(argv[2])
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    source = read_frame(stdin)
    if source is None:
        return 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return serve(source, stdin, stdout, seconds, memory)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
