"""The Python example-checkout, natively: the Rust plugin's tests, in Python.

Run from plugins/example-checkout-py with the SDK on the path:
    PYTHONPATH=src:../../guest-sdk-py python -m unittest
"""

import json
import unittest

from checkout_plugin_sdk import Action, HandlerError, Level
from checkout_plugin_sdk.testing import (
    TestHost,
    actions_json,
    fixture,
    fixture_names,
    fixture_with,
    run_event,
    run_override,
    run_webhook,
)
from example_checkout import ORDER_WEBHOOK_TYPES, ExampleCheckout

ORDER_ID = "lakjfoihiuh223u82989vhsinvd0s9f8"
# The scopes examples/example-checkout-py/plugin.toml declares: the host
# refuses an answer with an action outside them.
MANIFEST_SCOPES = ["provide_shipping_rates", "modify_order", "add_fee"]

PLUGIN = ExampleCheckout()


def run(event):
    """Runs the handler, its answer checked as the host checks it with the
    example manifest."""
    return run_event(PLUGIN, event, TestHost().with_scopes(MANIFEST_SCOPES))


class InitializeCheckout(unittest.TestCase):
    def test_registers_inventory_override_and_note(self):
        self.assertEqual(
            actions_json(run(fixture("initialize_checkout"))),
            [
                {"type": "override_inventory",
                 "data": {"url": "http://localhost:8080/plugins/example-checkout/overrides/inventory"}},
                {"type": "add_note", "data": {"note": f"Plugin initialized order {ORDER_ID}"}},
            ],
        )

    def test_uses_public_url_config(self):
        for url in ("https://plugins.example.com/p/x", "https://plugins.example.com/p/x/"):
            host = TestHost().with_config("public_url", url)
            actions = run_event(PLUGIN, fixture("initialize_checkout"), host)
            self.assertEqual(actions[0], Action.override_inventory("https://plugins.example.com/p/x/overrides/inventory"))

    def test_tolerates_missing_or_odd_order(self):
        def no_order(b):
            del b["order"]

        def php_order(b):
            b["order"] = []

        def numeric_id(b):
            b["order"]["public_order_id"] = 42

        self.assertEqual(run(fixture_with("initialize_checkout", no_order))[1], Action.add_note("Plugin initialized order "))
        self.assertEqual(run(fixture_with("initialize_checkout", php_order))[1], Action.add_note("Plugin initialized order "))
        self.assertEqual(run(fixture_with("initialize_checkout", numeric_id))[1], Action.add_note("Plugin initialized order 42"))

    def test_does_not_read_the_cart(self):
        def bad_cart(b):
            b["cart"] = "not a cart"

        self.assertEqual(len(run(fixture_with("initialize_checkout", bad_cart))), 2)


class OrderSubmitted(unittest.TestCase):
    def test_us_adds_cross_border_fee(self):
        self.assertEqual(
            actions_json(run(fixture("order_submitted_us"))),
            [{"type": "add_fee", "data": {
                "id": "fee-1", "line_text": "Cross-border shipping", "fee_type": "fixed",
                "taxable": True, "value": 1500, "is_amendment": False}}],
        )

    def test_us_in_any_case_and_spacing(self):
        def lower(b):
            b["customer"]["shipping"]["country_code"] = " us "

        self.assertEqual(len(run(fixture_with("order_submitted_us", lower))), 1)

    def test_elsewhere_adds_nothing(self):
        for shipping in ({"country_code": "CA"}, [], None, {}):
            def edit(b, shipping=shipping):
                b["customer"]["shipping"] = shipping

            self.assertEqual(run(fixture_with("order_submitted_us", edit)), [])

        def no_customer(b):
            b["customer"] = []

        self.assertEqual(run(fixture_with("order_submitted_us", no_customer)), [])

    def test_bad_customer_is_invalid_input(self):
        def edit(b):
            b["customer"] = 7

        with self.assertRaises(HandlerError) as caught:
            run_event(PLUGIN, fixture_with("order_submitted_us", edit), TestHost())
        self.assertEqual(caught.exception.kind, "invalid_input")
        self.assertTrue(caught.exception.message.startswith("customer: "), caught.exception.message)


class OtherEvents(unittest.TestCase):
    def test_get_no_actions(self):
        self.assertEqual(run(fixture("app_hook")), [])

        def unknown(b):
            b["event"] = "order_changed"

        self.assertEqual(run(fixture_with("app_hook", unknown)), [])
        for name in fixture_names():
            run(fixture(name))


class InventoryOverride(unittest.TestCase):
    def test_answers_available_quantity(self):
        body = {"type": "inventory", "items": [
            {"platform_variant_id": 9153875214378, "sku": "MUG-RED", "quantity": 2},
            {"platform_variant_id": "9153875214379", "quantity": 1},
        ]}
        answer = run_override(PLUGIN, "inventory", json.dumps(body), TestHost().with_config("stock", "5"))
        self.assertEqual(json.loads(answer), {"type": "inventory", "items": [
            {"platform_variant_id": 9153875214378, "sku": "MUG-RED", "quantity": 2, "available_quantity": 5},
            {"platform_variant_id": "9153875214379", "quantity": 1, "available_quantity": 5},
        ]})

    def test_the_answer_is_written_as_the_rust_plugin_writes_it(self):
        # serde_json without `preserve_order`: compact, keys sorted.
        answer = run_override(PLUGIN, "inventory", '{"type": "inventory", "items": [{"quantity": 1, "b": 2}]}', TestHost())
        self.assertEqual(answer, '{"items":[{"available_quantity":100,"b":2,"quantity":1}],"type":"inventory"}')

    def test_defaults_and_errors(self):
        host = TestHost()
        answer = run_override(PLUGIN, "inventory", '{"type":"x","items":[{"quantity":1}]}', host)
        self.assertIn('"available_quantity":100', answer)
        self.assertEqual(run_override(PLUGIN, "inventory", '{"items":[]}', host), '{"items":[]}')
        for bad in ("", "[]", '{"items": {}}', '{"items": null}', '{"type": "x"}', '{"items": [1]}'):
            with self.assertRaises(HandlerError, msg=bad) as caught:
                run_override(PLUGIN, "inventory", bad, host)
            self.assertEqual(caught.exception.kind, "invalid_input", bad)
        with self.assertRaises(HandlerError) as caught:
            run_override(PLUGIN, "inventory", '{"items":[]}', TestHost().with_config("stock", "many"))
        # The Rust plugin's words exactly.
        self.assertEqual(caught.exception, HandlerError.failed(
            'config `stock`: invalid value "many": invalid digit found in string'))

    def test_other_overrides_are_unsupported(self):
        with self.assertRaises(HandlerError) as caught:
            run_override(PLUGIN, "shipping", "{}", TestHost())
        self.assertEqual(caught.exception, HandlerError.unsupported())


class OrdersWebhook(unittest.TestCase):
    def test_logs_the_type(self):
        for kind in ORDER_WEBHOOK_TYPES:
            host = TestHost()
            run_webhook(PLUGIN, "orders", json.dumps({"data": {"type": kind, "id": 1}}), host)
            self.assertEqual(len(host.logs), 1)
            self.assertEqual(host.logs[0].level, Level.INFO)
            self.assertEqual(host.logs[0].fields, [("type", kind)])
        host = TestHost()
        run_webhook(PLUGIN, "orders", '{"data":{"type":"refunded"}}', host)
        self.assertEqual(host.logs[0].level, Level.WARN)
        self.assertEqual(host.logs[0].message, "order webhook of unknown type")

    def test_errors(self):
        with self.assertRaises(HandlerError) as caught:
            run_webhook(PLUGIN, "products", "{}", TestHost())
        self.assertEqual(caught.exception, HandlerError.unsupported())
        for bad in ("", "{}", '{"data": {"type": 1}}', '{"data": []}'):
            with self.assertRaises(HandlerError, msg=bad) as caught:
                run_webhook(PLUGIN, "orders", bad, TestHost())
            self.assertEqual(caught.exception.kind, "invalid_input")


class Exceptions(unittest.TestCase):
    def test_an_exception_becomes_failed(self):
        # A host whose config raises (say, a bug): the component answers
        # `failed: <Type>: <message>`, it does not trap.
        class BrokenHost(TestHost):
            def config(self, key):
                raise RuntimeError(f"config {key} is broken")

        with self.assertRaises(HandlerError) as caught:
            run_event(PLUGIN, fixture("initialize_checkout"), BrokenHost())
        self.assertEqual(caught.exception, HandlerError.failed("RuntimeError: config public_url is broken"))
        self.assertIsInstance(caught.exception.__cause__, RuntimeError)
        with self.assertRaises(HandlerError) as caught:
            run_override(PLUGIN, "inventory", '{"items":[]}', BrokenHost())
        self.assertEqual(caught.exception, HandlerError.failed("RuntimeError: config stock is broken"))


if __name__ == "__main__":
    unittest.main()
