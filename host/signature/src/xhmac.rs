//! Bold's authentication of its calls to a platform connector
//! (`bold/PROTOCOL.md` §6): each request carries
//!
//! ```text
//! X-HMAC-Timestamp: 2023-11-14T22:13:20Z
//! X-HMAC: base64(HMAC-SHA256(key = shared secret, message = the timestamp value))
//! ```
//!
//! Only the timestamp is signed (not the method, path or body), so a stamp is
//! a bearer credential for as long as its timestamp is in the window:
//! - [`XHmacVerifier::verify`] checks one request's headers against an
//!   injected clock: both headers present once, the timestamp RFC 3339 and
//!   within the window of now (either way, inclusive), the MAC base64 of 32
//!   bytes and equal, in constant time, to the HMAC under one of the secrets
//!   (one, or two during a rotation: each is tried, whichever matches);
//! - [`XHmacVerified::remember`] then refuses a (timestamp, MAC) pair seen
//!   before, with a [`ReplayGuard`] that remembers pairs for twice the
//!   window ([`ReplayGuard::for_window`]): a stamp can be used once;
//! - [`XHmacSigner`] makes stamps (the connector's answer to Bold's Verify
//!   Platform Connector Destination call, which carries an `X-HMAC` computed
//!   the same way; `plugin-host sign --x-hmac`; tests).
//!
//! Pure, like the rest of the crate: no clock, no I/O, no logging. Errors are
//! log-safe: their `Display` names headers, never a value, and
//! [`XHmacError::code`] is a stable word for metrics. A stamp's `Debug` shows
//! the timestamp, never the MAC.
//!
//! The MAC covers the timestamp exactly as received, so the parser may be
//! lenient without weakening anything: any RFC 3339 offset is accepted (Bold
//! sends UTC), fractional seconds too, and the date-time separator may be
//! `T`, `t` or a space (RFC 3339 §5.6's note). Work before the MAC is bounded:
//! a timestamp longer than [`MAX_TIMESTAMP_LEN`] or a MAC header longer than
//! [`MAX_MAC_LEN`] is refused unread.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Algorithm, ReplayGuard, Secret};

/// The header carrying the timestamp.
pub const X_HMAC_TIMESTAMP: &str = "x-hmac-timestamp";
/// The header carrying the MAC of the timestamp.
pub const X_HMAC: &str = "x-hmac";
/// How far a timestamp may be from the clock, either way, unless configured.
pub const DEFAULT_XHMAC_WINDOW: Duration = Duration::from_secs(300);
/// The longest `X-HMAC-Timestamp` looked at (`2023-11-14T22:13:20Z` is 20
/// bytes; with nanoseconds and an offset, 35).
pub const MAX_TIMESTAMP_LEN: usize = 64;
/// The longest `X-HMAC` looked at (base64 of an HMAC-SHA256 is 44 bytes).
pub const MAX_MAC_LEN: usize = 128;
/// The length of the MAC: HMAC-SHA256.
pub const MAC_LEN: usize = 32;
/// The latest instant a signer writes (9999-12-31T23:59:59Z, the last one
/// RFC 3339 can spell).
const MAX_UNIX_SECS: u64 = 253_402_300_799;

/// Why Bold's X-HMAC was refused. `Display` is a short, log-safe reason;
/// [`XHmacError::code`] a stable word for metrics and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XHmacError {
    /// `X-HMAC-Timestamp` or `X-HMAC` is absent.
    #[error("no {0} header")]
    MissingHeader(&'static str),
    /// `X-HMAC-Timestamp` or `X-HMAC` appears more than once.
    #[error("header {0} appears more than once")]
    DuplicateHeader(&'static str),
    /// `X-HMAC-Timestamp` is longer than [`MAX_TIMESTAMP_LEN`], not visible
    /// ASCII, or not an RFC 3339 date-time.
    #[error("X-HMAC-Timestamp is not an RFC 3339 date-time")]
    BadTimestamp,
    /// The timestamp is too far from now.
    #[error("timestamp is {skew_secs} s from now, more than the {max_secs} s allowed")]
    OutsideWindow {
        /// How far the timestamp is from now, in whole seconds.
        skew_secs: u64,
        /// The window, in whole seconds.
        max_secs: u64,
    },
    /// `X-HMAC` is longer than [`MAX_MAC_LEN`], or not base64.
    #[error("X-HMAC is not base64")]
    MacNotBase64,
    /// The decoded MAC is not [`MAC_LEN`] bytes.
    #[error("X-HMAC is not {MAC_LEN} bytes")]
    MacLength,
    /// No secret gives this MAC for this timestamp.
    #[error("X-HMAC does not match")]
    Mismatch,
    /// This timestamp and MAC were used before (see [`ReplayGuard`]).
    #[error("X-HMAC-Timestamp and X-HMAC were already used")]
    Replayed,
}

impl XHmacError {
    /// A stable word for metrics and logs, e.g. `outside_window`.
    pub fn code(&self) -> &'static str {
        match self {
            XHmacError::MissingHeader(_) => "missing_header",
            XHmacError::DuplicateHeader(_) => "duplicate_header",
            XHmacError::BadTimestamp => "bad_timestamp",
            XHmacError::OutsideWindow { .. } => "outside_window",
            XHmacError::MacNotBase64 => "mac_not_base64",
            XHmacError::MacLength => "bad_mac_length",
            XHmacError::Mismatch => "bad_mac",
            XHmacError::Replayed => "replayed",
        }
    }
}

/// A timestamp and its MAC: what the two headers carry. Its `Debug` shows
/// the timestamp only (the MAC is a credential until it is used).
#[derive(Clone, PartialEq, Eq)]
pub struct XHmacStamp {
    timestamp: String,
    mac: [u8; MAC_LEN],
}

impl XHmacStamp {
    /// The timestamp, as sent.
    pub fn timestamp(&self) -> &str {
        &self.timestamp
    }

    /// The MAC's bytes.
    pub fn mac(&self) -> &[u8; MAC_LEN] {
        &self.mac
    }

    /// The `X-HMAC` value: the MAC in standard base64.
    pub fn mac_base64(&self) -> String {
        BASE64.encode(self.mac)
    }

    /// The headers to send, `X-HMAC-Timestamp` first.
    pub fn headers(&self) -> [(&'static str, String); 2] {
        [
            ("X-HMAC-Timestamp", self.timestamp.clone()),
            ("X-HMAC", self.mac_base64()),
        ]
    }

    /// What a [`ReplayGuard`] remembers: the MAC, then the timestamp (the MAC
    /// has a fixed length, so two different pairs never give one key).
    pub fn replay_key(&self) -> Vec<u8> {
        let mut key = Vec::with_capacity(MAC_LEN + self.timestamp.len());
        key.extend_from_slice(&self.mac);
        key.extend_from_slice(self.timestamp.as_bytes());
        key
    }
}

impl fmt::Debug for XHmacStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XHmacStamp")
            .field("timestamp", &self.timestamp)
            .field("mac", &"<redacted>")
            .finish()
    }
}

/// A request whose X-HMAC checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XHmacVerified {
    /// The timestamp and MAC received.
    pub stamp: XHmacStamp,
    /// Which secret matched: its index in the verifier's list (0 = the first
    /// listed). An answer to this caller is signed with the same one.
    pub secret: usize,
}

impl XHmacVerified {
    /// Refuses the pair if `guard` saw it within its time to live,
    /// otherwise remembers it as of `now`.
    pub fn remember(&self, guard: &ReplayGuard, now: SystemTime) -> Result<(), XHmacError> {
        if guard.remember(&self.stamp.replay_key(), now) {
            Ok(())
        } else {
            Err(XHmacError::Replayed)
        }
    }
}

/// Verifies Bold's X-HMAC under one or two secrets and a window.
#[derive(Clone)]
pub struct XHmacVerifier {
    secrets: Vec<Secret>,
    window: Duration,
}

impl fmt::Debug for XHmacVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XHmacVerifier")
            .field("secrets", &self.secrets.len())
            .field("window", &self.window)
            .finish()
    }
}

impl XHmacVerifier {
    /// A verifier accepting a MAC made with any of `secrets` (two during a
    /// rotation, the current one first), for timestamps within `window` of
    /// the clock. Empty secrets never verify anything; with none at all
    /// every request fails with [`XHmacError::Mismatch`].
    pub fn new(secrets: Vec<Secret>, window: Duration) -> Self {
        XHmacVerifier { secrets, window }
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// How many secrets it holds.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Checks the X-HMAC headers of a request as of `now`. Does not look at
    /// replays: call [`XHmacVerified::remember`] on the result.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<XHmacVerified, XHmacError> {
        let timestamp = single(headers, X_HMAC_TIMESTAMP, "X-HMAC-Timestamp")?;
        let mac = single(headers, X_HMAC, "X-HMAC")?;

        if timestamp.len() > MAX_TIMESTAMP_LEN {
            return Err(XHmacError::BadTimestamp);
        }
        let timestamp = timestamp.to_str().map_err(|_| XHmacError::BadTimestamp)?;
        let at = parse_timestamp(timestamp)?;
        let skew = match now.duration_since(at) {
            Ok(past) => past,
            Err(future) => future.duration(),
        };
        if skew > self.window {
            return Err(XHmacError::OutsideWindow {
                skew_secs: skew.as_secs(),
                max_secs: self.window.as_secs(),
            });
        }

        if mac.len() > MAX_MAC_LEN {
            return Err(XHmacError::MacNotBase64);
        }
        let mac = BASE64
            .decode(mac.as_bytes())
            .map_err(|_| XHmacError::MacNotBase64)?;
        let mac: [u8; MAC_LEN] = mac.try_into().map_err(|_| XHmacError::MacLength)?;

        // Every secret is tried, whichever matches, so timing does not tell
        // which one did; the first match is kept.
        let mut matched = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, secret) in self.secrets.iter().enumerate() {
            let expected = mac_of(secret, timestamp);
            let usable = subtle::Choice::from(u8::from(!secret.is_empty()));
            let hit = expected.ct_eq(&mac) & usable;
            index = u64::conditional_select(&index, &(i as u64), hit & !matched);
            matched |= hit;
        }
        if !bool::from(matched) {
            return Err(XHmacError::Mismatch);
        }
        Ok(XHmacVerified {
            stamp: XHmacStamp {
                timestamp: timestamp.to_owned(),
                mac,
            },
            secret: usize::try_from(index).unwrap_or(0),
        })
    }

    /// A signer with secret number `index` (0 = the first listed), if there
    /// is such a secret and it is not empty.
    pub fn signer(&self, index: usize) -> Option<XHmacSigner> {
        self.secrets
            .get(index)
            .and_then(|s| XHmacSigner::new(s.clone()).ok())
    }

    /// A hash of the window and the secrets (a reload detects a change
    /// without keeping the secrets in another form).
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        hasher.update(b"x-hmac");
        hasher.update(self.window.as_nanos().to_le_bytes());
        for secret in &self.secrets {
            hasher.update(sha2::Sha256::digest(secret.bytes()));
        }
        hasher.finalize().into()
    }
}

/// Why an [`XHmacSigner`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XHmacSignerError {
    /// The secret is empty.
    #[error("secret is empty")]
    EmptySecret,
}

/// Makes X-HMAC stamps with one secret.
#[derive(Debug, Clone)]
pub struct XHmacSigner {
    secret: Secret,
}

impl XHmacSigner {
    /// A signer with `secret` (not empty).
    pub fn new(secret: Secret) -> Result<Self, XHmacSignerError> {
        if secret.is_empty() {
            return Err(XHmacSignerError::EmptySecret);
        }
        Ok(XHmacSigner { secret })
    }

    /// A stamp for `now`: the timestamp in whole seconds, UTC, RFC 3339
    /// (`2023-11-14T22:13:20Z`), and its MAC. Instants before 1970 or after
    /// 9999 are written as those bounds (a stamp that no verifier with a
    /// sane clock accepts).
    pub fn sign(&self, now: SystemTime) -> XHmacStamp {
        self.sign_timestamp(&format_timestamp(now))
    }

    /// A stamp for `timestamp` as given, whatever it says (tests sign odd
    /// spellings and bad values with it).
    pub fn sign_timestamp(&self, timestamp: &str) -> XHmacStamp {
        XHmacStamp {
            timestamp: timestamp.to_owned(),
            mac: mac_of(&self.secret, timestamp),
        }
    }
}

/// HMAC-SHA256 of `timestamp` keyed with `secret`.
fn mac_of(secret: &Secret, timestamp: &str) -> [u8; MAC_LEN] {
    let mac = Algorithm::HmacSha256.mac(secret.bytes(), timestamp.as_bytes());
    let mut out = [0u8; MAC_LEN];
    // HMAC-SHA256 is MAC_LEN bytes; `zip` keeps this total either way.
    for (o, m) in out.iter_mut().zip(mac) {
        *o = m;
    }
    out
}

/// The one value of `name`, refusing an absent or repeated header.
fn single<'a>(
    headers: &'a HeaderMap,
    name: &'static str,
    shown: &'static str,
) -> Result<&'a http::HeaderValue, XHmacError> {
    let mut values = headers.get_all(name).iter();
    let first = values.next().ok_or(XHmacError::MissingHeader(shown))?;
    if values.next().is_some() {
        return Err(XHmacError::DuplicateHeader(shown));
    }
    Ok(first)
}

/// An RFC 3339 date-time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, the
/// separator `T`, `t` or a space) as an instant.
fn parse_timestamp(text: &str) -> Result<SystemTime, XHmacError> {
    // `time` takes any byte as the separator; RFC 3339 allows these.
    if !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
        return Err(XHmacError::BadTimestamp);
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| XHmacError::BadTimestamp)?;
    // Whole seconds since (or before) the epoch, then the fraction: no
    // overflow for any year RFC 3339 can write.
    let secs = at.unix_timestamp();
    let nanos = Duration::from_nanos(u64::from(at.nanosecond()));
    let instant = if secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    instant
        .and_then(|t| t.checked_add(nanos))
        .ok_or(XHmacError::BadTimestamp)
}

/// `now` in whole seconds, UTC, RFC 3339 (`2023-11-14T22:13:20Z`), clamped
/// to 1970..=9999.
fn format_timestamp(now: SystemTime) -> String {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .min(MAX_UNIX_SECS);
    // In range by the clamp, so neither step fails.
    i64::try_from(secs)
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests;
