//! Draft-cavage HMAC HTTP signatures, as Bold sends them and as the npm
//! `http-signature` library's `parseRequest` + `verifyHMAC` accept them
//! (HMAC over a signing string of the listed headers, `Authorization:
//! Signature keyId=…,algorithm=…,headers=…,signature=…`), and the matching
//! signer.
//!
//! - [`Verifier::verify`] checks one request: it finds the parameters in
//!   `Authorization: Signature <params>` (or, without an Authorization header,
//!   in a bare `Signature: <params>` header), rebuilds the signing string from
//!   the signed header list, checks the `date`/`x-date` skew window against an
//!   injected clock, recomputes `digest` over the raw body when it is signed,
//!   and compares the HMAC in constant time under every configured secret
//!   (one, or two during a rotation).
//! - [`ReplayGuard`] optionally refuses a signature seen before within the
//!   window.
//! - [`Signer`] produces the headers for a request that [`Verifier`] accepts
//!   (used by `plugin-host sign` and by tests).
//! - [`BodySignature`] (module [`platform`]) checks a platform's webhooks:
//!   an HMAC-SHA256 of the raw body in a configurable header.
//! - [`XHmacVerifier`] (module [`xhmac`]) checks Bold's calls to a platform
//!   connector: `X-HMAC` = HMAC-SHA256 of `X-HMAC-Timestamp`, inside a
//!   window, each pair used once ([`XHmacVerified::remember`]); and
//!   [`XHmacSigner`] makes such stamps.
//!
//! The module is pure: no I/O, no clock of its own, no logging. Callers log
//! [`SignatureError::code`] or its `Display`, which never contain a secret or
//! a header value (only header names, which are checked to be tokens).
//!
//! # Where this is stricter than npm `http-signature`
//!
//! The npm library is the reference for what Bold sends, so everything it
//! accepts from a well-behaved sender is accepted here. Where npm is lax in a
//! way a well-behaved sender never relies on, this module refuses:
//! duplicated parameters (npm: last wins), unterminated quotes and trailing
//! garbage (npm: silently ignored), an unparsable date (npm: `NaN` skew
//! passes), a signature compared as bytes in constant time (npm: string
//! `===`), duplicated singleton headers such as two `Date`s, a name listed
//! twice in `headers` (npm: signs it twice). It is more
//! lenient in two harmless ways: whitespace around the commas between
//! parameters, and the auth scheme's case (`signature`).
//! Like npm (non-strict) it ignores parameters it does not know (cavage's
//! `created`/`expires`), and signed headers default to `date` (or `x-date`
//! when the request has one) when `headers` is absent or empty.
//!
//! # Bounded work before authentication
//!
//! Everything up to the HMAC runs for anyone who can reach the route, so the
//! work it does is bounded by the verifier, not only by the HTTP server's
//! header limits: the parameter header is at most [`MAX_PARAMS_LEN`] bytes,
//! the `signature` at most [`MAX_SIGNATURE_LEN`], `headers` lists at most
//! [`MAX_SIGNED_HEADERS`] names and none twice (compared case-insensitively,
//! [`SignatureError::DuplicateSignedHeader`]: `headers="date date …"` would
//! otherwise make the signing string, and the HMAC over it, up to 32 times
//! longer), and the signing string is at most [`MAX_SIGNING_STRING_LEN`]
//! bytes ([`SignatureError::SigningStringTooLong`], refused while it is being
//! built, before the date, the digest or any HMAC is looked at).
//!
//! # Why not `http-signature-normalization`
//!
//! That crate was evaluated before this parser was written. Version
//! 0.7.1 was read and does not fit:
//! - its licence is AGPL-3.0, which this Apache-2.0 project cannot take on;
//! - its parser splits the header on every `,` (a quoted value holding a
//!   comma breaks), strips quotes with `trim_matches` (unquoted and
//!   unterminated values pass), lets duplicated parameters overwrite each
//!   other and ignores garbage without `=`;
//! - it defaults the signed headers to `(created)` (cavage-12) where npm and
//!   Bold use `date`, and makes `algorithm` optional;
//! - it reads the clock itself (`SystemTime::now()` at parse time), only
//!   checks that a date is not too old (not too far in the future), and lets
//!   an unparsable `Date` pass;
//! - headers come in as a `BTreeMap<String, String>`, so repeated headers
//!   are lost before it sees them.
//!
//! The parameter grammar is small (`name="value"` pairs, no escapes), so it is
//! written here (the private `params` module), with the HMAC and digest checks.
//!
//! Why one file: the verifier is one pipeline (parameters, signing string,
//! skew, digest, HMAC) whose steps share the request's parsed state and whose
//! order is part of what is checked; the parameter grammar, the replay guard,
//! the signer, the platform HMAC and X-HMAC are their own modules, the tests
//! too.

mod params;
pub mod platform;
mod replay;
mod signer;
pub mod xhmac;

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use http::HeaderMap;
use subtle::ConstantTimeEq;

pub use platform::{BodySignature, BodySignatureError, DigestEncoding};
pub use replay::{DEFAULT_REPLAY_CAPACITY, ReplayGuard};
pub use signer::{DEFAULT_SIGNED_HEADERS, SIGNABLE_HEADERS, Signer, SignerError};
pub use xhmac::{
    DEFAULT_XHMAC_WINDOW, X_HMAC, X_HMAC_TIMESTAMP, XHmacError, XHmacSigner, XHmacSignerError,
    XHmacStamp, XHmacVerified, XHmacVerifier,
};

/// The largest parameter header (`Authorization` or `Signature`) looked at.
pub const MAX_PARAMS_LEN: usize = 8 * 1024;
/// The most header names a signature may list.
pub const MAX_SIGNED_HEADERS: usize = 32;
/// The longest base64 `signature` parameter looked at.
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// The longest signing string (the `name: value` lines joined with `\n`,
/// `(request-target)` included) a signature may cover: 16 KiB. Bold's
/// signing strings are a few hundred bytes; a longer one is refused before
/// any HMAC is computed.
pub const MAX_SIGNING_STRING_LEN: usize = 16 * 1024;

/// The pseudo-header naming the request method and target.
pub const REQUEST_TARGET: &str = "(request-target)";

/// An HMAC algorithm, as named in the `algorithm` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `hmac-sha256`: what Bold uses; the only one allowed by default.
    HmacSha256,
    /// `hmac-sha1`: legal in the protocol; refused unless a policy allows it.
    HmacSha1,
    /// `hmac-sha512`: legal in the protocol; refused unless a policy allows it.
    HmacSha512,
}

impl Algorithm {
    /// Every algorithm this module knows.
    pub const ALL: [Algorithm; 3] = [
        Algorithm::HmacSha256,
        Algorithm::HmacSha1,
        Algorithm::HmacSha512,
    ];

    /// The lowercase protocol name, e.g. `hmac-sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The length of a MAC in bytes.
    pub fn mac_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha512 => 64,
        }
    }

    /// The HMAC of `data` keyed with `key`.
    fn mac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        #[cfg(test)]
        tests::count_mac();
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length (longer ones are hashed), so
            // `new_from_slice` cannot fail for it.
            #[allow(clippy::expect_used)]
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key)
                .expect("HMAC accepts keys of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Algorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(key, data),
            Algorithm::HmacSha1 => run::<Hmac<sha1::Sha1>>(key, data),
            Algorithm::HmacSha512 => run::<Hmac<sha2::Sha512>>(key, data),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `algorithm` name this module does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown algorithm (expected hmac-sha256, hmac-sha1 or hmac-sha512)")]
pub struct UnknownAlgorithm;

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Parses `hmac-sha256`, `hmac-sha1`, `hmac-sha512`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.as_str().eq_ignore_ascii_case(s))
            .ok_or(UnknownAlgorithm)
    }
}

/// Compares with an algorithm's name as written in a signature or a
/// manifest (`hmac-sha256`), ignoring case.
impl PartialEq<&str> for Algorithm {
    fn eq(&self, other: &&str) -> bool {
        self.as_str().eq_ignore_ascii_case(other)
    }
}

/// A client secret: the HMAC key. Its `Debug` never shows it, and nothing in
/// this module logs or displays it.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// A secret from raw bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    /// Whether the secret is empty. An empty secret never verifies anything;
    /// configuration should refuse it.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s.into_bytes())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.as_bytes().to_vec())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }
}

impl From<&[u8]> for Secret {
    fn from(bytes: &[u8]) -> Self {
        Secret(bytes.to_vec())
    }
}

/// What a request must satisfy beyond a valid HMAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Algorithms accepted. Default: `[HmacSha256]`.
    pub algorithms: Vec<Algorithm>,
    /// How far `date`/`x-date` may be from now, either way (inclusive).
    /// Default: 300 s.
    pub max_skew: Duration,
    /// Refuse signatures that do not cover `digest` (the body). Default: off,
    /// since Bold's date-only signatures would fail.
    pub require_digest: bool,
    /// Refuse signatures that do not cover `(request-target)`. Default: off.
    pub require_request_target: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            algorithms: vec![Algorithm::HmacSha256],
            max_skew: Duration::from_secs(300),
            require_digest: false,
            require_request_target: false,
        }
    }
}

/// The parts of a received request a signature may cover.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The request method.
    pub method: &'a http::Method,
    /// The path and query exactly as received (the original URI, before any
    /// router stripped a prefix): `(request-target)` covers it byte for byte.
    pub path_and_query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw body bytes (what `digest` covers).
    pub body: &'a [u8],
}

/// A request whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The `keyId` parameter, as sent (not interpreted: Bold's key is the
    /// plugin's client secret whatever the id says).
    pub key_id: String,
    /// The algorithm used.
    pub algorithm: Algorithm,
    /// The decoded signature bytes (for [`ReplayGuard`]).
    pub signature: Vec<u8>,
    /// The signed header names, lowercase, in order.
    pub signed_headers: Vec<String>,
}

/// Why a request's signature was refused. `Display` is a short, log-safe
/// reason; [`SignatureError::code`] a stable word for metrics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Neither an `Authorization` nor a `Signature` header.
    #[error("no Authorization or Signature header")]
    MissingSignature,
    /// The `Authorization` header's scheme is not `Signature`.
    #[error("Authorization scheme is not Signature")]
    BadScheme,
    /// The parameter header is longer than [`MAX_PARAMS_LEN`].
    #[error("signature parameters longer than {MAX_PARAMS_LEN} bytes")]
    ParamsTooLong,
    /// The parameters do not parse.
    #[error("malformed signature parameters: {0}")]
    MalformedParams(&'static str),
    /// A parameter appears twice.
    #[error("duplicated signature parameter")]
    DuplicateParam,
    /// A required parameter (`keyId`, `algorithm`, `signature`) is missing or
    /// empty.
    #[error("missing signature parameter {0}")]
    MissingParam(&'static str),
    /// The `algorithm` is not one this module knows.
    #[error("unknown algorithm")]
    UnknownAlgorithm,
    /// The algorithm is known but the policy does not allow it.
    #[error("algorithm {0} not allowed")]
    AlgorithmNotAllowed(Algorithm),
    /// More than [`MAX_SIGNED_HEADERS`] signed headers.
    #[error("more than {MAX_SIGNED_HEADERS} signed headers")]
    TooManyHeaders,
    /// A name appears twice in the `headers` parameter (compared
    /// case-insensitively). Holds the lowercase name, checked to be a token
    /// or `(request-target)`.
    #[error("signed header {0} is listed more than once")]
    DuplicateSignedHeader(String),
    /// The signing string would be longer than [`MAX_SIGNING_STRING_LEN`].
    #[error("signing string longer than {MAX_SIGNING_STRING_LEN} bytes")]
    SigningStringTooLong,
    /// Neither `date` nor `x-date` is signed.
    #[error("neither date nor x-date is signed")]
    DateNotSigned,
    /// The policy requires `digest` to be signed and it is not.
    #[error("digest is not signed")]
    DigestNotSigned,
    /// The policy requires `(request-target)` to be signed and it is not.
    #[error("(request-target) is not signed")]
    RequestTargetNotSigned,
    /// A signed header is absent from the request.
    #[error("signed header {0} is missing from the request")]
    MissingHeader(String),
    /// A header that may appear only once appears more than once.
    #[error("header {0} appears more than once")]
    DuplicateHeader(String),
    /// A signed header's value is not visible ASCII.
    #[error("header {0} has a value that is not visible ASCII")]
    BadHeaderValue(String),
    /// The signed `date`/`x-date` is not an HTTP date.
    #[error("{0} is not an HTTP date")]
    BadDate(&'static str),
    /// The signed date is too far from now.
    #[error("date is {skew_secs} s from now, more than the {max_secs} s allowed")]
    Skew {
        /// How far the date is from now, in whole seconds.
        skew_secs: u64,
        /// The allowed skew, in whole seconds.
        max_secs: u64,
    },
    /// The `Digest` header is not a list of `algorithm=base64` entries.
    #[error("malformed Digest header")]
    BadDigest,
    /// The `Digest` header has no SHA-256 or SHA-512 entry.
    #[error("Digest header has no SHA-256 or SHA-512 entry")]
    UnsupportedDigest,
    /// The body does not match the `Digest` header.
    #[error("body does not match the Digest header")]
    DigestMismatch,
    /// The `signature` parameter is longer than [`MAX_SIGNATURE_LEN`].
    #[error("signature longer than {MAX_SIGNATURE_LEN} bytes")]
    SignatureTooLong,
    /// The `signature` parameter is not base64.
    #[error("signature is not base64")]
    SignatureNotBase64,
    /// The decoded signature is not as long as the algorithm's MAC.
    #[error("signature has the wrong length for {0}")]
    SignatureLength(Algorithm),
    /// The HMAC does not match under any secret.
    #[error("signature does not match")]
    BadSignature,
    /// The signature was seen before (see [`ReplayGuard`]).
    #[error("signature was already used")]
    Replayed,
}

impl SignatureError {
    /// A stable word for metrics and logs, e.g. `skew`.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::MissingSignature => "missing_signature",
            SignatureError::BadScheme => "bad_scheme",
            SignatureError::ParamsTooLong => "params_too_long",
            SignatureError::MalformedParams(_) => "malformed_params",
            SignatureError::DuplicateParam => "duplicate_param",
            SignatureError::MissingParam(_) => "missing_param",
            SignatureError::UnknownAlgorithm => "unknown_algorithm",
            SignatureError::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            SignatureError::TooManyHeaders => "too_many_headers",
            SignatureError::DuplicateSignedHeader(_) => "duplicate_signed_header",
            SignatureError::SigningStringTooLong => "signing_string_too_long",
            SignatureError::DateNotSigned => "date_not_signed",
            SignatureError::DigestNotSigned => "digest_not_signed",
            SignatureError::RequestTargetNotSigned => "request_target_not_signed",
            SignatureError::MissingHeader(_) => "missing_header",
            SignatureError::DuplicateHeader(_) => "duplicate_header",
            SignatureError::BadHeaderValue(_) => "bad_header_value",
            SignatureError::BadDate(_) => "bad_date",
            SignatureError::Skew { .. } => "skew",
            SignatureError::BadDigest => "bad_digest",
            SignatureError::UnsupportedDigest => "unsupported_digest",
            SignatureError::DigestMismatch => "digest_mismatch",
            SignatureError::SignatureTooLong => "signature_too_long",
            SignatureError::SignatureNotBase64 => "signature_not_base64",
            SignatureError::SignatureLength(_) => "bad_signature_length",
            SignatureError::BadSignature => "bad_signature",
            SignatureError::Replayed => "replayed",
        }
    }
}

/// Headers that may appear at most once when signed (Node.js keeps only the
/// first of most of these; two of them are ambiguous, so refuse).
const SINGLETON_HEADERS: [&str; 7] = [
    "date",
    "x-date",
    "host",
    "content-type",
    "content-length",
    "authorization",
    "signature",
];

/// Verifies signed requests under a [`Policy`] and one or two secrets.
#[derive(Debug, Clone)]
pub struct Verifier {
    policy: Policy,
    secrets: Vec<Secret>,
}

impl Verifier {
    /// A verifier accepting a signature made with any of `secrets` (two
    /// during a rotation). Empty secrets never verify anything; with no
    /// secret at all every request fails with [`SignatureError::BadSignature`].
    pub fn new(policy: Policy, secrets: Vec<Secret>) -> Self {
        Verifier { policy, secrets }
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Checks `request`'s signature as of `now`.
    pub fn verify(
        &self,
        request: &SignedRequest<'_>,
        now: SystemTime,
    ) -> Result<Verified, SignatureError> {
        let raw = find_params(request.headers)?;
        let parsed = params::parse(raw)?;

        let key_id = required(parsed.key_id, "keyId")?;
        let algorithm_name = required(parsed.algorithm, "algorithm")?;
        let signature_b64 = required(parsed.signature, "signature")?;

        let algorithm: Algorithm = algorithm_name
            .parse()
            .map_err(|_| SignatureError::UnknownAlgorithm)?;
        if !self.policy.algorithms.contains(&algorithm) {
            return Err(SignatureError::AlgorithmNotAllowed(algorithm));
        }

        if signature_b64.len() > MAX_SIGNATURE_LEN {
            return Err(SignatureError::SignatureTooLong);
        }
        let signature = BASE64
            .decode(signature_b64)
            .map_err(|_| SignatureError::SignatureNotBase64)?;
        if signature.len() != algorithm.mac_len() {
            return Err(SignatureError::SignatureLength(algorithm));
        }

        let signed_headers = signed_header_names(parsed.headers, request.headers)?;
        let is_signed = |name: &str| signed_headers.iter().any(|h| h == name);
        if !is_signed("date") && !is_signed("x-date") {
            return Err(SignatureError::DateNotSigned);
        }
        if self.policy.require_request_target && !is_signed(REQUEST_TARGET) {
            return Err(SignatureError::RequestTargetNotSigned);
        }
        if self.policy.require_digest && !is_signed("digest") {
            return Err(SignatureError::DigestNotSigned);
        }

        let signing_string = signing_string(
            &signed_headers,
            request.method.as_str(),
            request.path_and_query,
            request.headers,
        )?;

        for name in ["date", "x-date"] {
            if is_signed(name) {
                check_date(name, request.headers, self.policy.max_skew, now)?;
            }
        }
        if is_signed("digest") {
            check_digest(request.headers, request.body)?;
        }

        // Try every secret, whichever matches, so timing does not tell which.
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            let expected = algorithm.mac(secret.bytes(), signing_string.as_bytes());
            let usable = subtle::Choice::from(u8::from(!secret.is_empty()));
            matched |= expected.ct_eq(&signature) & usable;
        }
        if !bool::from(matched) {
            return Err(SignatureError::BadSignature);
        }

        Ok(Verified {
            key_id: key_id.to_owned(),
            algorithm,
            signature,
            signed_headers,
        })
    }
}

fn required<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, SignatureError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(SignatureError::MissingParam(name)),
    }
}

/// The parameter string: `Authorization: Signature <params>`, else a bare
/// `Signature: <params>`.
fn find_params(headers: &HeaderMap) -> Result<&str, SignatureError> {
    let (value, prefixed) = if let Some(v) = single(headers, "authorization")? {
        (v, true)
    } else if let Some(v) = single(headers, "signature")? {
        (v, false)
    } else {
        return Err(SignatureError::MissingSignature);
    };
    if value.len() > MAX_PARAMS_LEN {
        return Err(SignatureError::ParamsTooLong);
    }
    let value = value
        .to_str()
        .map_err(|_| SignatureError::MalformedParams("not visible ASCII"))?;
    if !prefixed {
        return Ok(value);
    }
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Signature") {
        return Err(SignatureError::BadScheme);
    }
    Ok(rest)
}

/// The one value of `name`, refusing a repeated header.
fn single<'a>(
    headers: &'a HeaderMap,
    name: &str,
) -> Result<Option<&'a http::HeaderValue>, SignatureError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(SignatureError::DuplicateHeader(name.to_owned()));
    }
    Ok(first)
}

/// The signed header names: lowercased, checked to be tokens or
/// `(request-target)`, at most [`MAX_SIGNED_HEADERS`], none twice. Absent or
/// empty → `x-date` if the request has one, else `date` (as npm does).
fn signed_header_names(
    list: Option<&str>,
    headers: &HeaderMap,
) -> Result<Vec<String>, SignatureError> {
    let list = list.unwrap_or("").trim();
    if list.is_empty() {
        let default = if headers.contains_key("x-date") {
            "x-date"
        } else {
            "date"
        };
        return Ok(vec![default.to_owned()]);
    }
    let mut names = Vec::new();
    for name in list.split_ascii_whitespace() {
        if names.len() == MAX_SIGNED_HEADERS {
            return Err(SignatureError::TooManyHeaders);
        }
        let name = name.to_ascii_lowercase();
        if name != REQUEST_TARGET && !is_token(&name) {
            return Err(SignatureError::MalformedParams(
                "headers holds a name that is not a header name or (request-target)",
            ));
        }
        if names.contains(&name) {
            return Err(SignatureError::DuplicateSignedHeader(name));
        }
        names.push(name);
    }
    Ok(names)
}

/// An RFC 9110 token (what a header name is).
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// The value of a signed header as npm sees it: trimmed, repeated values
/// joined with `, `.
fn header_value(headers: &HeaderMap, name: &str) -> Result<String, SignatureError> {
    let mut values = headers.get_all(name).iter().peekable();
    if values.peek().is_none() {
        return Err(SignatureError::MissingHeader(name.to_owned()));
    }
    let mut joined = String::new();
    for (i, value) in values.enumerate() {
        if i > 0 {
            if SINGLETON_HEADERS.contains(&name) {
                return Err(SignatureError::DuplicateHeader(name.to_owned()));
            }
            joined.push_str(", ");
        }
        let value = value
            .to_str()
            .map_err(|_| SignatureError::BadHeaderValue(name.to_owned()))?;
        joined.push_str(value.trim_matches([' ', '\t']));
    }
    Ok(joined)
}

/// The signing string for `names` (already lowercased and checked), refused
/// as soon as it would exceed [`MAX_SIGNING_STRING_LEN`].
fn signing_string(
    names: &[String],
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
) -> Result<String, SignatureError> {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        let value = if name == REQUEST_TARGET {
            format!("{} {path_and_query}", method.to_ascii_lowercase())
        } else {
            header_value(headers, name)?
        };
        // `\n` (after the first line), `name`, `: `, `value`.
        let line = usize::from(i > 0) + name.len() + 2 + value.len();
        if out.len() + line > MAX_SIGNING_STRING_LEN {
            return Err(SignatureError::SigningStringTooLong);
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&value);
    }
    Ok(out)
}

fn check_date(
    name: &'static str,
    headers: &HeaderMap,
    max_skew: Duration,
    now: SystemTime,
) -> Result<(), SignatureError> {
    let value = header_value(headers, name)?;
    let date = httpdate::parse_http_date(&value).map_err(|_| SignatureError::BadDate(name))?;
    let skew = match now.duration_since(date) {
        Ok(past) => past,
        Err(future) => future.duration(),
    };
    if skew > max_skew {
        return Err(SignatureError::Skew {
            skew_secs: skew.as_secs(),
            max_secs: max_skew.as_secs(),
        });
    }
    Ok(())
}

/// A digest algorithm of the `Digest` header (RFC 3230).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DigestAlgorithm {
    Sha256,
    Sha512,
}

impl DigestAlgorithm {
    fn of(self, body: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            DigestAlgorithm::Sha256 => sha2::Sha256::digest(body).to_vec(),
            DigestAlgorithm::Sha512 => sha2::Sha512::digest(body).to_vec(),
        }
    }
}

/// `SHA-256=<base64 of the body's SHA-256>`, the `Digest` value a signer sends.
pub fn digest_header_value(body: &[u8]) -> String {
    format!(
        "SHA-256={}",
        BASE64.encode(DigestAlgorithm::Sha256.of(body))
    )
}

/// Checks `Digest` against the body: every SHA-256/SHA-512 entry must match,
/// and there must be at least one. Other algorithms are ignored.
fn check_digest(headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    let value = header_value(headers, "digest")?;
    let mut checked = false;
    let mut all_match = subtle::Choice::from(1);
    for entry in value.split(',') {
        let entry = entry.trim_matches([' ', '\t']);
        if entry.is_empty() {
            continue;
        }
        let (name, encoded) = entry.split_once('=').ok_or(SignatureError::BadDigest)?;
        let algorithm = if name.eq_ignore_ascii_case("sha-256") {
            DigestAlgorithm::Sha256
        } else if name.eq_ignore_ascii_case("sha-512") {
            DigestAlgorithm::Sha512
        } else {
            continue;
        };
        let received = BASE64
            .decode(encoded)
            .map_err(|_| SignatureError::BadDigest)?;
        all_match &= algorithm.of(body).ct_eq(&received);
        checked = true;
    }
    if !checked {
        return Err(SignatureError::UnsupportedDigest);
    }
    if !bool::from(all_match) {
        return Err(SignatureError::DigestMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
