"""The component side (`checkout_plugin_sdk.component`) against the bindings
componentize-py generates for world `checkout-plugin`, under CPython: the
imports are replaced by fakes, the exports are called as the runtime calls
them.

Needs the generated bindings: set CHECKOUT_PLUGIN_SDK_BINDINGS to a
directory made by `componentize-py -d wit -w checkout-plugin bindings DIR`
(`scripts/build-py-guests.sh` does); skipped otherwise.
"""

import os
import sys
import unittest

from checkout_plugin_sdk import Action, AddressChange, CheckoutPlugin, HandlerError, Level, Shop
from checkout_plugin_sdk.host import BoldApiError, HttpError, HttpRequest
from checkout_plugin_sdk.testing import fixture_json

BINDINGS = os.environ.get("CHECKOUT_PLUGIN_SDK_BINDINGS")
component = wit = Err = None


def setUpModule():
    global component, wit, Err, wit_config, wit_log, wit_http, wit_shop, wit_bold
    if not BINDINGS:
        raise unittest.SkipTest("CHECKOUT_PLUGIN_SDK_BINDINGS is not set (no generated bindings)")
    sys.path.insert(0, os.path.abspath(BINDINGS))
    from checkout_plugin_sdk import component as c
    from componentize_py_types import Err as E
    from wit_world.imports import bold_api, config, log, outbound_http, shop, types

    component, wit, Err = c, types, E
    wit_config, wit_log, wit_http, wit_shop, wit_bold = config, log, outbound_http, shop, bold_api


class Patch:
    """Replaces attributes for the duration of a test."""

    def __init__(self, test):
        self.saved = []
        test.addCleanup(self.restore)

    def set(self, obj, name, value):
        self.saved.append((obj, name, getattr(obj, name)))
        setattr(obj, name, value)

    def restore(self):
        for obj, name, value in reversed(self.saved):
            setattr(obj, name, value)


class Plugin(CheckoutPlugin):
    def __init__(self, event=None, override=None, webhook=None):
        self.event, self.override, self.webhook = event, override, webhook

    @staticmethod
    def _do(what, host):
        if isinstance(what, BaseException):
            raise what
        return what(host) if callable(what) else what

    def handle_event(self, event, host):
        return self._do(self.event, host)

    def handle_override(self, kind, body, host):
        return self._do(self.override, host)

    def handle_webhook(self, topic, body, host):
        return self._do(self.webhook, host)


class Exports(unittest.TestCase):
    def setUp(self):
        self.logged = []
        patch = Patch(self)
        patch.set(wit_log, "log", lambda level, message, fields: self.logged.append((level, message, fields)))
        patch.set(wit_config, "get", lambda key: {"stock": "5"}.get(key))
        patch.set(wit_config, "all", lambda: [("stock", "5")])

    def world(self, **kw):
        return component.export(Plugin(**kw))()

    def event(self):
        return wit.Event("initialize_checkout", fixture_json("initialize_checkout"))

    def err(self, call):
        with self.assertRaises(Err) as caught:
            call()
        self.assertIs(type(caught.exception), Err)  # the runtime wants this exact class
        return caught.exception.value

    def test_every_action_lowers_to_its_wit_case(self):
        address = AddressChange(first_name="Ada", city="Winnipeg", update_billing=True)
        actions = [
            Action.add_line_item_by_platform_variant(9153875214378, "k", 2, 500, properties={"a": "b"}),
            Action.add_fee("fee-1", "Handling", "fixed", True, 250),
            Action.add_note("hi"),
            Action.change_shipping_address(address),
            Action.change_billing_address(address),
            Action.flag_order_as_bopis(True, False, True),
            Action.override_address_validate("https://x/a"),
            Action.override_discount("https://x/d"),
            Action.override_inventory("https://x/i"),
            Action.override_shipping("https://x/s"),
            Action.override_tax("https://x/t"),
            Action.generic("ADD_TAG", {"tag": "vip", "n": 1}),
        ]
        out = self.world(event=actions).handle_event(self.event())
        self.assertEqual(
            [type(a).__name__ for a in out],
            ["Action_AddLineItemByPlatformVariant", "Action_AddFee", "Action_AddNote",
             "Action_ChangeShippingAddress", "Action_ChangeBillingAddress", "Action_FlagOrderAsBopis",
             "Action_OverrideAddressValidate", "Action_OverrideDiscount", "Action_OverrideInventory",
             "Action_OverrideShipping", "Action_OverrideTax", "Action_Generic"],
        )
        self.assertEqual(out[0].value, wit.AddLineItemByPlatformVariant(9153875214378, "k", 2, [("a", "b")], 500, False))
        self.assertEqual(out[1].value, wit.AddFee("fee-1", "Handling", "fixed", True, 250, False))
        self.assertEqual(out[2].value, "hi")
        self.assertEqual(out[3].value.first_name, "Ada")
        self.assertIs(out[3].value.update_billing, True)
        self.assertEqual(out[5].value, wit.FlagOrderAsBopis(True, False, True))
        self.assertEqual(out[8].value, "https://x/i")
        self.assertEqual(out[11].value, wit.GenericAction("add_tag", '{"tag":"vip","n":1}'))

    def test_handler_errors_become_their_wit_case(self):
        cases = [
            (HandlerError.unsupported(), wit.HandlerError_Unsupported()),
            (HandlerError.invalid_input("items: missing"), wit.HandlerError_InvalidInput("items: missing")),
            (HandlerError.failed("nope"), wit.HandlerError_Failed("nope")),
            (ZeroDivisionError("division by zero"), wit.HandlerError_Failed("ZeroDivisionError: division by zero")),
            (SystemExit(1), wit.HandlerError_Failed("SystemExit: 1")),
            (HttpError.timeout(), wit.HandlerError_Failed("outbound HTTP: timeout")),
        ]
        for exc, expected in cases:
            world = self.world(event=exc, override=exc, webhook=exc)
            self.assertEqual(self.err(lambda: world.handle_event(self.event())), expected)
            self.assertEqual(self.err(lambda: world.handle_override("inventory", "{}")), expected)
            self.assertEqual(self.err(lambda: world.handle_webhook("orders", "{}")), expected)

    def test_an_exception_is_logged_with_its_traceback(self):
        world = self.world(event=ZeroDivisionError("division by zero"))
        self.err(lambda: world.handle_event(self.event()))
        level, message, fields = self.logged[-1]
        self.assertEqual((level, message), (wit_log.Level.ERROR, "handler raised"))
        self.assertIn("ZeroDivisionError: division by zero", dict(fields)["traceback"])

    def test_answers_that_would_trap_when_lowered_are_failed(self):
        bad_fee = Action("add_fee", object())
        for actions, text in (
            ([Action.add_note("\ud800")], "not valid Unicode"),
            ([bad_fee], "action [0] `add_fee`"),
            ([Action.generic("x", {"a": {1, 2}})], "set is not JSON serializable"),
            ([Action.generic("x", {"a": float("nan")})], "ValueError"),
            ("not a list", "not a list of Action"),
        ):
            value = self.err(lambda: self.world(event=actions).handle_event(self.event()))
            self.assertIsInstance(value, wit.HandlerError_Failed, actions)
            self.assertIn(text, value.value)
        value = self.err(lambda: self.world(override="\udfff").handle_override("x", "{}"))
        self.assertIsInstance(value, wit.HandlerError_Failed)
        value = self.err(lambda: self.world(override=7).handle_override("x", "{}"))
        self.assertIn("not a str", value.value)

    def test_a_bad_body_is_invalid_input(self):
        value = self.err(lambda: self.world(event=[]).handle_event(wit.Event("x", "[]")))
        self.assertIsInstance(value, wit.HandlerError_InvalidInput)

    def test_a_message_with_a_lone_surrogate_still_crosses(self):
        value = self.err(lambda: self.world(event=HandlerError.failed("bad \ud800")).handle_event(self.event()))
        self.assertIsInstance(value, wit.HandlerError_Failed)
        value.value.encode("utf-8")

    def test_webhook_answers_none(self):
        self.assertIsNone(self.world(webhook="ignored").handle_webhook("orders", "{}"))


class WasmHost(unittest.TestCase):
    def setUp(self):
        self.patch = Patch(self)
        self.logged = []
        self.patch.set(wit_log, "log", lambda level, message, fields: self.logged.append((level, message, fields)))
        self.host = component.WasmHost()

    def test_config_and_log(self):
        self.patch.set(wit_config, "get", lambda key: {"stock": "5"}.get(key))
        self.patch.set(wit_config, "all", lambda: [("stock", "5")])
        self.assertEqual(self.host.config_or("stock", 100), 5)
        self.assertEqual(self.host.config_all(), [("stock", "5")])
        self.host.info("order webhook", type="processed")
        self.host.log(Level.WARN, "x", [("k", 1)])  # a non-str field: logged as a warning, not raised
        self.assertEqual(self.logged[0], (wit_log.Level.INFO, "order webhook", [("type", "processed")]))
        self.assertEqual(self.logged[1][0], wit_log.Level.WARN)
        self.assertIn("unloggable", self.logged[1][1])

    def test_http(self):
        sent = []

        def send(request):
            sent.append(request)
            if request.url.endswith("/slow"):
                raise Err(wit_http.Error_Timeout())
            if request.url.endswith("/nope"):
                raise Err(wit_http.Error_NotAllowed("nope.example"))
            return wit_http.Response(200, [("content-type", "application/json")], b'{"rate": 990}')

        self.patch.set(wit_http, "send", send)
        self.assertEqual(self.host.get_json("https://rates.example/quote"), {"rate": 990})
        self.assertEqual(sent[0], wit_http.Request("GET", "https://rates.example/quote", [("accept", "application/json")], b""))
        with self.assertRaises(HttpError) as caught:
            self.host.get("https://rates.example/slow")
        self.assertEqual(caught.exception, HttpError.timeout())
        with self.assertRaises(HttpError) as caught:
            self.host.http(HttpRequest.get("https://rates.example/nope"))
        self.assertEqual(caught.exception, HttpError.not_allowed("nope.example"))

    def test_shop_and_bold_api(self):
        self.patch.set(wit_shop, "current", lambda: None)
        self.assertIsNone(self.host.shop())
        self.patch.set(wit_shop, "current", lambda: wit_shop.ShopInfo("shopify", "s.myshopify.com", True, ["add_fee"]))
        self.assertEqual(self.host.shop(), Shop("shopify", "s.myshopify.com", True, ["add_fee"]))

        def send(request):
            if request.path == "orders/none":
                raise Err(wit_bold.Error_NotInstalled())
            return wit_http.Response(201, [], b"")

        self.patch.set(wit_bold, "send", send)
        self.assertEqual(self.host.bold_send_json("POST", "orders/a/discounts", {"code": "X"}).status, 201)
        with self.assertRaises(BoldApiError) as caught:
            self.host.bold_get("orders/none")
        self.assertEqual(caught.exception, BoldApiError.not_installed())


if __name__ == "__main__":
    unittest.main()
