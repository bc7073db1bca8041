import unittest

from checkout_plugin_sdk import (
    BoldApiError,
    BoldApiRequest,
    Failed,
    HandlerError,
    HttpError,
    HttpRequest,
    HttpResponse,
    InvalidInput,
    Level,
    Shop,
)
from checkout_plugin_sdk.host import check_path
from checkout_plugin_sdk.testing import TestHost, UnscriptedRequest


class Config(unittest.TestCase):
    def test_config_or_parses_like_the_default(self):
        host = TestHost().with_config("stock", " 5 ").with_config("price", "cheap").with_config("on", "true")
        self.assertEqual(host.config_or("stock", 100), 5)
        self.assertEqual(host.config_or("missing", 100), 100)
        self.assertIs(host.config_or("on", False), True)
        self.assertEqual(host.config_or("price", "x"), "cheap")
        with self.assertRaises(Failed) as caught:
            host.config_or("price", 0)
        self.assertEqual(caught.exception.message, 'config `price`: invalid value "cheap": invalid digit found in string')
        with self.assertRaises(Failed):
            host.config_or("price", False)
        self.assertEqual(host.config_or("stock", 0, parse=lambda s: int(s) * 2), 10)
        self.assertEqual(host.with_config("stock", "6").config_all(),
                         [("price", "cheap"), ("on", "true"), ("stock", "6")])


class Logs(unittest.TestCase):
    def test_logs_are_captured(self):
        host = TestHost()
        host.info("hello", type="processed")
        host.log(Level.WARN, "careful", [("k", "v")])
        self.assertEqual(host.logs[0].level, Level.INFO)
        self.assertEqual(host.logs[0].fields, [("type", "processed")])
        self.assertEqual(host.logs[1].field("k"), "v")
        self.assertTrue(host.logged("hell"))
        self.assertFalse(host.logged("bye"))


class OutboundHttp(unittest.TestCase):
    def test_scripted_answers_and_recorded_requests(self):
        host = (
            TestHost()
            .with_http_response("GET", "https://rates.example/quote", HttpResponse.from_json(200, {"rate": 990}))
            .with_http_error("post", "https://rates.example/book", HttpError.timeout())
        )
        self.assertEqual(host.get_json("https://rates.example/quote", [("authorization", "Bearer t")]), {"rate": 990})
        with self.assertRaises(HttpError) as caught:
            host.send_json("POST", "https://rates.example/book", {})
        self.assertEqual(caught.exception, HttpError.timeout())
        self.assertEqual(str(caught.exception), "timeout")
        sent = host.requests
        self.assertEqual(sent[0].header("accept"), "application/json")
        self.assertEqual(sent[0].header("Authorization"), "Bearer t")
        self.assertEqual((sent[1].method, sent[1].url, sent[1].text()), ("POST", "https://rates.example/book", "{}"))
        self.assertEqual(sent[1].header("content-type"), "application/json")

    def test_unscripted_requests_fail_loudly(self):
        host = TestHost().with_http_response("GET", "https://a.example/", HttpResponse(200))
        with self.assertRaisesRegex(UnscriptedRequest, r"unscripted HTTP request `GET https://b.example/`"):
            try:
                host.get("https://b.example/")
            except Exception:  # what a careless handler does: it must not help
                self.fail("UnscriptedRequest was caught by `except Exception`")

    def test_a_router(self):
        hits = []

        def router(request: HttpRequest) -> HttpResponse:
            hits.append(request.url)
            if request.url == "https://api.example/ping":
                return HttpResponse(200).with_body(f"pong {len(hits)}")
            raise HttpError.connection("refused")

        host = TestHost().with_http(router)
        self.assertEqual(host.get("https://api.example/ping").text(), "pong 1")
        with self.assertRaises(HttpError) as caught:
            host.get("https://other.example/")
        self.assertEqual(str(caught.exception), "connection failed: refused")
        self.assertEqual(caught.exception.to_handler_error(),
                         HandlerError.failed("outbound HTTP: connection failed: refused"))

    def test_get_json_failures_name_the_url(self):
        host = (TestHost()
                .with_http_response("GET", "https://x/404", HttpResponse(404))
                .with_http_response("GET", "https://x/bad", HttpResponse(200, body=b"nope"))
                .with_http_error("GET", "https://x/slow", HttpError.timeout()))
        for url, text in (("https://x/404", "HTTP 404"), ("https://x/bad", "response body"), ("https://x/slow", "timeout")):
            with self.assertRaises(Failed) as caught:
                host.get_json(url)
            self.assertTrue(caught.exception.message.startswith(f"GET {url}: "), caught.exception.message)
            self.assertIn(text, caught.exception.message)

    def test_the_default_host_offers_no_http(self):
        from checkout_plugin_sdk import Host

        with self.assertRaises(HttpError) as caught:
            Host().http(HttpRequest.get("https://x/"))
        self.assertEqual(caught.exception.kind, "not_allowed")
        self.assertIsNone(Host().shop())


class BoldApi(unittest.TestCase):
    def test_the_gate(self):
        with self.assertRaises(BoldApiError) as caught:
            TestHost().bold_get("orders")
        self.assertEqual(caught.exception.kind, "no_shop")
        not_installed = TestHost().with_shop(Shop.not_installed("shopify", "example.myshopify.com"))
        with self.assertRaises(BoldApiError) as caught:
            not_installed.bold_get("orders/abc123")
        self.assertEqual(caught.exception.kind, "not_installed")
        with self.assertRaises(Failed) as caught:
            not_installed.bold_get_json("orders/abc123")
        self.assertEqual(str(caught.exception), "failed: Bold API GET orders/abc123: not installed on the call's shop")
        with self.assertRaises(InvalidInput) as caught:
            TestHost().bold_get_json("orders/abc123")
        self.assertEqual(caught.exception.message, "Bold API GET orders/abc123: the call names no shop")

    def test_scripted_bold_answers(self):
        host = (
            TestHost()
            .with_shop(Shop.installed_with("shopify", "example.myshopify.com", ["modify_order"]))
            .with_bold_response("GET", "orders/abc123", HttpResponse.from_json(200, {"order": {"total": 2468}}))
            .with_bold_response("POST", "orders/abc123/discounts", HttpResponse(201))
            .with_bold_error("POST", "orders/slow/discounts", BoldApiError.timeout())
        )
        self.assertEqual(host.bold_get_json("orders/abc123")["order"]["total"], 2468)
        self.assertEqual(host.bold_send_json("post", "orders/abc123/discounts", {"code": "GOLD"}).status, 201)
        with self.assertRaises(BoldApiError):
            host.bold_send_json("POST", "orders/slow/discounts", {})
        sent = host.bold_requests
        self.assertEqual((sent[1].method, sent[1].path), ("POST", "orders/abc123/discounts"))
        self.assertEqual(sent[1].json(), {"code": "GOLD"})
        self.assertTrue(host.shop().has_scope("modify_order"))
        with self.assertRaises(BoldApiError) as caught:
            host.bold_api(BoldApiRequest.get("/orders"))
        self.assertEqual(caught.exception.kind, "invalid_request")
        with self.assertRaisesRegex(UnscriptedRequest, "unscripted Bold API request `GET customers`"):
            host.bold_get("customers")

    def test_paths(self):
        check_path("orders/abc123/shipping_lines")
        check_path("customers?page=2&per_page=50")
        for bad in ("", "/orders", "../admin", "orders//x", "a b", "a%2Fb", "a#frag", "a%zz"):
            with self.assertRaises(ValueError, msg=bad):
                check_path(bad)
        with self.assertRaisesRegex(BoldApiError, "header `authorization` is set by the host"):
            BoldApiRequest("GET", "orders", [("Authorization", "x")]).check()
        with self.assertRaisesRegex(BoldApiError, "method `HEAD` is not allowed"):
            BoldApiRequest("head", "orders").check()


if __name__ == "__main__":
    unittest.main()
