//! The platform's API, called through the host's outbound HTTP.

use plugin_sdk::serde::Serialize;
use plugin_sdk::{HandlerError, Host, HttpResponse};

use crate::platform::{Address, Customer};

/// Config key: the platform API's base URL (required).
pub const API_URL: &str = "platform_api_url";
/// Config key: the platform API's bearer token (optional).
pub const API_TOKEN: &str = "platform_api_token";

/// What the platform answered a call that can find nothing.
#[derive(Debug)]
pub enum Answer<T> {
    /// A 2xx answer.
    Found(T),
    /// 404: no such customer.
    NotFound,
}

/// The platform's API as configured for this plugin.
pub struct PlatformApi<'h> {
    host: &'h dyn Host,
    base: String,
    authorization: Option<String>,
}

impl std::fmt::Debug for PlatformApi<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformApi")
            .field("base", &self.base)
            .field("token", &self.authorization.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl<'h> PlatformApi<'h> {
    /// Reads `platform_api_url` (required, `http://` or `https://`; trailing
    /// `/` ignored) and `platform_api_token` (optional; blank means none).
    /// A missing or bad URL is [`HandlerError::Failed`] naming the key.
    pub fn from_config(host: &'h dyn Host) -> Result<Self, HandlerError> {
        let url = host.config(API_URL).unwrap_or_default();
        let base = url.trim().trim_end_matches('/');
        if base.is_empty() {
            return Err(HandlerError::failed(format!(
                "config `{API_URL}`: required"
            )));
        }
        let lower = base.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"));
        if rest.is_none_or(str::is_empty) {
            return Err(HandlerError::failed(format!(
                "config `{API_URL}`: not an http(s) URL: {url:?}"
            )));
        }
        let authorization = host
            .config(API_TOKEN)
            .map(|token| token.trim().to_owned())
            .filter(|token| !token.is_empty())
            .map(|token| format!("Bearer {token}"));
        Ok(PlatformApi {
            host,
            base: base.to_owned(),
            authorization,
        })
    }

    /// `POST /customers/{id}/addresses`: adds an address (201).
    pub fn create_address(
        &self,
        customer_id: &str,
        address: &Address,
    ) -> Result<Answer<()>, HandlerError> {
        let path = format!("/customers/{customer_id}/addresses");
        Ok(match self.call("POST", &path, Some(address))? {
            Answer::Found(_) => Answer::Found(()),
            Answer::NotFound => Answer::NotFound,
        })
    }

    /// `PATCH /customers/{id}` with the fields to change (200).
    pub fn update_customer<B: Serialize>(
        &self,
        customer_id: &str,
        fields: &B,
    ) -> Result<Answer<()>, HandlerError> {
        let path = format!("/customers/{customer_id}");
        Ok(match self.call("PATCH", &path, Some(fields))? {
            Answer::Found(_) => Answer::Found(()),
            Answer::NotFound => Answer::NotFound,
        })
    }

    /// `GET /customers/{id}`: the complete customer (200).
    pub fn customer(&self, customer_id: &str) -> Result<Answer<Customer>, HandlerError> {
        let path = format!("/customers/{customer_id}");
        Ok(match self.call::<()>("GET", &path, None)? {
            Answer::Found(response) => Answer::Found(
                response
                    .json()
                    .map_err(|e| HandlerError::failed(format!("platform GET {path}: {e}")))?,
            ),
            Answer::NotFound => Answer::NotFound,
        })
    }

    /// One call: 2xx is `Found`, 404 `NotFound`; any other status and no
    /// response at all are [`HandlerError::Failed`] naming the call.
    fn call<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer<HttpResponse>, HandlerError> {
        let url = format!("{}{path}", self.base);
        let mut headers = Vec::with_capacity(1);
        if let Some(authorization) = &self.authorization {
            headers.push(("authorization", authorization.as_str()));
        }
        let response = match body {
            Some(body) => self.host.send_json(method, &url, &headers, body),
            None => self.host.get(&url, &headers),
        }
        .map_err(|e| HandlerError::failed(format!("platform {method} {path}: {e}")))?;
        match response.status {
            404 => Ok(Answer::NotFound),
            _ if response.is_success() => Ok(Answer::Found(response)),
            status => Err(HandlerError::failed(format!(
                "platform {method} {path}: HTTP {status}"
            ))),
        }
    }
}
