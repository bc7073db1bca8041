//! Property tests of X-HMAC (Bold's calls to a connector): whatever
//! [`XHmacSigner`] signs, [`XHmacVerifier`] with the same secret accepts
//! inside the window, under any RFC 3339 spelling of the instant; any byte of
//! the timestamp or the MAC changed, another secret, a clock outside the
//! window or a second use is refused (the host answers those 401).
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};
use plugin_host_signature::{
    ReplayGuard, Secret, X_HMAC, X_HMAC_TIMESTAMP, XHmacError, XHmacSigner, XHmacStamp,
    XHmacVerifier,
};
use proptest::prelude::*;
use proptest::sample::Index;
use time::{OffsetDateTime, UtcOffset};

/// One stamp and the clock it is checked against.
#[derive(Debug, Clone)]
struct Case {
    secret: Vec<u8>,
    /// When it was signed: Unix seconds and nanoseconds.
    secs: i64,
    nanos: u32,
    /// How the instant is spelled: `None` = the signer's own
    /// (`YYYY-MM-DDTHH:MM:SSZ`, whole seconds); otherwise an offset in
    /// minutes, fraction digits (0-9), the separator and the case of `T`/`Z`.
    spelling: Option<Spelling>,
    window: Duration,
    /// The verifier's clock, this many ms from the signed instant (inside
    /// the window).
    offset_ms: i64,
}

#[derive(Debug, Clone)]
struct Spelling {
    offset_minutes: i16,
    digits: usize,
    separator: char,
    z_as_offset: bool,
    lowercase: bool,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (
        -(23 * 60 + 59)..=(23i16 * 60 + 59),
        0usize..=9,
        prop_oneof![Just('T'), Just('t'), Just(' ')],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(offset_minutes, digits, separator, z_as_offset, lowercase)| Spelling {
                offset_minutes,
                digits,
                separator,
                z_as_offset,
                lowercase,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(any::<u8>(), 1..80),
        1_000_000_000i64..4_000_000_000,
        0u32..1_000_000_000,
        proptest::option::of(spelling()),
        1u64..=3600,
        any::<Index>(),
        any::<bool>(),
    )
        .prop_map(|(secret, secs, nanos, spelling, window, at, late)| {
            // Anywhere in the window, either way, to the millisecond; the
            // signer truncates to whole seconds, so keep a second's margin.
            let span = (window.saturating_sub(1) * 1000) as usize;
            let magnitude = at.index(span + 1) as i64;
            Case {
                secret,
                secs,
                nanos,
                spelling,
                window: Duration::from_secs(window),
                offset_ms: if late { magnitude } else { -magnitude },
            }
        })
}

impl Case {
    fn signer(&self) -> XHmacSigner {
        XHmacSigner::new(Secret::new(self.secret.clone())).unwrap()
    }

    fn signed_at(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(self.secs.unsigned_abs())
            + Duration::from_nanos(u64::from(self.nanos))
    }

    /// The instant the timestamp names (the signer drops the fraction).
    fn named(&self) -> SystemTime {
        match self.spelling {
            None => SystemTime::UNIX_EPOCH + Duration::from_secs(self.secs.unsigned_abs()),
            Some(ref s) => {
                let kept =
                    self.nanos / 10u32.pow(9 - s.digits as u32) * 10u32.pow(9 - s.digits as u32);
                SystemTime::UNIX_EPOCH
                    + Duration::from_secs(self.secs.unsigned_abs())
                    + Duration::from_nanos(u64::from(kept))
            }
        }
    }

    fn stamp(&self) -> XHmacStamp {
        let signer = self.signer();
        match &self.spelling {
            None => signer.sign(self.signed_at()),
            Some(s) => signer.sign_timestamp(&spell(self.secs, self.nanos, s)),
        }
    }

    fn now(&self) -> SystemTime {
        let offset = Duration::from_millis(self.offset_ms.unsigned_abs());
        if self.offset_ms < 0 {
            self.named() - offset
        } else {
            self.named() + offset
        }
    }

    fn verifier(&self, secrets: Vec<Secret>) -> XHmacVerifier {
        XHmacVerifier::new(secrets, self.window)
    }

    fn secret(&self) -> Vec<Secret> {
        vec![Secret::new(self.secret.clone())]
    }
}

/// The instant `secs.nanos` in the zone `offset_minutes` east of UTC, as
/// RFC 3339 with `digits` fraction digits.
fn spell(secs: i64, nanos: u32, s: &Spelling) -> String {
    let offset = UtcOffset::from_whole_seconds(i32::from(s.offset_minutes) * 60).unwrap();
    let at = OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .to_offset(offset);
    let mut out = format!(
        "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        s.separator,
        at.hour(),
        at.minute(),
        at.second()
    );
    if s.digits > 0 {
        out.push('.');
        out.push_str(&format!("{nanos:09}")[..s.digits]);
    }
    if s.offset_minutes == 0 && !s.z_as_offset {
        out.push('Z');
    } else {
        let sign = if s.offset_minutes < 0 { '-' } else { '+' };
        let m = s.offset_minutes.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
    }
    if s.lowercase {
        out = out.replace('T', "t").replace('Z', "z");
    }
    out
}

fn headers(timestamp: &[u8], mac: &[u8]) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    map.insert(X_HMAC_TIMESTAMP, HeaderValue::from_bytes(timestamp).ok()?);
    map.insert(X_HMAC, HeaderValue::from_bytes(mac).ok()?);
    Some(map)
}

fn stamped(stamp: &XHmacStamp) -> HeaderMap {
    headers(stamp.timestamp().as_bytes(), stamp.mac_base64().as_bytes()).unwrap()
}

/// `bytes` with the byte at `at` replaced by itself plus `delta` (never 0).
fn flipped(bytes: &[u8], at: Index, delta: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = at.index(out.len());
    out[i] = out[i].wrapping_add(delta);
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn whatever_the_signer_signs_verifies_inside_the_window(case in case()) {
        let stamp = case.stamp();
        let map = stamped(&stamp);
        let verified = case.verifier(case.secret()).verify(&map, case.now()).unwrap();
        prop_assert_eq!(verified.secret, 0);
        prop_assert_eq!(&verified.stamp, &stamp);
        // A rotation with the signing secret second accepts too, and says so.
        let mut other = case.secret.clone();
        other.push(b'!');
        let both = vec![Secret::new(other), Secret::new(case.secret.clone())];
        let verified = case.verifier(both).verify(&map, case.now()).unwrap();
        prop_assert_eq!(verified.secret, 1);
    }

    #[test]
    fn a_changed_timestamp_byte_is_refused(
        case in case(),
        at in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let stamp = case.stamp();
        let changed = flipped(stamp.timestamp().as_bytes(), at, delta);
        // Only values a client can send (no control characters).
        let map = headers(&changed, stamp.mac_base64().as_bytes());
        prop_assume!(map.is_some());
        let got = case.verifier(case.secret()).verify(&map.unwrap(), case.now());
        prop_assert!(got.is_err(), "{:?} accepted", String::from_utf8_lossy(&changed));
    }

    #[test]
    fn a_changed_mac_byte_is_refused(
        case in case(),
        at in any::<Index>(),
        delta in 1u8..=255,
    ) {
        let stamp = case.stamp();
        let changed = flipped(stamp.mac_base64().as_bytes(), at, delta);
        let map = headers(stamp.timestamp().as_bytes(), &changed);
        prop_assume!(map.is_some());
        let got = case.verifier(case.secret()).verify(&map.unwrap(), case.now());
        prop_assert!(
            matches!(
                got,
                Err(XHmacError::Mismatch | XHmacError::MacNotBase64 | XHmacError::MacLength)
            ),
            "{:?}: {got:?}",
            String::from_utf8_lossy(&changed)
        );
    }

    #[test]
    fn another_secret_is_refused(case in case(), at in any::<Index>(), delta in 1u8..=255) {
        // One byte off (an independent secret could be the same key: HMAC
        // pads short keys with zeros).
        let other = flipped(&case.secret, at, delta);
        let map = stamped(&case.stamp());
        let got = case.verifier(vec![Secret::new(other)]).verify(&map, case.now());
        prop_assert_eq!(got.unwrap_err(), XHmacError::Mismatch);
    }

    #[test]
    fn a_clock_outside_the_window_is_refused(case in case(), beyond_ms in 1u64..10_000_000, late in any::<bool>()) {
        let map = stamped(&case.stamp());
        let distance = case.window + Duration::from_millis(beyond_ms);
        let now = if late { case.named() + distance } else { case.named() - distance };
        let got = case.verifier(case.secret()).verify(&map, now);
        let outside = matches!(got, Err(XHmacError::OutsideWindow { .. }));
        prop_assert!(outside, "{got:?}");
    }

    #[test]
    fn a_pair_passes_once(case in case()) {
        let map = stamped(&case.stamp());
        let verifier = case.verifier(case.secret());
        let guard = ReplayGuard::for_window(case.window);
        let first = verifier.verify(&map, case.now()).unwrap();
        prop_assert_eq!(first.remember(&guard, case.now()), Ok(()));
        let second = verifier.verify(&map, case.now()).unwrap();
        prop_assert_eq!(second.remember(&guard, case.now()), Err(XHmacError::Replayed));
    }
}
