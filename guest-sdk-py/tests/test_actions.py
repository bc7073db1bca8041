import unittest

from checkout_plugin_sdk import Action, Address, AddressChange, actions_to_response
from checkout_plugin_sdk.protocol import Policy, Refusal, check_actions, check_override, known_action_types, required_scope


class Constructors(unittest.TestCase):
    def test_wire_forms_match_the_rust_sdk(self):
        self.assertEqual(Action.add_note("Thanks!").to_json(), {"type": "add_note", "data": {"note": "Thanks!"}})
        self.assertEqual(
            Action.add_fee("fee-1", "Handling", "fixed", True, 250).to_json(),
            {"type": "add_fee", "data": {"id": "fee-1", "line_text": "Handling", "fee_type": "fixed",
                                          "taxable": True, "value": 250, "is_amendment": False}},
        )
        self.assertEqual(
            Action.add_line_item_by_platform_variant(9153875214378, "gift", 1, 500,
                                                     properties={"wrap": "yes"}).to_json(),
            {"type": "add_line_item_by_platform_variant", "data": {
                "platform_variant_id": 9153875214378, "line_item_key": "gift", "quantity": 1,
                "properties": {"wrap": "yes"}, "price": 500, "is_amendment": False}},
        )
        self.assertEqual(
            Action.flag_order_as_bopis(True, True, False).to_json(),
            {"type": "flag_order_as_bopis", "data": {"flag_order_as_bopis": True,
             "hidden_sections": {"shipping_address": True, "saved_addresses": False}}},
        )
        for name in ("override_address_validate", "override_discount", "override_inventory",
                     "override_shipping", "override_tax"):
            action = getattr(Action, name)("https://x/y")
            self.assertEqual(action.to_json(), {"type": name, "data": {"url": "https://x/y"}})
        self.assertEqual(
            Action.generic("ADD_CART_PARAMS", {"cart_params": {"k": "v"}}).to_json(),
            {"type": "add_cart_params", "data": {"cart_params": {"k": "v"}}},
        )

    def test_addresses(self):
        shipping = Address.decode({"first_name": "Ada", "city": "Winnipeg", "country_code": "CA"})
        change = AddressChange.from_address(shipping, update_billing=True)
        data = Action.change_shipping_address(change).to_json()["data"]
        self.assertEqual((data["first_name"], data["city"], data["update_billing"]), ("Ada", "Winnipeg", True))
        self.assertEqual(len(data), 14)
        self.assertEqual(Action.change_billing_address(change).type_name, "change_billing_address")
        with self.assertRaises(TypeError):
            Action.change_shipping_address({"city": "x"})

    def test_money_is_integer_cents(self):
        self.assertEqual(Action.add_fee("f", "F", "fixed", False, "1500").value.value, 1500)
        for bad in (15.0, "15.00", True, None, 2**63):
            with self.assertRaises(TypeError, msg=repr(bad)):
                Action.add_fee("f", "F", "fixed", False, bad)
        with self.assertRaises(TypeError):
            Action.add_fee("f", "F", "fixed", "yes", 1)
        with self.assertRaises(TypeError):
            Action.add_note(7)

    def test_response(self):
        self.assertEqual(
            actions_to_response([Action.override_tax("https://x/tax")]),
            {"success": True, "actions": [{"type": "override_tax", "data": {"url": "https://x/tax"}}]},
        )


class HostChecks(unittest.TestCase):
    def test_catalogue(self):
        self.assertEqual(len(known_action_types()), 24)
        self.assertEqual(required_scope("override_inventory"), "provide_shipping_rates")
        self.assertIsNone(required_scope("nope"))

    def test_a_good_answer_gives_the_response(self):
        body = check_actions([Action.add_note("hi")], Policy(scopes={"modify_order"}))
        self.assertEqual(body, '{"success":true,"actions":[{"type":"add_note","data":{"note":"hi"}}]}')

    def test_refusals_use_the_host_messages(self):
        fee = Action.generic("add_fee", {"id": "fee-1", "line_text": "Handling", "fee_type": "fixed",
                                         "taxable": True, "value": "100", "is_amendment": False})
        with self.assertRaises(Refusal) as caught:
            check_actions([Action.add_note("hi"), fee])
        r = caught.exception
        self.assertEqual((r.kind, r.action), ("invalid_output", 1))
        self.assertEqual(str(r), "invalid_output: action `add_fee`: `value` must be an integer")

        fee.value.pop("taxable")
        with self.assertRaisesRegex(Refusal, "`taxable` is missing"):
            check_actions([fee])
        with self.assertRaisesRegex(Refusal, "is not a known Bold action"):
            check_actions([Action.generic("brand_new_action", {})])
        check_actions([Action.generic("brand_new_action", {})], Policy(extra_action_types={"brand_new_action"}))
        with self.assertRaisesRegex(Refusal, "needs scope `add_fee`, which the plugin was not granted"):
            check_actions([Action.add_fee("f", "F", "fixed", False, 1)], Policy(scopes={"modify_order"}))
        with self.assertRaisesRegex(Refusal, "needs scope `brand_new_action`"):
            check_actions([Action.generic("brand_new_action", {})],
                          Policy(scopes=set(), extra_action_types={"brand_new_action"}))
        with self.assertRaisesRegex(Refusal, "data is not a JSON object"):
            check_actions([Action.generic("add_tag", [1])])
        with self.assertRaisesRegex(Refusal, "url` must be an http"):
            check_actions([Action.override_tax("ftp://x")])
        with self.assertRaises(Refusal) as caught:
            check_actions([Action.add_note("x" * 100)], Policy(output_limit=50))
        self.assertEqual(caught.exception.kind, "output_limit")

    def test_override_answers(self):
        check_override('{"a": 1}')
        with self.assertRaisesRegex(Refusal, "not JSON"):
            check_override("nope")
        with self.assertRaises(Refusal):
            check_override('"' + "x" * 100 + '"', Policy(output_limit=10))


if __name__ == "__main__":
    unittest.main()
