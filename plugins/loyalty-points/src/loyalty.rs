//! The loyalty service: `GET <loyalty_url>/members/<email>`, through the
//! host's outbound HTTP (its host must be granted to the plugin).
//!
//! Answers: 2xx with `{"tier": "gold", "points": 1200}` is a member; 404 is
//! not a member; anything else (another status, no response, a body that
//! is not a member) means the service is unavailable, and the caller goes
//! on without it.

use plugin_sdk::http::encode_path_segment;
use plugin_sdk::serde_json::Value;
use plugin_sdk::{Host, HttpResponse};

use crate::settings::Settings;

/// The tier that earns the discount (compared case-insensitively).
pub const GOLD: &str = "gold";

/// A loyalty member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The tier, as the service names it (trimmed), e.g. `gold`.
    pub tier: String,
    /// The points balance.
    pub points: i64,
}

impl Member {
    /// Whether the member is in the gold tier.
    pub fn is_gold(&self) -> bool {
        self.tier.eq_ignore_ascii_case(GOLD)
    }

    /// The order note: `Loyalty <tier> member: <points> points`.
    pub fn note(&self) -> String {
        format!("Loyalty {} member: {} points", self.tier, self.points)
    }

    /// Decodes the service's answer leniently: `tier` a non-empty string
    /// (or a number), `points` an integer, a numeric string or an integral
    /// float; a missing or `null` `points` is 0. `None` when the body is
    /// not a JSON object with a tier, or `points` is not a number.
    pub fn from_json(body: &Value) -> Option<Member> {
        let tier = match body.get("tier")? {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        if tier.is_empty() {
            return None;
        }
        let points = match body.get("points") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))?,
            Some(Value::String(s)) => s.trim().parse().ok()?,
            Some(_) => return None,
        };
        Some(Member { tier, points })
    }
}

/// What the loyalty service said about an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A member.
    Member(Member),
    /// 404: not a member.
    NotMember,
    /// No usable answer; the reason is safe to log (no URL, no email).
    Unavailable(String),
}

/// The member URL for `email`: `<loyalty_url>/members/<email,
/// percent-encoded as one path segment>`.
pub fn member_url(settings: &Settings, email: &str) -> String {
    format!(
        "{}/members/{}",
        settings.loyalty_url,
        encode_path_segment(email)
    )
}

/// Asks the loyalty service about `email`.
pub fn lookup(host: &dyn Host, settings: &Settings, email: &str) -> Lookup {
    let url = member_url(settings, email);
    let mut headers = Vec::with_capacity(1);
    if let Some(authorization) = &settings.authorization {
        headers.push(("authorization", authorization.as_str()));
    }
    match host.get(&url, &headers) {
        Ok(response) => classify(&response),
        // The error's message may carry the URL, and the URL the email.
        Err(e) => Lookup::Unavailable(e.kind().to_owned()),
    }
}

fn classify(response: &HttpResponse) -> Lookup {
    match response.status {
        404 => Lookup::NotMember,
        _ if response.is_success() => match response.json::<Value>() {
            Ok(body) => match Member::from_json(&body) {
                Some(member) => Lookup::Member(member),
                None => Lookup::Unavailable("answer is not a member".to_owned()),
            },
            Err(_) => Lookup::Unavailable("answer is not JSON".to_owned()),
        },
        status => Lookup::Unavailable(format!("HTTP {status}")),
    }
}
