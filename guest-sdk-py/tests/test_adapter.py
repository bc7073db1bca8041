"""The adapter: what the component does with a handler, run natively."""

import unittest

from checkout_plugin_sdk import Action, BoldApiError, CheckoutPlugin, HandlerError, HttpError
from checkout_plugin_sdk.adapter import call_event, call_override, call_webhook, to_handler_error
from checkout_plugin_sdk.protocol import Refusal
from checkout_plugin_sdk.testing import TestHost, fixture, run_event, run_override, run_webhook


class Raises(CheckoutPlugin):
    def __init__(self, exc):
        self.exc = exc

    def handle_event(self, event, host):
        raise self.exc

    def handle_override(self, kind, body, host):
        raise self.exc

    def handle_webhook(self, topic, body, host):
        raise self.exc


class Returns(CheckoutPlugin):
    def __init__(self, value):
        self.value = value

    def handle_event(self, event, host):
        return self.value

    def handle_override(self, kind, body, host):
        return self.value


BODY = '{"event": "order_submitted"}'


class ErrorMapping(unittest.TestCase):
    def test_handler_errors_pass_as_they_are(self):
        for error in (HandlerError.unsupported(), HandlerError.invalid_input("items: missing"),
                      HandlerError.failed("nope")):
            for call in (call_event, call_override, call_webhook):
                with self.assertRaises(HandlerError) as caught:
                    call(Raises(error), "x", BODY, TestHost())
                self.assertEqual(caught.exception, error)

    def test_any_other_exception_is_failed_with_its_message(self):
        cases = [
            (ZeroDivisionError("division by zero"), "ZeroDivisionError: division by zero"),
            (KeyError("items"), "KeyError: 'items'"),
            (RuntimeError(), "RuntimeError"),
            (SystemExit(3), "SystemExit: 3"),
            (RecursionError("maximum recursion depth exceeded"), "RecursionError: maximum recursion depth exceeded"),
        ]
        for exc, message in cases:
            for call in (call_event, call_override, call_webhook):
                with self.assertRaises(HandlerError) as caught:
                    call(Raises(exc), "x", BODY, TestHost())
                self.assertEqual(caught.exception, HandlerError.failed(message))
                self.assertIs(caught.exception.__cause__, exc)

    def test_host_errors_left_uncaught(self):
        self.assertEqual(to_handler_error(HttpError.timeout()), HandlerError.failed("outbound HTTP: timeout"))
        self.assertEqual(to_handler_error(BoldApiError.no_shop()),
                         HandlerError.invalid_input("Bold API: the call names no shop"))
        self.assertEqual(to_handler_error(BoldApiError.connection("reset")),
                         HandlerError.failed("Bold API: connection failed: reset"))

    def test_a_broken_str_does_not_hide_the_error(self):
        class Weird(Exception):
            def __str__(self):
                raise ValueError("no")

        self.assertEqual(to_handler_error(Weird()), HandlerError.failed("Weird"))

    def test_answers_of_the_wrong_type_are_failed(self):
        for value in (None, "add_note", {"type": "add_note"}, [Action.add_note("a"), "b"], 7):
            with self.assertRaises(HandlerError) as caught:
                call_event(Returns(value), "x", BODY, TestHost())
            self.assertEqual(caught.exception.kind, "failed", repr(value))
        self.assertEqual(call_event(Returns((a for a in [Action.add_note("a")])), "x", BODY, TestHost()),
                         [Action.add_note("a")])
        for value in (None, b"{}", {"a": 1}):
            with self.assertRaises(HandlerError) as caught:
                call_override(Returns(value), "inventory", "{}", TestHost())
            self.assertEqual(caught.exception.kind, "failed")

    def test_a_bad_body_never_reaches_the_handler(self):
        with self.assertRaises(HandlerError) as caught:
            call_event(Raises(AssertionError("called")), "x", "[]", TestHost())
        self.assertEqual(caught.exception.kind, "invalid_input")

    def test_missing_methods_are_unsupported(self):
        for call in (call_event, call_override, call_webhook):
            with self.assertRaises(HandlerError) as caught:
                call(object(), "x", BODY, TestHost())
            self.assertEqual(caught.exception, HandlerError.unsupported())
        with self.assertRaises(HandlerError):
            call_webhook(CheckoutPlugin(), "orders", "{}", TestHost())


class Runners(unittest.TestCase):
    def test_run_event_checks_the_answer_as_the_host_does(self):
        plugin = Returns([Action.add_fee("fee-1", "Handling", "fixed", True, 250)])
        self.assertEqual(len(run_event(plugin, fixture("order_submitted_us"))), 1)
        with self.assertRaisesRegex(Refusal, "needs scope `add_fee`"):
            run_event(plugin, fixture("order_submitted_us"), TestHost().with_scopes(["modify_order"]))
        self.assertEqual(len(run_event(plugin, BODY)), 1)

    def test_run_override_checks_json(self):
        self.assertEqual(run_override(Returns("{}"), "x", "{}"), "{}")
        with self.assertRaisesRegex(Refusal, "not JSON"):
            run_override(Returns("nope"), "x", "{}")

    def test_runners_map_exceptions_like_the_component(self):
        with self.assertRaises(HandlerError) as caught:
            run_webhook(Raises(ValueError("bad")), "orders", "{}")
        self.assertEqual(caught.exception, HandlerError.failed("ValueError: bad"))


if __name__ == "__main__":
    unittest.main()
