"""The row XSLT runs in a worker process, under a time and a memory limit.

Why a process, not libxslt's own controls: libxslt has none for time or
memory. Its only limits are the template recursion depth (`xsltMaxDepth`,
3000, which lxml keeps) and the number of variables; a stylesheet that
calls a template twice per level, 40 levels deep, or doubles a string 40
times, stays far inside both and still runs for days or takes terabytes.
lxml runs the transform in C without the GIL held and offers no way to stop
it, so a thread cannot be stopped either. A separate process can be: it is
killed when an invoice's transform passes its deadline, and its address
space is capped (RLIMIT_AS) so libxslt's allocations fail instead of taking
the machine's memory. The worker also caps its own CPU time per transform
(RLIMIT_CPU), so it ends even if this process is gone.

One worker serves a whole run (started on the first invoice, some 0.1 s),
so the cost per invoice is a round trip over a pipe. A worker that was
stopped or died is replaced on the next invoice. After `strikes` invoices in
a row stopped for time or memory, the stylesheet is taken to be broken for
the run: the invoices after them fail at once with a message saying so,
instead of each waiting out the limit.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass

from ledgerbridge.plugins.visma_net import xsltworker

MIB = 1_048_576


@dataclass(frozen=True)
class XsltLimits:
    """What the row XSLT may use per invoice."""

    seconds: float = 5.0
    memory_bytes: int = 256 * MIB
    """The worker's whole address space (Python and lxml take some 25 MB of it)."""
    output_bytes: int = 16 * MIB
    strikes: int = 3
    start_seconds: float = 30.0
    """Time for the worker to start and compile the stylesheet."""

    def describe(self) -> str:
        return (
            f"a row XSLT may run at most {self.seconds:g} s and use at most "
            f"{self.memory_bytes // MIB} MB per invoice"
        )


class XsltStopped(Exception):
    """The transform was stopped: over its time or memory, or the worker died."""

    def __init__(self, message: str, limit: bool = True) -> None:
        super().__init__(message)
        self.limit = limit  # over a limit (a strike), not a crash


class XsltFailed(Exception):
    """The stylesheet itself failed (xsl:message terminate, a runtime error)."""


class XsltWorker:
    """A compiled stylesheet in a worker process; `transform` is thread-safe."""

    def __init__(self, stylesheet: bytes, limits: XsltLimits | None = None) -> None:
        self.stylesheet = stylesheet
        self.limits = limits or XsltLimits()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._strikes: list[str] = []
        self._finalizer: weakref.finalize[[subprocess.Popen[bytes]], XsltWorker] | None = None

    def transform(self, document: bytes, label: str) -> bytes:
        """The result document's bytes (b"" when it has no root element).

        XsltStopped when over a limit (or after `strikes` such invoices in a
        row), XsltFailed when the stylesheet raised an error."""
        with self._lock:
            if len(self._strikes) >= self.limits.strikes:
                raise XsltStopped(
                    f"not transformed: the row XSLT was stopped on the {len(self._strikes)} "
                    f"invoices before this one ({', '.join(self._strikes)}), so it is not run "
                    "again in this run",
                    limit=False,
                )
            try:
                result = self._round_trip(document)
            except XsltStopped as stopped:
                if stopped.limit:
                    self._strikes.append(label)
                raise
            self._strikes.clear()
            return result

    def close(self) -> None:
        """Stop the worker (it is started again when needed)."""
        if self._finalizer is not None:
            self._finalizer()
        self._proc = self._finalizer = None

    # -- the worker ------------------------------------------------------------

    def _round_trip(self, document: bytes) -> bytes:
        proc = self._worker()
        try:
            self._send(proc, document)
            reply = self._receive(proc, self.limits.seconds, "on this invoice's rows")
        except XsltStopped:
            self.close()
            raise
        kind, body = reply[:1], reply[1:]
        if kind == b"R":
            return body
        if kind == b"M":
            self.close()
            raise XsltStopped(self._over_memory())
        raise XsltFailed(body.decode("utf-8", "replace"))

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self.close()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-P",  # not the working folder first on sys.path: no module there shadows lxml
                "-m",
                xsltworker.__name__,
                str(self.limits.memory_bytes),
                str(self.limits.seconds),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._proc = proc
        self._finalizer = weakref.finalize(self, _stop, proc)
        try:
            self._send(proc, self.stylesheet)
            reply = self._receive(proc, self.limits.start_seconds, "while starting")
        except XsltStopped:
            self.close()
            raise
        if reply != b"K":
            self.close()
            raise XsltFailed(reply[1:].decode("utf-8", "replace"))
        return proc

    def _send(self, proc: subprocess.Popen[bytes], data: bytes) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(xsltworker.frame(data))
            proc.stdin.flush()
        except OSError:  # the worker is gone (BrokenPipeError)
            raise self._died(proc) from None

    def _receive(self, proc: subprocess.Popen[bytes], seconds: float, when: str) -> bytes:
        """One reply frame, within `seconds`; XsltStopped otherwise."""
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + seconds
        data = b""
        length: int | None = None
        while length is None or len(data) < 4 + length:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise XsltStopped(f"the row XSLT took more than {seconds:g} s {when}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise self._died(proc)
            data += chunk
            if length is None and len(data) >= 4:
                length = int.from_bytes(data[:4], "big")
                if length > self.limits.output_bytes + 1:
                    raise XsltStopped(
                        f"the row XSLT produced more than {self.limits.output_bytes // MIB} MB "
                        f"{when}"
                    )
        return data[4:]

    def _died(self, proc: subprocess.Popen[bytes]) -> XsltStopped:
        code = proc.wait()
        if code == -signal.SIGXCPU:
            return XsltStopped(
                f"the row XSLT took more than {self.limits.seconds:g} s of processor time"
            )
        if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGKILL):
            # libxslt cannot always report a failed allocation: it crashes instead
            return XsltStopped(self._over_memory() + f" (the worker ended with signal {-code})")
        return XsltStopped(f"the row XSLT worker stopped unexpectedly (exit code {code})", False)

    def _over_memory(self) -> str:
        return f"the row XSLT needed more than {self.limits.memory_bytes // MIB} MB of memory"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End a worker and release its pipes (run by close() or at collection)."""
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait()
