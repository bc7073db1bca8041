//! Directories and files only the host's user may use: the artifact cache
//! (native code the host loads) and the data directory under it, and the
//! SQLite outbox with its lock file.
//!
//! On unix, directories this module creates are `0700` and files `0600`
//! (before the umask, which can only remove bits); [`check`] tells whether
//! an existing directory may be trusted: owned by the user the process runs
//! as, and writable by no one else. Existing directories are never
//! changed. Elsewhere, creation is plain and every check passes.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

/// Why a directory (or a file in it) is not trusted.
#[derive(Debug, thiserror::Error)]
pub enum PrivateDirError {
    /// It could not be created, opened or inspected.
    #[error("cannot inspect {path}: {source}")]
    Inspect {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Another user owns it.
    #[error(
        "{path} is owned by uid {owner}, not by the host's user (uid {user}): \
         only files of the host's user are trusted"
    )]
    NotOwned {
        /// The path.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The user the host runs as.
        user: u32,
    },
    /// Its group or others may write to it.
    #[error("{path} is writable by its group or by others (mode {mode:03o}); `chmod go-w` it")]
    Writable {
        /// The path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// It is not a directory, or not a regular file.
    #[error("{path} is not a {expected}")]
    WrongType {
        /// The path.
        path: PathBuf,
        /// What it should be.
        expected: &'static str,
    },
}

/// Creates `path` and its missing parents, each `0700` on unix. Existing
/// directories are left as they are.
pub(crate) fn create(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Options that create a file `0600` on unix (set the access mode and
/// creation flags on them as usual).
pub(crate) fn file_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// The directory `dir`, checked: it (or what a symbolic link there points
/// to) is a directory owned by the user this process creates files as
/// ([`current_user`]), and not writable by its group or others. Reading
/// it is enough: a cache filled ahead of time may be read-only.
///
/// Returns that user's id, for [`check_file`].
#[cfg(unix)]
pub(crate) fn check(dir: &Path) -> Result<u32, PrivateDirError> {
    use std::os::unix::fs::MetadataExt;

    let inspect = |source| PrivateDirError::Inspect {
        path: dir.to_owned(),
        source,
    };
    let meta = std::fs::metadata(dir).map_err(inspect)?;
    if !meta.is_dir() {
        return Err(PrivateDirError::WrongType {
            path: dir.to_owned(),
            expected: "directory",
        });
    }
    let user = current_user(dir).map_err(inspect)?;
    check_owner_and_mode(dir, meta.uid(), meta.mode(), user)?;
    Ok(user)
}

/// The user id this process's files get (its effective user id; std has
/// no `geteuid`): the owner of an unnamed temporary file, made once per
/// process in the temporary directory, or in `dir` if that fails.
#[cfg(unix)]
fn current_user(dir: &Path) -> io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    use std::sync::OnceLock;

    static USER: OnceLock<u32> = OnceLock::new();
    if let Some(user) = USER.get() {
        return Ok(*user);
    }
    let probe = tempfile::tempfile().or_else(|_| tempfile::tempfile_in(dir))?;
    let user = probe.metadata()?.uid();
    Ok(*USER.get_or_init(|| user))
}

/// Every directory passes where there are no unix owners and modes.
#[cfg(not(unix))]
pub(crate) fn check(_dir: &Path) -> Result<u32, PrivateDirError> {
    Ok(0)
}

/// The file `path` whose metadata (not following links) is `meta`: a
/// regular file owned by `user` and not writable by its group or others.
#[cfg(unix)]
pub(crate) fn check_file(
    path: &Path,
    meta: &std::fs::Metadata,
    user: u32,
) -> Result<(), PrivateDirError> {
    use std::os::unix::fs::MetadataExt;

    if !meta.file_type().is_file() {
        return Err(PrivateDirError::WrongType {
            path: path.to_owned(),
            expected: "regular file",
        });
    }
    check_owner_and_mode(path, meta.uid(), meta.mode(), user)
}

/// Regular files pass where there are no unix owners and modes.
#[cfg(not(unix))]
pub(crate) fn check_file(
    path: &Path,
    meta: &std::fs::Metadata,
    _user: u32,
) -> Result<(), PrivateDirError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(PrivateDirError::WrongType {
            path: path.to_owned(),
            expected: "regular file",
        })
    }
}

#[cfg(unix)]
fn check_owner_and_mode(
    path: &Path,
    owner: u32,
    mode: u32,
    user: u32,
) -> Result<(), PrivateDirError> {
    if owner != user {
        return Err(PrivateDirError::NotOwned {
            path: path.to_owned(),
            owner,
            user,
        });
    }
    if mode & 0o022 != 0 {
        return Err(PrivateDirError::Writable {
            path: path.to_owned(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn creates_every_missing_directory_0700_and_leaves_existing_ones() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let leaf = root.path().join("data").join("cache");
        create(&leaf).unwrap();
        assert_eq!(mode(&root.path().join("data")), 0o700);
        assert_eq!(mode(&leaf), 0o700);
        assert_eq!(mode(root.path()), 0o755, "an existing directory is left");
        create(&leaf).unwrap();
    }

    #[test]
    fn file_options_create_0600() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("x.lock");
        file_options().create(true).write(true).open(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn directories_writable_by_others_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        create(&dir).unwrap();
        check(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        check(&dir).unwrap();
        for loose in [0o775, 0o757, 0o777] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(loose)).unwrap();
            assert!(
                matches!(check(&dir), Err(PrivateDirError::Writable { mode, .. }) if mode == loose),
                "{loose:o}"
            );
        }
        let file = root.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            check(&file),
            Err(PrivateDirError::WrongType { .. })
        ));
    }

    #[test]
    fn a_read_only_directory_of_the_user_passes() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        create(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        check(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    #[test]
    fn directories_of_another_user_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        create(&dir).unwrap();
        let user = check(&dir).unwrap();
        if user != 0 {
            // Only root can give a directory away; others cannot even
            // create the probe file in one they do not own (0700).
            return;
        }
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        assert!(matches!(
            check(&dir),
            Err(PrivateDirError::NotOwned {
                owner: 65534,
                user: 0,
                ..
            })
        ));
    }

    #[test]
    fn files_of_another_user_or_writable_by_others_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let user = check(root.path()).unwrap();
        let file = root.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let meta = std::fs::symlink_metadata(&file).unwrap();
        check_file(&file, &meta, user).unwrap();
        assert!(matches!(
            check_file(&file, &meta, user + 1),
            Err(PrivateDirError::NotOwned { owner, .. }) if owner == user
        ));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
        let meta = std::fs::symlink_metadata(&file).unwrap();
        assert!(matches!(
            check_file(&file, &meta, user),
            Err(PrivateDirError::Writable { .. })
        ));
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let meta = std::fs::symlink_metadata(&link).unwrap();
        assert!(matches!(
            check_file(&link, &meta, user),
            Err(PrivateDirError::WrongType { .. })
        ));
    }
}
