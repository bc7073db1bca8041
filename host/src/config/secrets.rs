//! Where secrets come from: one or two environment variables or files
//! (two during a rotation), never inline; the value is only ever held in a
//! type whose `Debug` is redacted.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use super::manifest::ManifestError;
use crate::signature::Secret;

/// One or two names (two during a secret rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrTwo {
    /// A single source.
    One(String),
    /// Several sources (one or two), all accepted.
    Many(Vec<String>),
}

impl OneOrTwo {
    /// The names, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            OneOrTwo::One(name) => vec![name.as_str()],
            OneOrTwo::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }

    pub(crate) fn map(&self, f: impl Fn(&str) -> String) -> Self {
        match self {
            OneOrTwo::One(name) => OneOrTwo::One(f(name)),
            OneOrTwo::Many(names) => OneOrTwo::Many(names.iter().map(|n| f(n)).collect()),
        }
    }
}

/// Accepts a non-empty string, or a list of one or two distinct non-empty
/// strings; anything else is an error at the value's position.
impl<'de> Deserialize<'de> for OneOrTwo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrTwoVisitor;

        impl<'de> Visitor<'de> for OneOrTwoVisitor {
            type Value = OneOrTwo;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name, or a list of one or two names")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrTwo, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("the name is empty"));
                }
                Ok(OneOrTwo::One(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrTwo, A::Error> {
                let mut names: Vec<String> = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    if name.trim().is_empty() {
                        return Err(de::Error::custom("a name is empty"));
                    }
                    if names.contains(&name) {
                        return Err(de::Error::custom(format!("{name:?} is listed twice")));
                    }
                    names.push(name);
                }
                match names.len() {
                    0 => Err(de::Error::custom(
                        "the list is empty: give one name, or two during a rotation",
                    )),
                    1 | 2 => Ok(OneOrTwo::Many(names)),
                    n => Err(de::Error::custom(format!(
                        "{n} names listed: at most two (the new and the old secret during a rotation)"
                    ))),
                }
            }
        }

        deserializer.deserialize_any(OneOrTwoVisitor)
    }
}

/// A client secret. Its `Debug` output is redacted, and it has no `Display`:
/// only [`SecretValue::expose`] gives the value away.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself (to key an HMAC).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret as a signature key.
    pub fn hmac_key(&self) -> Secret {
        Secret::new(self.0.as_bytes())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Looks `name` up in the process environment (the production lookup for
/// [`Manifest::resolve_secrets`]). A variable that is not valid UTF-8 counts
/// as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Reads the secret file at `path` (named by `field`), and warns (never
/// fails) when its group or others may read it: the secret is then as safe
/// as every account on the machine.
fn read_secret_file(path: &Path, field: &str) -> std::io::Result<String> {
    use std::io::Read as _;

    let mut file = std::fs::File::open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata()?.permissions().mode() & 0o777;
        if mode & 0o044 != 0 {
            tracing::warn!(
                file = %path.display(),
                field,
                mode = %format_args!("{mode:03o}"),
                "a secret file is readable by its group or by others; `chmod go-r` it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = field;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// Reads a secret from one of two sources: `env` = (field name, variable
/// names) or `file` = (field name, file names), exactly one of them set.
/// One value, or two during a rotation, in the order written. An unset or
/// empty variable, an unreadable or empty file, or no source at all is an
/// error naming `path`, the field and the variable or file, never the value.
/// Files lose one trailing newline; a file its group or others may read is
/// logged as a warning (unix).
pub fn resolve_secret_source(
    path: &Path,
    env_source: (&str, Option<&OneOrTwo>),
    file_source: (&str, Option<&OneOrTwo>),
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SecretValue>, ManifestError> {
    let invalid = |message: String| ManifestError::Invalid {
        path: path.to_owned(),
        message,
    };
    let ((env_field, env_names), (file_field, file_names)) = (env_source, file_source);
    match (env_names, file_names) {
        (Some(names), None) => names
            .names()
            .into_iter()
            .map(|name| match env(name) {
                None => Err(invalid(format!(
                    "field `{env_field}`: environment variable {name} is not set"
                ))),
                Some(value) if value.is_empty() => Err(invalid(format!(
                    "field `{env_field}`: environment variable {name} is empty"
                ))),
                Some(value) => Ok(SecretValue::new(value)),
            })
            .collect(),
        (None, Some(files)) => files
            .names()
            .into_iter()
            .map(|file| {
                let text = read_secret_file(Path::new(file), file_field).map_err(|e| {
                    invalid(format!("field `{file_field}`: cannot read {file}: {e}"))
                })?;
                let value = text
                    .strip_suffix("\r\n")
                    .or_else(|| text.strip_suffix('\n'))
                    .unwrap_or(&text);
                if value.is_empty() {
                    return Err(invalid(format!("field `{file_field}`: {file} is empty")));
                }
                Ok(SecretValue::new(value))
            })
            .collect(),
        (None, None) => Err(invalid(format!(
            "no {}: set `{env_field}` (an environment variable) or `{file_field}` (a file)",
            env_field.trim_end_matches("_env").replace('_', " ")
        ))),
        (Some(_), Some(_)) => Err(invalid(format!(
            "fields `{env_field}` and `{file_field}`: set only one of them"
        ))),
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Log output written while a test runs.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// Reads the secret in a file of `mode`; returns the value and the log.
    fn read_with_mode(mode: u32) -> (Vec<SecretValue>, String) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cret-value\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let names = OneOrTwo::One(file.display().to_string());
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .finish();
        let secrets = tracing::subscriber::with_default(subscriber, || {
            resolve_secret_source(
                Path::new("plugin.toml"),
                ("client_secret_env", None),
                ("client_secret_file", Some(&names)),
                &|_| None,
            )
        })
        .unwrap();
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        (secrets, log)
    }

    #[test]
    fn secret_files_others_can_read_are_warned_about() {
        for mode in [0o644, 0o640, 0o604] {
            let (secrets, log) = read_with_mode(mode);
            assert_eq!(secrets, vec![SecretValue::new("s3cret-value")]);
            assert!(log.contains("WARN"), "{mode:o}: {log}");
            assert!(log.contains("readable by its group or by others"), "{log}");
            assert!(log.contains("client_secret_file"), "{log}");
            assert!(log.contains(&format!("{mode:03o}")), "{log}");
            assert!(!log.contains("s3cret-value"), "the value leaked: {log}");
        }
    }

    #[test]
    fn private_secret_files_are_read_silently() {
        for mode in [0o600, 0o400] {
            let (secrets, log) = read_with_mode(mode);
            assert_eq!(secrets, vec![SecretValue::new("s3cret-value")]);
            assert!(log.is_empty(), "{mode:o}: {log}");
        }
    }
}
