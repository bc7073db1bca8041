"""Typed, lenient views of the parts of a checkout event, with the fields of
the Rust SDK's `plugin_sdk::types`.

Every record here:
- accepts Bold's PHP-flavoured JSON (see `checkout_plugin_sdk.lenient`):
  `[]` or `null` where an object is expected is empty, lists may hold empty
  entries (`[[]]`) that are skipped, integers (money in cents) may arrive as
  numeric strings, text as numbers, `null` means "not set";
- defaults every missing field (text to `""`, numbers to `0`, ids and flags
  to `None`, objects and lists to empty), so a missing field is never an
  error;
- keeps the fields it does not name in `extra` (a dict), and gives them back
  in `to_json()`, so nothing Bold sent is lost.

Decode one with `Record.decode(value, path)` (`Event.cart()` etc. do it for
you); a value of the wrong shape raises `LenientError` naming its path.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import lenient
from .lenient import Id, LenientError


def _f(decode, default=None, *, factory=None, wire: Optional[str] = None, alias=()):
    """A record field read from JSON with `decode(value, path)`."""
    meta = {"decode": decode, "wire": wire, "alias": tuple(alias)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _text(**kw):
    return _f(lenient.text, "", **kw)


def _int(**kw):
    return _f(lenient.int_, 0, **kw)


def _flag(**kw):
    return _f(lenient.opt_flag, None, **kw)


def _id(**kw):
    return _f(Id.parse_opt, None, **kw)


def _map(**kw):
    return _f(lenient.map_, factory=dict, **kw)


def _obj(cls, **kw):
    return _f(cls.decode, factory=cls, **kw)


def _seq(cls=None, **kw):
    entry = cls.decode if cls is not None else None
    return _f(lambda v, p: lenient.seq(v, p, entry), factory=list, **kw)


def _extra():
    return field(default_factory=dict, compare=True, metadata={"extra": True})


def _to_json(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, Id):
        return value.to_json()
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


class Record:
    """Base of the lenient records: `decode` and `to_json`."""

    extra: Dict[str, Any]

    # JSON name -> (attribute, reader), for every name a field is read
    # from: computed once per class when this module is imported (in the
    # component, when it is built), not on each decode.
    _by_name: Dict[str, Tuple[str, Any]] = {}

    @classmethod
    def _prepare(cls) -> None:
        by_name = {}
        for f in dataclasses.fields(cls):
            if f.metadata.get("extra"):
                continue
            for name in (f.metadata.get("wire") or f.name,) + f.metadata.get("alias", ()):
                by_name[name] = (f.name, f.metadata["decode"])
        cls._by_name = by_name

    @classmethod
    def decode(cls, value: Any, path: str = "value"):
        """The record from a JSON value: an object, or `[]`/`null` for an
        empty one. Unknown keys go to `extra`; errors name the path."""
        data = value if type(value) is dict else lenient.obj(value, path)
        by_name = cls._by_name
        kwargs: Dict[str, Any] = {}
        extra: Dict[str, Any] = {}
        for key, item in data.items():
            entry = by_name.get(key)
            if entry is None:
                extra[key] = item
                continue
            try:
                kwargs[entry[0]] = entry[1](item, key)
            except LenientError as e:
                # The reader named `key`; prefix the way to it.
                raise LenientError(f"{path}.{e}") from None
        kwargs["extra"] = extra
        return cls(**kwargs)

    def to_json(self) -> Dict[str, Any]:
        """The record as JSON again: its fields (by their wire names), then
        `extra`."""
        out: Dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.metadata.get("extra"):
                continue
            out[f.metadata.get("wire") or f.name] = _to_json(getattr(self, f.name))
        out.update(_to_json(self.extra))
        return out


@dataclass
class Address(Record):
    """A postal address. Every text field is `""` when not set."""

    first_name: str = _text()
    last_name: str = _text()
    company: str = _text()
    address: str = _text()
    address2: str = _text()
    city: str = _text()
    province: str = _text()
    province_code: str = _text()
    country: str = _text()
    country_code: str = _text()
    postal_code: str = _text()
    phone: str = _text()
    extra: Dict[str, Any] = _extra()

    def is_empty(self) -> bool:
        """True when no field is set (Bold sent `[]`, `{}`, `null` or
        nothing)."""
        return self == Address()


@dataclass
class CoreInfo(Record):
    """A customer's identity and contact details (`core_info`)."""

    customer_id: Optional[Id] = _id()
    public_id: Optional[Id] = _id()
    first_name: str = _text()
    last_name: str = _text()
    email: str = _text()
    tags: str = _text()
    billing_type: str = _text()
    accepts_marketing: Optional[bool] = _flag()
    extra: Dict[str, Any] = _extra()


@dataclass
class Customer(Record):
    """The buyer (`customer` in the event body)."""

    core_info: CoreInfo = _obj(CoreInfo)
    shipping: Address = _obj(Address)
    billing: Address = _obj(Address)
    addresses: List[Address] = _seq(Address)
    extra: Dict[str, Any] = _extra()


@dataclass
class LineItem(Record):
    """One line of the cart. `price` is the unit price in cents."""

    id: Optional[Id] = _id()
    platform_id: Optional[Id] = _id()
    platform_variant_id: Optional[Id] = _id()
    platform_product_id: Optional[Id] = _id()
    line_item_key: str = _text()
    sku: str = _text()
    title: str = _text()
    variant_title: str = _text()
    quantity: int = _int()
    price: int = _int()
    weight: int = _int()
    requires_shipping: Optional[bool] = _flag()
    taxable: Optional[bool] = _flag()
    properties: Dict[str, Any] = _map()
    extra: Dict[str, Any] = _extra()

    def property(self, key: str) -> Optional[str]:
        """A line item property as text, if it is set to a string."""
        value = self.properties.get(key)
        return value if isinstance(value, str) else None


@dataclass
class Cart(Record):
    """The cart (`cart` in the event body). `subtotal` is in cents."""

    bold_cart_id: Optional[Id] = _id()
    cart_token: str = _text()
    public_token: str = _text()
    item_count: int = _int()
    total_weight: int = _int()
    subtotal: int = _int()
    requires_shipping: Optional[bool] = _flag()
    attributes: Dict[str, Any] = _map()
    line_items: List[LineItem] = _seq(LineItem)
    extra: Dict[str, Any] = _extra()

    def attribute(self, key: str) -> Optional[str]:
        """A cart attribute as text, if it is set to a string."""
        value = self.attributes.get(key)
        return value if isinstance(value, str) else None


@dataclass
class OrderCustomer(Record):
    """The customer record of an order (`order.customer`)."""

    id: Optional[Id] = _id()
    public_customer_id: Optional[Id] = _id()
    platform_customer_id: Optional[Id] = _id()
    core_info: CoreInfo = _obj(CoreInfo)
    shipping_address: Address = _obj(Address)
    billing_address: Address = _obj(Address)
    extra: Dict[str, Any] = _extra()


@dataclass
class Fee(Record):
    """A fee on the order (`order.fees[]`); `value` in cents. `lineText` on
    the wire (`line_text` also accepted)."""

    id: Optional[Id] = _id()
    value: int = _int()
    line_text: str = _text(wire="lineText", alias=("line_text",))
    tag: str = _text()
    taxable: Optional[bool] = _flag()
    extra: Dict[str, Any] = _extra()


@dataclass
class ShippingLine(Record):
    """A shipping line of the order (`order.shipping[]`); `value` and
    `price` in cents."""

    id: Optional[Id] = _id()
    name: str = _text()
    line_text: str = _text(wire="lineText", alias=("line_text",))
    value: int = _int()
    price: int = _int()
    source: str = _text()
    tag: str = _text()
    extra: Dict[str, Any] = _extra()


@dataclass
class Order(Record):
    """The order (`order` in the event body). `order_total` in cents."""

    public_order_id: str = _text()
    order_source: str = _text()
    order_source_name: str = _text()
    customer: OrderCustomer = _obj(OrderCustomer)
    currency: str = _text()
    exchange_rate: str = _text()
    order_total: int = _int()
    fees: List[Fee] = _seq(Fee)
    shipping: List[ShippingLine] = _seq(ShippingLine)
    note: str = _text()
    resumable_url: str = _text()
    extra: Dict[str, Any] = _extra()


for _cls in (Address, CoreInfo, Customer, LineItem, Cart, OrderCustomer, Fee, ShippingLine, Order):
    _cls._prepare()
del _cls

__all__ = [
    "Address",
    "Cart",
    "CoreInfo",
    "Customer",
    "Fee",
    "LenientError",
    "LineItem",
    "Order",
    "OrderCustomer",
    "Record",
    "ShippingLine",
]
