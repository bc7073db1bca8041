"""Bold's example checkout plugin, in Python: the behaviour of the Rust
`plugins/example-checkout` (its doc comment), on `checkout_plugin_sdk`.

Behaviour
- `initialize_checkout` -> `override_inventory` with url
  `<public_url>/overrides/inventory`, then `add_note` with
  `"Plugin initialized order <order.public_order_id>"`. Only
  `order.public_order_id` is read (with `Event.pointer`).
- `order_submitted` whose `customer.shipping.country_code` is `US`
  (case-insensitive) -> `add_fee` {id `fee-1`, line_text `Cross-border
  shipping`, fee_type `fixed`, taxable, value 1500}; otherwise nothing.
- Any other event -> no actions.
- Override `inventory`: the body `{type, items: [{..., quantity}]}` comes
  back with each item given `available_quantity` = config `stock` (keys
  sorted, compact, as the Rust plugin writes it). Other override kinds ->
  unsupported.
- Webhook `orders` (Bold's order stream: `data.type` is `processed`,
  `created`, `fulfilled` or `failed`): logs the type at info (an unknown
  type at warn) and answers OK. Other topics -> unsupported.

Config
- `public_url`: where the host serves this plugin; default
  `http://localhost:8080/plugins/example-checkout` (the host hands it in).
- `stock`: the `available_quantity` the inventory override reports;
  default 100. A value that is not an integer fails the call.

This module imports the SDK only, never the generated bindings: it runs
under plain CPython in the tests. `app.py` exports it from the component.
"""

from __future__ import annotations

import json
from typing import List

from checkout_plugin_sdk import Action, CheckoutPlugin, Event, HandlerError, Host, Id, Level
from checkout_plugin_sdk.event import parse_json

# `public_url` when the host does not hand one in (as under `invoke`).
DEFAULT_PUBLIC_URL = "http://localhost:8080/plugins/example-checkout"
# `stock` when it is not configured.
DEFAULT_STOCK = 100
# The order stream's known `data.type` values.
ORDER_WEBHOOK_TYPES = ("processed", "created", "fulfilled", "failed")


class ExampleCheckout(CheckoutPlugin):
    """The plugin."""

    def handle_event(self, event: Event, host: Host) -> List[Action]:
        if event.name == "initialize_checkout":
            return initialize_checkout(event, host)
        if event.name == "order_submitted":
            return order_submitted(event)
        return []

    def handle_override(self, kind: str, body: str, host: Host) -> str:
        if kind == "inventory":
            return inventory(body, host)
        raise HandlerError.unsupported()

    def handle_webhook(self, topic: str, body: str, host: Host) -> None:
        if topic == "orders":
            return order_webhook(body, host)
        raise HandlerError.unsupported()


def initialize_checkout(event: Event, host: Host) -> List[Action]:
    public_url = host.config("public_url")
    if public_url is None:
        public_url = DEFAULT_PUBLIC_URL
    public_url = public_url.strip().rstrip("/")
    order_id = event.pointer("/order/public_order_id", Id.parse)
    return [
        Action.override_inventory(f"{public_url}/overrides/inventory"),
        Action.add_note(f"Plugin initialized order {order_id if order_id is not None else ''}"),
    ]


def order_submitted(event: Event) -> List[Action]:
    country = event.customer().shipping.country_code.strip()
    if country.isascii() and country.lower() == "us":
        return [Action.add_fee("fee-1", "Cross-border shipping", "fixed", True, 1500)]
    return []


def _json_body(body: str):
    try:
        return parse_json(body)
    except (ValueError, RecursionError) as e:
        raise HandlerError.invalid_input(f"body: {e}") from None


def inventory(body: str, host: Host) -> str:
    stock = host.config_or("stock", DEFAULT_STOCK)
    request = _json_body(body)
    if not isinstance(request, dict) or "items" not in request:
        raise HandlerError.invalid_input("items: missing")
    items = request["items"]
    if not isinstance(items, list):
        raise HandlerError.invalid_input("items: not a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise HandlerError.invalid_input(f"items[{i}]: not an object")
        item["available_quantity"] = stock
    return json.dumps(request, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def order_webhook(body: str, host: Host) -> None:
    data = _json_body(body)
    inner = data.get("data") if isinstance(data, dict) else None
    kind = inner.get("type") if isinstance(inner, dict) else None
    if not isinstance(kind, str):
        raise HandlerError.invalid_input("data.type: missing")
    if kind in ORDER_WEBHOOK_TYPES:
        host.log(Level.INFO, "order webhook", [("type", kind)])
    else:
        host.log(Level.WARN, "order webhook of unknown type", [("type", kind)])
