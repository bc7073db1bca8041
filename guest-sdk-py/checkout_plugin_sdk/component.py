"""The component side: the WIT imports behind `Host` (`WasmHost`) and the
world's exports from a handler object (`export`).

Import this module only from the component's entry module (the `app` given
to `componentize-py componentize`), never from a handler module: it imports
the bindings `componentize-py` generates for world `checkout-plugin`
(`wit_world`, `componentize_py_types`), which do not exist under plain
CPython. A whole entry module:

    from checkout_plugin_sdk.component import export
    from my_plugin import MyPlugin

    WitWorld = export(MyPlugin())

componentize-py looks the class `WitWorld` up in the entry module and
calls its methods for the exports. Everything is imported when the
component is built (componentize-py pre-initialises it): a module that is
only imported inside a function at run time is not there.

How componentize-py 0.25 maps a `result<T, handler-error>` export: the
method returns `T`, and raises `componentize_py_types.Err(e)` (that exact
class) with `e` one of the generated `HandlerError_*` cases for the error;
any other exception escaping the method makes the runtime panic, which
traps the sandbox. So every method here catches everything the handler
raises, and everything converting its answer raises, and raises `Err`
(runtime/src/lib.rs of componentize-py, the `ReturnStyle::Result` case).
"""

from __future__ import annotations

import traceback
from typing import Any, Iterable, List, Optional, Tuple

from componentize_py_types import Err
from wit_world.imports import bold_api as wit_bold
from wit_world.imports import config as wit_config
from wit_world.imports import log as wit_log
from wit_world.imports import outbound_http as wit_http
from wit_world.imports import shop as wit_shop
from wit_world.imports import types as wit

from . import adapter
from .actions import URL_CASES, Action, boolean, s64, string
from .errors import INVALID_INPUT, UNSUPPORTED, HandlerError
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
from .protocol import compact

_LEVELS = {
    Level.TRACE: wit_log.Level.TRACE,
    Level.DEBUG: wit_log.Level.DEBUG,
    Level.INFO: wit_log.Level.INFO,
    Level.WARN: wit_log.Level.WARN,
    Level.ERROR: wit_log.Level.ERROR,
}

_HTTP_ERRORS = {
    wit_http.Error_NotAllowed: "not_allowed",
    wit_http.Error_InvalidRequest: "invalid_request",
    wit_http.Error_Timeout: "timeout",
    wit_http.Error_ResponseTooLarge: "response_too_large",
    wit_http.Error_TooManyRequests: "too_many_requests",
    wit_http.Error_Connection: "connection",
}

_BOLD_ERRORS = {
    wit_bold.Error_NoShop: "no_shop",
    wit_bold.Error_NotInstalled: "not_installed",
    wit_bold.Error_InvalidRequest: "invalid_request",
    wit_bold.Error_Timeout: "timeout",
    wit_bold.Error_ResponseTooLarge: "response_too_large",
    wit_bold.Error_TooManyRequests: "too_many_requests",
    wit_bold.Error_Connection: "connection",
}


def _pairs(pairs: Iterable[Tuple[Any, Any]], what: str) -> List[Tuple[str, str]]:
    return [(_text(k, what), _text(v, what)) for k, v in pairs]


def _text(value: Any, what: str) -> str:
    """A str the canonical ABI can carry (UTF-8: no lone surrogates)."""
    string(value, what)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{what} is not valid Unicode (a lone surrogate)") from None
    return value


def _response(response: Any) -> HttpResponse:
    return HttpResponse(response.status, list(response.headers), bytes(response.body))


def _error_of(err: Err, table: dict, cls: type) -> Exception:
    value = err.value
    kind = table.get(type(value))
    if kind is None:
        return cls("connection", f"unknown error {value!r}")
    return cls(kind, getattr(value, "value", "") or "")


class WasmHost(Host):
    """The host as seen from inside the component: the WIT imports `config`,
    `log`, `outbound-http`, `shop` and `bold-api`."""

    def config(self, key: str) -> Optional[str]:
        return wit_config.get(key)

    def config_all(self) -> List[Tuple[str, str]]:
        return list(wit_config.all())

    def log(self, level: Level, message: str, fields: Iterable[Tuple[str, str]] = ()) -> None:
        try:
            wit_level = _LEVELS[level] if isinstance(level, Level) else _LEVELS[Level(level)]
            wit_log.log(wit_level, _text(message, "log message"), _pairs(fields, "log field"))
        except (ValueError, TypeError, KeyError) as e:
            # Logging never fails: log what was wrong instead.
            wit_log.log(wit_log.Level.WARN, f"unloggable record: {e}", [])

    def http(self, request: HttpRequest) -> HttpResponse:
        try:
            wit_request = wit_http.Request(
                _text(request.method, "method"),
                _text(request.url, "url"),
                _pairs(request.headers, "header"),
                bytes(request.body),
            )
        except (TypeError, ValueError) as e:
            raise HttpError.invalid_request(str(e)) from None
        try:
            return _response(wit_http.send(wit_request))
        except Err as e:
            raise _error_of(e, _HTTP_ERRORS, HttpError) from None

    def shop(self) -> Optional[Shop]:
        info = wit_shop.current()
        if info is None:
            return None
        return Shop(info.platform, info.shop, info.installed, list(info.scopes))

    def bold_api(self, request: BoldApiRequest) -> HttpResponse:
        try:
            wit_request = wit_bold.Request(
                _text(request.method, "method"),
                _text(request.path, "path"),
                _pairs(request.headers, "header"),
                bytes(request.body),
            )
        except (TypeError, ValueError) as e:
            raise BoldApiError.invalid_request(str(e)) from None
        try:
            return _response(wit_bold.send(wit_request))
        except Err as e:
            raise _error_of(e, _BOLD_ERRORS, BoldApiError) from None


def to_wit_error(error: HandlerError) -> Any:
    """The WIT `handler-error` case for a `HandlerError`."""
    if error.kind == UNSUPPORTED:
        return wit.HandlerError_Unsupported()
    message = error.message
    try:
        message = _text(message, "message")
    except (TypeError, ValueError):
        message = str(message).encode("utf-8", "replace").decode("utf-8")
    if error.kind == INVALID_INPUT:
        return wit.HandlerError_InvalidInput(message)
    return wit.HandlerError_Failed(message)


def _address(a: Any) -> Any:
    return wit.AddressChange(
        _text(a.first_name, "first_name"),
        _text(a.last_name, "last_name"),
        _text(a.company, "company"),
        _text(a.address, "address"),
        _text(a.address2, "address2"),
        _text(a.phone, "phone"),
        _text(a.city, "city"),
        _text(a.province, "province"),
        _text(a.province_code, "province_code"),
        _text(a.country, "country"),
        _text(a.country_code, "country_code"),
        _text(a.postal_code, "postal_code"),
        boolean(a.update_billing, "update_billing"),
        boolean(a.different_billing_address, "different_billing_address"),
    )


_URL_WRAPPERS = {
    "override_address_validate": wit.Action_OverrideAddressValidate,
    "override_discount": wit.Action_OverrideDiscount,
    "override_inventory": wit.Action_OverrideInventory,
    "override_shipping": wit.Action_OverrideShipping,
    "override_tax": wit.Action_OverrideTax,
}


def to_wit_action(action: Action) -> Any:
    """The WIT `action` for an `Action`, every field checked for the type
    the canonical ABI needs (a wrong one would trap when lowered)."""
    case, v = action.case, action.value
    if case == "add_line_item_by_platform_variant":
        return wit.Action_AddLineItemByPlatformVariant(
            wit.AddLineItemByPlatformVariant(
                s64(v.platform_variant_id, "platform_variant_id"),
                _text(v.line_item_key, "line_item_key"),
                s64(v.quantity, "quantity"),
                _pairs(v.properties, "property"),
                s64(v.price, "price"),
                boolean(v.is_amendment, "is_amendment"),
            )
        )
    if case == "add_fee":
        return wit.Action_AddFee(
            wit.AddFee(
                _text(v.id, "id"),
                _text(v.line_text, "line_text"),
                _text(v.fee_type, "fee_type"),
                boolean(v.taxable, "taxable"),
                s64(v.value, "value"),
                boolean(v.is_amendment, "is_amendment"),
            )
        )
    if case == "add_note":
        return wit.Action_AddNote(_text(v, "note"))
    if case == "change_shipping_address":
        return wit.Action_ChangeShippingAddress(_address(v))
    if case == "change_billing_address":
        return wit.Action_ChangeBillingAddress(_address(v))
    if case == "flag_order_as_bopis":
        return wit.Action_FlagOrderAsBopis(
            wit.FlagOrderAsBopis(
                boolean(v.flag_order_as_bopis, "flag_order_as_bopis"),
                boolean(v.hide_shipping_address, "hide_shipping_address"),
                boolean(v.hide_saved_addresses, "hide_saved_addresses"),
            )
        )
    if case in URL_CASES:
        return _URL_WRAPPERS[case](_text(v, "url"))
    if case == "generic":
        return wit.Action_Generic(
            wit.GenericAction(_text(action.generic_type, "action type"), _text(compact(v), "data"))
        )
    raise ValueError(f"unknown action case {case!r}")


def to_wit_actions(actions: List[Action]) -> List[Any]:
    out = []
    for i, action in enumerate(actions):
        try:
            out.append(to_wit_action(action))
        except Exception as e:
            raise HandlerError.failed(
                f"action [{i}] `{action.type_name}`: {adapter.describe_exception(e)}"
            ) from e
    return out


def _report(host: Host, exc: BaseException) -> None:
    """Logs the traceback of an exception that was not a HandlerError."""
    if isinstance(exc, HandlerError) and exc.__cause__ is None:
        return
    cause = exc.__cause__ if isinstance(exc, HandlerError) else exc
    if cause is None or isinstance(cause, HandlerError):
        return
    try:
        text = "".join(traceback.format_exception(type(cause), cause, cause.__traceback__))
        host.log(Level.ERROR, "handler raised", [("traceback", text[-4000:])])
    except BaseException:
        pass


def export(plugin: Any, host: Optional[Host] = None) -> type:
    """The class componentize-py calls for the exports of world
    `checkout-plugin`, running `plugin`'s methods with `WasmHost` (or
    `host`). Assign it to `WitWorld` in the entry module."""
    the_host = host if host is not None else WasmHost()

    def fail(exc: BaseException) -> Err:
        _report(the_host, exc)
        try:
            return Err(to_wit_error(adapter.to_handler_error(exc)))
        except BaseException:
            return Err(wit.HandlerError_Failed("the handler's error could not be reported"))

    class WitWorld:
        def handle_event(self, event: Any) -> List[Any]:
            try:
                actions = adapter.call_event(plugin, event.name, event.body, the_host)
                return to_wit_actions(actions)
            except BaseException as e:
                raise fail(e) from None

        def handle_override(self, kind: str, body: str) -> str:
            try:
                answer = adapter.call_override(plugin, kind, body, the_host)
                return _text(answer, "override answer")
            except BaseException as e:
                raise fail(e) from None

        def handle_webhook(self, topic: str, body: str) -> None:
            try:
                adapter.call_webhook(plugin, topic, body, the_host)
                return None
            except BaseException as e:
                raise fail(e) from None

    WitWorld.__qualname__ = WitWorld.__name__ = "WitWorld"
    return WitWorld
