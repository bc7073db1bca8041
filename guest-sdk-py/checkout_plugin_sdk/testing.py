"""Native tests for handlers, with `python -m unittest` and no sandbox: Bold's
sample events, a `TestHost` (config, scripted HTTP and Bold API answers,
captured logs) and runners that call a handler exactly as the component
does and check its answer as the host would.

    from checkout_plugin_sdk.testing import TestHost, fixture, run_event, actions_json

    host = TestHost().with_config("stock", "5").with_scopes(["modify_order"])
    actions = run_event(MyPlugin(), fixture("initialize_checkout"), host)
    assert actions_json(actions) == [{"type": "add_note", "data": {"note": "..."}}]

- `run_event`, `run_override`, `run_webhook` go through the same adapter
  as the component: a `HandlerError` comes out as raised, any other
  exception as `failed` (its cause chained), an answer of the wrong type as
  `failed`. Then the answer is checked with the host's rules
  (`checkout_plugin_sdk.protocol`) against the host's policy: a refusal
  raises `Refusal` (an `AssertionError`) with the host's message, e.g.
  ``invalid_output: action `add_fee` needs scope `add_fee`, which the
  plugin was not granted``.
- A request no script answers raises `UnscriptedRequest`, a
  `BaseException`: a handler's `except Exception` does not swallow it and
  the runners do not turn it into `failed`, so the test fails loudly.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from . import adapter
from .actions import Action
from .errors import HandlerError
from .event import Event
from .host import (
    BoldApiError,
    BoldApiRequest,
    Host,
    HttpError,
    HttpRequest,
    HttpResponse,
    Level,
    Shop,
)
from .protocol import DEFAULT_OUTPUT_LIMIT, Policy, Refusal, check_actions, check_override

FIXTURES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


# --- Bold's sample events ----------------------------------------------------


def fixture_names() -> List[str]:
    """The Bold samples shipped with the SDK (those of the Rust SDK):
    `initialize_checkout`, `order_submitted_us`, `app_hook`."""
    return sorted(n[:-5] for n in os.listdir(FIXTURES_DIR) if n.endswith(".json"))


def fixture_json(name: str) -> str:
    """The raw JSON text of a sample."""
    path = os.path.join(FIXTURES_DIR, f"{name}.json")
    if not os.path.exists(path):
        raise KeyError(f"no fixture {name!r}; there are: {fixture_names()}")
    with open(path, encoding="utf-8") as f:
        return f.read()


def fixture(name: str) -> Event:
    """A sample as an `Event`, named by its `event` field."""
    return Event.parse(fixture_json(name))


def fixture_with(name: str, edit: Callable[[Dict[str, Any]], Any]) -> Event:
    """A sample after `edit(body)` changed its JSON (a dict) in place."""
    body = json.loads(fixture_json(name))
    edit(body)
    return Event.from_json(body)


def load_event(path: str) -> Event:
    """An event from a JSON file (named by its `event` field)."""
    with open(path, encoding="utf-8") as f:
        return Event.parse(f.read())


# --- the test host -----------------------------------------------------------


class UnscriptedRequest(BaseException):
    """A request that no scripted answer and no double answers. A
    `BaseException`, so that `except Exception` in a handler cannot turn a
    missing script into a passing test."""


@dataclass
class LogRecord:
    """One record a handler logged through a `TestHost`."""

    level: Level
    message: str
    fields: List[Tuple[str, str]] = field(default_factory=list)

    def field(self, key: str) -> Optional[str]:
        for k, v in self.fields:
            if k == key:
                return v
        return None


Answer = Union[HttpResponse, Exception]


class _Script:
    """Answers by method (case-insensitive) and target (exact)."""

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], Answer] = {}

    def set(self, method: str, target: str, answer: Answer) -> None:
        self.routes[(method.upper(), target)] = answer

    def answer(self, method: str, target: str) -> Optional[Answer]:
        return self.routes.get((method.upper(), target))

    def __repr__(self) -> str:
        return repr([f"{m} {t}" for m, t in self.routes])


def _give(answer: Answer) -> HttpResponse:
    if isinstance(answer, Exception):
        raise copy.copy(answer)
    return copy.deepcopy(answer)


class TestHost(Host):
    """A `Host` for native tests.

    - config: `with_config(key, value)`; logs: `logs`, `logged(text)`;
    - the call's shop: `with_shop(Shop(...))` (none by default);
    - outbound HTTP: `with_http_response(method, url, response)`,
      `with_http_error(method, url, HttpError...)`, or a router
      `with_http(lambda request: response)`; `requests` records them;
    - Bold's API: the host's gate (no shop: `no_shop`; not installed:
      `not_installed`; `BoldApiRequest.check()`), then
      `with_bold_response(method, path, response)`, `with_bold_error`,
      `with_bold_api(router)`; `bold_requests` records them;
    - the manifest's side of the answer checks: `with_scopes([...])` (an
      installed shop's scopes replace them, as in the host),
      `with_extra_action_types([...])`, `with_output_limit(bytes)`.

    A request nothing answers raises `UnscriptedRequest` naming it.
    """

    __test__ = False  # not a unittest/pytest test class

    def __init__(self) -> None:
        self._config: List[Tuple[str, str]] = []
        self.logs: List[LogRecord] = []
        self._shop: Optional[Shop] = None
        self._scopes: Optional[frozenset] = None
        self._extra: frozenset = frozenset()
        self._output_limit = DEFAULT_OUTPUT_LIMIT
        self._http_script = _Script()
        self._http: Optional[Callable[[HttpRequest], HttpResponse]] = None
        self.requests: List[HttpRequest] = []
        self._bold_script = _Script()
        self._bold: Optional[Callable[[BoldApiRequest], HttpResponse]] = None
        self.bold_requests: List[BoldApiRequest] = []

    # --- builders -------------------------------------------------------

    def with_config(self, key: str, value: str) -> "TestHost":
        """Sets (or replaces) one config value."""
        self._config = [(k, v) for k, v in self._config if k != key] + [(key, str(value))]
        return self

    def with_shop(self, shop: Shop) -> "TestHost":
        self._shop = shop
        return self

    def with_scopes(self, scopes: Iterable[str]) -> "TestHost":
        self._scopes = frozenset(scopes)
        return self

    def with_extra_action_types(self, types: Iterable[str]) -> "TestHost":
        self._extra = self._extra | frozenset(types)
        return self

    def with_output_limit(self, limit: int) -> "TestHost":
        self._output_limit = limit
        return self

    def with_http_response(self, method: str, url: str, response: HttpResponse) -> "TestHost":
        self._http_script.set(method, url, response)
        return self

    def with_http_error(self, method: str, url: str, error: HttpError) -> "TestHost":
        self._http_script.set(method, url, error)
        return self

    def with_http(self, double: Callable[[HttpRequest], HttpResponse]) -> "TestHost":
        """Answers the requests nothing scripted answers with `double`,
        which returns an `HttpResponse` or raises `HttpError`."""
        self._http = double
        return self

    def with_bold_response(self, method: str, path: str, response: HttpResponse) -> "TestHost":
        self._bold_script.set(method, path, response)
        return self

    def with_bold_error(self, method: str, path: str, error: BoldApiError) -> "TestHost":
        self._bold_script.set(method, path, error)
        return self

    def with_bold_api(self, double: Callable[[BoldApiRequest], HttpResponse]) -> "TestHost":
        self._bold = double
        return self

    # --- inspection -----------------------------------------------------

    def logged(self, text: str) -> bool:
        """Whether some logged message contains `text`."""
        return any(text in r.message for r in self.logs)

    def policy(self) -> Policy:
        """What the host would check this call's answers against."""
        if self._shop is not None and self._shop.installed:
            scopes: Optional[frozenset] = frozenset(self._shop.scopes)
        else:
            scopes = self._scopes
        return Policy(scopes, self._extra, self._output_limit)

    # --- Host -----------------------------------------------------------

    def config(self, key: str) -> Optional[str]:
        for k, v in self._config:
            if k == key:
                return v
        return None

    def config_all(self) -> List[Tuple[str, str]]:
        return list(self._config)

    def log(self, level: Level, message: str, fields: Iterable[Tuple[str, str]] = ()) -> None:
        self.logs.append(LogRecord(Level(level), str(message), [(str(k), str(v)) for k, v in fields]))

    def http(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(copy.deepcopy(request))
        answer = self._http_script.answer(request.method, request.url)
        if answer is not None:
            return _give(answer)
        if self._http is not None:
            return self._http(request)
        raise UnscriptedRequest(
            f"TestHost: unscripted HTTP request `{request.method} {request.url}`; script it with "
            f"with_http_response, with_http_error or with_http (scripted: {self._http_script!r})"
        )

    def shop(self) -> Optional[Shop]:
        return copy.deepcopy(self._shop)

    def bold_api(self, request: BoldApiRequest) -> HttpResponse:
        self.bold_requests.append(copy.deepcopy(request))
        if self._shop is None:
            raise BoldApiError.no_shop()
        if not self._shop.installed:
            raise BoldApiError.not_installed()
        request.check()
        answer = self._bold_script.answer(request.method, request.path)
        if answer is not None:
            return _give(answer)
        if self._bold is not None:
            return self._bold(request)
        raise UnscriptedRequest(
            f"TestHost: unscripted Bold API request `{request.method} {request.path}`; script it "
            f"with with_bold_response, with_bold_error or with_bold_api "
            f"(scripted: {self._bold_script!r})"
        )


# --- runners -----------------------------------------------------------------

_PASS = (UnscriptedRequest,)


def run_event(plugin: Any, event: Union[Event, str], host: Optional[TestHost] = None) -> List[Action]:
    """Runs `plugin.handle_event` as the component does (an `Event`, or a
    raw JSON body named by its `event` field) and checks the actions as
    the host would with `host.policy()`. Raises `HandlerError` for the
    handler's error, `Refusal` when the host would refuse the answer."""
    host = host if host is not None else TestHost()
    if isinstance(event, Event):
        name, body = event.name, event.body
    else:
        body = event
        name = adapter.guarded(lambda: Event.parse(body).name)
    actions = adapter.call_event(plugin, name, body, host, _PASS)
    check_actions(actions, host.policy())
    return actions


def run_override(plugin: Any, kind: str, body: str, host: Optional[TestHost] = None) -> str:
    """Runs `plugin.handle_override` as the component does and checks the
    answer as the host would (JSON, within the output limit)."""
    host = host if host is not None else TestHost()
    answer = adapter.call_override(plugin, kind, body, host, _PASS)
    check_override(answer, host.policy())
    return answer


def run_webhook(plugin: Any, topic: str, body: str, host: Optional[TestHost] = None) -> None:
    """Runs `plugin.handle_webhook` as the component does."""
    host = host if host is not None else TestHost()
    adapter.call_webhook(plugin, topic, body, host, _PASS)


def actions_json(actions: Iterable[Action]) -> List[Dict[str, Any]]:
    """Bold's wire form of the actions, for comparisons."""
    return [a.to_json() for a in actions]


__all__ = [
    "FIXTURES_DIR",
    "HandlerError",
    "LogRecord",
    "Policy",
    "Refusal",
    "TestHost",
    "UnscriptedRequest",
    "actions_json",
    "fixture",
    "fixture_json",
    "fixture_names",
    "fixture_with",
    "load_event",
    "run_event",
    "run_override",
    "run_webhook",
]
