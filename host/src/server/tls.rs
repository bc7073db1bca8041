//! HTTPS on the plugin listener (`[tls]`): rustls with ring, HTTP/1.1 by
//! ALPN, and the certificate chain and key served from a slot that is
//! swapped when their files change, as certificate renewal does. The files
//! are re-read on a change in their directories (debounced), on SIGHUP, and
//! once a minute (for file systems that send no events). A pair that does
//! not load is logged as an error and the previous one keeps serving; new
//! connections get the new pair, open ones keep theirs. Each pair has a TLS
//! configuration of its own, and so its own session cache: a session
//! authenticated with the old pair is not resumed after a reload.
//!
//! The handshake itself runs in the listener's connection task, under the
//! request-head deadline and the connection cap (`listener`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ServerConfig};

use crate::config::tls::crypto_provider;
use crate::config::{TlsIdentity, TlsSettings};

/// How long file events are collected before the files are re-read.
const DEBOUNCE: Duration = Duration::from_millis(250);
/// How often the files are re-read without any event.
const POLL: Duration = Duration::from_secs(60);

/// The certificate the listener serves, swapped on reload.
pub(super) struct Certificates {
    settings: TlsSettings,
    current: ArcSwap<Served>,
    /// The last reload error, so that a pair that stays bad is logged as
    /// an error once, not once a minute.
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Certificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificates")
            .field("cert", &self.settings.cert)
            .field("key", &self.settings.key)
            .field("fingerprint", &self.current.load().identity.fingerprint)
            .finish()
    }
}

/// One pair and the acceptor that serves it.
struct Served {
    identity: TlsIdentity,
    acceptor: TlsAcceptor,
}

/// Always the one pair.
#[derive(Debug)]
struct Fixed(Arc<CertifiedKey>);

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The rustls acceptor of one pair: ring, TLS 1.2 and 1.3, no client
/// certificates, ALPN `http/1.1` (the listener speaks HTTP/1 only), a
/// session cache of its own.
fn served(identity: TlsIdentity) -> Result<Served, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(identity.certified.clone())));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Served {
        identity,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

impl Certificates {
    /// Serves `first` (loaded from `settings` at start-up).
    pub(super) fn new(
        settings: TlsSettings,
        first: TlsIdentity,
    ) -> Result<Arc<Self>, rustls::Error> {
        let first = served(first)?;
        tracing::info!(
            cert = %settings.cert.display(),
            sha256 = %first.identity.fingerprint,
            "TLS: the plugin listener serves HTTPS"
        );
        Ok(Arc::new(Self {
            settings,
            current: ArcSwap::from_pointee(first),
            last_error: Mutex::new(None),
        }))
    }

    /// The acceptor of the current pair, for a new connection.
    pub(super) fn acceptor(&self) -> TlsAcceptor {
        self.current.load().acceptor.clone()
    }

    /// Re-reads the files: a new pair is swapped in, the same files change
    /// nothing, a bad pair is logged and the current one kept. Blocking
    /// file I/O: call it off the async workers.
    fn reload(&self) {
        let mut last_error = self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let loaded = self.settings.load().map_err(|e| e.to_string());
        match loaded {
            Ok(identity)
                if identity.source_digest == self.current.load().identity.source_digest =>
            {
                *last_error = None;
            }
            Ok(identity) => match served(identity) {
                Ok(new) => {
                    tracing::info!(
                        cert = %self.settings.cert.display(),
                        sha256 = %new.identity.fingerprint,
                        previous = %self.current.load().identity.fingerprint,
                        "TLS certificate reloaded; new connections get it"
                    );
                    self.current.store(Arc::new(new));
                    *last_error = None;
                }
                Err(err) => {
                    tracing::error!(error = %err, "TLS certificate not reloaded: cannot set up TLS");
                }
            },
            Err(message) => {
                if last_error.as_deref() == Some(message.as_str()) {
                    tracing::debug!(error = %message, "TLS certificate still not reloadable");
                } else {
                    tracing::error!(
                        error = %message,
                        serving = %self.current.load().identity.fingerprint,
                        "TLS certificate not reloaded; the previous one keeps serving"
                    );
                    *last_error = Some(message);
                }
            }
        }
    }
}

/// Re-reads the certificate files on a change in their directories, on
/// SIGHUP and every [`POLL`], for as long as the process runs.
pub(super) fn spawn_reloader(certificates: Arc<Certificates>) {
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let watcher = match start_watcher(&certificates.settings, changed_tx.clone()) {
        Ok(watcher) => Some(watcher),
        Err(err) => {
            tracing::warn!(
                error = %err,
                "TLS: cannot watch the certificate files; they are re-read every minute and on SIGHUP"
            );
            None
        }
    };
    spawn_sighup(changed_tx);
    tokio::spawn(async move {
        let _watcher = watcher;
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        poll.tick().await;
        loop {
            tokio::select! {
                got = changed.recv() => {
                    if got.is_none() {
                        return;
                    }
                    // Renewal writes several files: let them settle.
                    while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, changed.recv()).await {}
                }
                _ = poll.tick() => {}
            }
            let certificates = certificates.clone();
            let _ = tokio::task::spawn_blocking(move || certificates.reload()).await;
        }
    });
}

/// Sends a unit on each SIGHUP (the plugin reload logs the signal).
#[cfg(unix)]
fn spawn_sighup(changed: mpsc::UnboundedSender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    if changed.send(()).is_err() {
                        break;
                    }
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "TLS: cannot listen for SIGHUP"),
    }
}

#[cfg(not(unix))]
fn spawn_sighup(_changed: mpsc::UnboundedSender<()>) {}

/// Watches the directories of both files (and of their targets, when they
/// are symbolic links): any change there may be a renewal, including the
/// swap of a directory link (Kubernetes secrets) that leaves the files' own
/// names untouched; a re-read of unchanged files costs two small reads.
fn start_watcher(
    settings: &TlsSettings,
    changed: mpsc::UnboundedSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !matches!(event.kind, notify::EventKind::Access(_))
        {
            let _ = changed.send(());
        }
    })?;
    let mut dirs = HashSet::new();
    for file in [&settings.cert, &settings.key] {
        let given = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        dirs.extend(parent(&given));
        if let Ok(target) = std::fs::canonicalize(file) {
            dirs.extend(parent(&target));
        }
    }
    for dir in dirs {
        if let Err(err) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %err, "TLS: cannot watch for certificate changes");
        }
    }
    Ok(watcher)
}

fn parent(path: &Path) -> Option<PathBuf> {
    path.parent().map(Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path) -> String {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("a certificate");
        std::fs::write(dir.join("cert.pem"), generated.cert.pem()).expect("cert");
        std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).expect("key");
        generated.cert.pem()
    }

    fn served(certificates: &Certificates) -> String {
        certificates.current.load().identity.fingerprint.clone()
    }

    #[test]
    fn a_new_pair_is_swapped_in_and_a_bad_one_keeps_the_old() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = TlsSettings {
            cert: dir.path().join("cert.pem"),
            key: dir.path().join("key.pem"),
        };
        write_pair(dir.path());
        let first = settings.load().expect("loads");
        let first_fingerprint = first.fingerprint.clone();
        let certificates = Certificates::new(settings.clone(), first).expect("TLS set up");
        certificates.reload();
        assert_eq!(served(&certificates), first_fingerprint, "unchanged files");

        // A key that is not the certificate's: refused, the old pair kept.
        let old_cert = std::fs::read(dir.path().join("cert.pem")).expect("read");
        write_pair(dir.path());
        std::fs::write(dir.path().join("cert.pem"), &old_cert).expect("write");
        certificates.reload();
        assert_eq!(served(&certificates), first_fingerprint);
        assert!(certificates.last_error.lock().expect("lock").is_some());

        write_pair(dir.path());
        certificates.reload();
        let second = served(&certificates);
        assert_ne!(second, first_fingerprint);
        assert_eq!(second, settings.load().expect("loads").fingerprint);
        assert!(certificates.last_error.lock().expect("lock").is_none());
    }
}
