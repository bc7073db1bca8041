import unittest

from checkout_plugin_sdk import Address, Cart, Customer, Id, LenientError, Order
from checkout_plugin_sdk import lenient


class LenientReaders(unittest.TestCase):
    def test_objects_accept_php_empty_arrays_and_null(self):
        self.assertEqual(lenient.obj([]), {})
        self.assertEqual(lenient.obj(None), {})
        self.assertEqual(lenient.obj({"a": 1}), {"a": 1})
        for bad in ([1], 7, "x", True):
            with self.assertRaises(LenientError):
                lenient.obj(bad, "customer")
        with self.assertRaisesRegex(LenientError, r"^customer: expected an object .*got integer `7`"):
            lenient.obj(7, "customer")

    def test_maps_accept_php_lists(self):
        self.assertEqual(lenient.map_([]), {})
        self.assertEqual(lenient.map_(None), {})
        self.assertEqual(lenient.map_(["a", "b"]), {"0": "a", "1": "b"})
        with self.assertRaises(LenientError):
            lenient.map_("x")

    def test_lists_skip_empty_entries(self):
        self.assertEqual(lenient.seq([[]]), [])
        self.assertEqual(lenient.seq([[], {}, None, {"a": 1}, 0, ""]), [{"a": 1}, 0, ""])
        self.assertEqual(lenient.seq(None), [])
        self.assertEqual(lenient.seq({"x": {"a": 1}, "y": []}), [{"a": 1}])
        with self.assertRaisesRegex(LenientError, r"^lines: expected a list"):
            lenient.seq("x", "lines")

    def test_integers_from_numbers_and_numeric_strings(self):
        cases = {
            1500: 1500, "1500": 1500, " 15 ": 15, "-3": -3, "+4": 4, "1500.0": 1500,
            15.0: 15, None: None, "": None, "  ": None, 9153875214378: 9153875214378,
        }
        for given, expected in cases.items():
            self.assertEqual(lenient.opt_int(given), expected, repr(given))
        self.assertEqual(lenient.int_(None), 0)
        self.assertEqual(lenient.int_(""), 0)
        for bad in (True, 1.5, "1.5", "abc", "1_000", "inf", "nan", [], {}, 2**63, "\u0661"):
            with self.assertRaises(LenientError, msg=repr(bad)):
                lenient.opt_int(bad)

    def test_text_from_strings_numbers_and_booleans(self):
        self.assertEqual(lenient.text("x"), "x")
        self.assertEqual(lenient.text(42), "42")
        self.assertEqual(lenient.text(1.5), "1.5")
        self.assertEqual(lenient.text(2.0), "2")
        self.assertEqual(lenient.text(1e20), "100000000000000000000")
        self.assertEqual(lenient.text(1.5e-7), "0.00000015")
        self.assertEqual(lenient.text(True), "true")
        self.assertEqual(lenient.text(None), "")
        self.assertIsNone(lenient.opt_text(None))
        with self.assertRaises(LenientError):
            lenient.text({})

    def test_flags(self):
        for given in (True, 1, 2.5, "true", " YES ", "on", "1"):
            self.assertIs(lenient.opt_flag(given), True, repr(given))
        for given in (False, 0, 0.0, "false", "No", "off", "0"):
            self.assertIs(lenient.opt_flag(given), False, repr(given))
        self.assertIsNone(lenient.opt_flag(None))
        self.assertIsNone(lenient.opt_flag(""))
        with self.assertRaises(LenientError):
            lenient.opt_flag("maybe")


class Ids(unittest.TestCase):
    def test_ids_keep_their_form_and_compare_both_ways(self):
        n = Id.parse(9153875214378)
        s = Id.parse("9153875214378")
        self.assertEqual(n, 9153875214378)
        self.assertEqual(s, 9153875214378)
        self.assertEqual(s, "9153875214378")
        self.assertEqual(n, "9153875214378")
        self.assertNotEqual(n, s)  # different forms, as in Rust
        self.assertEqual(str(n), "9153875214378")
        self.assertEqual(s.as_int(), 9153875214378)
        self.assertIsNone(Id("abc").as_int())
        self.assertEqual(Id("abc").as_str(), "abc")
        self.assertIsNone(n.as_str())
        self.assertEqual(n.to_json(), 9153875214378)

    def test_odd_ids(self):
        self.assertEqual(Id.parse(42.0).value, 42)
        self.assertEqual(Id.parse(2**64).value, str(2**64))
        self.assertIsNone(Id.parse_opt(None))
        for bad in (True, None, [], {}):
            with self.assertRaises(LenientError):
                Id.parse(bad)


class Records(unittest.TestCase):
    def test_defaults_when_missing(self):
        cart = Cart.decode({})
        self.assertEqual((cart.subtotal, cart.line_items, cart.attributes), (0, [], {}))
        self.assertIsNone(cart.bold_cart_id)
        self.assertIsNone(cart.requires_shipping)
        self.assertEqual(Cart.decode([]), Cart())
        self.assertEqual(Cart.decode(None), Cart())

    def test_php_flavoured_cart(self):
        cart = Cart.decode(
            {
                "bold_cart_id": "145",
                "subtotal": "2468",
                "attributes": [],
                "requires_shipping": "1",
                "line_items": [[], {"sku": 7, "price": "1234", "quantity": None, "properties": [],
                                    "platform_variant_id": 9153875214378, "color": "red"}],
                "unknown": {"kept": True},
            },
            "cart",
        )
        self.assertEqual(cart.subtotal, 2468)
        self.assertEqual(cart.bold_cart_id, 145)
        self.assertIs(cart.requires_shipping, True)
        self.assertEqual(len(cart.line_items), 1)
        item = cart.line_items[0]
        self.assertEqual((item.sku, item.price, item.quantity), ("7", 1234, 0))
        self.assertEqual(item.platform_variant_id, 9153875214378)
        self.assertEqual(item.extra, {"color": "red"})
        self.assertEqual(cart.extra, {"unknown": {"kept": True}})
        back = cart.to_json()
        self.assertEqual(back["unknown"], {"kept": True})
        self.assertEqual(back["line_items"][0]["color"], "red")
        self.assertEqual(back["bold_cart_id"], "145")

    def test_errors_name_the_path(self):
        with self.assertRaisesRegex(LenientError, r"^cart\.line_items\[1\]\.price: expected an integer"):
            Cart.decode({"line_items": [[], {"price": "cheap"}]}, "cart")
        with self.assertRaisesRegex(LenientError, r"^customer\.shipping: expected an object"):
            Customer.decode({"shipping": "x"}, "customer")

    def test_fee_line_text_on_the_wire_and_alias(self):
        order = Order.decode({"fees": [{"lineText": "Gift", "value": "150"}, {"line_text": "Other"}]})
        self.assertEqual([f.line_text for f in order.fees], ["Gift", "Other"])
        self.assertEqual(order.fees[0].value, 150)
        self.assertEqual(order.fees[0].to_json()["lineText"], "Gift")

    def test_empty_address(self):
        self.assertTrue(Address.decode([]).is_empty())
        self.assertTrue(Address.decode({}).is_empty())
        self.assertFalse(Address.decode({"city": "Winnipeg"}).is_empty())
        self.assertFalse(Address.decode({"unknown": 1}).is_empty())


if __name__ == "__main__":
    unittest.main()
