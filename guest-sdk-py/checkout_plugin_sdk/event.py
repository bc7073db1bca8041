"""One checkout event: its name and the JSON body Bold sent."""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, TypeVar

from . import lenient
from .errors import HandlerError
from .lenient import Id, LenientError
from .model import Cart, Customer, Order

T = TypeVar("T")

_MISSING = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_json(text: str) -> Any:
    """`json.loads` as strict as the host's JSON (no `NaN`/`Infinity`)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    return _DECODER.decode(text)


class Event:
    """One checkout event: `name` (e.g. `initialize_checkout`,
    `order_submitted`, `app_hook`; unknown names are delivered like known
    ones) and `body`, the raw JSON text Bold sent.

    The body is parsed once, when the event is made: a body that is not a
    JSON object raises `InvalidInput` (in the component, the handler is not
    called). Each accessor reads its part leniently on first use and keeps
    it: a missing key or `null` is the empty value (an empty cart, no order
    id); a value of the wrong shape raises `HandlerError.invalid_input`
    naming it (`customer: expected an object (or [] or null for an empty
    one), got integer 7`). Let it propagate: the handler answers
    `invalid-input`.

        event = Event.parse('{"event": "order_submitted", "cart": {"line_items": [[]]}}')
        event.name                       # 'order_submitted'
        event.cart().line_items          # []
        event.customer().shipping.is_empty()   # True (missing)
    """

    def __init__(self, name: str, body: str) -> None:
        self.name = name
        self.body = body
        try:
            data = parse_json(body)
        except (ValueError, RecursionError) as e:
            raise HandlerError.invalid_input(f"body: {e}") from None
        if not isinstance(data, dict):
            raise HandlerError.invalid_input(
                f"body: expected a JSON object, got {lenient.describe(data)}"
            )
        self._data: Dict[str, Any] = data
        self._cache: Dict[str, Any] = {}

    @classmethod
    def parse(cls, body: str) -> "Event":
        """An event named by the body's `event` field (as `plugin-host
        invoke` and the fixtures name it)."""
        event = cls("", body)
        name = event._data.get("event", _MISSING)
        if name is _MISSING:
            raise HandlerError.invalid_input("event: missing")
        if not isinstance(name, str):
            raise HandlerError.invalid_input(
                f"event: expected a string, got {lenient.describe(name)}"
            )
        event.name = name
        return event

    @classmethod
    def from_json(cls, body: Dict[str, Any]) -> "Event":
        """`Event.parse` of a body given as a dict."""
        return cls.parse(json.dumps(body))

    def __repr__(self) -> str:
        # The body may hold personal data: show its size and keys only.
        return f"Event(name={self.name!r}, body_len={len(self.body)}, keys={self.keys()!r})"

    # --- raw access -------------------------------------------------------

    @property
    def data(self) -> Dict[str, Any]:
        """The whole body, as `json.loads` gives it (do not modify it)."""
        return self._data

    def keys(self) -> List[str]:
        """The top-level keys of the body, in order."""
        return list(self._data)

    def field(self, key: str, read: Optional[Callable[[Any, str], T]] = None) -> Any:
        """A top-level value, as JSON gives it or read with `read(value,
        path)` (e.g. `lenient.int_`, `Id.parse`); `None` when the key is
        missing."""
        if key not in self._data:
            return None
        return self._read(key, self._data[key], read)

    def pointer(self, pointer: str, read: Optional[Callable[[Any, str], T]] = None) -> Any:
        """The value at a JSON pointer (RFC 6901, e.g.
        `/order/public_order_id` or `/cart/line_items/0/sku`; `~1` is `/`,
        `~0` is `~`), as JSON gives it or read with `read(value, path)`.

        `None` when a step is missing, when a step meets a value that is not
        an object or a list (Bold's `[]` included), and when the value is
        `null`.

            event.pointer("/order/public_order_id", Id.parse)   # Id('abc') or None
        """
        value: Any = self._data
        if pointer:
            if not pointer.startswith("/"):
                raise HandlerError.invalid_input(
                    f"{pointer}: a JSON pointer starts with '/'"
                )
            for segment in pointer[1:].split("/"):
                segment = segment.replace("~1", "/").replace("~0", "~")
                if isinstance(value, dict):
                    if segment not in value:
                        return None
                    value = value[segment]
                elif isinstance(value, list):
                    # RFC 6901: an index is `0` or digits without a leading zero.
                    if not (
                        segment == "0"
                        or (segment.isascii() and segment.isdigit() and not segment.startswith("0"))
                    ):
                        return None
                    index = int(segment)
                    if index >= len(value):
                        return None
                    value = value[index]
                else:
                    return None
        if value is None:
            return None
        return self._read(pointer, value, read)

    @staticmethod
    def _read(path: str, value: Any, read: Optional[Callable[[Any, str], T]]) -> Any:
        if read is None:
            return value
        try:
            return read(value, path)
        except LenientError as e:
            raise HandlerError.invalid_input(str(e)) from None

    def _cached(self, key: str, read: Callable[[Any, str], T]) -> T:
        if key not in self._cache:
            self._cache[key] = self._read(key, self._data.get(key), read)
        return self._cache[key]

    # --- Bold's parts -----------------------------------------------------

    def cart(self) -> Cart:
        """The cart (`cart`); empty when missing."""
        return self._cached("cart", Cart.decode)

    def customer(self) -> Customer:
        """The customer (`customer`); empty when missing."""
        return self._cached("customer", Customer.decode)

    def order(self) -> Order:
        """The order (`order`); empty when missing."""
        return self._cached("order", Order.decode)

    def cart_params(self) -> Dict[str, Any]:
        """The cart parameters plugins set earlier (`cart_params`); empty
        when missing or `[]`."""
        return self._cached("cart_params", lenient.map_)

    def properties(self) -> Dict[str, Any]:
        """The event's properties (`properties`), e.g. `hook` for
        `app_hook`."""
        return self._cached("properties", lenient.map_)

    def hook(self) -> Optional[str]:
        """For `app_hook`: the hook's name (`properties.hook`), if it is a
        string."""
        hook = self.properties().get("hook")
        return hook if isinstance(hook, str) else None

    def order_id(self) -> Optional[Id]:
        """Bold's order id (`order_id`), a number or a string."""
        return self._cached("order_id", Id.parse_opt)

    def idempotent_key(self) -> Optional[str]:
        """The idempotency key of the event (`idempotent_key`), if set."""
        return self._cached("idempotent_key", lenient.opt_text)

    def language_iso(self) -> Optional[str]:
        """The buyer's language (`language_iso`), e.g. `fr`, if set."""
        return self._cached("language_iso", lenient.opt_text)

    def shipping_lines(self) -> List[Any]:
        """The shipping lines (`shipping_lines`), as JSON; empty entries are
        skipped."""
        return self._cached("shipping_lines", lenient.seq)

    def tax_lines(self) -> List[Any]:
        """The tax lines (`tax_lines`), as JSON; empty entries are
        skipped."""
        return self._cached("tax_lines", lenient.seq)

    def discount_lines(self) -> List[Any]:
        """The discount lines (`discount_lines`), as JSON; empty entries
        are skipped."""
        return self._cached("discount_lines", lenient.seq)
