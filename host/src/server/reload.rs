//! Reload on change: a file watcher on the host file, every manifest and
//! component (debounced), and SIGHUP; the loader does the work off the
//! async workers, then the watcher is re-aimed at the new set of files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::loader::Loader;
use crate::config::HostConfig;

/// How long file events are collected before a reload.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Files whose change triggers a reload: the host file, every manifest and
/// every component.
pub(super) fn watched_files(config: &HostConfig) -> HashSet<PathBuf> {
    let mut files: HashSet<PathBuf> = config
        .plugins
        .iter()
        .flat_map(|p| p.manifest.watched_files())
        .collect();
    files.insert(config.path.clone());
    if let Some(dir) = &config.plugin_dir {
        files.insert(dir.clone());
    }
    files.into_iter().map(|p| absolute(&p)).collect()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Watches the directories of `files`; sends a unit on each relevant change.
pub(super) fn start_watcher(
    files: &HashSet<PathBuf>,
    changed: mpsc::UnboundedSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let wanted = files.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        if event
            .paths
            .iter()
            .any(|p| wanted.contains(p) || p.parent().is_some_and(|dir| wanted.contains(dir)))
        {
            let _ = changed.send(());
        }
    })?;
    let dirs: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| {
            if f.is_dir() {
                Some(f.clone())
            } else {
                f.parent().map(Path::to_owned)
            }
        })
        .collect();
    for dir in dirs {
        if let Err(err) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %err, "cannot watch for changes");
        }
    }
    Ok(watcher)
}

#[cfg(unix)]
pub(super) fn spawn_sighup(changed: mpsc::UnboundedSender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading");
                    if changed.send(()).is_err() {
                        break;
                    }
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "cannot listen for SIGHUP"),
    }
}

#[cfg(not(unix))]
pub(super) fn spawn_sighup(_changed: mpsc::UnboundedSender<()>) {}

/// Waits for change notices, lets them settle for [`DEBOUNCE`], reloads in
/// the background, and re-aims the watcher at the new set of files (a
/// manifest may now name another component).
pub(super) async fn reload_loop(
    loader: Arc<Loader>,
    sender: mpsc::UnboundedSender<()>,
    mut changed: mpsc::UnboundedReceiver<()>,
    mut watcher: Option<notify::RecommendedWatcher>,
) {
    while changed.recv().await.is_some() {
        loop {
            match tokio::time::timeout(DEBOUNCE, changed.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let reloading = loader.clone();
        let Ok(Some(config)) = tokio::task::spawn_blocking(move || reloading.reload()).await else {
            continue;
        };
        if watcher.is_some() {
            watcher = match start_watcher(&watched_files(&config), sender.clone()) {
                Ok(new) => Some(new),
                Err(err) => {
                    tracing::warn!(error = %err, "file watching stopped; reload with SIGHUP");
                    None
                }
            };
        }
    }
}
