"""docs/sandbox.md stays true: its emulator example runs, its fault examples parse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import Emulator, Sandbox, parse_fault

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_writing_an_emulator_example_runs(text: str) -> None:
    example = re.findall(r"```python\n(.*?)```", text, re.S)[-1]
    namespace: dict[str, Any] = {}
    exec(compile(example, str(DOC), "exec"), namespace)
    box = Sandbox([Emulator("notes", "/notes", namespace["build_notes"])], clock=FakeClock())
    with box.client("notes") as client:
        token = client.post(
            "/connect/token",
            data={"grant_type": "client_credentials"},
            auth=("demo-client", "demo-secret"),
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.post("/v1/notes", json={"title": "x", "dueDate": None}).status_code == 201
        assert client.post("/v1/notes", json={"title": 5}).json()["ErrorCode"] == 2000
        assert client.get("/v1/notes", params={"pageNumber": 1}).json()[0]["id"] == 1001
        upload = client.post("/v1/notes/1001/attachment", files={"f": ("a.txt", b"abc")})
        assert upload.json() == [{"file": "a.txt", "size": 3}]


def test_fault_examples_parse(text: str) -> None:
    section = text.split("Examples:", 1)[1].split("```", 2)[1]
    specs = [line.split("  ")[0].strip() for line in section.splitlines() if line.strip()]
    assert len(specs) == 6
    for spec in specs:
        parse_fault(spec)
