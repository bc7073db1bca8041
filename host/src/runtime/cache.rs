//! On-disk cache of compiled components, keyed by the wasm's hash and the
//! engine's settings, written atomically, so start-up and reload never
//! recompile what they have seen.
//!
//! Artifacts are native code the host maps and runs, so the cache is only
//! used when no other user can have written it: the directory is created
//! `0700` (and its missing parents, e.g. the data directory), and an entry
//! is loaded only when the directory belongs to the host's user and is not
//! group- or world-writable, and the entry is a regular file of that user,
//! not group- or world-writable either (see [`super::private_dir`]). A
//! refused entry or directory is not an error: it is logged as a warning
//! and the component is compiled instead (and, when only the entry was
//! refused, the fresh artifact replaces it).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::private_dir::{self, PrivateDirError};

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded a precompiled artifact from the cache.
    Hit,
    /// Compiled, and stored the artifact.
    Compiled,
    /// Compiled without a cache.
    Uncached,
}

/// Why the cache could not store an artifact (loading is never fatal: a bad
/// or untrusted entry is recompiled).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The directory could not be created or written.
    #[error("cannot write the compiled-artifact cache at {path}: {source}")]
    Write {
        /// The cache directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The directory is not private to the host's user: it is not used.
    #[error("the compiled-artifact cache is not used: {0}")]
    NotPrivate(#[source] PrivateDirError),
}

/// A directory of `<key>.cwasm` files.
///
/// The directory must be writable only by the host's user: artifacts in it
/// are native code that the host loads without re-validating. Entries in a
/// directory, or entries themselves, that another user owns or may write
/// are ignored with a warning (see the module documentation).
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    dir: PathBuf,
}

/// Feeds `Hash` output into SHA-256 so the key is stable across processes.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0 // unused: the digest is read from `self.0`
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl ArtifactCache {
    /// A cache in `dir` (created `0700`, with its missing parents, on first
    /// write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache key of `wasm` compiled by `engine`: SHA-256 over the wasm
    /// bytes and the engine's compatibility hash (wasmtime version, target,
    /// and every setting that changes the generated code).
    pub fn key(engine: &Engine, wasm: &[u8]) -> String {
        let mut hasher = Sha256Hasher(Sha256::new());
        hasher.write(&(wasm.len() as u64).to_le_bytes());
        hasher.write(wasm);
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hex::encode(hasher.0.finalize())
    }

    fn path_for(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.cwasm"))
    }

    /// Loads the artifact for `key`, or `None` when absent, unusable or
    /// untrusted (logged).
    pub(crate) fn load(&self, engine: &Engine, key: &str) -> Option<Component> {
        let path = self.path_for(key);
        // Not following links: an entry must be a file of its own.
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if let Err(reason) = private_dir::check(&self.dir)
            .and_then(|user| private_dir::check_file(&path, &meta, user))
        {
            tracing::warn!(
                path = %path.display(),
                reason = %reason,
                "ignoring an untrusted cache entry: compiling instead"
            );
            return None;
        }
        // SAFETY: the file was produced by `Engine::precompile_component` of
        // an engine with the same compatibility hash (it is part of the file
        // name) and written atomically by `store` below. Just above, it and
        // its directory were checked to belong to the host's user and to be
        // writable by no one else, so nobody else can have written or
        // replaced it. wasmtime also checks the artifact's header and engine
        // settings on load.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "ignoring an unusable cache entry");
                None
            }
        }
    }

    /// Stores `artifact` under `key`: written to a temporary file (`0600`)
    /// in the same directory, synced, then renamed into place, so readers
    /// never see a partial file. The directory is created `0700` if missing,
    /// and nothing is written to one another user could write to.
    pub(crate) fn store(&self, key: &str, artifact: &[u8]) -> Result<(), CacheError> {
        let err = |source| CacheError::Write {
            path: self.dir.clone(),
            source,
        };
        private_dir::create(&self.dir).map_err(err)?;
        private_dir::check(&self.dir).map_err(CacheError::NotPrivate)?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).map_err(err)?;
        file.write_all(artifact).map_err(err)?;
        file.as_file().sync_all().map_err(err)?;
        file.persist(self.path_for(key)).map_err(|e| err(e.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_bytes_and_engine_settings() {
        let engine = Engine::default();
        let a = ArtifactCache::key(&engine, b"one");
        assert_eq!(a, ArtifactCache::key(&engine, b"one"));
        assert_ne!(a, ArtifactCache::key(&engine, b"two"));
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let fuel_engine = Engine::new(&config).unwrap();
        assert_ne!(a, ArtifactCache::key(&fuel_engine, b"one"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn stores_atomically_and_ignores_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(dir.path().join("nested"));
        let engine = Engine::default();
        cache.store("k", b"not an artifact").unwrap();
        assert!(cache.load(&engine, "k").is_none());
        assert!(cache.load(&engine, "absent").is_none());
        let leftovers: Vec<_> = std::fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("k.cwasm")]);
    }

    /// The smallest component: a header and nothing else.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[cfg(unix)]
    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn creates_the_cache_and_data_directories_private() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let cache = ArtifactCache::new(data.join("cache"));
        cache.store("k", b"artifact").unwrap();
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(cache.dir()), 0o700);
        assert_eq!(mode(&cache.path_for("k")), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn loads_only_entries_no_other_user_can_have_written() {
        let root = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(root.path().join("cache"));
        let engine = Engine::default();
        let artifact = engine.precompile_component(EMPTY_COMPONENT).unwrap();
        cache.store("k", &artifact).unwrap();
        assert!(cache.load(&engine, "k").is_some(), "a private entry loads");

        // A directory its group or others may write to: nothing in it is
        // trusted, and nothing is written to it.
        for loose in [0o770, 0o707, 0o777] {
            set_mode(cache.dir(), loose);
            assert!(cache.load(&engine, "k").is_none(), "directory {loose:o}");
            assert!(matches!(
                cache.store("k2", &artifact),
                Err(CacheError::NotPrivate(PrivateDirError::Writable { .. }))
            ));
        }
        set_mode(cache.dir(), 0o755);
        assert!(
            cache.load(&engine, "k").is_some(),
            "0755 is not writable by others"
        );

        // An entry its group or others may write to.
        let entry = cache.path_for("k");
        set_mode(&entry, 0o666);
        assert!(cache.load(&engine, "k").is_none());
        // Storing it again replaces it with a private file.
        cache.store("k", &artifact).unwrap();
        assert!(cache.load(&engine, "k").is_some());

        // A link in place of an entry is not followed.
        let elsewhere = root.path().join("elsewhere.cwasm");
        std::fs::write(&elsewhere, &artifact).unwrap();
        std::os::unix::fs::symlink(&elsewhere, cache.path_for("link")).unwrap();
        assert!(cache.load(&engine, "link").is_none());

        // An entry (or a directory) of another user (only root can make
        // one).
        if private_dir::check(cache.dir()).unwrap() == 0 {
            std::os::unix::fs::chown(&entry, Some(65534), None).unwrap();
            assert!(
                cache.load(&engine, "k").is_none(),
                "an entry of another user"
            );
            std::os::unix::fs::chown(&entry, Some(0), None).unwrap();
            assert!(cache.load(&engine, "k").is_some());
            std::os::unix::fs::chown(cache.dir(), Some(65534), None).unwrap();
            assert!(
                cache.load(&engine, "k").is_none(),
                "a directory of another user"
            );
            assert!(matches!(
                cache.store("k", &artifact),
                Err(CacheError::NotPrivate(PrivateDirError::NotOwned { .. }))
            ));
        }
    }
}
