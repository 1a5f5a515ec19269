"""OAuth2: lazy tokens, renewal before expiry and on 401, refresh-token
rotation, and operator messages when credentials are refused."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http import (
    ApiClient,
    AuthorizationCode,
    ClientCredentials,
    HeaderAuth,
    MemoryTokenStore,
    RetryPolicy,
    TokenSet,
)
from ledgerbridge.core.redact import MASK, Redactor

TOKEN_URL = "https://connect.example.test/connect/token"
AUTHORIZE_URL = "https://identity.example.test/connect/authorize"
API = "https://api.example.test/v1/"


class FakeVendor:
    """An identity server plus an API accepting only the latest token."""

    def __init__(self) -> None:
        self.issued = 0
        self.token_forms: list[dict[str, str]] = []
        self.token_headers: list[httpx.Headers] = []
        self.api_auth: list[str] = []
        self.refuse_token: tuple[int, dict[str, str]] | None = None
        self.reject_api_tokens: set[str] = set()
        self.rotate = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return self._token(request)
        auth = request.headers.get("Authorization", "")
        self.api_auth.append(auth)
        token = auth.removeprefix("Bearer ")
        if token in self.reject_api_tokens or not token.startswith("access-"):
            return httpx.Response(401, json={"message": "Authorization has been denied"})
        return httpx.Response(200, json=[{"number": "1"}])

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.token_forms.append(form)
        self.token_headers.append(request.headers)
        if self.refuse_token:
            status, body = self.refuse_token
            return httpx.Response(status, json=body)
        self.issued += 1
        body = {"access_token": f"access-{self.issued}", "expires_in": 3600, "token_type": "bearer"}
        if form.get("grant_type") != "client_credentials" and self.rotate:
            body["refresh_token"] = f"refresh-{self.issued}"
        return httpx.Response(200, json=body)


@pytest.fixture
def vendor() -> FakeVendor:
    return FakeVendor()


def visma_net_auth(**kwargs: object) -> ClientCredentials:
    return ClientCredentials(
        TOKEN_URL,
        "client-abc",
        "s3cr3t-client-value",
        "vismanet_erp_service_api:read",
        {"tenant_id": "tenant-0042-secret"},
        name="Visma.net",
        **kwargs,  # type: ignore[arg-type]
    )


def client_for(auth, vendor, clock, redactor) -> ApiClient:
    return ApiClient(
        API,
        name="visma_net",
        auth=auth,
        transport=httpx.MockTransport(vendor),
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(jitter="none"),
    )


# ----------------------------------------------------------- client credentials


def test_token_is_fetched_lazily_once_and_reused(vendor, clock, redactor) -> None:
    auth = visma_net_auth()
    client = client_for(auth, vendor, clock, redactor)
    assert vendor.token_forms == []  # nothing fetched at construction
    client.get_json("customer")
    client.get_json("customer")
    client.get_json("customer")
    assert vendor.issued == 1
    assert vendor.api_auth == ["Bearer access-1"] * 3
    assert vendor.token_forms[0] == {
        "grant_type": "client_credentials",
        "scope": "vismanet_erp_service_api:read",
        "tenant_id": "tenant-0042-secret",
        "client_id": "client-abc",
        "client_secret": "s3cr3t-client-value",
    }


def test_token_is_renewed_before_it_expires(vendor, clock: FakeClock, redactor) -> None:
    client = client_for(visma_net_auth(), vendor, clock, redactor)
    client.get_json("customer")
    clock.advance(3600 - 61)  # still outside the 60 s skew
    client.get_json("customer")
    assert vendor.issued == 1
    clock.advance(2)  # now within 60 s of expiry
    client.get_json("customer")
    assert vendor.issued == 2
    assert vendor.api_auth == ["Bearer access-1", "Bearer access-1", "Bearer access-2"]


def test_401_renews_the_token_once_and_retries(vendor, clock, redactor) -> None:
    client = client_for(visma_net_auth(), vendor, clock, redactor)
    client.get_json("customer")
    vendor.reject_api_tokens.add("access-1")  # revoked on the server side
    assert client.get_json("customer") == [{"number": "1"}]
    assert vendor.issued == 2
    assert vendor.api_auth[-2:] == ["Bearer access-1", "Bearer access-2"]
    assert clock.sleeps == []  # a renewed token is not a backoff


def test_401_twice_raises_the_operator_message(vendor, clock, redactor) -> None:
    vendor.reject_api_tokens.update({"access-1", "access-2", "access-3"})
    client = client_for(visma_net_auth(), vendor, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customer")
    assert vendor.issued == 2
    assert len(vendor.api_auth) == 2
    # a token was issued, so the client id and secret are right: the API refused it
    assert str(info.value) == (
        "Visma.net issued a token, but the API refused it (401). Check that the client may "
        "act for the tenant or company in this tenant's config and secrets."
    )


def test_refused_client_credentials_default_message(vendor, clock, redactor) -> None:
    vendor.refuse_token = (400, {"error": "invalid_client"})
    client = client_for(visma_net_auth(), vendor, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customer")
    assert str(info.value) == (
        "Visma.net did not accept the client id and client secret (invalid_client). Check "
        "both in this tenant's config and secrets."
    )
    assert vendor.api_auth == []  # the API was never called without a token
    assert len(vendor.token_forms) == 1  # a refusal is not retried


def test_refused_client_credentials_connector_message(vendor, clock, redactor) -> None:
    vendor.refuse_token = (400, {"error": "invalid_grant", "error_description": "bad tenant"})
    message = f"The user details were not accepted by Visma.net (tenant id: {MASK})"
    client = client_for(visma_net_auth(rejected_message=message), vendor, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customer")
    assert str(info.value) == "The user details were not accepted by Visma.net (tenant id: ••••)"


def test_token_endpoint_5xx_is_retried(vendor, clock, redactor) -> None:
    failures = [httpx.Response(503)]

    def flaky(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL and failures:
            return failures.pop()
        return vendor(request)

    client = ApiClient(
        API,
        name="visma_net",
        auth=visma_net_auth(),
        transport=httpx.MockTransport(flaky),
        clock=clock,
        redactor=redactor,
        retry=RetryPolicy(jitter="none"),
    )
    assert client.get_json("customer") == [{"number": "1"}]
    assert clock.sleeps == [0.5]


def test_basic_client_authentication(vendor, clock, redactor) -> None:
    client = client_for(visma_net_auth(client_auth="basic"), vendor, clock, redactor)
    client.get_json("customer")
    assert "client_secret" not in vendor.token_forms[0]
    expected = base64.b64encode(b"client-abc:s3cr3t-client-value").decode()
    assert vendor.token_headers[0]["Authorization"] == f"Basic {expected}"


def test_secrets_are_registered_and_repr_is_masked(vendor, clock, redactor: Redactor) -> None:
    auth = visma_net_auth()
    client = client_for(auth, vendor, clock, redactor)
    client.get_json("customer")
    text = "s3cr3t-client-value tenant-0042-secret access-1"
    assert redactor.redact(text) == f"{MASK} {MASK} {MASK}"
    assert "s3cr3t" not in repr(auth) and "tenant-0042" not in repr(auth)
    assert "access-1" not in repr(auth.tokens())


# ----------------------------------------------------------- authorization code


def eaccounting_auth(store: MemoryTokenStore, **kwargs: object) -> AuthorizationCode:
    return AuthorizationCode(
        AUTHORIZE_URL,
        TOKEN_URL,
        "ea-client",
        "ea-secret-value",
        "http://127.0.0.1:8765/callback",
        ["ea:api", "offline_access", "ea:sales"],
        store,
        tenant="acme",
        connector="eaccounting",
        name="Visma eAccounting",
        **kwargs,  # type: ignore[arg-type]
    )


def stored(clock: FakeClock, expires_in: float = -1, refresh: str = "refresh-0") -> TokenSet:
    return TokenSet("access-0", expires_at=clock.now() + expires_in, refresh_token=refresh)


def test_authorization_url_carries_the_flow_parameters() -> None:
    url = eaccounting_auth(MemoryTokenStore()).authorization_url("st4te")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE_URL
    assert parse_qs(parts.query) == {
        "client_id": ["ea-client"],
        "redirect_uri": ["http://127.0.0.1:8765/callback"],
        "scope": ["ea:api offline_access ea:sales"],
        "state": ["st4te"],
        "response_type": ["code"],
    }


def test_exchange_code_saves_the_tokens(vendor, clock, redactor) -> None:
    store = MemoryTokenStore()
    flow = eaccounting_auth(store, transport=httpx.MockTransport(vendor), clock=clock)
    tokens = flow.exchange_code("the-one-time-code")
    assert vendor.token_forms[0]["grant_type"] == "authorization_code"
    assert vendor.token_forms[0]["code"] == "the-one-time-code"
    assert vendor.token_forms[0]["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert tokens.refresh_token == "refresh-1"
    assert tokens.expires_at == clock.now() + 3600
    assert store.saved == [tokens]


def test_refused_code_tells_the_operator_to_authorize_again(vendor, clock) -> None:
    vendor.refuse_token = (400, {"error": "invalid_grant"})
    flow = eaccounting_auth(MemoryTokenStore(), transport=httpx.MockTransport(vendor), clock=clock)
    with pytest.raises(AuthError, match="run ledgerbridge auth acme eaccounting again"):
        flow.exchange_code("stale")


def test_valid_stored_access_token_is_reused(vendor, clock, redactor) -> None:
    store = MemoryTokenStore(TokenSet("access-0", expires_at=clock.now() + 1800, refresh_token="r"))
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    client.get_json("customers")
    assert vendor.token_forms == []
    assert vendor.api_auth == ["Bearer access-0"]


def test_refresh_token_is_rotated_and_saved_every_time(vendor, clock: FakeClock, redactor) -> None:
    store = MemoryTokenStore(stored(clock))  # access token already expired
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    client.get_json("customers")
    clock.advance(3600)
    client.get_json("customers")
    assert [f["refresh_token"] for f in vendor.token_forms] == ["refresh-0", "refresh-1"]
    assert [t.refresh_token for t in store.saved] == ["refresh-1", "refresh-2"]
    assert store.load() is store.saved[-1]
    assert vendor.api_auth == ["Bearer access-1", "Bearer access-2"]


def test_refresh_without_a_new_refresh_token_keeps_the_old_one(
    vendor, clock: FakeClock, redactor
) -> None:
    vendor.rotate = False
    store = MemoryTokenStore(stored(clock))
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    client.get_json("customers")
    assert store.saved[-1].refresh_token == "refresh-0"
    assert store.saved[-1].access_token == "access-1"


def test_401_on_stored_token_refreshes_once(vendor, clock: FakeClock, redactor) -> None:
    store = MemoryTokenStore(stored(clock, expires_in=1800))
    vendor.reject_api_tokens.add("access-0")
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    assert client.get_json("customers") == [{"number": "1"}]
    assert vendor.api_auth == ["Bearer access-0", "Bearer access-1"]
    assert store.saved[-1].refresh_token == "refresh-1"


def test_401_twice_with_authorization_code_says_reauthorize(
    vendor, clock: FakeClock, redactor
) -> None:
    store = MemoryTokenStore(stored(clock, expires_in=1800))
    vendor.reject_api_tokens.update({"access-0", "access-1"})
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customers")
    assert "re-authorize this tenant: ledgerbridge auth acme eaccounting" in str(info.value)
    assert len(vendor.api_auth) == 2


def test_invalid_grant_on_refresh_says_reauthorize(vendor, clock: FakeClock, redactor) -> None:
    vendor.refuse_token = (400, {"error": "invalid_grant", "error_description": "expired"})
    store = MemoryTokenStore(stored(clock))
    client = client_for(eaccounting_auth(store), vendor, clock, redactor)
    with pytest.raises(AuthError) as info:
        client.get_json("customers")
    assert str(info.value) == (
        "Visma eAccounting did not accept the stored authorization of tenant 'acme' "
        "(invalid_grant: expired); re-authorize this tenant: ledgerbridge auth acme eaccounting"
    )
    assert store.saved == []
    assert len(vendor.token_forms) == 1  # a refused refresh is never retried


def test_missing_authorization_names_the_command(vendor, clock, redactor) -> None:
    client = client_for(eaccounting_auth(MemoryTokenStore()), vendor, clock, redactor)
    with pytest.raises(AuthError, match="authorize it: ledgerbridge auth acme eaccounting"):
        client.get_json("customers")


def test_refresh_after_read_timeout_is_not_resent(clock: FakeClock, redactor) -> None:
    """A refresh that may have reached the server may have rotated the token;
    sending the old refresh token again could revoke the whole grant."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ReadTimeout("timed out", request=request)

    store = MemoryTokenStore(stored(clock))
    auth = eaccounting_auth(store)
    client = client_for(auth, handler, clock, redactor)
    with pytest.raises(Exception, match="may have been processed"):
        client.get_json("customers")
    assert calls == [TOKEN_URL]


def test_tokenset_round_trips_through_a_dict(clock: FakeClock) -> None:
    tokens = TokenSet("a-token", expires_at=123.0, refresh_token="r-token", scope="ea:api")
    assert TokenSet.from_dict(json.loads(json.dumps(tokens.to_dict()))) == tokens
    assert "a-token" not in repr(tokens) and "r-token" not in repr(tokens)


def test_header_auth_401_is_refused_at_once(clock, redactor) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Subscription-Key"])
        return httpx.Response(401)

    client = ApiClient(
        API,
        name="nmbrs",
        auth=HeaderAuth({"X-Subscription-Key": "sub-key-value"}, "Nmbrs refused the key"),
        transport=httpx.MockTransport(handler),
        clock=clock,
        redactor=redactor,
    )
    with pytest.raises(AuthError) as info:
        client.get_json("companies")
    assert str(info.value) == "Nmbrs refused the key"
    assert seen == ["sub-key-value"]
    assert redactor.redact("sub-key-value") == MASK
