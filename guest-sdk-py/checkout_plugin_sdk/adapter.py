"""From a handler object to the world's three exports, without the
bindings: what `checkout_plugin_sdk.component` (in the component) and
`checkout_plugin_sdk.testing` (in native tests) both run.

A handler is any object with some of these methods (`CheckoutPlugin` has
all three, answering `unsupported`):

    handle_event(event: Event, host: Host) -> list[Action]
    handle_override(kind: str, body: str, host: Host) -> str
    handle_webhook(topic: str, body: str, host: Host) -> None

Each `call_*` function runs one and either returns its checked answer or
raises `HandlerError`, never anything else: a `HandlerError` raised by the
handler is passed on as it is, an uncaught `HttpError` or `BoldApiError`
becomes the Rust SDK's error for it (`failed: outbound HTTP: ...`, `Bold
API: ...`), and any other exception becomes `failed: <Type>: <message>`
(e.g. `failed: ZeroDivisionError: division by zero`). An answer of the
wrong type (not a list of `Action`, an override answer that is not a str)
is `failed` too. The component turns the `HandlerError` into the WIT
`handler-error`: a handler never makes the sandbox trap.
"""

from __future__ import annotations

from typing import Any, Callable, List, Tuple, TypeVar

from .actions import Action
from .errors import HandlerError
from .event import Event
from .host import BoldApiError, Host, HttpError

T = TypeVar("T")


class CheckoutPlugin:
    """A base class for handlers: every call is `unsupported` until
    overridden."""

    def handle_event(self, event: Event, host: Host) -> List[Action]:
        """Handles one checkout event; returns the actions to apply, in
        order (possibly none)."""
        raise HandlerError.unsupported()

    def handle_override(self, kind: str, body: str, host: Host) -> str:
        """Answers an override call (`kind`, e.g. `inventory`) with JSON
        text returned to Checkout as is."""
        raise HandlerError.unsupported()

    def handle_webhook(self, topic: str, body: str, host: Host) -> None:
        """Handles a plugin webhook (`topic`, e.g. `orders`)."""
        raise HandlerError.unsupported()


def describe_exception(exc: BaseException) -> str:
    """`<Type>: <message>` (just `<Type>` when the message is empty), as the
    last line of a Python traceback says it."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the error
        text = ""
    return f"{name}: {text}" if text else name


def to_handler_error(exc: BaseException) -> HandlerError:
    """The `HandlerError` an exception escaping a handler stands for."""
    if isinstance(exc, HandlerError):
        return exc
    try:
        if isinstance(exc, HttpError):
            return exc.to_handler_error()
        if isinstance(exc, BoldApiError):
            return exc.to_handler_error()
    except Exception:
        pass
    return HandlerError.failed(describe_exception(exc))


def _method(plugin: Any, name: str) -> Callable[..., Any]:
    method = getattr(plugin, name, None)
    if method is None:
        raise HandlerError.unsupported()
    return method


def expect_actions(value: Any) -> List[Action]:
    """The handler's answer as a list of `Action`; `failed` otherwise."""
    if value is None:
        raise HandlerError.failed("handle_event returned None, not a list of Action")
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise HandlerError.failed(
            f"handle_event returned a {type(value).__name__}, not a list of Action"
        )
    actions = list(value)
    for i, action in enumerate(actions):
        if not isinstance(action, Action):
            raise HandlerError.failed(
                f"handle_event returned a {type(action).__name__} at [{i}], not an Action"
            )
    return actions


def expect_text(value: Any) -> str:
    """The override answer as a str; `failed` otherwise."""
    if not isinstance(value, str):
        raise HandlerError.failed(
            f"handle_override returned a {type(value).__name__}, not a str (JSON text)"
        )
    return value


def guarded(run: Callable[[], T], passthrough: Tuple[type, ...] = ()) -> T:
    """`run()`, with every exception (but those of `passthrough`) turned
    into its `HandlerError`."""
    try:
        return run()
    except passthrough:
        raise
    except HandlerError:
        raise
    except BaseException as e:  # noqa: B902 - a handler must never trap
        raise to_handler_error(e) from e


def call_event(
    plugin: Any, name: str, body: str, host: Host, passthrough: Tuple[type, ...] = ()
) -> List[Action]:
    """`handle-event`: the event (a body that is not a JSON object is
    `invalid-input`), the handler, its actions checked for type."""

    def run() -> List[Action]:
        event = Event(name, body)
        return expect_actions(_method(plugin, "handle_event")(event, host))

    return guarded(run, passthrough)


def call_override(
    plugin: Any, kind: str, body: str, host: Host, passthrough: Tuple[type, ...] = ()
) -> str:
    """`handle-override`: the handler's answer, checked to be a str."""
    return guarded(lambda: expect_text(_method(plugin, "handle_override")(kind, body, host)), passthrough)


def call_webhook(
    plugin: Any, topic: str, body: str, host: Host, passthrough: Tuple[type, ...] = ()
) -> None:
    """`handle-webhook`: the handler's return value is ignored."""
    guarded(lambda: _method(plugin, "handle_webhook")(topic, body, host), passthrough)
    return None
