"""What the host offers a handler: its config, a log, outbound HTTP, the
call's shop and Bold's API for that shop (the WIT imports `config`, `log`,
`outbound-http`, `shop` and `bold-api`).

Handlers receive a `Host`. In the component it is
`checkout_plugin_sdk.component.WasmHost` (the imports); in native tests it
is `checkout_plugin_sdk.testing.TestHost`, so tests never touch an import.
Both implement the six primitives below (`config`, `config_all`, `log`,
`http`, `shop`, `bold_api`) and inherit the helpers (`config_or`, `info`,
`get_json`, `bold_get_json`, ...).

Any HTTP status is a response: a 404 or a 500 is an `HttpResponse`.
`HttpError` and `BoldApiError` say why there was no response at all; left
uncaught in a handler they become `failed` (`NoShop`: `invalid-input`).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, TypeVar, Union

from .errors import HandlerError

T = TypeVar("T")
JSON = "application/json"
Headers = List[Tuple[str, str]]


class Level(enum.Enum):
    """Severity of a log record; mirrors the WIT `level`."""

    TRACE = "trace"
    DEBUG = "debug"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass
class Shop:
    """The shop a call is for; mirrors the WIT `shop-info`. Only an
    installed shop's Bold API can be called."""

    platform: str
    shop: str
    installed: bool = False
    scopes: List[str] = field(default_factory=list)

    @classmethod
    def installed_with(cls, platform: str, shop: str, scopes: Iterable[str] = ()) -> "Shop":
        """A shop the plugin is installed on, with the scopes Bold granted."""
        return cls(platform, shop, True, list(scopes))

    @classmethod
    def not_installed(cls, platform: str, shop: str) -> "Shop":
        """A shop the plugin is not installed on (no token, no scopes)."""
        return cls(platform, shop, False, [])

    def has_scope(self, scope: str) -> bool:
        """Whether Bold granted `scope` (exact match)."""
        return scope in self.scopes


def _find_header(headers: Headers, name: str) -> Optional[str]:
    name = name.lower()
    for n, v in headers:
        if n.lower() == name:
            return v
    return None


def _to_bytes(body: Union[bytes, bytearray, str]) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


_Request = TypeVar("_Request", bound="_RequestParts")


class _RequestParts:
    """What `HttpRequest` and `BoldApiRequest` share: `method`, `headers`
    and `body`, their builders and readers. A subclass says which error a
    malformed request raises (`_invalid_request`)."""

    method: str
    headers: Headers
    body: bytes

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        self.headers = [(str(n), str(v)) for n, v in self.headers]
        self.body = _to_bytes(self.body)

    @staticmethod
    def _invalid_request(reason: str) -> Exception:
        raise NotImplementedError

    def with_header(self: _Request, name: str, value: str) -> _Request:
        self.headers.append((name, value))
        return self

    def with_body(self: _Request, body: Union[bytes, str]) -> _Request:
        self.body = _to_bytes(body)
        return self

    def with_json(self: _Request, value: Any) -> _Request:
        """The body as JSON, with `content-type: application/json` unless
        given. A value `json` cannot encode raises the request's error
        (`invalid_request`)."""
        try:
            self.body = _json_bytes(value)
        except (TypeError, ValueError) as e:
            raise self._invalid_request(f"JSON body: {e}") from None
        if self.header("content-type") is None:
            self.headers.append(("content-type", JSON))
        return self

    def header(self, name: str) -> Optional[str]:
        """The first header of that name (case-insensitive)."""
        return _find_header(self.headers, name)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise HandlerError.invalid_input(f"request body: {e}") from None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class HttpRequest(_RequestParts):
    """An outbound HTTP request (`method` in upper case, an absolute
    `url`)."""

    method: str
    url: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def get(cls, url: str) -> "HttpRequest":
        return cls("GET", url)

    @staticmethod
    def _invalid_request(reason: str) -> Exception:
        return HttpError.invalid_request(reason)

    def __repr__(self) -> str:
        names = [n for n, _ in self.headers]
        return f"HttpRequest({self.method} {self.url}, headers={names}, body_len={len(self.body)})"


@dataclass
class HttpResponse:
    """An HTTP response: any status is a response. Header names are lower
    case."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    def __post_init__(self) -> None:
        self.headers = [(str(n).lower(), str(v)) for n, v in self.headers]
        self.body = _to_bytes(self.body)

    @classmethod
    def from_json(cls, status: int, value: Any) -> "HttpResponse":
        return cls(status, [("content-type", JSON)], _json_bytes(value))

    def with_header(self, name: str, value: str) -> "HttpResponse":
        self.headers.append((name.lower(), value))
        return self

    def with_body(self, body: Union[bytes, str]) -> "HttpResponse":
        self.body = _to_bytes(body)
        return self

    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> Optional[str]:
        return _find_header(self.headers, name)

    def json(self) -> Any:
        """The body as JSON; a body that is not raises `failed`."""
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise HandlerError.failed(f"response body: {e}") from None

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        names = [n for n, _ in self.headers]
        return f"HttpResponse({self.status}, headers={names}, body_len={len(self.body)})"


class _KindError(Exception):
    """An error with a `kind` (e.g. `timeout`) and an optional message."""

    _TEXT: Mapping[str, str] = {}

    def __init__(self, kind: str, message: str = "") -> None:
        if kind not in self._TEXT:
            raise ValueError(f"unknown {type(self).__name__} kind {kind!r}")
        self.kind = kind
        self.message = message
        super().__init__(kind, message)

    def __str__(self) -> str:
        text = self._TEXT[self.kind]
        return f"{text}: {self.message}" if self.message else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (self.kind, self.message) == (other.kind, other.message)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.kind, self.message))


_E = TypeVar("_E", bound="_CallError")


class _CallError(_KindError):
    """What the two call-out errors share: the kinds both WIT variants
    have, and a constructor for each."""

    _TEXT = {
        "invalid_request": "invalid request",
        "timeout": "timeout",
        "response_too_large": "response too large",
        "too_many_requests": "too many requests",
        "connection": "connection failed",
    }

    @classmethod
    def invalid_request(cls: type[_E], message: str) -> _E:
        return cls("invalid_request", message)

    @classmethod
    def timeout(cls: type[_E]) -> _E:
        return cls("timeout")

    @classmethod
    def response_too_large(cls: type[_E]) -> _E:
        return cls("response_too_large")

    @classmethod
    def too_many_requests(cls: type[_E]) -> _E:
        return cls("too_many_requests")

    @classmethod
    def connection(cls: type[_E], message: str) -> _E:
        return cls("connection", message)


class HttpError(_CallError):
    """Why an outbound request got no response; mirrors the WIT
    `outbound-http.error`. `kind`: `not_allowed`, `invalid_request`,
    `timeout`, `response_too_large`, `too_many_requests`, `connection`."""

    _TEXT = {"not_allowed": "not allowed", **_CallError._TEXT}

    @classmethod
    def not_allowed(cls, message: str) -> "HttpError":
        return cls("not_allowed", message)

    def to_handler_error(self) -> HandlerError:
        """`failed: outbound HTTP: <error>`."""
        return HandlerError.failed(f"outbound HTTP: {self}")


BOLD_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
RESERVED_HEADERS = (
    "authorization",
    "x-bold-checkout-access-token",
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-connection",
    "keep-alive",
)
MAX_PATH_BYTES = 8 * 1024
_PCHAR = set("-._~!$&'()*+,;=:@")


def _check_chars(text: str, also: str) -> None:
    i = 0
    while i < len(text):
        c = text[i]
        if c == "%":
            h = text[i + 1 : i + 3]
            if len(h) != 2 or not all(x in "0123456789abcdefABCDEF" for x in h):
                raise ValueError(f"`{text}`: `%` must start an escape like `%20`")
            if int(h, 16) in (0x2E, 0x2F, 0x5C):
                raise ValueError(f"`{text}`: an encoded `.`, `/` or `\\` is not allowed")
            i += 3
            continue
        if not ((c.isascii() and c.isalnum()) or c in _PCHAR or c in also):
            raise ValueError(f"`{text}`: the character {c!r} must be percent-encoded")
        i += 1


def check_path(path: str) -> None:
    """Checks a Bold API path as the host does (relative, safe segments,
    optional query, no fragment); raises `ValueError` saying what is
    wrong."""
    if not path:
        raise ValueError("the path is empty")
    if len(path.encode("utf-8")) > MAX_PATH_BYTES:
        raise ValueError(f"the path is over {MAX_PATH_BYTES} bytes")
    path_part, sep, query = path.partition("?")
    if path_part.startswith("/"):
        raise ValueError("the path must be relative to the shop (no leading `/`)")
    for segment in path_part.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"path `{path}`: empty, `.` and `..` segments are not allowed")
        _check_chars(segment, "")
    if sep:
        _check_chars(query, "/?")


@dataclass
class BoldApiRequest(_RequestParts):
    """A request to Bold's API for the call's shop: `path` below
    `/api/v1/{platform}/{shop}/`, e.g. `orders/abc123/shipping_lines`."""

    method: str
    path: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def get(cls, path: str) -> "BoldApiRequest":
        return cls("GET", path)

    @staticmethod
    def _invalid_request(reason: str) -> Exception:
        return BoldApiError.invalid_request(reason)

    def check(self) -> None:
        """Checks the request as the host does before sending it; raises
        `BoldApiError` (`invalid_request`)."""
        if self.method not in BOLD_METHODS:
            raise BoldApiError.invalid_request(
                f"method `{self.method}` is not allowed (GET, POST, PUT, PATCH or DELETE)"
            )
        try:
            check_path(self.path)
        except ValueError as e:
            raise BoldApiError.invalid_request(str(e)) from None
        for name, _ in self.headers:
            if name.lower() in RESERVED_HEADERS:
                raise BoldApiError.invalid_request(
                    f"header `{name.lower()}` is set by the host and cannot be given"
                )

    def __repr__(self) -> str:
        names = [n for n, _ in self.headers]
        return f"BoldApiRequest({self.method} {self.path}, headers={names}, body_len={len(self.body)})"


class BoldApiError(_CallError):
    """Why a Bold API request got no response; mirrors the WIT
    `bold-api.error`. `kind`: `no_shop`, `not_installed`, `invalid_request`,
    `timeout`, `response_too_large`, `too_many_requests`, `connection`."""

    _TEXT = {
        "no_shop": "the call names no shop",
        "not_installed": "not installed on the call's shop",
        **_CallError._TEXT,
    }

    @classmethod
    def no_shop(cls) -> "BoldApiError":
        return cls("no_shop")

    @classmethod
    def not_installed(cls) -> "BoldApiError":
        return cls("not_installed")

    def to_handler_error(self, context: str = "Bold API") -> HandlerError:
        """`<context>: <error>`: `invalid-input` for `no_shop`, `failed`
        otherwise."""
        message = f"{context}: {self}"
        if self.kind == "no_shop":
            return HandlerError.invalid_input(message)
        return HandlerError.failed(message)


def _parse_i64(text: str) -> int:
    """An `i64` as Rust's `str::parse` reads it, with its messages."""
    if not text:
        raise ValueError("cannot parse integer from empty string")
    digits = text[1:] if text[0] in "+-" else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise ValueError("invalid digit found in string")
    n = int(text, 10)
    if n > 2**63 - 1:
        raise ValueError("number too large to fit in target type")
    if n < -(2**63):
        raise ValueError("number too small to fit in target type")
    return n


def _parse_config(key: str, value: str, default: Any, parse: Optional[Callable[[str], Any]]) -> Any:
    text = value.strip()
    try:
        if parse is not None:
            return parse(text)
        if isinstance(default, bool):
            if text in ("true", "false"):
                return text == "true"
            raise ValueError("provided string was not `true` or `false`")
        if isinstance(default, int):
            return _parse_i64(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, str):
            return text
        return type(default)(text)
    except (ValueError, TypeError) as e:
        shown = json.dumps(value, ensure_ascii=False)
        raise HandlerError.failed(f"config `{key}`: invalid value {shown}: {e}") from None


class Host:
    """The host's services, as a handler sees them.

    Implementations provide `config`, `config_all`, `log` and, when they
    offer them, `http`, `shop` and `bold_api` (the defaults refuse every
    request, have no shop and answer `no_shop`). The helpers below build on
    those."""

    # --- the primitives ---------------------------------------------------

    def config(self, key: str) -> Optional[str]:
        """The value of one of the plugin's settings (its manifest's
        `[config]`), if set."""
        raise NotImplementedError

    def config_all(self) -> List[Tuple[str, str]]:
        """Every setting of the plugin, as (key, value) pairs."""
        raise NotImplementedError

    def log(self, level: Level, message: str, fields: Iterable[Tuple[str, str]] = ()) -> None:
        """Writes one record with key/value fields. The host caps the bytes
        logged per invocation; logging never fails. Do not log personal
        data."""
        raise NotImplementedError

    def http(self, request: HttpRequest) -> HttpResponse:
        """Sends one request to a host the manifest grants (`[outbound]
        allowed_hosts`) and returns the complete response (any status);
        raises `HttpError` when there is none."""
        raise HttpError.not_allowed(
            f"{request.method} {request.url}: this host offers no outbound HTTP"
        )

    def shop(self) -> Optional[Shop]:
        """The shop of this call, or `None` when the call named none."""
        return None

    def bold_api(self, request: BoldApiRequest) -> HttpResponse:
        """Sends one request to Bold's API for the call's shop, with its
        token (added by the host, never seen by the guest); raises
        `BoldApiError` when there is no response (`no_shop`,
        `not_installed`, `invalid_request`, ...)."""
        raise BoldApiError.no_shop()

    # --- logging helpers --------------------------------------------------

    def trace(self, message: str, **fields: Any) -> None:
        self.log(Level.TRACE, message, [(k, str(v)) for k, v in fields.items()])

    def debug(self, message: str, **fields: Any) -> None:
        self.log(Level.DEBUG, message, [(k, str(v)) for k, v in fields.items()])

    def info(self, message: str, **fields: Any) -> None:
        self.log(Level.INFO, message, [(k, str(v)) for k, v in fields.items()])

    def warn(self, message: str, **fields: Any) -> None:
        self.log(Level.WARN, message, [(k, str(v)) for k, v in fields.items()])

    def error(self, message: str, **fields: Any) -> None:
        self.log(Level.ERROR, message, [(k, str(v)) for k, v in fields.items()])

    # --- config helpers ---------------------------------------------------

    def config_or(self, key: str, default: T, parse: Optional[Callable[[str], T]] = None) -> T:
        """The setting `key` (surrounding whitespace ignored), parsed like
        `default` (an int, a float, a bool as `true`/`false`, a str) or with
        `parse`; `default` when it is not set. A value that does not parse
        raises `failed` naming the key:
        ``config `stock`: invalid value 'many': ...``."""
        value = self.config(key)
        if value is None:
            return default
        return _parse_config(key, value, default, parse)

    # --- HTTP helpers -----------------------------------------------------

    def get(self, url: str, headers: Iterable[Tuple[str, str]] = ()) -> HttpResponse:
        """A `GET` with `headers` (and `accept: application/json` unless
        given). Any status is a response."""
        request = HttpRequest("GET", url, list(headers))
        if request.header("accept") is None:
            request.headers.append(("accept", JSON))
        return self.http(request)

    def get_json(self, url: str, headers: Iterable[Tuple[str, str]] = ()) -> Any:
        """A `GET` whose 2xx response's JSON body is returned. Every failure
        raises `failed` naming the URL: no response, a status other than
        2xx, a body that is not JSON."""
        try:
            response = self.get(url, headers)
        except HttpError as e:
            raise HandlerError.failed(f"GET {url}: {e}") from None
        if not response.is_success():
            raise HandlerError.failed(f"GET {url}: HTTP {response.status}")
        try:
            return json.loads(response.body)
        except ValueError as e:
            raise HandlerError.failed(f"GET {url}: response body: {e}") from None

    def send_json(
        self, method: str, url: str, body: Any, headers: Iterable[Tuple[str, str]] = ()
    ) -> HttpResponse:
        """Sends `body` as JSON (`content-type` and `accept`
        `application/json` unless given) with `method`. Any status is a
        response; raises `HttpError` when there is none."""
        request = HttpRequest(method, url, list(headers))
        if request.header("accept") is None:
            request.headers.append(("accept", JSON))
        return self.http(request.with_json(body))

    # --- Bold API helpers -------------------------------------------------

    def bold_get(self, path: str) -> HttpResponse:
        """A `GET` to Bold's API for the call's shop, with `accept:
        application/json`. Any status is a response."""
        return self.bold_api(BoldApiRequest("GET", path, [("accept", JSON)]))

    def bold_get_json(self, path: str) -> Any:
        """A `GET` to Bold's API whose 2xx JSON body is returned. Every
        failure names the path (`Bold API GET <path>: ...`): no response
        (`no_shop` is `invalid-input`, the rest `failed`), a status other
        than 2xx or a body that is not JSON (`failed`)."""
        context = f"Bold API GET {path}"
        try:
            response = self.bold_get(path)
        except BoldApiError as e:
            raise e.to_handler_error(context) from None
        if not response.is_success():
            raise HandlerError.failed(f"{context}: HTTP {response.status}")
        try:
            return json.loads(response.body)
        except ValueError as e:
            raise HandlerError.failed(f"{context}: response body: {e}") from None

    def bold_send_json(self, method: str, path: str, body: Any) -> HttpResponse:
        """Sends `body` as JSON with `method` to Bold's API for the call's
        shop. Any status is a response; raises `BoldApiError` when there is
        none."""
        request = BoldApiRequest(method, path, [("accept", JSON)])
        return self.bold_api(request.with_json(body))
