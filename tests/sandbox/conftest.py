"""A throwaway "notes" vendor emulator, written the way a plugin author would,
and fixtures that mount it in a sandbox driven by a FakeClock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ledgerbridge.core.clock import FakeClock
from ledgerbridge.core.sandbox import (
    App,
    Emulator,
    EmulatorOptions,
    FixedWindowLimiter,
    Request,
    Response,
    Sandbox,
    SchemaSet,
    Store,
    TokenIssuer,
    abort,
    created,
    dollar_page_params,
    empty,
    json_response,
    meta_envelope,
    page_params,
    paginate,
    rate_limit,
    soap,
)

CLIENT_ID = "notes-app"
CLIENT_SECRET = "s3cret-client-value"
SOAP_NS = "https://api.notes.example/soap/v1/"

COMPONENTS: dict[str, Any] = {
    "NoteCreate": {
        "type": "object",
        "required": ["title", "body", "id"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "title": {"type": "string", "minLength": 1, "maxLength": 40},
            "body": {"type": "string"},
            "dueDate": {"type": "string", "format": "date", "nullable": True},
            "priority": {"type": "string", "enum": ["low", "high"], "nullable": True},
            "owner": {"$ref": "#/components/schemas/Owner"},
            "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
        },
        "discriminator": {"propertyName": "title"},
        "example": {"title": "x"},
    },
    "Owner": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "email": {"type": "string", "x-foo": 1}},
        "nullable": True,
    },
    "Line": {
        "type": "object",
        "required": ["amount"],
        "properties": {"amount": {"type": "number", "minimum": 0}},
    },
}


def error_body(status: int, message: str) -> dict[str, Any]:
    """The vendor's error shape (eAccounting-like)."""
    return {"ErrorCode": 3000 if status == 404 else status, "DeveloperErrorMessage": message}


def issues_body(issues: list[Any]) -> dict[str, Any]:
    return {
        "ErrorCode": 2000,
        "DeveloperErrorMessage": "Validation failed",
        "Errors": [{"Field": i.field, "Message": i.message} for i in issues],
    }


def build_notes(options: EmulatorOptions) -> App:
    app = App("notes", error_body=error_body)
    store = Store()
    notes = store.collection("notes", start=1001)
    schemas = SchemaSet(COMPONENTS, issues_body=issues_body)
    tokens = TokenIssuer(options.clock, seed=options.seed, redactor=options.redactor)
    tokens.add_client(CLIENT_ID, CLIENT_SECRET, scopes={"notes:read", "notes:write"})
    limit = int(options.settings.get("rate_limit", 10_000))
    limiter = FixedWindowLimiter(options.clock, limit=limit, window=60, policy="4-fixed-window")

    def client_and_path(request: Request) -> tuple[str, str]:
        token = request.context.get("token")
        return (token.client_id if token else "-", request.path.lower())

    def too_many(request: Request, state: Any) -> Response:
        message = f"API calls quota exceeded! maximum admitted {limit} per Minute."
        return json_response({"ErrorCode": 4010, "DeveloperErrorMessage": message}, 429)

    app.use(tokens.middleware(exempt=["/connect/token", "/soap/noteservice.asmx"]))
    app.use(rate_limit(limiter, key=client_and_path, too_many=too_many, headers=True))

    @app.post("/connect/token")
    def token(request: Request) -> Response:
        return tokens.token_endpoint(request)

    @app.get("/v1/notes")
    def list_v1(request: Request) -> Response:
        page, size = page_params(request.query, max_size=50)
        return json_response(paginate(notes.all(), page, size).items)

    @app.get("/v2/notes")
    def list_v2(request: Request) -> Response:
        page, size = dollar_page_params(request.query)
        return json_response(meta_envelope(paginate(notes.all(), page, size), options.clock.now()))

    @app.post("/v1/notes")
    def create(request: Request) -> Response:
        body = request.json()
        invalid = schemas.check("NoteCreate", body)
        if invalid is not None:
            return invalid
        doc = notes.insert(body)
        return created(request.url_for(f"/v1/notes/{doc['id']}"))

    @app.get("/v1/notes/{noteId}")
    def get_note(request: Request, noteId: str) -> Response:
        return json_response(notes.require(_int(noteId), f"Note {noteId} was not found"))

    @app.put("/v1/notes/{noteId}")
    def put_note(request: Request, noteId: str) -> Response:
        updated = notes.update(_int(noteId), request.json())
        return empty(204) if updated else abort(404, f"Note {noteId} was not found")

    @app.delete("/v1/notes/{noteId}")
    def delete_note(request: Request, noteId: str) -> Response:
        notes.delete(_int(noteId))
        return empty(204)

    @app.post("/v1/notes/{noteId}/attachment")
    def attach(request: Request, noteId: str) -> Response:
        notes.require(_int(noteId))
        files = [
            {
                "name": f.name,
                "filename": f.filename,
                "type": f.content_type,
                "size": f.size,
                "head": f.data[:4].hex(),
            }
            for f in request.files()
        ]
        return json_response({"fields": request.form().to_lists(), "files": files}, 201)

    @app.post("/v1/echo/form")
    def echo_form(request: Request) -> Response:
        return json_response(request.form().to_lists())

    @app.get("/v1/echo/query")
    def echo_query(request: Request) -> Response:
        q = request.query
        return json_response({"page": q.get("PAGENUMBER"), "tags": q.getall("tag")})

    @app.post("/soap/NoteService.asmx")
    def soap_service(request: Request) -> Response:
        try:
            env = soap.parse_request(request)
        except soap.SoapError as exc:
            return soap.fault_response("Client", str(exc))
        auth = soap.header_block(env, "AuthHeader")
        if not auth or auth.get("Token") != "soap-token-1234":
            return soap.fault_response("Client", "2004 UnauthorizedCompany", version=env.version)
        if env.operation_name != "Notes_GetList":
            return soap.fault_response(
                "Client", f"Unknown operation {env.operation_name}", version=env.version
            )
        company = soap.child_text(env.operation, "CompanyId")
        result = {
            "Note": [{"Id": d["id"], "Title": d["title"], "Company": company} for d in notes.all()]
        }
        payload = soap.operation_response("Notes_GetList", SOAP_NS, result, version=env.version)
        return soap.soap_response(payload, version=env.version)

    return app


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        abort(400, f"'{text}' is not a note id")


NOTES = Emulator("notes", "/notes", build_notes, "A tiny notes API for tests")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    box = Sandbox([NOTES], seed=7, clock=clock)
    yield box
    box.stop()


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with sandbox.client("notes") as c:
        yield c


def get_token(client: httpx.Client, scope: str = "notes:read notes:write") -> str:
    response = client.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client already holding a bearer token."""
    with sandbox.client("notes") as c:
        c.headers["Authorization"] = f"Bearer {get_token(c)}"
        yield c


def new_note(title: str = "Call Anna", **extra: Any) -> dict[str, Any]:
    return {"title": title, "body": "about the invoice", **extra}
