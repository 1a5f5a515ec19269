"""Looking things up by id: a 404 is an answer (None), any other refusal
is still an error, and an id from a record stays one path segment."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.core.http import ApiError, path_segment


def test_a_404_is_none_and_a_found_body_is_returned(make_client) -> None:
    client, script = make_client(httpx.Response(404), httpx.Response(200, json={"Id": "7"}))
    assert client.get_json_or_none("customers/1") is None
    assert client.get_json_or_none("customers/7", params={"x": "1"}) == {"Id": "7"}
    assert [str(r.url) for r in script.requests] == [
        "https://api.example.test/v1/customers/1",
        "https://api.example.test/v1/customers/7?x=1",
    ]


def test_other_refusals_are_still_raised(make_client) -> None:
    client, _ = make_client(httpx.Response(403, json={"message": "no access"}))
    with pytest.raises(ApiError) as caught:
        client.get_json_or_none("customers/1")
    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        ("10023", "10023"),
        ("a/b", "a%2Fb"),
        ("../x", "..%2Fx"),
        ("Å ?#", "%C3%85%20%3F%23"),
        (7, "7"),
    ],
)
def test_a_path_segment_cannot_leave_its_segment(value: object, segment: str) -> None:
    assert path_segment(value) == segment
