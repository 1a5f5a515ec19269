"""Output conventions shared by every command: --json, exit codes, colours.

Exit codes (documented in docs/operator-guide.md):
  0  all well
  1  the run finished but some records failed
  2  usage or config error: nothing was run
  3  the run could not complete (lock held, credentials refused, remote down)

When whatever reads the output goes away (`ledgerbridge runs | head`), the
command stops quietly with 141, as a Unix tool killed by SIGPIPE does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from ledgerbridge.core.errors import AuthError, ConfigError, LedgerbridgeError, RunLockedError
from ledgerbridge.core.redact import Redactor

EXIT_OK = 0
EXIT_RECORDS_FAILED = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_CLOSED_PIPE = 128 + 13  # what a shell reports for a tool killed by SIGPIPE

F = TypeVar("F", bound=Callable[..., Any])


def json_option(f: F) -> F:
    """The `--json` flag every listing command shares."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(f)


def print_json(data: Any) -> None:
    """Streamed piece by piece: a long listing is never one string in memory,
    and a reader that goes away (`| head`) is noticed at once."""
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, default=str)
    out = sys.stdout
    for chunk in encoder.iterencode(data):
        out.write(chunk)
    out.write("\n")
    out.flush()


def fail(message: str, code: int = EXIT_USAGE) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


def handle_errors(f: F) -> F:
    """Turn ledgerbridge errors into a clear message and the documented exit code."""

    @wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ConfigError as exc:
            fail(str(exc), EXIT_USAGE)
        except (RunLockedError, AuthError) as exc:
            fail(str(exc), EXIT_INCOMPLETE)
        except LedgerbridgeError as exc:
            fail(str(exc), EXIT_INCOMPLETE)
        except (click.ClickException, BrokenPipeError):
            raise
        except Exception as exc:  # a plugin's or our own bug: a message, never a traceback
            text = _workspace_redactor().redact(f"{type(exc).__name__}: {exc}")
            fail(f"unexpected {text} (run with -vv and report it)", EXIT_INCOMPLETE)
        return None

    return wrapper  # type: ignore[return-value]


def closed_pipe_exit() -> None:
    """The reader of our output went away: stop without a word (there is no
    one to read it) and let nothing flush into the closed pipe at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # not a real file: a test's capture
            os.dup2(devnull, stream.fileno())
    sys.exit(EXIT_CLOSED_PIPE)


def _workspace_redactor() -> Redactor:
    """Masks every secret of the current workspace: an unexpected error's text
    may quote one, and no run's redactor is at hand here."""
    redactor = Redactor()
    ctx = click.get_current_context(silent=True)
    workspace = getattr(ctx.obj, "workspace", None) if ctx and ctx.obj else None
    if workspace is not None:
        try:
            for tenant in workspace.tenant_names():
                for value in workspace.secrets.values(tenant).values():
                    redactor.add(value)
        except Exception:  # never let masking hide the original problem
            pass
    return redactor


def table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain aligned table: readable on a terminal, greppable in cron mail."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, row, strict=True)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
