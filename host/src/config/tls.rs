//! The host file's `[tls]` table: the plugin listener serves HTTPS with this
//! certificate chain and key instead of plain HTTP.
//!
//! ```toml
//! [tls]
//! cert = "tls/fullchain.pem"   # PEM: the leaf certificate first, then its intermediates
//! key = "tls/privkey.pem"      # PEM: its private key (PKCS#8, PKCS#1 RSA or SEC1 EC)
//! ```
//!
//! Both paths are relative to the host file and may name the same file.
//! Reading the table checks only its shape: the files are read by
//! [`TlsSettings::load`], at start-up, by `check`, and again whenever the
//! server reloads them (`server::tls`), so a pair that goes bad later never
//! stops a plugin reload.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, InconsistentKeys};

/// `[tls]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl RawTls {
    /// Both keys set and not empty; the paths resolved against `base` (the
    /// host file's directory) with `resolve`.
    pub(super) fn resolve(self, resolve: impl Fn(&Path) -> PathBuf) -> Result<TlsSettings, String> {
        let field = |name: &str, value: Option<PathBuf>| match value {
            Some(path) if !path.as_os_str().is_empty() => Ok(resolve(&path)),
            Some(_) => Err(format!("field `tls.{name}` is empty")),
            None => Err(format!(
                "table `tls`: set `{name}` (a PEM file; `cert` the certificate chain, `key` its \
                 private key)"
            )),
        };
        Ok(TlsSettings {
            cert: field("cert", self.cert)?,
            key: field("key", self.key)?,
        })
    }
}

/// `[tls]`, resolved: where the certificate chain and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// A certificate chain and its key, read and checked against each other.
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// What rustls serves.
    pub certified: Arc<CertifiedKey>,
    /// SHA-256 of the leaf certificate (DER), lowercase hex: the
    /// fingerprint the log names.
    pub fingerprint: String,
    /// SHA-256 of both files' bytes: a reload whose files did not change
    /// keeps the identity without a word.
    pub source_digest: [u8; 32],
}

/// Why `[tls]`'s files cannot be served. Each message names the field and
/// the file, never key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("field `tls.{field}`: cannot read {}: {source}", path.display())]
    Read {
        /// `cert` or `key`.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not well-formed PEM.
    #[error("field `tls.{field}`: {} is not valid PEM: {message}", path.display())]
    Pem {
        /// `cert` or `key`.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// The certificate file holds no certificate.
    #[error(
        "field `tls.cert`: {} holds no certificate (a PEM `BEGIN CERTIFICATE` block)",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key.
    #[error(
        "field `tls.key`: {} holds no private key (a PEM `BEGIN PRIVATE KEY`, \
         `BEGIN RSA PRIVATE KEY` or `BEGIN EC PRIVATE KEY` block)",
        path.display()
    )]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// The private key is of a kind TLS cannot sign with.
    #[error("field `tls.key`: {}: unusable private key: {message}", path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        message: String,
    },
    /// The leaf certificate cannot be parsed.
    #[error("field `tls.cert`: {}: the first certificate cannot be parsed: {message}", path.display())]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        message: String,
    },
    /// The key is not the certificate's.
    #[error(
        "fields `tls.cert` and `tls.key`: the private key in {} does not match the first \
         certificate in {}",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
}

/// The crypto provider the listener uses: ring (the one in the tree).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsSettings {
    /// Reads both files and checks that the key is the leaf certificate's.
    pub fn load(&self) -> Result<TlsIdentity, TlsError> {
        let read = |field: &'static str, path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                field,
                path: path.to_owned(),
                source,
            })
        };
        let cert_pem = read("cert", &self.cert)?;
        let key_pem = read("key", &self.key)?;
        let mut identity = self.parse(&cert_pem, &key_pem)?;
        let mut digest = Sha256::new();
        digest.update(Sha256::digest(&cert_pem));
        digest.update(Sha256::digest(&key_pem));
        identity.source_digest = digest.finalize().into();
        Ok(identity)
    }

    fn parse(&self, cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsIdentity, TlsError> {
        let pem_error = |field: &'static str, path: &Path, err: pem::Error| TlsError::Pem {
            field,
            path: path.to_owned(),
            message: err.to_string(),
        };
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error("cert", &self.cert, e))?;
        let Some(leaf) = chain.first() else {
            return Err(TlsError::NoCertificate {
                path: self.cert.clone(),
            });
        };
        let fingerprint = hex::encode(Sha256::digest(leaf.as_ref()));
        let key = match PrivateKeyDer::from_pem_slice(key_pem) {
            Ok(key) => key,
            Err(pem::Error::NoItemsFound) => {
                return Err(TlsError::NoKey {
                    path: self.key.clone(),
                });
            }
            Err(err) => return Err(pem_error("key", &self.key, err)),
        };
        let signing_key = crypto_provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::BadKey {
                path: self.key.clone(),
                message: e.to_string(),
            })?;
        let certified = CertifiedKey::new(chain, signing_key);
        match certified.keys_match() {
            // A key whose public half rustls cannot compute is not refused.
            Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
            Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
                return Err(TlsError::KeyMismatch {
                    cert: self.cert.clone(),
                    key: self.key.clone(),
                });
            }
            Err(err) => {
                return Err(TlsError::BadCertificate {
                    path: self.cert.clone(),
                    message: err.to_string(),
                });
            }
        }
        Ok(TlsIdentity {
            certified: Arc::new(certified),
            fingerprint,
            source_digest: [0; 32],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let generated =
            rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("a certificate");
        (generated.cert.pem(), generated.signing_key.serialize_pem())
    }

    fn settings(dir: &Path) -> TlsSettings {
        TlsSettings {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }

    fn write(dir: &Path, cert: &str, key: &str) -> TlsSettings {
        std::fs::write(dir.join("cert.pem"), cert).expect("write cert");
        std::fs::write(dir.join("key.pem"), key).expect("write key");
        settings(dir)
    }

    #[test]
    fn the_table_needs_both_paths_resolved_against_the_host_file() {
        let base = Path::new("/etc/plugin-host");
        let raw: RawTls =
            toml::from_str("cert = \"tls/cert.pem\"\nkey = \"/keys/key.pem\"").expect("parses");
        let settings = raw.resolve(|p| base.join(p)).expect("resolves");
        assert_eq!(settings.cert, Path::new("/etc/plugin-host/tls/cert.pem"));
        assert_eq!(settings.key, Path::new("/keys/key.pem"));

        let no_key: RawTls = toml::from_str("cert = \"c.pem\"").expect("parses");
        let err = no_key.resolve(|p| p.to_owned()).unwrap_err();
        assert!(err.contains("table `tls`: set `key`"), "{err}");
        let empty: RawTls = toml::from_str("cert = \"\"\nkey = \"k.pem\"").expect("parses");
        let err = empty.resolve(|p| p.to_owned()).unwrap_err();
        assert_eq!(err, "field `tls.cert` is empty");
        let unknown = toml::from_str::<RawTls>("cert = \"c\"\nkey = \"k\"\nchain = \"x\"");
        assert!(unknown.unwrap_err().to_string().contains("chain"));
    }

    #[test]
    fn the_host_file_names_the_files_and_https_becomes_the_default_public_url() {
        use crate::config::HostConfig;
        let dir = tempfile::tempdir().expect("tempdir");
        let host = dir.path().join("host.toml");
        let no_env = |_: &str| None;
        std::fs::write(&host, "listen = \"127.0.0.1:8443\"\n").expect("write");
        let plain = HostConfig::from_file_with_env(&host, &no_env).expect("reads");
        assert_eq!(plain.tls, None);
        assert_eq!(plain.public_url, "http://127.0.0.1:8443");
        assert!(plain.load_tls().expect("nothing to load").is_none());

        std::fs::write(
            &host,
            "listen = \"127.0.0.1:8443\"\n[tls]\ncert = \"tls/cert.pem\"\nkey = \"./tls/key.pem\"\n",
        )
        .expect("write");
        let mut config = HostConfig::from_file_with_env(&host, &no_env).expect("reads");
        let tls_dir = dir.path().join("tls");
        assert_eq!(config.tls, Some(settings(&tls_dir)));
        assert_eq!(config.public_url, "https://127.0.0.1:8443");
        config.set_listen("127.0.0.1:9443".parse().expect("an address"));
        assert_eq!(config.public_url, "https://127.0.0.1:9443");

        // The table is read without the files; loading them names the host
        // file, the field and the file.
        let err = config.load_tls().unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "{}: field `tls.cert`: cannot read ",
                host.display()
            )) && err.contains("tls/cert.pem"),
            "{err}"
        );
        std::fs::create_dir(&tls_dir).expect("mkdir");
        let (cert, key) = pair("localhost");
        write(&tls_dir, &cert, &key);
        assert!(config.load_tls().expect("loads").is_some());

        std::fs::write(&host, "[tls]\ncert = \"tls/cert.pem\"\n").expect("write");
        let err = HostConfig::from_file_with_env(&host, &no_env)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("{}: table `tls`: set `key`", host.display())),
            "{err}"
        );
    }

    #[test]
    fn a_matching_pair_loads_and_one_file_may_hold_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pair("localhost");
        let identity = write(dir.path(), &cert, &key).load().expect("loads");
        assert_eq!(identity.certified.cert.len(), 1);
        assert_eq!(identity.fingerprint.len(), 64);
        assert_ne!(identity.source_digest, [0; 32]);

        let both = dir.path().join("both.pem");
        std::fs::write(&both, format!("{key}{cert}")).expect("write");
        let same = TlsSettings {
            cert: both.clone(),
            key: both,
        }
        .load()
        .expect("one file with both");
        assert_eq!(same.fingerprint, identity.fingerprint);
    }

    #[test]
    fn each_bad_pair_is_named_by_field_and_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pair("localhost");
        let (_, other_key) = pair("localhost");

        let missing = settings(dir.path()).load().unwrap_err().to_string();
        assert!(
            missing.starts_with("field `tls.cert`: cannot read ") && missing.contains("cert.pem"),
            "{missing}"
        );

        let err = write(dir.path(), &key, &key)
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("field `tls.cert`: ") && err.contains("holds no certificate"),
            "{err}"
        );

        let err = write(dir.path(), &cert, &cert)
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("field `tls.key`: ") && err.contains("holds no private key"),
            "{err}"
        );

        let err = write(dir.path(), &cert, &other_key)
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not match") && err.contains("key.pem") && err.contains("cert.pem"),
            "{err}"
        );

        let broken = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let err = write(dir.path(), broken, &key)
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("field `tls.cert`: ") && err.contains("not valid PEM"),
            "{err}"
        );

        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = write(dir.path(), garbage, &key)
            .load()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("field `tls.cert`: "), "{err}");

        let bad_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let err = write(dir.path(), &cert, bad_key)
            .load()
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("field `tls.key`: ") && err.contains("unusable private key"),
            "{err}"
        );
        assert!(!err.contains("AAAA"), "no key material in messages: {err}");
    }
}
