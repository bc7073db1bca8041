//! The platform's webhook signature: an HMAC-SHA256 of the raw body, in a
//! configurable header, hex or base64 (the scheme Shopify, WooCommerce and
//! most platforms use). Pure: no clock, no I/O.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Secret;

/// How the digest is written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestEncoding {
    /// Standard base64 with padding (padding optional when verifying).
    Base64,
    /// Lower- or upper-case hex.
    Hex,
}

/// Verifies platform webhooks for one plugin.
#[derive(Clone)]
pub struct BodySignature {
    /// The header carrying the digest, lower case.
    pub header: String,
    /// Its encoding.
    pub encoding: DigestEncoding,
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for BodySignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodySignature")
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// Why a webhook was refused (logged, never sent back: the answer is a bare
/// 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodySignatureError {
    /// The header is absent or not valid text.
    #[error("signature header missing")]
    Missing,
    /// The header's value does not decode in the configured encoding.
    #[error("signature header is not valid {0}")]
    Malformed(&'static str),
    /// No secret produces this digest.
    #[error("signature does not match")]
    Mismatch,
}

type HmacSha256 = Hmac<Sha256>;

impl BodySignature {
    /// A verifier with one secret, or two during a rotation.
    pub fn new(header: &str, encoding: DigestEncoding, secrets: Vec<Secret>) -> Self {
        Self {
            header: header.to_ascii_lowercase(),
            encoding,
            secrets,
        }
    }

    /// Checks `headers` against `body` (constant-time per secret).
    pub fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<(), BodySignatureError> {
        let value = headers
            .get(self.header.as_str())
            .and_then(|v| v.to_str().ok())
            .ok_or(BodySignatureError::Missing)?
            .trim();
        let given = match self.encoding {
            DigestEncoding::Hex => {
                hex::decode(value).map_err(|_| BodySignatureError::Malformed("hex"))?
            }
            DigestEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(value)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(value))
                .map_err(|_| BodySignatureError::Malformed("base64"))?,
        };
        let mut matched = false;
        for secret in &self.secrets {
            let mut mac = HmacSha256::new_from_slice(secret.bytes())
                .map_err(|_| BodySignatureError::Mismatch)?;
            mac.update(body);
            // `verify_slice` compares in constant time; every secret is tried
            // so timing does not tell which one matched.
            matched |= mac.verify_slice(&given).is_ok();
        }
        if matched {
            Ok(())
        } else {
            Err(BodySignatureError::Mismatch)
        }
    }

    /// A hash of the settings and secrets (reload detects a change without
    /// keeping secrets around in another form).
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut hasher = Sha256::new();
        hasher.update(self.header.as_bytes());
        hasher.update([self.encoding as u8]);
        for secret in &self.secrets {
            hasher.update(Sha256::digest(secret.bytes()));
        }
        hasher.finalize().into()
    }

    /// The header value for `body` with the first secret (tests, `sign`).
    pub fn sign(&self, body: &[u8]) -> Option<String> {
        let secret = self.secrets.first()?;
        let mut mac = HmacSha256::new_from_slice(secret.bytes()).ok()?;
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        Some(match self.encoding {
            DigestEncoding::Hex => hex::encode(digest),
            DigestEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, value: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        map
    }

    // `printf '{"id":1}' | openssl dgst -sha256 -hmac s3cret`
    const BODY: &[u8] = br#"{"id":1}"#;
    const HEX: &str = "63ddab34da5838e383545e9c90b40f74a4e3daabc5dd9a8d49a51875ad4b2418";

    #[test]
    fn matches_openssl_in_hex_and_base64() {
        let hex_sig = BodySignature::new(
            "X-Platform-Hmac-Sha256",
            DigestEncoding::Hex,
            vec![Secret::new("s3cret")],
        );
        let expected = hex_sig.sign(BODY).unwrap();
        assert_eq!(expected, HEX);
        assert_eq!(
            hex_sig.verify(&headers("x-platform-hmac-sha256", &expected), BODY),
            Ok(())
        );
        assert_eq!(
            hex_sig.verify(
                &headers("x-platform-hmac-sha256", &expected.to_uppercase()),
                BODY
            ),
            Ok(())
        );
        let b64 = BodySignature::new("x-sig", DigestEncoding::Base64, vec![Secret::new("s3cret")]);
        let value = b64.sign(BODY).unwrap();
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&value)
                .unwrap(),
            hex::decode(&expected).unwrap()
        );
        assert_eq!(b64.verify(&headers("x-sig", &value), BODY), Ok(()));
    }

    #[test]
    fn refuses_missing_malformed_and_wrong_signatures() {
        let sig = BodySignature::new(
            "x-sig",
            DigestEncoding::Hex,
            vec![Secret::new("old"), Secret::new("new")],
        );
        let good = sig.sign(BODY).unwrap();
        assert_eq!(sig.verify(&headers("x-sig", &good), BODY), Ok(()));
        assert_eq!(
            sig.verify(&http::HeaderMap::new(), BODY),
            Err(BodySignatureError::Missing)
        );
        assert_eq!(
            sig.verify(&headers("x-sig", "zz"), BODY),
            Err(BodySignatureError::Malformed("hex"))
        );
        assert_eq!(
            sig.verify(&headers("x-sig", &good), b"{\"id\":2}"),
            Err(BodySignatureError::Mismatch)
        );
        // The second secret of a rotation is accepted too.
        let rotated = BodySignature::new("x-sig", DigestEncoding::Hex, vec![Secret::new("new")]);
        let new_value = rotated.sign(BODY).unwrap();
        assert_eq!(sig.verify(&headers("x-sig", &new_value), BODY), Ok(()));
    }
}
