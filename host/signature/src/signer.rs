//! The signer: the headers of a request that [`super::Verifier`] accepts.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{Algorithm, MAX_SIGNED_HEADERS, REQUEST_TARGET, Secret, digest_header_value};

/// The headers a [`Signer`] signs unless told otherwise.
pub const DEFAULT_SIGNED_HEADERS: [&str; 3] = [REQUEST_TARGET, "date", "digest"];

/// The header names a [`Signer`] can produce a value for.
pub const SIGNABLE_HEADERS: [&str; 7] = [
    REQUEST_TARGET,
    "date",
    "x-date",
    "digest",
    "host",
    "content-type",
    "content-length",
];

/// Why a [`Signer`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// The key id is empty or holds a `"` or a control character.
    #[error("key id must be non-empty printable text without '\"'")]
    BadKeyId,
    /// The secret is empty.
    #[error("secret is empty")]
    EmptySecret,
    /// A header the signer cannot produce a value for.
    #[error(
        "cannot sign header {0:?} (signable: (request-target), date, x-date, digest, host, content-type, content-length)"
    )]
    UnsupportedHeader(String),
    /// Neither `date` nor `x-date` is in the list (verifiers require one).
    #[error("the signed headers must include date or x-date")]
    DateNotSigned,
    /// More headers than a verifier accepts, or none.
    #[error("between 1 and {MAX_SIGNED_HEADERS} signed headers are needed")]
    HeaderCount,
    /// A header is listed twice (verifiers refuse that).
    #[error("header {0:?} is listed more than once")]
    DuplicateHeader(String),
}

/// Signs requests with one key: `Authorization: Signature keyId="…",
/// algorithm="…",headers="…",signature="…"` (npm `http-signature`'s layout).
#[derive(Debug, Clone)]
pub struct Signer {
    key_id: String,
    secret: Secret,
    algorithm: Algorithm,
    headers: Vec<String>,
}

impl Signer {
    /// A signer of [`DEFAULT_SIGNED_HEADERS`] (`(request-target) date
    /// digest`).
    pub fn new(
        key_id: impl Into<String>,
        secret: Secret,
        algorithm: Algorithm,
    ) -> Result<Self, SignerError> {
        let key_id = key_id.into();
        if key_id.is_empty() || key_id.chars().any(|c| c == '"' || c.is_control()) {
            return Err(SignerError::BadKeyId);
        }
        if secret.is_empty() {
            return Err(SignerError::EmptySecret);
        }
        Ok(Signer {
            key_id,
            secret,
            algorithm,
            headers: DEFAULT_SIGNED_HEADERS.map(str::to_owned).to_vec(),
        })
    }

    /// Signs these headers instead, in this order (names are lowercased;
    /// each must be one of [`SIGNABLE_HEADERS`], none twice; `date` or
    /// `x-date` must be among them).
    pub fn with_headers<I, S>(mut self, headers: I) -> Result<Self, SignerError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names = Vec::new();
        for name in headers {
            let name = name.as_ref().to_ascii_lowercase();
            if !SIGNABLE_HEADERS.contains(&name.as_str()) {
                return Err(SignerError::UnsupportedHeader(name));
            }
            if names.contains(&name) {
                return Err(SignerError::DuplicateHeader(name));
            }
            names.push(name);
        }
        if names.is_empty() || names.len() > MAX_SIGNED_HEADERS {
            return Err(SignerError::HeaderCount);
        }
        if !names.iter().any(|n| n == "date" || n == "x-date") {
            return Err(SignerError::DateNotSigned);
        }
        self.headers = names;
        Ok(self)
    }

    /// The signed header names, in order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The headers to send with a request, as `(name, value)` pairs in this
    /// order: `Host` (if signed), `Date`/`X-Date` (whichever is signed),
    /// `Content-Type`, `Content-Length` (if signed), `Digest` (if signed),
    /// `Authorization`. `method` is sent as given (uppercase, normally);
    /// `path_and_query` must be exactly what the receiver sees. Verifiers
    /// refuse a signing string over [`super::MAX_SIGNING_STRING_LEN`] bytes
    /// (16 KiB), so signed `path_and_query`, `host` and `content-type` must
    /// stay well under it.
    pub fn sign(
        &self,
        method: &str,
        path_and_query: &str,
        host: &str,
        content_type: &str,
        body: &[u8],
        now: SystemTime,
    ) -> Vec<(String, String)> {
        let date = httpdate::fmt_http_date(now);
        let digest = digest_header_value(body);
        let content_length = body.len().to_string();
        let value_of = |name: &str| -> String {
            match name {
                REQUEST_TARGET => format!("{} {}", method.to_ascii_lowercase(), path_and_query),
                "date" | "x-date" => date.clone(),
                "digest" => digest.clone(),
                "host" => host.to_owned(),
                "content-type" => content_type.to_owned(),
                // `with_headers` lets nothing else in.
                _ => content_length.clone(),
            }
        };
        let signed = |name: &str| self.headers.iter().any(|h| h == name);

        let mut out = Vec::new();
        if signed("host") {
            out.push(("Host".to_owned(), host.to_owned()));
        }
        if signed("date") {
            out.push(("Date".to_owned(), date.clone()));
        }
        if signed("x-date") {
            out.push(("X-Date".to_owned(), date.clone()));
        }
        out.push(("Content-Type".to_owned(), content_type.to_owned()));
        if signed("content-length") {
            out.push(("Content-Length".to_owned(), content_length.clone()));
        }
        if signed("digest") {
            out.push(("Digest".to_owned(), digest.clone()));
        }

        let signing_string = self
            .headers
            .iter()
            .map(|name| format!("{name}: {}", value_of(name)))
            .collect::<Vec<_>>()
            .join("\n");
        let mac = self
            .algorithm
            .mac(self.secret.bytes(), signing_string.as_bytes());
        out.push((
            "Authorization".to_owned(),
            format!(
                "Signature keyId=\"{}\",algorithm=\"{}\",headers=\"{}\",signature=\"{}\"",
                self.key_id,
                self.algorithm,
                self.headers.join(" "),
                BASE64.encode(mac)
            ),
        ));
        out
    }
}
