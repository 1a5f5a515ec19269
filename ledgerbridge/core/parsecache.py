"""A run-scoped cache of file parses, for the flows of one run that read the same files.

Why: a connector whose flows read the same input files would parse each new
or changed file once per flow. visma_net's customers flow and invoices flow
both read every export file (the customers first: Visma.net must know a
customer before an invoice names it), so each changed file was parsed twice,
its XML, XSD checks and PDF copies included. Here the first flow to parse a
file spools what the parse yields (both flows' items, one at a time) to
disk, and a later flow of the same run that asks for the same file replays
the spool instead of parsing again.

What it promises (tests/core/test_parse_cache.py):

- **Keyed by what was parsed.** A `ParseKey` is the files' paths, their
  digest (`sourcefiles.file_digest`, the same one settled files are named
  by) and a fingerprint of the parse options. A file that changed between
  two flows' reads has another digest: a miss, parsed again. An entry is
  kept only when its parse ran to its end and the files still have that
  digest afterwards, so a file rewritten while it was being parsed is never
  served; a parse that stopped part-way (the reader stopped, an exception)
  keeps nothing.
- **Bounded memory.** Items are pickled as they are yielded into frames of
  about `FRAME_BYTES` (256 kB; a larger item is a frame alone), each written to
  one temporary file when full, and unpickled a frame at a time: memory is
  bounded by a frame and the largest item, as when parsing (an invoice with a
  25 MB PDF copy), never by a file. Frames, not single items, because
  pickling small items together shares their repeated keys and strings, and
  a file of small invoices is cheaper to spool than to parse only that way.
  An item is pickled when it is yielded: a later change to it is not kept.
- **Bounded disk.** The spool holds at most `max_bytes` and never leaves the
  disk with less than `reserve_bytes` free (the state database may share
  it); an entry that does not fit is dropped, and its later readers parse
  the file themselves. Any error writing the spool only turns it off.
- **Nothing outlives the run.** The spool file is created in the workspace
  (not /tmp, which may be memory) without a name (O_TMPFILE, or unlinked as
  soon as created), so the system reclaims it when it is closed, at the end
  of the run (`release`, called by the engine), or when the process ends in
  any way, kill -9 included. It is only a cache: the next run parses again.
  Nothing else can open it, so unpickling what this process wrote is safe.

A source opts in: it asks `replay(key)` first, and on a miss either parses
for itself alone, or, when a later flow of the run will read the same file,
wraps its parse in `spool(key, items)` and yields all the items that later
flow needs too. visma_net's `OpterExportSource` is the example.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ledgerbridge.core.sourcefiles import file_digest

if TYPE_CHECKING:
    from ledgerbridge.core.context import RunContext

T = TypeVar("T")

DEFAULT_MAX_BYTES = 4 << 30
"""The spool's default size limit (4 GiB): some 160 changed export files of
1,000 invoices with 25 kB PDF copies, or as many 25 MB PDF copies as fit."""
DEFAULT_RESERVE_BYTES = 1 << 30
"""Free disk space the spool never takes (1 GiB): the state database and
the logs may be on the same disk."""
FRAME_BYTES = 256 << 10
"""Items are pickled together until their frame holds about this many bytes."""
_HEAD = 12  # before each frame: its length (8 bytes) and its number of items (4)
_STATE_KEY = "core.parse_cache"


@dataclass(frozen=True)
class ParseKey:
    """Which parse an entry holds: files (a file and its companions), their
    digest and the parse options' fingerprint."""

    files: tuple[str, ...]
    digest: str
    options: str

    @classmethod
    def of(cls, files: Sequence[Path], digest: str, options: Any) -> ParseKey:
        """`options`: everything that shapes what the parse yields (JSON, or
        anything with a stable `repr`)."""
        text = json.dumps(options, default=repr, sort_keys=True)
        fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
        return cls(tuple(str(p) for p in files), digest, fingerprint)

    def unchanged(self) -> bool:
        """Whether the files still have the digest they were parsed with."""
        first, *companions = (Path(p) for p in self.files)
        return file_digest(first, *companions) == self.digest


@dataclass
class CacheStats:
    spooled: int = 0  # entries kept
    replayed: int = 0  # entries served
    dropped: int = 0  # entries not kept: over the limits, a stopped parse, a changed file


class _Frame:
    """Items pickled together (one pickler: repeated keys and strings once)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.pickler = pickle.Pickler(self.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.count = 0

    def add(self, item: Any) -> int:
        """Pickle one more item; the frame's size in bytes."""
        self.pickler.dump(item)
        self.count += 1
        return self.buffer.tell()


@dataclass(frozen=True)
class _Entry:
    start: int
    end: int


class ParseCache:
    """One run's spool of parses (see the module docstring)."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        reserve_bytes: int = DEFAULT_RESERVE_BYTES,
    ) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.reserve_bytes = reserve_bytes
        self.stats = CacheStats()
        self._file: IO[bytes] | None = None
        self._end = 0  # where the next item goes
        self._entries: dict[ParseKey, _Entry] = {}
        self._writing = False
        self._off = False  # closed, or a spool write failed: pass through from now on
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------

    def replay(self, key: ParseKey) -> Iterator[Any] | None:
        """The items a complete parse of `key` yielded this run, in order, or
        None when there is none (parse the files)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._off:
                return None
            self.stats.replayed += 1
        return self._items(entry)

    def _items(self, entry: _Entry) -> Iterator[Any]:
        at = entry.start
        while at < entry.end:
            with self._lock:
                if self._file is None:
                    raise RuntimeError("the run's parse cache was closed while being read")
                self._file.seek(at)
                head = self._file.read(_HEAD)
                size, count = int.from_bytes(head[:8], "little"), int.from_bytes(head[8:], "little")
                blob = self._file.read(size)
            at += _HEAD + size
            unpickler = pickle.Unpickler(io.BytesIO(blob))
            del blob
            for _ in range(count):
                yield unpickler.load()

    # -- writing ---------------------------------------------------------

    def spool(self, key: ParseKey, items: Iterable[T]) -> Iterator[T]:
        """`items`, passed through as they come, and kept for `replay(key)`
        once they ran to their end, the files unchanged. Passed through only
        when the key is kept already, the spool is off, or another spool is
        being written (one at a time keeps each entry in one piece)."""
        start = self._begin(key)
        if start is None:
            yield from items
            return
        frame = _Frame()
        keeping = True
        try:
            for item in items:
                if keeping and frame.add(item) >= FRAME_BYTES:
                    keeping, frame = self._write(frame), _Frame()
                yield item
        except BaseException:
            self._finish(key, start, keep=False)
            raise
        keeping = keeping and (frame.count == 0 or self._write(frame))
        self._finish(key, start, keep=keeping and key.unchanged())

    def _begin(self, key: ParseKey) -> int | None:
        with self._lock:
            if self._off or self._writing or key in self._entries:
                return None
            self._writing = True
            return self._end

    def _write(self, frame: _Frame) -> bool:
        """Write a frame at the end of the spool; False (the entry dropped)
        when it does not fit or cannot be written."""
        size = frame.buffer.tell()
        with self._lock:
            try:
                spool = self._open()
                if not self._fits(_HEAD + size):
                    return False
                spool.seek(self._end)
                spool.write(size.to_bytes(8, "little") + frame.count.to_bytes(4, "little"))
                with frame.buffer.getbuffer() as blob:
                    spool.write(blob)
            except OSError:
                self._off = True  # a full disk, a lost folder: the run goes on without
                return False
            self._end += _HEAD + size
            return True

    def _fits(self, size: int) -> bool:
        """Room for `size` more bytes: under the limit, and the disk's reserve
        left free (asked at every frame: other writers share the disk)."""
        if self._end + size > self.max_bytes:
            return False
        return shutil.disk_usage(self._folder()).free - size >= self.reserve_bytes

    def _finish(self, key: ParseKey, start: int, *, keep: bool) -> None:
        with self._lock:
            self._writing = False
            if keep and not self._off:
                self._entries[key] = _Entry(start, self._end)
                self.stats.spooled += 1
                return
            self.stats.dropped += 1
            if self._file is not None and self._end > start:
                self._end = start
                try:
                    self._file.truncate(start)  # the dropped entry's space back now
                except OSError:
                    self._off = True

    def _folder(self) -> Path:
        if self.directory is not None and self.directory.is_dir():
            return self.directory
        return Path(tempfile.gettempdir())

    def _open(self) -> IO[bytes]:
        """The spool file, created on first use: a run with nothing new makes none."""
        if self._off:
            raise OSError("the parse cache is off")
        if self._file is None:
            # kept open for the run, closed by close(): no name, so nothing to delete
            folder = self._folder()
            self._file = tempfile.TemporaryFile(prefix="ledgerbridge-spool-", dir=folder)  # noqa: SIM115
        return self._file

    # -- the end ---------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes the spool takes on disk now."""
        with self._lock:
            if self._file is None:
                return 0
            self._file.flush()
            return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        """Delete the spool (the system frees it); later calls pass through."""
        with self._lock:
            self._off = True
            self._entries.clear()
            spool, self._file = self._file, None
            self._end = 0
        if spool is not None:
            spool.close()


def for_run(ctx: RunContext) -> ParseCache | None:
    """The run's parse cache, shared by its flows (in `ctx.state`), its spool
    in the workspace; None when the run's options turn it off."""
    if not ctx.options.parse_cache:
        return None
    cache = ctx.state.get(_STATE_KEY)
    if not isinstance(cache, ParseCache):
        cache = ctx.state[_STATE_KEY] = ParseCache(ctx.workspace)
    return cache


def release(ctx: RunContext) -> None:
    """End of the run (the engine calls it): delete the run's spool, if any."""
    cache = ctx.state.pop(_STATE_KEY, None)
    if isinstance(cache, ParseCache):
        cache.close()
