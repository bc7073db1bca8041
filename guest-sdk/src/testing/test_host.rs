//! [`TestHost`]: the host's services for native tests.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;

use super::script::{Script, unscripted};
use crate::bold_api::{BoldApiError, BoldApiRequest};
use crate::host::{Host, Level};
use crate::http::{HttpError, HttpRequest, HttpResponse};
use crate::protocol::ActionPolicy;
use crate::shop::Shop;

/// The output limit of a [`TestHost`] unless
/// [`with_output_limit`](TestHost::with_output_limit) sets one: the host's
/// default `[limits] output_bytes`, 256 KiB.
pub const DEFAULT_OUTPUT_LIMIT: u64 = 256 * 1024;

/// One record a handler logged through a [`TestHost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Severity.
    pub level: Level,
    /// The message.
    pub message: String,
    /// Key/value fields, in order.
    pub fields: Vec<(String, String)>,
}

/// What answers a [`TestHost`]'s outbound HTTP requests.
type HttpDouble = dyn FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>;
/// What answers a [`TestHost`]'s Bold API requests.
type BoldDouble = dyn FnMut(&BoldApiRequest) -> Result<HttpResponse, BoldApiError>;

/// A [`Host`] for native tests: config and the call's shop set with a
/// builder, log records kept for inspection, outbound HTTP and Bold API
/// requests answered by scripted answers or a closure, every request
/// recorded.
///
/// A request that no scripted answer and no closure answers **panics**,
/// naming the request and what is scripted: a test never passes because a
/// request it did not expect got some answer (a handler that swallows
/// errors would hide it).
///
/// It also plays the manifest's side of the host's answer checks
/// ([`policy`](Self::policy)): the plugin's scopes
/// ([`with_scopes`](Self::with_scopes); none declared by default, so not
/// scope-checked, unless the call's shop is installed), the extra action
/// types it may send ([`with_extra_action_types`](Self::with_extra_action_types))
/// and its output limit ([`with_output_limit`](Self::with_output_limit),
/// [`DEFAULT_OUTPUT_LIMIT`] by default). The runners
/// ([`run_event`](super::run_event), [`run_override`](super::run_override))
/// check every answer against it.
///
/// ```
/// use plugin_sdk::{Host, Level, testing::TestHost};
/// let host = TestHost::new().with_config("stock", "5");
/// let dyn_host: &dyn Host = &host;
/// dyn_host.info("hello");
/// assert_eq!(host.config("stock").as_deref(), Some("5"));
/// assert_eq!(host.logs()[0].level, Level::Info);
/// assert!(host.logged("hello"));
/// ```
#[derive(Default)]
pub struct TestHost {
    config: Vec<(String, String)>,
    logs: RefCell<Vec<LogRecord>>,
    shop: Option<Shop>,
    scopes: Option<BTreeSet<String>>,
    extra_action_types: BTreeSet<String>,
    output_limit: Option<u64>,
    http_script: Script<Result<HttpResponse, HttpError>>,
    http: Option<RefCell<Box<HttpDouble>>>,
    requests: RefCell<Vec<HttpRequest>>,
    bold_script: Script<Result<HttpResponse, BoldApiError>>,
    bold: Option<RefCell<Box<BoldDouble>>>,
    bold_requests: RefCell<Vec<BoldApiRequest>>,
}

impl fmt::Debug for TestHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestHost")
            .field("config", &self.config)
            .field("logs", &self.logs)
            .field("shop", &self.shop)
            .field("scopes", &self.scopes)
            .field("extra_action_types", &self.extra_action_types)
            .field("output_limit", &self.output_limit)
            .field("http_script", &self.http_script)
            .field("http", &self.http.as_ref().map(|_| "<closure>"))
            .field("requests", &self.requests)
            .field("bold_script", &self.bold_script)
            .field("bold", &self.bold.as_ref().map(|_| "<closure>"))
            .field("bold_requests", &self.bold_requests)
            .finish()
    }
}

impl TestHost {
    /// A host with no config, no shop, nothing scripted and an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces) one config value.
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.config.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.config.push((key, value)),
        }
        self
    }

    /// Every record logged so far.
    pub fn logs(&self) -> Vec<LogRecord> {
        self.logs.borrow().clone()
    }

    /// Whether some logged message contains `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.logs.borrow().iter().any(|r| r.message.contains(text))
    }

    /// Forgets the records logged so far.
    pub fn clear_logs(&self) {
        self.logs.borrow_mut().clear();
    }

    // --- the shop ---------------------------------------------------------

    /// Makes `shop` the call's shop ([`Host::shop`]); without it the call
    /// names none. Whether it is installed decides what
    /// [`Host::bold_api`] answers, and an installed shop's scopes are those
    /// the answers are checked against ([`policy`](Self::policy)).
    ///
    /// ```
    /// use plugin_sdk::{BoldApiError, BoldApiRequest, Host, Shop, testing::TestHost};
    /// let host = TestHost::new().with_shop(Shop::not_installed("shopify", "example.myshopify.com"));
    /// assert_eq!(host.shop().map(|s| s.installed), Some(false));
    /// assert_eq!(host.bold_api(&BoldApiRequest::get("orders")), Err(BoldApiError::NotInstalled));
    /// assert_eq!(TestHost::new().bold_api(&BoldApiRequest::get("orders")), Err(BoldApiError::NoShop));
    /// ```
    pub fn with_shop(mut self, shop: Shop) -> Self {
        self.shop = Some(shop);
        self
    }

    // --- the answer checks -----------------------------------------------

    /// Declares the plugin's scopes, as the manifest's `scopes` does
    /// (replacing earlier ones): every action must then be within them. A
    /// shop the plugin is installed on ([`with_shop`](Self::with_shop))
    /// replaces them with the scopes granted at its install, as in the host.
    ///
    /// ```should_panic
    /// use plugin_sdk::{Action, CheckoutPlugin, Event, HandlerError, Host};
    /// use plugin_sdk::testing::{TestHost, fixture, run_event};
    /// struct Fee;
    /// impl CheckoutPlugin for Fee {
    ///     fn handle_event(_: &Event, _: &dyn Host) -> Result<Vec<Action>, HandlerError> {
    ///         Ok(vec![Action::add_fee("fee-1", "Handling", "fixed", false, 100)])
    ///     }
    /// }
    /// let host = TestHost::new().with_scopes(["modify_order"]);
    /// // panics: the host would refuse this answer as invalid_output:
    /// // action `add_fee` needs scope `add_fee`, which the plugin was not granted
    /// let _ = run_event::<Fee>(&fixture("initialize_checkout"), &host);
    /// ```
    pub fn with_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    /// Allows action types outside Bold's published list, as the
    /// manifest's `extra_action_types` does (adding to earlier ones); the
    /// plugin sends them with [`Action::generic`](crate::Action::generic).
    pub fn with_extra_action_types(
        mut self,
        types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.extra_action_types
            .extend(types.into_iter().map(Into::into));
        self
    }

    /// Sets the largest answer, in bytes, as the manifest's `[limits]
    /// output_bytes` does (default [`DEFAULT_OUTPUT_LIMIT`]).
    pub fn with_output_limit(mut self, bytes: u64) -> Self {
        self.output_limit = Some(bytes);
        self
    }

    /// What the host would check this call's answers against: the scopes
    /// granted at the install when the call's shop is installed, else those
    /// of [`with_scopes`](Self::with_scopes) (`None`: not scope-checked),
    /// the extra action types, the output limit.
    ///
    /// ```
    /// use plugin_sdk::{Shop, testing::{DEFAULT_OUTPUT_LIMIT, TestHost}};
    /// let host = TestHost::new().with_scopes(["modify_order"]);
    /// assert_eq!(host.policy().scopes, Some(["modify_order".to_owned()].into()));
    /// assert_eq!(host.policy().output_limit, DEFAULT_OUTPUT_LIMIT);
    /// let host = host.with_shop(Shop::installed("shopify", "s.myshopify.com", ["add_fee"]));
    /// assert_eq!(host.policy().scopes, Some(["add_fee".to_owned()].into()));
    /// assert_eq!(TestHost::new().policy().scopes, None);
    /// ```
    pub fn policy(&self) -> ActionPolicy {
        let scopes = match &self.shop {
            Some(shop) if shop.installed => Some(shop.scopes.iter().cloned().collect()),
            _ => self.scopes.clone(),
        };
        ActionPolicy {
            scopes,
            extra_action_types: self.extra_action_types.clone(),
            output_limit: self.output_limit.unwrap_or(DEFAULT_OUTPUT_LIMIT),
        }
    }

    // --- outbound HTTP ----------------------------------------------------

    /// Answers every `method` (case-insensitive) request to exactly `url`
    /// with `response` (replacing an earlier answer for the same request).
    /// Scripted answers are consulted before [`with_http`](Self::with_http).
    ///
    /// ```
    /// use plugin_sdk::{Host, HttpError, HttpResponse, serde_json::json, testing::TestHost};
    /// let test_host = TestHost::new()
    ///     .with_http_response("GET", "https://rates.example/quote", HttpResponse::from_json(200, &json!({"rate": 990})))
    ///     .with_http_error("POST", "https://rates.example/book", HttpError::Timeout);
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.get("https://rates.example/quote", &[])?.status, 200);
    /// assert_eq!(host.send_json("POST", "https://rates.example/book", &[], &json!({})), Err(HttpError::Timeout));
    /// let sent = test_host.requests();
    /// assert_eq!((sent[1].method.as_str(), sent[1].url.as_str()), ("POST", "https://rates.example/book"));
    /// assert_eq!(sent[1].text(), "{}");
    /// # Ok::<(), HttpError>(())
    /// ```
    ///
    /// A request nobody scripted panics:
    ///
    /// ```should_panic
    /// # use plugin_sdk::{Host, HttpResponse, testing::TestHost};
    /// let test_host = TestHost::new().with_http_response("GET", "https://a.example/", HttpResponse::new(200));
    /// let host: &dyn Host = &test_host;
    /// // panics: TestHost: unscripted HTTP request `GET https://b.example/` ...
    /// let _ = host.get("https://b.example/", &[]);
    /// ```
    pub fn with_http_response(
        mut self,
        method: &str,
        url: impl Into<String>,
        response: HttpResponse,
    ) -> Self {
        self.http_script.set(method, url, Ok(response));
        self
    }

    /// Answers every `method` request to exactly `url` with `error` (no
    /// response: a timeout, a refused connection, ...). See
    /// [`with_http_response`](Self::with_http_response).
    pub fn with_http_error(
        mut self,
        method: &str,
        url: impl Into<String>,
        error: HttpError,
    ) -> Self {
        self.http_script.set(method, url, Err(error));
        self
    }

    /// Answers the outbound HTTP requests that nothing scripted answers
    /// with `double` (replacing any earlier one): a router that plays the
    /// remote side, e.g. the platform's API. It is `FnMut`, so it may keep
    /// state (stored customers, a clock, a failure to inject); share that
    /// state with the test through `Rc<RefCell<...>>` to inspect it
    /// afterwards. Without scripted answers or a double, every request
    /// panics.
    ///
    /// ```
    /// use plugin_sdk::{Host, HttpError, HttpRequest, HttpResponse, testing::TestHost};
    /// let mut hits = 0;
    /// let test_host = TestHost::new().with_http(move |request: &HttpRequest| {
    ///     hits += 1;
    ///     match request.url.as_str() {
    ///         "https://api.example/ping" => Ok(HttpResponse::new(200).with_body(format!("pong {hits}"))),
    ///         _ => Err(HttpError::Connection("refused".into())),
    ///     }
    /// });
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.get("https://api.example/ping", &[])?.text(), "pong 1");
    /// assert_eq!(host.get("https://api.example/ping", &[])?.text(), "pong 2");
    /// assert_eq!(host.get("https://other.example/", &[]), Err(HttpError::Connection("refused".into())));
    /// assert_eq!(test_host.requests().len(), 3);
    /// # Ok::<(), HttpError>(())
    /// ```
    pub fn with_http(
        mut self,
        double: impl FnMut(&HttpRequest) -> Result<HttpResponse, HttpError> + 'static,
    ) -> Self {
        self.http = Some(RefCell::new(Box::new(double)));
        self
    }

    /// Every outbound HTTP request made so far, in order (those answered
    /// with an error included).
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.borrow().clone()
    }

    /// Forgets the outbound HTTP requests recorded so far.
    pub fn clear_requests(&self) {
        self.requests.borrow_mut().clear();
    }

    // --- Bold's API -------------------------------------------------------

    /// Answers every `method` (case-insensitive) Bold API request for
    /// exactly `path` (query included) with `response` (replacing an
    /// earlier answer for the same request). Scripted answers are
    /// consulted before [`with_bold_api`](Self::with_bold_api), and only
    /// for requests that pass the host's gate: see
    /// [`bold_api`](#method.bold_api).
    ///
    /// ```
    /// use plugin_sdk::{Host, HttpResponse, Shop, testing::TestHost};
    /// let test_host = TestHost::new()
    ///     .with_shop(Shop::installed("shopify", "example.myshopify.com", ["modify_order"]))
    ///     .with_bold_response("GET", "orders/abc?expand=lines", HttpResponse::new(404));
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.bold_get("orders/abc?expand=lines")?.status, 404);
    /// assert_eq!(test_host.bold_requests()[0].header("accept"), Some("application/json"));
    /// # Ok::<(), plugin_sdk::BoldApiError>(())
    /// ```
    pub fn with_bold_response(
        mut self,
        method: &str,
        path: impl Into<String>,
        response: HttpResponse,
    ) -> Self {
        self.bold_script.set(method, path, Ok(response));
        self
    }

    /// Answers every `method` Bold API request for exactly `path` with
    /// `error` (a timeout, a refused connection, too many requests, ...).
    /// See [`with_bold_response`](Self::with_bold_response).
    pub fn with_bold_error(
        mut self,
        method: &str,
        path: impl Into<String>,
        error: BoldApiError,
    ) -> Self {
        self.bold_script.set(method, path, Err(error));
        self
    }

    /// Answers the Bold API requests that nothing scripted answers with
    /// `double` (replacing any earlier one): a router that plays Bold's
    /// API, possibly with state, like [`with_http`](Self::with_http).
    ///
    /// ```
    /// use plugin_sdk::{BoldApiRequest, Host, HttpResponse, Shop, testing::TestHost};
    /// let test_host = TestHost::new()
    ///     .with_shop(Shop::installed("shopify", "example.myshopify.com", ["modify_order"]))
    ///     .with_bold_api(|request: &BoldApiRequest| {
    ///         Ok(match request.path.strip_prefix("orders/") {
    ///             Some(id) => HttpResponse::new(200).with_body(id.to_owned()),
    ///             None => HttpResponse::new(404),
    ///         })
    ///     });
    /// let host: &dyn Host = &test_host;
    /// assert_eq!(host.bold_get("orders/a1")?.text(), "a1");
    /// assert_eq!(host.bold_get("customers")?.status, 404);
    /// # Ok::<(), plugin_sdk::BoldApiError>(())
    /// ```
    pub fn with_bold_api(
        mut self,
        double: impl FnMut(&BoldApiRequest) -> Result<HttpResponse, BoldApiError> + 'static,
    ) -> Self {
        self.bold = Some(RefCell::new(Box::new(double)));
        self
    }

    /// Every Bold API request made so far, in order (those refused or
    /// answered with an error included).
    pub fn bold_requests(&self) -> Vec<BoldApiRequest> {
        self.bold_requests.borrow().clone()
    }

    /// Forgets the Bold API requests recorded so far.
    pub fn clear_bold_requests(&self) {
        self.bold_requests.borrow_mut().clear();
    }
}

impl Host for TestHost {
    fn config(&self, key: &str) -> Option<String> {
        self.config
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn config_all(&self) -> Vec<(String, String)> {
        self.config.clone()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        self.logs.borrow_mut().push(LogRecord {
            level,
            message: message.to_owned(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
    }

    /// Records the request, then answers it with the answer scripted for
    /// its method and URL, else with the closure of
    /// [`with_http`](TestHost::with_http).
    ///
    /// # Panics
    /// When neither answers it (the message names the request), and when
    /// the closure itself sends a request through this host.
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, HttpError> {
        self.requests.borrow_mut().push(request.clone());
        if let Some(answer) = self.http_script.answer(&request.method, &request.url) {
            return answer;
        }
        match &self.http {
            Some(double) => (double.borrow_mut())(request),
            None => unscripted(
                "HTTP",
                &request.method,
                &request.url,
                &self.http_script,
                "`with_http_response`, `with_http_error` or `with_http`",
            ),
        }
    }

    /// The shop set with [`with_shop`](TestHost::with_shop), if any.
    fn shop(&self) -> Option<Shop> {
        self.shop.clone()
    }

    /// Records the request, then plays the host's gate in the host's
    /// order: no shop is [`BoldApiError::NoShop`], a shop the plugin is not
    /// installed on [`BoldApiError::NotInstalled`], a request that fails
    /// [`BoldApiRequest::check`] [`BoldApiError::InvalidRequest`]. A
    /// request that passes is answered with the answer scripted for its
    /// method and path, else with the closure of
    /// [`with_bold_api`](TestHost::with_bold_api).
    ///
    /// # Panics
    /// When a request passes the gate and nothing answers it (the message
    /// names the request), and when the closure itself sends a Bold API
    /// request through this host.
    fn bold_api(&self, request: &BoldApiRequest) -> Result<HttpResponse, BoldApiError> {
        self.bold_requests.borrow_mut().push(request.clone());
        match &self.shop {
            None => return Err(BoldApiError::NoShop),
            Some(shop) if !shop.installed => return Err(BoldApiError::NotInstalled),
            Some(_) => {}
        }
        request.check()?;
        if let Some(answer) = self.bold_script.answer(&request.method, &request.path) {
            return answer;
        }
        match &self.bold {
            Some(double) => (double.borrow_mut())(request),
            None => unscripted(
                "Bold API",
                &request.method,
                &request.path,
                &self.bold_script,
                "`with_bold_response`, `with_bold_error` or `with_bold_api`",
            ),
        }
    }
}
