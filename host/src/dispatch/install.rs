//! The installation flow (`../shared/bold/PROTOCOL.md` §5), without HTTP
//! types: the authorize URL a merchant's browser is sent to, the exchange
//! of Bold's code for the shop's token (stored sealed), and the uninstall.
//!
//! Nothing here logs a code, a token or a secret; the store is reached on
//! blocking threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http::{HeaderName, HeaderValue};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::config::{BoldCheckoutSettings, SecretValue, TokenHeader};
use crate::runtime::BoldApiAccess;
use crate::state::{AccessToken, Install, Installed, ShopRef, ShopRefError, Shops, StateError};

/// The largest answer to a token exchange that is read.
pub const MAX_EXCHANGE_ANSWER: usize = 64 * 1024;
/// The longest authorization code accepted.
pub const MAX_CODE_LEN: usize = 2048;

/// How long a looked-up install (or its absence) is reused before the store
/// is asked again: an install or uninstall through another host behind the
/// same load balancer is seen within this time (at once on this host).
pub const INSTALL_CACHE_TTL: Duration = Duration::from_secs(5);
/// Installs remembered at most; past it the memory starts over.
const INSTALL_CACHE_MAX: usize = 10_000;

/// RFC 3986's unreserved characters stay; everything else is encoded
/// (a space is `%20`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a plugin with `[oauth]` uses in the flow.
#[derive(Clone)]
pub struct OAuthClient {
    /// Its client id.
    pub client_id: String,
    /// Its client secret (the one that keys its signature; the current one
    /// during a rotation).
    pub client_secret: SecretValue,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Why a step of the flow did not happen. Nothing was stored or deleted.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The plugin has no `[oauth]` (404).
    #[error("this plugin cannot be installed (no [oauth] in its manifest)")]
    NotInstallable,
    /// A query parameter is missing (400).
    #[error("missing query parameter `{0}`")]
    Missing(&'static str),
    /// A query parameter is given twice (400).
    #[error("query parameter `{0}` is given more than once")]
    Repeated(String),
    /// `platform` or `shop` is outside its character set (400).
    #[error(transparent)]
    BadShop(#[from] ShopRefError),
    /// The code is empty, too long or not printable ASCII (400).
    #[error("`code` must be 1 to {MAX_CODE_LEN} printable ASCII characters")]
    BadCode,
    /// Bold refused the code (its 4xx) (502).
    #[error("Bold refused the authorization code (HTTP {0})")]
    Refused(u16),
    /// Bold could not be reached in time, or answered 5xx (502).
    #[error("Bold could not be reached: {0}")]
    Unreachable(String),
    /// Bold's answer is not a token for this shop (502).
    #[error("Bold's answer to the token exchange is not usable: {0}")]
    BadAnswer(&'static str),
    /// The installs cannot be read or written now (503).
    #[error("installs cannot be stored right now: {0}")]
    State(#[source] StateError),
}

/// A query string's parameters, each given at most once.
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses a raw query string (`None`: no query); a repeated parameter is
    /// an error.
    pub fn parse(raw: Option<&str>) -> Result<Self, InstallError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(InstallError::Repeated(key.into_owned()));
            }
            pairs.push((key.into_owned(), value.into_owned()));
        }
        Ok(Self(pairs))
    }

    /// A parameter; empty counts as missing.
    pub fn get(&self, name: &'static str) -> Result<&str, InstallError> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
            .ok_or(InstallError::Missing(name))
    }

    /// `platform` and `shop`, checked.
    pub fn shop(&self) -> Result<ShopRef, InstallError> {
        let platform = self.get("platform")?;
        let shop = self.get("shop")?;
        Ok(ShopRef::new(platform, shop)?)
    }
}

/// Bold's answer to a token exchange (PROTOCOL.md §5, step 4).
#[derive(Deserialize)]
struct ExchangeAnswer {
    access_token: Option<String>,
    scope: Option<String>,
    shop: Option<String>,
    platform: Option<String>,
    token_type: Option<String>,
}

/// The flow's steps, against Bold Checkout at `settings.base_url`, storing
/// in `shops`.
#[derive(Debug)]
pub struct Installer {
    settings: BoldCheckoutSettings,
    shops: Arc<Shops>,
    client: reqwest::Client,
    cache: Mutex<InstallCache>,
}

/// Installs looked up recently: (plugin, shop) → (when, the install).
type InstallCache = HashMap<(String, ShopRef), (Instant, Option<Installed>)>;

impl Installer {
    /// The flow against `settings`, keeping installs in `shops`.
    pub fn new(settings: BoldCheckoutSettings, shops: Arc<Shops>) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Self {
            settings,
            shops,
            client,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The install of `plugin` on `shop` (token included), from memory when
    /// looked up less than [`INSTALL_CACHE_TTL`] ago.
    pub async fn lookup(
        &self,
        plugin: &str,
        shop: &ShopRef,
    ) -> Result<Option<Installed>, InstallError> {
        let key = (plugin.to_owned(), shop.clone());
        if let Some((at, installed)) = self.cached().get(&key)
            && at.elapsed() < INSTALL_CACHE_TTL
        {
            return Ok(installed.clone());
        }
        let shops = self.shops.clone();
        let (p, s) = key.clone();
        let installed = tokio::task::spawn_blocking(move || shops.get(&p, &s))
            .await
            .map_err(|e| InstallError::Unreachable(format!("the store task failed: {e}")))?
            .map_err(InstallError::State)?;
        let mut cache = self.cached();
        if cache.len() >= INSTALL_CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), installed.clone()));
        Ok(installed)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, InstallCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn forget(&self, plugin: &str, shop: &ShopRef) {
        self.cached().remove(&(plugin.to_owned(), shop.clone()));
    }

    /// Bold's API for an installed shop: its base URL and the header that
    /// carries its token (`[bold_checkout] token_header`); `None` when the
    /// token cannot be a header value (it was checked at the exchange).
    pub fn access(&self, installed: &Installed) -> Option<BoldApiAccess> {
        let token = installed.token.expose();
        let (header, text) = match self.settings.token_header {
            TokenHeader::AuthorizationBearer => {
                (http::header::AUTHORIZATION, format!("Bearer {token}"))
            }
            TokenHeader::XBoldCheckoutAccessToken => (
                HeaderName::from_static("x-bold-checkout-access-token"),
                token.to_owned(),
            ),
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(BoldApiAccess {
            base: self.shop_base(&installed.install.shop),
            header,
            value,
        })
    }

    /// The installs.
    pub fn shops(&self) -> &Arc<Shops> {
        &self.shops
    }

    fn shop_base(&self, shop: &ShopRef) -> String {
        format!(
            "{}/api/v1/{}/{}",
            self.settings.base_url,
            shop.platform(),
            shop.shop()
        )
    }

    /// Step 2: where the merchant's browser goes to accept the scopes.
    pub fn authorize_url(&self, client: &OAuthClient, scopes: &[&str], shop: &ShopRef) -> String {
        format!(
            "{}/oauth/authorize?client_id={}&scope={}&response_type=code",
            self.shop_base(shop),
            utf8_percent_encode(&client.client_id, QUERY_VALUE),
            utf8_percent_encode(&scopes.join(" "), QUERY_VALUE),
        )
    }

    /// Step 5: where the browser goes once the shop is installed.
    pub fn marketplace_url(&self, shop: &ShopRef) -> String {
        format!(
            "{}/admin/{}/{}/marketplace",
            self.settings.base_url,
            shop.platform(),
            shop.shop()
        )
    }

    /// Steps 4 and 5: exchanges `code` for the shop's token and stores it
    /// (replacing an older install). `requested` are the scopes asked for,
    /// kept when Bold's answer does not list the granted ones.
    pub async fn complete(
        &self,
        plugin: &str,
        client: &OAuthClient,
        requested: &[&str],
        shop: &ShopRef,
        code: &str,
    ) -> Result<Install, InstallError> {
        if !(1..=MAX_CODE_LEN).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(InstallError::BadCode);
        }
        let (token, scopes) = self.exchange(client, shop, code).await?;
        let scopes = scopes.unwrap_or_else(|| requested.iter().map(|s| (*s).to_owned()).collect());
        let install = Install {
            plugin: plugin.to_owned(),
            shop: shop.clone(),
            scopes,
            installed_at: SystemTime::now(),
        };
        let shops = self.shops.clone();
        let stored = install.clone();
        tokio::task::spawn_blocking(move || shops.put(&stored, &token))
            .await
            .map_err(|e| InstallError::Unreachable(format!("the store task failed: {e}")))?
            .map_err(InstallError::State)?;
        self.forget(plugin, shop);
        Ok(install)
    }

    /// Step 4: the server-to-server exchange; the token and the granted
    /// scopes (when Bold lists them).
    async fn exchange(
        &self,
        client: &OAuthClient,
        shop: &ShopRef,
        code: &str,
    ) -> Result<(AccessToken, Option<Vec<String>>), InstallError> {
        let url = format!("{}/oauth/access_token", self.shop_base(shop));
        let body = serde_json::json!({
            "client_id": client.client_id,
            "client_secret": client.client_secret.expose(),
            "code": code,
            "grant_type": "authorization_code",
        });
        let response = self
            .client
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| InstallError::Unreachable(describe(e)))?;
        let status = response.status();
        if status.is_client_error() {
            return Err(InstallError::Refused(status.as_u16()));
        }
        if !status.is_success() {
            return Err(InstallError::Unreachable(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        let bytes = read_capped(response).await?;
        let answer: ExchangeAnswer =
            serde_json::from_slice(&bytes).map_err(|_| InstallError::BadAnswer("not JSON"))?;
        let token = answer
            .access_token
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or(InstallError::BadAnswer("no usable access_token"))?;
        if answer
            .token_type
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(InstallError::BadAnswer("token_type is not bearer"));
        }
        if answer.shop.is_some_and(|s| s != shop.shop())
            || answer.platform.is_some_and(|p| p != shop.platform())
        {
            return Err(InstallError::BadAnswer("the token is for another shop"));
        }
        let scopes = answer
            .scope
            .map(|s| s.split_whitespace().map(str::to_owned).collect());
        Ok((AccessToken::new(token), scopes))
    }

    /// Step 6: forgets the shop's token; whether there was one.
    pub async fn uninstall(&self, plugin: &str, shop: &ShopRef) -> Result<bool, InstallError> {
        let shops = self.shops.clone();
        let (p, s) = (plugin.to_owned(), shop.clone());
        let removed = tokio::task::spawn_blocking(move || shops.remove(&p, &s))
            .await
            .map_err(|e| InstallError::Unreachable(format!("the store task failed: {e}")))?
            .map_err(InstallError::State)?;
        self.forget(plugin, shop);
        Ok(removed)
    }
}

/// Reads at most [`MAX_EXCHANGE_ANSWER`] bytes of an answer.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, InstallError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| InstallError::Unreachable(describe(e)))?
    {
        if bytes.len() + chunk.len() > MAX_EXCHANGE_ANSWER {
            return Err(InstallError::BadAnswer("the answer is too large"));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A transport error without its URL (which names the shop, not a secret,
/// but the log line has the shop already).
fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "cannot connect".into()
    } else {
        err.without_url().to_string()
    }
}
