"""Emulator registration through the register_emulators hook."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from ledgerbridge.core.hookspecs import hookimpl
from ledgerbridge.core.plugins import PluginRegistry
from ledgerbridge.core.sandbox import Emulator, Sandbox, collect_emulators

from .conftest import NOTES, build_notes

Register = Callable[[Emulator], None]


class Good:
    @hookimpl
    def register_emulators(self, register: Register) -> None:
        register(NOTES)


class Broken:
    @hookimpl
    def register_emulators(self, register: Register) -> None:
        raise RuntimeError("vendor spec file missing")


class Confused:
    @hookimpl
    def register_emulators(self, register: Register) -> None:
        register("not an emulator")  # type: ignore[arg-type]
        register(Emulator("notes", "/other", build_notes))
        register(Emulator("second", "/NOTES", build_notes))
        register(Emulator("third", "/third", build_notes))


def registry(*plugins: object) -> PluginRegistry:
    reg = PluginRegistry()
    for i, plugin in enumerate(plugins):
        info = reg.add(plugin, f"p{i}_{type(plugin).__name__.lower()}")
        assert info.status == "loaded"
    return reg


def test_a_failing_plugin_does_not_break_the_others() -> None:
    errors: list[tuple[str, str]] = []
    reg = registry(Broken(), Good(), Confused())
    found = collect_emulators(reg.pm, on_error=lambda p, e: errors.append((p, str(e))))
    assert [e.name for e in found] == ["notes", "third"]
    assert errors == [
        ("p0_broken", "vendor spec file missing"),
        ("p2_confused", "register() got str, not an Emulator"),
        ("p2_confused", "emulator name 'notes' is already registered"),
        ("p2_confused", "prefix '/NOTES' is already used by 'notes'"),
    ]


def test_errors_are_logged_by_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="ledgerbridge.sandbox"):
        assert collect_emulators(registry(Broken()).pm) == []
    assert "p0_broken: register_emulators failed: RuntimeError" in caplog.text


@pytest.mark.parametrize(
    "name, prefix, message",
    [
        ("Bad Name", "/x", "lower case"),
        ("ok", "x", "must look like /name"),
        ("ok", "/x/", "must look like /name"),
        ("ok", "/_sandbox", "reserved"),
    ],
)
def test_emulator_validation(name: str, prefix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Emulator(name, prefix, build_notes)


def test_sandbox_refuses_duplicates_and_mounts_nested_prefixes() -> None:
    with pytest.raises(ValueError, match="already"):
        Sandbox([NOTES, Emulator("notes", "/n2", build_notes)])
    box = Sandbox([NOTES, Emulator("deeper", "/notes/v9", build_notes)])
    found = box.app.resolve("/notes/v9/v1/notes")
    assert found is not None and found[0].name == "deeper" and found[1] == "/v1/notes"
    found = box.app.resolve("/NOTES/v1/notes")
    assert found is not None and found[0].name == "notes"
    assert box.app.resolve("/notesx/v1") is None
