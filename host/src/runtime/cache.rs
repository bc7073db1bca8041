//! On-disk cache of compiled components, keyed by the wasm's hash and the
//! engine's settings, written atomically, so start-up and reload never
//! recompile what they have seen.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

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
/// entry is recompiled).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the compiled-artifact cache at {path}: {source}")]
pub struct CacheError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// A directory of `<key>.cwasm` files.
///
/// The directory must be writable only by the host's user: artifacts in it
/// are native code that the host loads without re-validating.
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
    /// A cache in `dir` (created on first write).
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

    /// Loads the artifact for `key`, or `None` when absent or unusable.
    pub(crate) fn load(&self, engine: &Engine, key: &str) -> Option<Component> {
        let path = self.path_for(key);
        if !path.is_file() {
            return None;
        }
        // SAFETY: the file was produced by `Engine::precompile_component` of
        // an engine with the same compatibility hash (it is part of the file
        // name) and written atomically by `store` below, in a directory that
        // must be writable only by the host's user (documented). wasmtime
        // also checks the artifact's header and engine settings on load.
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

    /// Stores `artifact` under `key`: written to a temporary file in the same
    /// directory, synced, then renamed into place, so readers never see a
    /// partial file.
    pub(crate) fn store(&self, key: &str, artifact: &[u8]) -> Result<(), CacheError> {
        let err = |source| CacheError {
            path: self.dir.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(err)?;
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
}
