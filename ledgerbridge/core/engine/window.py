"""The window of records under way: remote calls overlap, commits do not.

Records are staged in source order on the engine's thread; their remote part
may run in a worker; outcomes are committed from the front of the window, in
source order, on the engine's thread. So the cursor only ever moves across a
prefix of records that are all recorded, and a crash never skips one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from ledgerbridge.core.engine.steps import Outcome, Step


class Window:
    def __init__(self, workers: int, name: str, commit: Callable[[Step, Outcome], None]) -> None:
        self.workers = max(1, workers)
        self._commit = commit
        self._open: deque[Step] = deque()
        self._pool = (
            ThreadPoolExecutor(self.workers, thread_name_prefix=f"lb-{name}")
            if self.workers > 1
            else None
        )
        self.aborted = False  # a step raised past its outcome (credentials, a kill)

    def __enter__(self) -> Window:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def settle(self, key: str) -> bool:
        """Before a record is staged: if an earlier step of the same key is
        still open (a record yielded twice, changed while a paged source was
        read), commit through it, so the record sees the link that write
        leaves and is not created twice. True when it did (the caller then
        writes the committed group out before reading links)."""
        if any(open_step.key == key for open_step in self._open):
            self._drain_through(key)
            return True
        return False

    def add(self, step: Step) -> None:
        """Add a staged step (its remote part starts now in a worker), then
        commit what is finished, waiting while more than `workers - 1` are open."""
        if step.work is not None and self._pool is not None:
            step.future = self._pool.submit(step.work)
        self._open.append(step)
        self.drain(keep=self.workers - 1)

    def drain(self, keep: int = 0) -> None:
        """Commit finished steps from the front; wait while more than `keep` are open."""
        while self._open and (len(self._open) > keep or self._open[0].ready()):
            self._commit_next()

    def _drain_through(self, key: str) -> None:
        while any(step.key == key for step in self._open):
            self._commit_next()

    def _commit_next(self) -> None:
        step = self._open.popleft()
        try:
            outcome = step.result()
        except BaseException:
            # the run ends here: this record was never recorded, so the
            # cursor must not move past it
            self.aborted = True
            raise
        self._commit(step, outcome)
