import unittest

from checkout_plugin_sdk import Event, HandlerError, Id, InvalidInput
from checkout_plugin_sdk import lenient
from checkout_plugin_sdk.testing import fixture, fixture_names, fixture_with


class Events(unittest.TestCase):
    def test_parse_names_the_event_from_the_body(self):
        event = Event.parse('{"event": "order_submitted", "cart": {"line_items": [[]]}, "order_id": "145"}')
        self.assertEqual(event.name, "order_submitted")
        self.assertEqual(event.cart().line_items, [])
        self.assertTrue(event.customer().shipping.is_empty())
        self.assertEqual(event.order_id(), 145)
        self.assertEqual(event.order_id().as_int(), 145)
        self.assertEqual(event.keys(), ["event", "cart", "order_id"])

    def test_the_name_given_wins(self):
        event = Event("initialize_checkout", '{"event": "something_else"}')
        self.assertEqual(event.name, "initialize_checkout")

    def test_a_body_that_is_not_an_object_is_invalid_input(self):
        for body in ("", "[]", "7", "{", '{"a": NaN}'):
            with self.assertRaises(InvalidInput, msg=body) as caught:
                Event("x", body)
            self.assertTrue(caught.exception.message.startswith("body: "), caught.exception.message)
        with self.assertRaises(InvalidInput):
            Event.parse("{}")
        with self.assertRaises(InvalidInput):
            Event.parse('{"event": 7}')

    def test_accessors_are_lenient_and_name_the_key(self):
        event = Event.parse('{"event": "x", "customer": 7, "cart_params": [], "properties": {"hook": "h"}}')
        with self.assertRaises(HandlerError) as caught:
            event.customer()
        self.assertEqual(caught.exception.kind, "invalid_input")
        self.assertTrue(caught.exception.message.startswith("customer: "), caught.exception.message)
        self.assertEqual(event.cart_params(), {})
        self.assertEqual(event.hook(), "h")
        self.assertEqual(event.order().public_order_id, "")
        self.assertIsNone(event.order_id())
        self.assertIsNone(event.language_iso())
        self.assertEqual(event.shipping_lines(), [])

    def test_accessors_cache_their_part(self):
        event = fixture("order_submitted_us")
        self.assertIs(event.cart(), event.cart())

    def test_pointer(self):
        event = Event.parse(
            '{"event": "x", "order": {"public_order_id": "abc", "customer": [], "n": null},'
            ' "list": [{"sku": "A"}, {"sku": "B"}], "a/b": {"~": 1}}'
        )
        self.assertEqual(event.pointer("/order/public_order_id"), "abc")
        self.assertEqual(event.pointer("/order/public_order_id", Id.parse), Id("abc"))
        self.assertIsNone(event.pointer("/order/customer/id"))
        self.assertIsNone(event.pointer("/order/n"))
        self.assertIsNone(event.pointer("/order/missing/deeper"))
        self.assertEqual(event.pointer("/list/1/sku"), "B")
        self.assertIsNone(event.pointer("/list/01/sku"))
        self.assertIsNone(event.pointer("/list/2"))
        self.assertIsNone(event.pointer("/list/-"))
        self.assertEqual(event.pointer("/a~1b/~0"), 1)
        self.assertEqual(event.pointer("")["event"], "x")
        with self.assertRaises(InvalidInput):
            event.pointer("order")
        with self.assertRaisesRegex(InvalidInput, r"/list/0: expected an integer"):
            event.pointer("/list/0", lenient.int_)

    def test_field(self):
        event = Event.parse('{"event": "x", "shop": {"id": 7}, "n": "12"}')
        self.assertEqual(event.field("shop")["id"], 7)
        self.assertIsNone(event.field("nothing"))
        self.assertEqual(event.field("n", lenient.int_), 12)

    def test_every_fixture_reads(self):
        self.assertEqual(fixture_names(), ["app_hook", "initialize_checkout", "order_submitted_us"])
        for name in fixture_names():
            event = fixture(name)
            event.cart(), event.customer(), event.order(), event.cart_params(), event.properties()
            event.order_id(), event.shipping_lines(), event.tax_lines(), event.discount_lines()
        self.assertEqual(fixture("initialize_checkout").pointer("/order/public_order_id"),
                         "lakjfoihiuh223u82989vhsinvd0s9f8")
        self.assertEqual(fixture("order_submitted_us").customer().shipping.country_code, "US")
        self.assertEqual(fixture("app_hook").hook(), "apply_loyalty_discount")

    def test_fixture_with(self):
        def edit(body):
            body["customer"]["shipping"] = []

        event = fixture_with("order_submitted_us", edit)
        self.assertTrue(event.customer().shipping.is_empty())
        with self.assertRaises(KeyError):
            fixture("nope")

    def test_repr_hides_the_body(self):
        self.assertNotIn("McBoldstein", repr(fixture("order_submitted_us")))


if __name__ == "__main__":
    unittest.main()
