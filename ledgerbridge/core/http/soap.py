"""A SOAP 1.1/1.2 client on the same layer as REST: `SoapClient`.

Every call is one `ApiClient` POST with a raw XML body, so SOAP gets the
same retries and backoff, rate budget, redaction and logging as REST. Faults
are parsed into a `SoapFault` that the error classifier sees before any
retry: a Receiver/Server fault is transient, a Sender/Client fault a
refusal, a WS-Security authentication fault an auth fault, and a plugin's
classifier can say otherwise for its vendor's faults (a service answering
refused credentials with a plain Client fault, say).

Built on lxml rather than zeep: the envelope is a few elements, services are
called by operation name without fetching or compiling a WSDL at run time,
and answers are parsed with entities, DTDs and the network off (see
safexml.py). See docs/http.md for an example.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import httpx
from lxml import etree

from ledgerbridge.core.clock import Clock
from ledgerbridge.core.errors import AuthError
from ledgerbridge.core.http.auth import Auth
from ledgerbridge.core.http.classify import Classifier, chain_classifiers, soap_fault_verdict
from ledgerbridge.core.http.client import ApiClient, BudgetSelector
from ledgerbridge.core.http.errors import ErrorParser, VendorError, build_api_error
from ledgerbridge.core.http.parsers import first_of, parse_soap_fault
from ledgerbridge.core.http.ratelimit import RateBudget
from ledgerbridge.core.http.retry import RetryPolicy
from ledgerbridge.core.http.safexml import Element, XmlError, parse_xml
from ledgerbridge.core.http.soapfault import find_fault
from ledgerbridge.core.http.soapxml import (
    ENVELOPE_NS,
    VERSION_OF,
    Converter,
    child,
    children,
    envelope,
    is_nil,
    items,
    localname,
    operation_element,
    to_python,
)
from ledgerbridge.core.redact import Redactor

CONTENT_TYPES = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}


def default_action(namespace: str | None, operation: str) -> str:
    """The .asmx convention: `{namespace}/{operation}` (Nmbrs:
    `https://api.nmbrs.nl/soap/v3/CompanyService/Run_GetList`)."""
    return f"{namespace.rstrip('/')}/{operation}" if namespace else operation


@runtime_checkable
class SoapHeaderProvider(Protocol):
    def header_blocks(self, namespace: str | None) -> Sequence[Element]:
        """SOAP header blocks for a call to an operation in `namespace`."""


class SoapHeaderAuth:
    """Credentials sent in a SOAP header block, e.g. Nmbrs'
    `AuthHeaderWithDomain{Username, Token, Domain}`.

    fields:        child name -> value, in the WSDL's order (None: left out).
    secret_fields: names whose values are registered with the redactor, so
                   they are masked in logs, errors and journals.
    namespace:     the block's namespace; None for the called operation's
                   (the .asmx convention: one namespace per service).
    rejected_message: the operator message when the service refuses them.
    """

    def __init__(
        self,
        block: str,
        fields: Mapping[str, str | None],
        *,
        secret_fields: Collection[str] = ("Token", "Password"),
        namespace: str | None = None,
        rejected_message: str | None = None,
    ) -> None:
        self.block = block
        self._fields = dict(fields)
        self._secret = frozenset(secret_fields)
        self._namespace = namespace
        self._message = rejected_message or (
            f"The credentials in the SOAP header {block} were refused; "
            "check them in this tenant's config and secrets."
        )

    def header_blocks(self, namespace: str | None) -> Sequence[Element]:
        return [operation_element(self.block, self._namespace or namespace, self._fields)]

    def bind(
        self,
        *,
        transport: httpx.BaseTransport | None,
        clock: Clock,
        redactor: Redactor,
        retry: RetryPolicy,
    ) -> None:
        for name, value in self._fields.items():
            if name in self._secret:
                redactor.add(value)

    def auth_headers(self) -> Mapping[str, str]:
        return {}

    def on_unauthorized(self, sent: Mapping[str, str]) -> bool:
        return False  # a static token cannot be renewed

    def rejected(self) -> AuthError:
        return AuthError(self._message)

    def __repr__(self) -> str:
        return f"SoapHeaderAuth(block={self.block!r}, fields={list(self._fields)})"


@dataclass(frozen=True)
class SoapResult:
    """A successful answer. `body` is the SOAP Body (None for an empty 202).

    `operation_response` is the Body's first element (`Run_GetListResponse`);
    `result` its `{operation}Result` child (the .asmx convention), or the
    response element itself when there is none.
    """

    operation: str
    version: str
    response: httpx.Response
    header: Element | None
    body: Element | None

    @property
    def operation_response(self) -> Element | None:
        found = children(self.body) if self.body is not None else []
        return found[0] if found else None

    @property
    def result(self) -> Element | None:
        wrapper = self.operation_response
        if wrapper is None:
            return None
        inner = child(wrapper, f"{self.operation}Result")
        return inner if inner is not None else wrapper

    @property
    def text(self) -> str | None:
        """The result's text (operations answering one string, such as an
        XML document to parse with `parse_xml`); None when absent."""
        found = self.result
        return None if found is None or is_nil(found) else "".join(found.itertext())

    def to_python(
        self, *, lists: Collection[str] = (), types: Mapping[str, Converter] | None = None
    ) -> Any:
        """The result as dicts, lists and (with `types`) typed values."""
        found = self.result
        return None if found is None else to_python(found, lists=lists, types=types)

    def items(
        self,
        name: str,
        *,
        lists: Collection[str] = (),
        types: Mapping[str, Converter] | None = None,
    ) -> list[Any]:
        """The result's children named `name` (`RunInfo` of ArrayOfRunInfo)."""
        return items(self.result, name, lists=lists, types=types)


class SoapClient:
    """Calls operations of document/literal SOAP services over `ApiClient`.

    base_url:   where the services are (`https://api.nmbrs.nl/soap/v3/`).
    version:    "1.1" (SOAPAction header, text/xml) or "1.2" (action in the
                application/soap+xml content type).
    auth:       a `SoapHeaderAuth`, or any `Auth` (HTTP-level credentials);
                an `Auth` with `header_blocks` adds them to every envelope.
    classifier: the plugin's verdicts on its vendor's faults, consulted
                before the SOAP rules and the HTTP-status rules.
    error_parser: tried before the SOAP fault parser.
    action:     the SOAP action of (namespace, operation); `default_action`.
    Other arguments are `ApiClient`'s.
    """

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        clock: Clock,
        redactor: Redactor,
        version: str = "1.1",
        auth: Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        rate_budget: RateBudget | BudgetSelector | None = None,
        classifier: Classifier | None = None,
        error_parser: ErrorParser | None = None,
        action: Callable[[str | None, str], str] = default_action,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if version not in ENVELOPE_NS:
            raise ValueError(f"SOAP version must be '1.1' or '1.2', not {version!r}")
        self.version = version
        self._auth = auth
        self._action = action
        self._redactor = redactor
        self.http = ApiClient(
            base_url,
            name=name,
            clock=clock,
            redactor=redactor,
            auth=auth,
            transport=transport,
            retry=retry,
            rate_budget=rate_budget,
            error_parser=first_of(error_parser, parse_soap_fault),
            classifier=chain_classifiers(classifier, soap_fault_verdict),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            headers=headers,
        )

    @property
    def name(self) -> str:
        return self.http.name

    def service(self, path: str, namespace: str | None) -> SoapService:
        """One service (`CompanyService.asmx` in its namespace) of this client."""
        return SoapService(self, path, namespace)

    def envelope(
        self,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        header_blocks: Sequence[Element] = (),
    ) -> bytes:
        """The request envelope for a call (what `call` sends)."""
        blocks = list(header_blocks)
        if isinstance(self._auth, SoapHeaderProvider):
            blocks = [*self._auth.header_blocks(namespace), *blocks]
        return envelope(self.version, operation_element(operation, namespace, params), blocks)

    def call(
        self,
        path: str,
        operation: str,
        params: Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        action: str | None = None,
        header_blocks: Sequence[Element] = (),
        idempotent: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> SoapResult:
        """Call `operation` at `path`; the answer, or raise like `ApiClient`.

        params are the operation's children in the WSDL's order (see
        `operation_element` for the values). idempotent: True for reads, so a
        Server fault or a dropped connection is retried; a write is only
        retried when it certainly never arrived (the service may have done it).
        """
        body = self.envelope(operation, params, namespace=namespace, header_blocks=header_blocks)
        soap_action = action if action is not None else self._action(namespace, operation)
        sent = dict(headers or {})
        if self.version == "1.1":
            ctype = CONTENT_TYPES["1.1"]
            sent["SOAPAction"] = f'"{soap_action}"'
        else:
            ctype = f'{CONTENT_TYPES["1.2"]}; action="{soap_action}"'
        reader = _AnswerReader(self.version)
        response = self.http.request(
            "POST",
            path,
            content=body,
            content_type=ctype,
            headers=sent,
            idempotent=idempotent,
            detect_error=reader,
        )
        if reader.problem is not None:
            raise build_api_error(
                api=self.name,
                response=response,
                redactor=self._redactor,
                parser=lambda r: VendorError(message=f"the answer is not usable: {reader.problem}"),
            )
        return SoapResult(operation, self.version, response, reader.header, reader.body)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SoapClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SoapClient(name={self.name!r}, base_url={str(self.http.base_url)!r})"


@dataclass(frozen=True)
class SoapService:
    """A service path and namespace bound to a client: `svc.call("Run_GetList", {...})`."""

    client: SoapClient
    path: str
    namespace: str | None

    def call(
        self, operation: str, params: Mapping[str, Any] | None = None, **kw: Any
    ) -> SoapResult:
        return self.client.call(self.path, operation, params, namespace=self.namespace, **kw)


class _AnswerReader:
    """The `detect_error` of one call: parses each 2xx answer once, keeps
    its Header and Body for the result, and reports a fault in it (some
    services send faults with 200) so the client classifies it."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.header: Element | None = None
        self.body: Element | None = None
        self.problem: str | None = None

    def __call__(self, response: httpx.Response) -> VendorError | None:
        self.header = self.body = self.problem = None
        if not response.content.strip():
            if response.status_code not in (202, 204):
                self.problem = "the body is empty, a SOAP envelope was expected"
            return None
        try:
            root = parse_xml(response.content)
        except XmlError as exc:
            self.problem = str(exc)
            return None
        fault = find_fault(root)
        if fault is not None:
            return VendorError(message=fault.reason, code=fault.most_specific_code, fault=fault)
        self.problem = self._read(root)
        return None

    def _read(self, root: Element) -> str | None:
        version = VERSION_OF.get(etree.QName(root).namespace or "")
        if localname(root) != "Envelope" or version is None:
            return f"the root element is {localname(root)}, not a SOAP Envelope"
        if version != self.version:
            return f"a SOAP {version} envelope answered a SOAP {self.version} request"
        ns = ENVELOPE_NS[version]
        self.header = root.find(f"{{{ns}}}Header")
        self.body = root.find(f"{{{ns}}}Body")
        if self.body is None:
            return "the SOAP envelope has no Body"
        return None
