"""The actions a handler asks Checkout to perform; mirrors the WIT `action`
variant and the Rust SDK's `Action`.

Build one with a constructor:

    Action.add_note("Thanks!")
    Action.add_fee("fee-1", "Cross-border shipping", "fixed", True, 1500)
    Action.override_inventory("https://plugins.example.com/p/x/overrides/inventory")
    Action.generic("add_cart_params", {"cart_params": {"k": "v"}})

Money is an integer amount of cents (`1500` is 15.00); the constructors
accept an `int` or a string of one (`"1500"`) and refuse anything else
(`15.0` included) with a `TypeError`, so a mistake fails in a test, not in
the sandbox. `action.to_json()` is Bold's wire form `{"type": ..., "data":
...}`; `checkout_plugin_sdk.protocol.validate` checks it as the host does.

Every action type the host knows, its scope and its fields:
`guest-sdk/src/action/catalogue.md` (the same catalogue as the Rust SDK's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .lenient import I64_MAX, I64_MIN

# The WIT variant cases, in the WIT's order, and Bold's type name of each
# typed one.
TYPED = (
    "add_line_item_by_platform_variant",
    "add_fee",
    "add_note",
    "change_shipping_address",
    "change_billing_address",
    "flag_order_as_bopis",
    "override_address_validate",
    "override_discount",
    "override_inventory",
    "override_shipping",
    "override_tax",
)
GENERIC = "generic"
URL_CASES = (
    "override_address_validate",
    "override_discount",
    "override_inventory",
    "override_shipping",
    "override_tax",
)


def s64(value: Any, what: str) -> int:
    """`value` as a WIT `s64`: an int (not a bool) or a string of one."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer, not a bool")
    if isinstance(value, str):
        t = value.strip()
        if t and t.isascii() and "_" not in t:
            try:
                value = int(t, 10)
            except ValueError:
                pass
    if not isinstance(value, int):
        raise TypeError(
            f"{what} must be an integer (money in cents: 1500 is 15.00), got {value!r}"
        )
    if not I64_MIN <= value <= I64_MAX:
        raise TypeError(f"{what} is out of the 64-bit range: {value}")
    return value


def string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


def boolean(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be a bool, got {value!r}")
    return value


@dataclass(frozen=True)
class AddLineItem:
    """Data of `add_line_item_by_platform_variant`."""

    platform_variant_id: int
    line_item_key: str
    quantity: int
    price: int
    properties: Tuple[Tuple[str, str], ...] = ()
    is_amendment: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "platform_variant_id", s64(self.platform_variant_id, "platform_variant_id"))
        string(self.line_item_key, "line_item_key")
        object.__setattr__(self, "quantity", s64(self.quantity, "quantity"))
        object.__setattr__(self, "price", s64(self.price, "price"))
        props = self.properties.items() if isinstance(self.properties, dict) else self.properties
        pairs = []
        for pair in props:
            k, v = pair
            pairs.append((string(k, "property name"), string(v, f"property {k!r}")))
        object.__setattr__(self, "properties", tuple(pairs))
        boolean(self.is_amendment, "is_amendment")


@dataclass(frozen=True)
class AddFee:
    """Data of `add_fee`; `value` in cents."""

    id: str
    line_text: str
    fee_type: str
    taxable: bool
    value: int
    is_amendment: bool = False

    def __post_init__(self) -> None:
        string(self.id, "id")
        string(self.line_text, "line_text")
        string(self.fee_type, "fee_type")
        boolean(self.taxable, "taxable")
        object.__setattr__(self, "value", s64(self.value, "value"))
        boolean(self.is_amendment, "is_amendment")


_ADDRESS_TEXT = (
    "first_name",
    "last_name",
    "company",
    "address",
    "address2",
    "phone",
    "city",
    "province",
    "province_code",
    "country",
    "country_code",
    "postal_code",
)


@dataclass(frozen=True)
class AddressChange:
    """Data of `change_shipping_address` / `change_billing_address`.
    `AddressChange.from_address(customer.shipping)` copies an event's
    address."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address: str = ""
    address2: str = ""
    phone: str = ""
    city: str = ""
    province: str = ""
    province_code: str = ""
    country: str = ""
    country_code: str = ""
    postal_code: str = ""
    update_billing: bool = False
    different_billing_address: bool = False

    def __post_init__(self) -> None:
        for name in _ADDRESS_TEXT:
            string(getattr(self, name), name)
        boolean(self.update_billing, "update_billing")
        boolean(self.different_billing_address, "different_billing_address")

    @classmethod
    def from_address(cls, address: Any, **changes: Any) -> "AddressChange":
        """The text fields of an `Address` (or any object with them), then
        `changes`."""
        values = {name: getattr(address, name, "") for name in _ADDRESS_TEXT}
        values.update(changes)
        return cls(**values)


@dataclass(frozen=True)
class FlagOrderAsBopis:
    """Data of `flag_order_as_bopis`."""

    flag_order_as_bopis: bool
    hide_shipping_address: bool
    hide_saved_addresses: bool

    def __post_init__(self) -> None:
        boolean(self.flag_order_as_bopis, "flag_order_as_bopis")
        boolean(self.hide_shipping_address, "hide_shipping_address")
        boolean(self.hide_saved_addresses, "hide_saved_addresses")


Value = Union[AddLineItem, AddFee, AddressChange, FlagOrderAsBopis, str, Dict[str, Any]]


@dataclass(frozen=True)
class Action:
    """One action for Checkout: `case` is the WIT variant case (Bold's type
    name for a typed action, `"generic"` otherwise) and `value` its payload
    (a data class, a note or URL string, or for `generic` the data dict with
    `generic_type`). Build them with the constructors below."""

    case: str
    value: Any
    generic_type: Optional[str] = None

    # --- constructors, one per WIT case -----------------------------------

    @staticmethod
    def add_line_item_by_platform_variant(
        platform_variant_id: Union[int, str],
        line_item_key: str,
        quantity: Union[int, str],
        price: Union[int, str],
        *,
        properties: Union[Dict[str, str], Iterable[Tuple[str, str]]] = (),
        is_amendment: bool = False,
    ) -> "Action":
        """`add_line_item_by_platform_variant` (scope `add_cart_item`):
        `price` is the unit price in cents."""
        return Action(
            "add_line_item_by_platform_variant",
            AddLineItem(platform_variant_id, line_item_key, quantity, price, properties, is_amendment),
        )

    @staticmethod
    def add_fee(
        id: str,
        line_text: str,
        fee_type: str,
        taxable: bool,
        value: Union[int, str],
        *,
        is_amendment: bool = False,
    ) -> "Action":
        """`add_fee` (scope `add_fee`): `value` in cents."""
        return Action("add_fee", AddFee(id, line_text, fee_type, taxable, value, is_amendment))

    @staticmethod
    def add_note(note: str) -> "Action":
        """`add_note` (scope `modify_order`): set the order note."""
        return Action("add_note", string(note, "note"))

    @staticmethod
    def change_shipping_address(address: AddressChange) -> "Action":
        """`change_shipping_address` (scope `modify_shipping_address`)."""
        return Action("change_shipping_address", _address(address))

    @staticmethod
    def change_billing_address(address: AddressChange) -> "Action":
        """`change_billing_address` (scope `modify_billing_address`)."""
        return Action("change_billing_address", _address(address))

    @staticmethod
    def flag_order_as_bopis(
        flag_order_as_bopis: bool, hide_shipping_address: bool, hide_saved_addresses: bool
    ) -> "Action":
        """`flag_order_as_bopis` (scope `modify_order`): buy online, pick up
        in store."""
        return Action(
            "flag_order_as_bopis",
            FlagOrderAsBopis(flag_order_as_bopis, hide_shipping_address, hide_saved_addresses),
        )

    @staticmethod
    def override_address_validate(url: str) -> "Action":
        """`override_address_validate` (scope `provide_address_validation`)."""
        return Action("override_address_validate", string(url, "url"))

    @staticmethod
    def override_discount(url: str) -> "Action":
        """`override_discount` (scope `provide_discounts`)."""
        return Action("override_discount", string(url, "url"))

    @staticmethod
    def override_inventory(url: str) -> "Action":
        """`override_inventory` (scope `provide_shipping_rates`): Checkout
        calls this URL for stock levels."""
        return Action("override_inventory", string(url, "url"))

    @staticmethod
    def override_shipping(url: str) -> "Action":
        """`override_shipping` (scope `provide_shipping_rates`)."""
        return Action("override_shipping", string(url, "url"))

    @staticmethod
    def override_tax(url: str) -> "Action":
        """`override_tax` (scope `provide_taxes`)."""
        return Action("override_tax", string(url, "url"))

    @staticmethod
    def generic(action_type: str, data: Dict[str, Any]) -> "Action":
        """Any action by its Bold type name (lowercased here, as the host
        does) and its `data` object: for the actions whose fields Bold does
        not publish (`add_note_attribute`, `add_cart_params`,
        `discount_cart`, ...), and for types Bold adds before the SDK knows
        them (allowed by the manifest's `extra_action_types`). The data must
        be JSON-serialisable; the host checks type, scope and, for the
        published types, the fields."""
        return Action(GENERIC, data, string(action_type, "action type").lower())

    # --- Bold's wire form ---------------------------------------------------

    @property
    def type_name(self) -> str:
        """Bold's type name, e.g. `add_fee`."""
        return self.generic_type if self.case == GENERIC else self.case

    def data_json(self) -> Any:
        """The action's `data` object, as Bold expects it."""
        v = self.value
        if self.case == "add_line_item_by_platform_variant":
            return {
                "platform_variant_id": v.platform_variant_id,
                "line_item_key": v.line_item_key,
                "quantity": v.quantity,
                "properties": dict(v.properties),
                "price": v.price,
                "is_amendment": v.is_amendment,
            }
        if self.case == "add_fee":
            return {
                "id": v.id,
                "line_text": v.line_text,
                "fee_type": v.fee_type,
                "taxable": v.taxable,
                "value": v.value,
                "is_amendment": v.is_amendment,
            }
        if self.case == "add_note":
            return {"note": v}
        if self.case in ("change_shipping_address", "change_billing_address"):
            data = {name: getattr(v, name) for name in _ADDRESS_TEXT}
            data["update_billing"] = v.update_billing
            data["different_billing_address"] = v.different_billing_address
            return data
        if self.case == "flag_order_as_bopis":
            return {
                "flag_order_as_bopis": v.flag_order_as_bopis,
                "hidden_sections": {
                    "shipping_address": v.hide_shipping_address,
                    "saved_addresses": v.hide_saved_addresses,
                },
            }
        if self.case in URL_CASES:
            return {"url": v}
        return v

    def to_json(self) -> Dict[str, Any]:
        """Bold's wire shape: `{"type": "<lowercase type>", "data": {...}}`."""
        return {"type": self.type_name, "data": self.data_json()}


def _address(address: Any) -> AddressChange:
    if not isinstance(address, AddressChange):
        raise TypeError(
            "an address action takes an AddressChange (AddressChange.from_address(...)), "
            f"got {type(address).__name__}"
        )
    return address


def actions_to_response(actions: List[Action]) -> Dict[str, Any]:
    """The Checkout response for these actions: `{"success": true,
    "actions": [...]}`."""
    return {"success": True, "actions": [a.to_json() for a in actions]}
