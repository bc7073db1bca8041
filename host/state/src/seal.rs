//! Sealing tokens at rest: ChaCha20-Poly1305 (ring) under the operator's
//! 256-bit key, a fresh random 96-bit nonce per seal (installs are rare: far
//! below the 2^32 seals per key where random nonces start to matter), and
//! the row's identity as associated data, so a sealed token only opens in
//! the row it was sealed for.
//!
//! Each sealed value records the id of its key (a hash of the key, not the
//! key), so a value sealed under another key says so instead of failing as
//! "corrupt", and a previous key given during a rotation is found.

use std::fmt;

use base64::Engine;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// Bytes in a key.
pub const KEY_LEN: usize = 32;

/// The operator's key: 32 bytes, given as standard base64 (44 characters,
/// e.g. `head -c 32 /dev/urandom | base64`) or as 64 hex digits. Its
/// `Debug` shows only its id.
pub struct StateKey {
    key: LessSafeKey,
    id: String,
}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 32 bytes in base64 or hex.
    #[error(
        "the state key must be 32 bytes, written as base64 (44 characters) or as 64 hex digits; \
         make one with `head -c 32 /dev/urandom | base64`"
    )]
    Format,
}

impl StateKey {
    /// Reads a key as written in the operator's variable (surrounding
    /// whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN {
            hex::decode(text).map_err(|_| KeyError::Format)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| KeyError::Format)?
        };
        Self::from_bytes(&bytes)
    }

    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != KEY_LEN {
            return Err(KeyError::Format);
        }
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, bytes).map_err(|_| KeyError::Format)?;
        let mut hash = Sha256::new();
        hash.update(b"plugin-host state key id\0");
        hash.update(bytes);
        let id = hex::encode(&hash.finalize()[..8]);
        Ok(Self {
            key: LessSafeKey::new(unbound),
            id,
        })
    }

    /// The key's id: 16 hex digits of a hash of it, safe to store and log.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for StateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A sealed value: the id of its key, and nonce ‖ ciphertext ‖ tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// [`StateKey::id`] of the key that sealed it.
    pub key_id: String,
    /// Nonce, ciphertext and tag.
    pub bytes: Vec<u8>,
}

/// Why a value could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// It was sealed under a key the host was not given.
    #[error(
        "sealed under key {0}, which is neither the current nor the previous state key \
         (install the plugin on that shop again, or give the old key as the previous one)"
    )]
    UnknownKey(String),
    /// It does not open: altered, truncated, or moved to another row.
    #[error("a sealed token does not open: altered, or not sealed for this row")]
    Corrupt,
    /// The system's random source failed.
    #[error("the system random source failed")]
    Random,
}

/// The current key, and the previous one during a rotation.
#[derive(Debug)]
pub struct Keys {
    current: StateKey,
    previous: Option<StateKey>,
}

impl Keys {
    /// The keys: `current` seals; both open.
    pub fn new(current: StateKey, previous: Option<StateKey>) -> Self {
        Self { current, previous }
    }

    /// The current key's id.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Seals `plain` for the row named by `row` (associated data).
    pub fn seal(&self, row: &[u8], plain: &[u8]) -> Result<Sealed, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut in_out = plain.to_vec();
        self.current
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(row),
                &mut in_out,
            )
            .map_err(|_| SealError::Random)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + in_out.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&in_out);
        Ok(Sealed {
            key_id: self.current.id.clone(),
            bytes,
        })
    }

    /// Opens what [`Keys::seal`] sealed for the same `row`.
    pub fn open(&self, row: &[u8], sealed: &Sealed) -> Result<Vec<u8>, SealError> {
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| SealError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.bytes.len() < NONCE_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, body) = sealed.bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut in_out = body.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(row), &mut in_out)
            .map_err(|_| SealError::Corrupt)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> StateKey {
        StateKey::from_bytes(&[byte; KEY_LEN]).expect("key")
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_nothing_else() {
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let hex = hex::encode([7u8; 32]);
        assert_eq!(StateKey::parse(&b64).expect("b64").id(), key(7).id());
        assert_eq!(
            StateKey::parse(&format!(" {hex}\n")).expect("hex").id(),
            key(7).id()
        );
        for bad in [
            "",
            "short",
            &hex[..62],
            &base64::engine::general_purpose::STANDARD.encode([7u8; 31]),
        ] {
            assert_eq!(
                StateKey::parse(bad).map(|_| ()),
                Err(KeyError::Format),
                "{bad}"
            );
        }
        assert!(!format!("{:?}", key(7)).contains("07070707"));
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_row_and_under_its_key() {
        let keys = Keys::new(key(1), None);
        let sealed = keys.seal(b"row-a", b"token").expect("seal");
        assert_eq!(keys.open(b"row-a", &sealed).expect("open"), b"token");
        assert!(!sealed.bytes.windows(5).any(|w| w == b"token"));
        assert_eq!(keys.open(b"row-b", &sealed), Err(SealError::Corrupt));
        for i in 0..sealed.bytes.len() {
            let mut flipped = sealed.clone();
            flipped.bytes[i] ^= 1;
            assert_eq!(
                keys.open(b"row-a", &flipped),
                Err(SealError::Corrupt),
                "byte {i}"
            );
        }
        let mut short = sealed.clone();
        short.bytes.truncate(5);
        assert_eq!(keys.open(b"row-a", &short), Err(SealError::Corrupt));
        // Two seals of one value differ (fresh nonces).
        assert_ne!(keys.seal(b"row-a", b"token").expect("seal"), sealed);
    }

    #[test]
    fn a_rotation_keeps_old_values_open_and_seals_with_the_new_key() {
        let old = Keys::new(key(1), None);
        let sealed = old.seal(b"r", b"t").expect("seal");
        let rotated = Keys::new(key(2), Some(key(1)));
        assert_eq!(rotated.open(b"r", &sealed).expect("open"), b"t");
        assert_eq!(rotated.seal(b"r", b"t").expect("seal").key_id, key(2).id());
        let without_old = Keys::new(key(2), None);
        assert_eq!(
            without_old.open(b"r", &sealed),
            Err(SealError::UnknownKey(key(1).id().to_owned()))
        );
    }
}
