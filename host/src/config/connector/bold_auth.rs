//! How Bold's calls to a connector are authenticated: the `[connector]` keys
//! `bold_auth`, `bold_hmac_secret_env` / `bold_hmac_secret_file`,
//! `bold_hmac_window_secs`, `bold_hmac_replay_protection` and
//! `bold_verify_path`.
//!
//! - **X-HMAC** (`bold_auth = "x-hmac"`, `bold/PROTOCOL.md` §6): Bold sends
//!   `X-HMAC-Timestamp` and `X-HMAC` = base64(HMAC-SHA256(shared secret,
//!   timestamp)); the shared secret comes from Bold Account Center (one, or
//!   two during a rotation). The timestamp must be within
//!   `bold_hmac_window_secs` of the host's clock (default 300, at most
//!   3600), and a (timestamp, MAC) pair is accepted once
//!   (`bold_hmac_replay_protection`, default true: only the timestamp is
//!   signed, so two calls stamped in the same instant are one credential;
//!   turn it off only if Bold's calls are refused as replays, see the
//!   README). The Verify Platform Connector Destination route,
//!   `/plugins/{id}/<bold_verify_path>` (default `bold/verify`), exists only
//!   in this mode.
//! - **cavage** (`bold_auth = "cavage"`): Bold's calls are checked like
//!   checkout events, a draft-cavage signature with the client secret under
//!   the manifest's `[signature]` policy (what this host did before X-HMAC).
//!
//! Without `bold_auth`, a connector with `bold_hmac_secret_env` or
//! `bold_hmac_secret_file` uses X-HMAC, the default; one with neither keeps
//! cavage, so that a manifest written before X-HMAC existed still starts,
//! and start-up warns that it should name the shared secret (or say
//! `bold_auth = "cavage"`). Keys of the other mode are refused, with the key
//! to change named.

use std::time::Duration;

use serde::Deserialize;

use crate::config::secrets::OneOrTwo;
use crate::signature::DEFAULT_XHMAC_WINDOW;

/// The Verify Platform Connector Destination route, under `/plugins/{id}/`,
/// unless `bold_verify_path` says otherwise.
pub const DEFAULT_VERIFY_PATH: &str = "bold/verify";

/// The widest `bold_hmac_window_secs`: a stamp is a bearer credential for
/// its whole window, and the replay memory holds every pair for twice it.
pub const MAX_WINDOW_SECS: u64 = 3600;

/// The longest `bold_verify_path`.
const MAX_VERIFY_PATH_LEN: usize = 128;

/// First segments of `bold_verify_path` that belong to other plugin routes
/// (present or reserved).
const RESERVED_SEGMENTS: [&str; 5] = ["events", "overrides", "webhooks", "platform", "oauth"];

/// `bold_auth` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum BoldAuthKind {
    #[serde(rename = "x-hmac")]
    XHmac,
    #[serde(rename = "cavage")]
    Cavage,
}

/// The `[connector]` keys of this module, as written.
#[derive(Debug, Default)]
pub(crate) struct RawBoldAuth {
    pub kind: Option<BoldAuthKind>,
    pub secret_env: Option<OneOrTwo>,
    pub secret_file: Option<OneOrTwo>,
    pub window_secs: Option<u64>,
    pub replay_protection: Option<bool>,
    pub verify_path: Option<String>,
}

/// How Bold's calls on a connector are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoldAuth {
    /// `X-HMAC-Timestamp` and `X-HMAC` with the shared secret.
    XHmac(XHmacSettings),
    /// A draft-cavage signature with the client secret.
    Cavage {
        /// `bold_auth = "cavage"` was written; `false`: chosen because no
        /// X-HMAC secret is configured (start-up warns).
        explicit: bool,
    },
}

impl BoldAuth {
    /// The X-HMAC settings, in that mode.
    pub fn x_hmac(&self) -> Option<&XHmacSettings> {
        match self {
            BoldAuth::XHmac(settings) => Some(settings),
            BoldAuth::Cavage { .. } => None,
        }
    }

    /// The word `bold_auth` takes for this mode.
    pub fn as_str(&self) -> &'static str {
        match self {
            BoldAuth::XHmac(_) => "x-hmac",
            BoldAuth::Cavage { .. } => "cavage",
        }
    }
}

/// X-HMAC's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XHmacSettings {
    /// Environment variable(s) of the shared secret.
    pub secret_env: Option<OneOrTwo>,
    /// File(s) of the shared secret, resolved against the manifest's
    /// directory.
    pub secret_file: Option<OneOrTwo>,
    /// How far `X-HMAC-Timestamp` may be from the host's clock, either way.
    pub window: Duration,
    /// Refuse a (timestamp, MAC) pair seen before (default true).
    pub replay_protection: bool,
    /// The Verify Platform Connector Destination route under
    /// `/plugins/{id}/`, e.g. `bold/verify`.
    pub verify_path: String,
}

impl RawBoldAuth {
    /// Checks the keys; `resolve` anchors secret files. Errors name the
    /// field (`connector.…`).
    pub(crate) fn check(self, resolve: impl Fn(&str) -> String) -> Result<BoldAuth, String> {
        let has_secret = self.secret_env.is_some() || self.secret_file.is_some();
        let x_hmac_keys: Vec<&str> = [
            ("bold_hmac_secret_env", self.secret_env.is_some()),
            ("bold_hmac_secret_file", self.secret_file.is_some()),
            ("bold_hmac_window_secs", self.window_secs.is_some()),
            (
                "bold_hmac_replay_protection",
                self.replay_protection.is_some(),
            ),
            ("bold_verify_path", self.verify_path.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        match self.kind {
            Some(BoldAuthKind::Cavage) => {
                if let Some(key) = x_hmac_keys.first() {
                    return Err(format!(
                        "field `connector.{key}` applies to bold_auth = \"x-hmac\" only, and \
                         `connector.bold_auth` is \"cavage\": remove the key, or the line \
                         bold_auth = \"cavage\""
                    ));
                }
                Ok(BoldAuth::Cavage { explicit: true })
            }
            Some(BoldAuthKind::XHmac) | None if has_secret => self.x_hmac(resolve),
            Some(BoldAuthKind::XHmac) => Err(
                "field `connector.bold_auth` is \"x-hmac\" but no shared secret is named: set \
                 `connector.bold_hmac_secret_env` (an environment variable) or \
                 `connector.bold_hmac_secret_file` (a file), the secret Bold Account Center \
                 created for this connector"
                    .into(),
            ),
            None => match x_hmac_keys.first() {
                Some(key) => Err(format!(
                    "field `connector.{key}` needs the X-HMAC shared secret: set \
                     `connector.bold_hmac_secret_env` or `connector.bold_hmac_secret_file`"
                )),
                None => Ok(BoldAuth::Cavage { explicit: false }),
            },
        }
    }

    fn x_hmac(self, resolve: impl Fn(&str) -> String) -> Result<BoldAuth, String> {
        if self.secret_env.is_some() && self.secret_file.is_some() {
            return Err(
                "fields `connector.bold_hmac_secret_env` and `connector.bold_hmac_secret_file`: \
                 set only one of them"
                    .into(),
            );
        }
        let window = match self.window_secs {
            None => DEFAULT_XHMAC_WINDOW,
            Some(secs @ 1..=MAX_WINDOW_SECS) => Duration::from_secs(secs),
            Some(_) => {
                return Err(format!(
                    "field `connector.bold_hmac_window_secs` must be 1..={MAX_WINDOW_SECS}"
                ));
            }
        };
        let verify_path = match self.verify_path {
            None => DEFAULT_VERIFY_PATH.to_owned(),
            Some(path) => check_verify_path(&path)
                .map_err(|why| format!("field `connector.bold_verify_path`: {path:?} {why}"))?,
        };
        Ok(BoldAuth::XHmac(XHmacSettings {
            secret_env: self.secret_env,
            secret_file: self.secret_file.map(|files| files.map(resolve)),
            window,
            replay_protection: self.replay_protection.unwrap_or(true),
            verify_path,
        }))
    }
}

/// A route under `/plugins/{id}/` that no other plugin route takes:
/// segments of letters, digits, `-`, `_`, `.`, `~` (not `.` or `..`), no
/// leading or trailing `/`; not under a reserved first segment, and not
/// `bold/` followed by two or more segments (Bold's calls on the
/// connector).
fn check_verify_path(path: &str) -> Result<String, String> {
    if path.is_empty() || path.len() > MAX_VERIFY_PATH_LEN {
        return Err(format!(
            "must be 1-{MAX_VERIFY_PATH_LEN} characters (a path under /plugins/{{id}}/)"
        ));
    }
    let segments: Vec<&str> = path.split('/').collect();
    let plain = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    };
    if !segments.iter().all(plain) {
        return Err(
            "must be a relative path (under /plugins/{id}/, no leading or trailing `/`) of \
             segments of letters, digits, `-`, `_`, `.` or `~`"
                .into(),
        );
    }
    if RESERVED_SEGMENTS.contains(&segments[0]) {
        return Err(format!(
            "starts with `{}/`, a route of its own (reserved: {})",
            segments[0],
            RESERVED_SEGMENTS.join(", ")
        ));
    }
    if segments[0] == "bold" && segments.len() >= 3 {
        return Err(
            "is taken by Bold's calls on the connector, /plugins/{id}/bold/{shop_identifier}/…: \
             under `bold/`, use one segment (e.g. `bold/verify`)"
                .into(),
        );
    }
    Ok(path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawBoldAuth {
        RawBoldAuth::default()
    }

    fn check(raw: RawBoldAuth) -> Result<BoldAuth, String> {
        raw.check(|f| format!("/base/{f}"))
    }

    fn with_secret() -> RawBoldAuth {
        RawBoldAuth {
            secret_env: Some(OneOrTwo::One("BOLD_HMAC".into())),
            ..raw()
        }
    }

    #[test]
    fn a_secret_means_x_hmac_with_the_defaults() {
        let auth = check(with_secret()).unwrap();
        assert_eq!(
            auth,
            BoldAuth::XHmac(XHmacSettings {
                secret_env: Some(OneOrTwo::One("BOLD_HMAC".into())),
                secret_file: None,
                window: Duration::from_secs(300),
                replay_protection: true,
                verify_path: "bold/verify".into(),
            })
        );
        assert_eq!(auth.as_str(), "x-hmac");
        let explicit = RawBoldAuth {
            kind: Some(BoldAuthKind::XHmac),
            secret_file: Some(OneOrTwo::Many(vec!["new".into(), "old".into()])),
            window_secs: Some(60),
            replay_protection: Some(false),
            verify_path: Some("bold/destination-check".into()),
            ..raw()
        };
        let settings = check(explicit).unwrap().x_hmac().cloned().unwrap();
        assert_eq!(
            settings.secret_file,
            Some(OneOrTwo::Many(vec!["/base/new".into(), "/base/old".into()]))
        );
        assert_eq!(settings.window, Duration::from_secs(60));
        assert!(!settings.replay_protection);
        assert_eq!(settings.verify_path, "bold/destination-check");
    }

    #[test]
    fn no_secret_and_no_choice_keeps_cavage_implicitly() {
        assert_eq!(check(raw()), Ok(BoldAuth::Cavage { explicit: false }));
        let explicit = RawBoldAuth {
            kind: Some(BoldAuthKind::Cavage),
            ..raw()
        };
        let auth = check(explicit).unwrap();
        assert_eq!(auth, BoldAuth::Cavage { explicit: true });
        assert_eq!(auth.as_str(), "cavage");
        assert!(auth.x_hmac().is_none());
    }

    #[test]
    fn keys_of_the_other_mode_are_refused_by_name() {
        let cavage_with_secret = RawBoldAuth {
            kind: Some(BoldAuthKind::Cavage),
            ..with_secret()
        };
        let err = check(cavage_with_secret).unwrap_err();
        assert!(err.contains("`connector.bold_hmac_secret_env`"), "{err}");
        assert!(err.contains("\"cavage\""), "{err}");
        let cavage_with_path = RawBoldAuth {
            kind: Some(BoldAuthKind::Cavage),
            verify_path: Some("bold/verify".into()),
            ..raw()
        };
        assert!(
            check(cavage_with_path)
                .unwrap_err()
                .contains("bold_verify_path")
        );

        let x_hmac_without_secret = RawBoldAuth {
            kind: Some(BoldAuthKind::XHmac),
            ..raw()
        };
        let err = check(x_hmac_without_secret).unwrap_err();
        assert!(err.contains("bold_hmac_secret_env"), "{err}");
        assert!(err.contains("Bold Account Center"), "{err}");
        let window_without_secret = RawBoldAuth {
            window_secs: Some(60),
            ..raw()
        };
        let err = check(window_without_secret).unwrap_err();
        assert!(
            err.contains("`connector.bold_hmac_window_secs` needs"),
            "{err}"
        );

        let both = RawBoldAuth {
            secret_file: Some(OneOrTwo::One("f".into())),
            ..with_secret()
        };
        assert!(check(both).unwrap_err().contains("set only one of them"));
    }

    #[test]
    fn the_window_is_bounded() {
        for (secs, ok) in [(0, false), (1, true), (3600, true), (3601, false)] {
            let raw = RawBoldAuth {
                window_secs: Some(secs),
                ..with_secret()
            };
            let got = check(raw);
            assert_eq!(got.is_ok(), ok, "{secs}: {got:?}");
            if let Err(err) = got {
                assert!(err.contains("1..=3600"), "{err}");
            }
        }
    }

    #[test]
    fn verify_paths_stay_clear_of_the_other_routes() {
        for good in [
            "bold/verify",
            "verify",
            "bold-verify",
            "destinations/verify",
            "a/b/c/d",
            "v1.0/check_~x",
            "bold",
        ] {
            assert_eq!(check_verify_path(good), Ok(good.to_owned()), "{good}");
        }
        for bad in [
            "",
            "/bold/verify",
            "bold/verify/",
            "bold//verify",
            "bold/../verify",
            "./verify",
            "bold/ver ify",
            "bold/ver%20ify",
            "bold/vérify",
            "events",
            "events/verify",
            "overrides/verify",
            "webhooks/x",
            "platform/verify",
            "oauth/verify",
            "bold/shop/verify",
            "bold/a/b/c",
        ] {
            assert!(check_verify_path(bad).is_err(), "{bad}");
        }
        assert!(check_verify_path(&"a".repeat(129)).is_err());
        let err = check(RawBoldAuth {
            verify_path: Some("bold/shop/verify".into()),
            ..with_secret()
        })
        .unwrap_err();
        assert!(
            err.starts_with("field `connector.bold_verify_path`: \"bold/shop/verify\" is taken"),
            "{err}"
        );
    }
}
