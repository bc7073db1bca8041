"""The host's checks of an answer, for native tests: the catalogue of Bold
actions (type, scope, fields) and the checks `plugin-host serve`/`invoke`
make, with the host's messages. A port of the Rust SDK's
`plugin_sdk::protocol` and `testing::check_actions`/`check_override`
(`guest-sdk/src/protocol/`), which the host itself uses.

    check_actions([Action.add_note("hi")], Policy(scopes={"modify_order"}))  # the response JSON
    check_actions([Action.generic("brand_new", {})], Policy())  # raises Refusal
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple

from .actions import Action

STR, INT, BOOL, STR_MAP, HIDDEN_SECTIONS, URL = (
    "a string",
    "an integer",
    "a boolean",
    "an object of strings",
    "{shipping_address: bool, saved_addresses: bool}",
    "an http(s) URL",
)

_ADDRESS = (
    ("first_name", STR),
    ("last_name", STR),
    ("company", STR),
    ("address", STR),
    ("address2", STR),
    ("phone", STR),
    ("city", STR),
    ("province", STR),
    ("province_code", STR),
    ("country", STR),
    ("country_code", STR),
    ("postal_code", STR),
    ("update_billing", BOOL),
    ("different_billing_address", BOOL),
)
_URL = (("url", URL),)

# name -> (scope, fields or None when Bold publishes none), in the host's order.
CATALOGUE: Dict[str, Tuple[str, Optional[Tuple[Tuple[str, str], ...]]]] = {
    "add_line_item_by_platform_variant": (
        "add_cart_item",
        (
            ("platform_variant_id", INT),
            ("line_item_key", STR),
            ("quantity", INT),
            ("properties", STR_MAP),
            ("price", INT),
            ("is_amendment", BOOL),
        ),
    ),
    "add_fee": (
        "add_fee",
        (
            ("id", STR),
            ("line_text", STR),
            ("fee_type", STR),
            ("taxable", BOOL),
            ("value", INT),
            ("is_amendment", BOOL),
        ),
    ),
    "add_note": ("modify_order", (("note", STR),)),
    "add_note_attribute": ("modify_order", None),
    "add_cart_params": ("modify_order", None),
    "add_line_item_property": ("modify_cart", None),
    "add_disallowed_line_item_properties": ("modify_cart", None),
    "add_tag": ("modify_order", None),
    "adjust_line_item_price": ("modify_cart", None),
    "discount_cart": ("modify_cart", None),
    "discount_line_items": ("modify_cart", None),
    "change_shipping_address": ("modify_shipping_address", _ADDRESS),
    "change_billing_address": ("modify_billing_address", _ADDRESS),
    "flag_order_as_bopis": (
        "modify_order",
        (("flag_order_as_bopis", BOOL), ("hidden_sections", HIDDEN_SECTIONS)),
    ),
    "add_shipping_lines_value": ("modify_shipping", None),
    "multiply_shipping_lines_value": ("modify_shipping", None),
    "delay_payment_capture": ("modify_order", None),
    "delay_platform_order": ("modify_order", None),
    "disable_order_confirmation_email": ("modify_order", None),
    "override_address_validate": ("provide_address_validation", _URL),
    "override_discount": ("provide_discounts", _URL),
    "override_inventory": ("provide_shipping_rates", _URL),
    "override_shipping": ("provide_shipping_rates", _URL),
    "override_tax": ("provide_taxes", _URL),
}

DEFAULT_OUTPUT_LIMIT = 256 * 1024


def known_action_types() -> List[str]:
    """Every action type the host knows."""
    return list(CATALOGUE)


def required_scope(action_type: str) -> Optional[str]:
    """The scope a known action type needs."""
    spec = CATALOGUE.get(action_type)
    return spec[0] if spec else None


@dataclass
class Policy:
    """What the host checks an answer against: the plugin's scopes (`None`:
    not scope-checked), the extra action types its manifest allows, its
    output limit in bytes."""

    scopes: Optional[FrozenSet[str]] = None
    extra_action_types: FrozenSet[str] = frozenset()
    output_limit: int = DEFAULT_OUTPUT_LIMIT

    def __post_init__(self) -> None:
        if self.scopes is not None:
            self.scopes = frozenset(self.scopes)
        self.extra_action_types = frozenset(self.extra_action_types)


class Refusal(AssertionError):
    """Why the host would refuse an answer: `kind` (`invalid_output` or
    `output_limit`), `reason` (the host's words) and `action`, the index of
    the action it is about, if any. `str()` is `<kind>: <reason>`."""

    def __init__(self, kind: str, reason: str, action: Optional[int] = None) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
        self.action = action


def compact(value: Any) -> str:
    """JSON text as the host writes it: compact, UTF-8, no NaN."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**64


def _kind_ok(kind: str, v: Any) -> bool:
    if kind == STR:
        return isinstance(v, str)
    if kind == INT:
        return _is_int(v)
    if kind == BOOL:
        return isinstance(v, bool)
    if kind == STR_MAP:
        return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
    if kind == HIDDEN_SECTIONS:
        return isinstance(v, dict) and all(
            isinstance(v.get(k), bool) for k in ("shipping_address", "saved_addresses")
        )
    if kind == URL:
        return isinstance(v, str) and (v.startswith("https://") or v.startswith("http://"))
    raise ValueError(kind)


def _is_type_name(name: str) -> bool:
    return (
        0 < len(name) <= 64
        and name.isascii()
        and all(c.islower() or c.isdigit() or c == "_" for c in name)
    )


def validate(wire: Dict[str, Any], policy: Policy) -> None:
    """Checks one action in Bold's wire form (`action.to_json()`); raises
    `Refusal` (`invalid_output`) with the host's message."""
    name = wire.get("type")
    data = wire.get("data")
    if not isinstance(name, str) or not _is_type_name(name):
        raise Refusal("invalid_output", f"action type {json.dumps(name)} is not a valid name")
    if not isinstance(data, dict):
        raise Refusal("invalid_output", f"action `{name}`: data is not a JSON object")
    spec = CATALOGUE.get(name)
    if spec is None and name not in policy.extra_action_types:
        raise Refusal(
            "invalid_output",
            f"action `{name}` is not a known Bold action "
            "(allow it in the manifest's `extra_action_types`)",
        )
    if spec is not None and spec[1] is not None:
        for fname, kind in spec[1]:
            if fname not in data:
                raise Refusal("invalid_output", f"action `{name}`: `{fname}` is missing")
            if not _kind_ok(kind, data[fname]):
                raise Refusal("invalid_output", f"action `{name}`: `{fname}` must be {kind}")
    if policy.scopes is not None:
        needed = spec[0] if spec else name
        if needed not in policy.scopes:
            raise Refusal(
                "invalid_output",
                f"action `{name}` needs scope `{needed}`, which the plugin was not granted",
            )


def _check_size(length: int, limit: int) -> None:
    if length > limit:
        raise Refusal(
            "output_limit", f"answer of at least {length} bytes is over the limit of {limit} bytes"
        )


def _host_wire(action: Action, index: int) -> Dict[str, Any]:
    """The action as the host sees it: a generic one crosses the boundary
    as its type and its data as JSON text, which the host parses."""
    if not isinstance(action, Action):
        raise Refusal(
            "invalid_output", f"actions[{index}] is a {type(action).__name__}, not an Action", index
        )
    wire = action.to_json()
    if action.case == "generic":
        try:
            wire["data"] = json.loads(compact(wire["data"]))
        except (TypeError, ValueError) as e:
            raise Refusal(
                "invalid_output", f"action `{action.type_name}`: data is not JSON ({e})", index
            ) from None
        wire["type"] = wire["type"].lower()
    return wire


def check_actions(actions: Iterable[Action], policy: Optional[Policy] = None) -> str:
    """Checks a handler's actions as the host does and returns the Checkout
    response it would send (`{"success":true,"actions":[...]}`); raises
    `Refusal` when the host would refuse the answer."""
    policy = policy or Policy()
    wire = [_host_wire(a, i) for i, a in enumerate(actions)]
    for i, w in enumerate(wire):
        try:
            validate(w, policy)
        except Refusal as r:
            r.action = i
            raise
    body = compact({"success": True, "actions": wire})
    _check_size(len(body.encode("utf-8")), policy.output_limit)
    return body


def check_override(answer: str, policy: Optional[Policy] = None) -> None:
    """Checks an override answer as the host does: within the output limit
    and JSON."""
    policy = policy or Policy()
    if not isinstance(answer, str):
        raise Refusal("invalid_output", f"override answer is a {type(answer).__name__}, not a str")
    _check_size(len(answer.encode("utf-8")), policy.output_limit)
    try:
        json.loads(answer)
    except ValueError as e:
        raise Refusal("invalid_output", f"override answer is not JSON ({e})") from None
