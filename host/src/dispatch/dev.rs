//! `serve --dev`, for plugin authors on their own machine and never in
//! production (request bodies carry buyers' personal data): every guest log
//! line goes to the host's log, and the body of each call that ends in a
//! fault is written to a folder with the `plugin-host invoke` command that
//! replays it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::PluginEntry;
use crate::fault::Fault;
use crate::runtime::{Call, InvocationLog, private_dir};

/// Where failing requests go, and how to name them.
#[derive(Debug, Clone)]
pub struct DevMode {
    dir: PathBuf,
}

impl DevMode {
    /// Dev mode writing failing requests into `dir` (created `0700`).
    pub fn new(dir: PathBuf) -> io::Result<Self> {
        private_dir::create(&dir)?;
        Ok(Self { dir })
    }

    /// The folder of failing requests.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// After a call of `entry`: its guest log to the host's log, and, if it
    /// ended in `fault`, its input saved with the command that replays it.
    pub(super) fn observe(
        &self,
        entry: &PluginEntry,
        call: &Call,
        log: &InvocationLog,
        fault: Option<&Fault>,
    ) {
        let plugin = entry.id();
        for line in log.text.lines() {
            tracing::info!(target: "guest", plugin, "{line}");
        }
        let Some(fault) = fault else { return };
        match self.save(entry, call) {
            Ok((file, replay)) => tracing::warn!(
                plugin,
                fault = fault.kind.as_str(),
                file = %file.display(),
                %replay,
                "dev: the failing request is saved; replay it with the command"
            ),
            Err(err) => {
                tracing::warn!(plugin, error = %err, "dev: cannot save the failing request")
            }
        }
    }

    fn save(&self, entry: &PluginEntry, call: &Call) -> io::Result<(PathBuf, String)> {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let (label, body, flags) = replay_parts(call);
        let name = format!("{millis}-{}-{}.json", entry.id(), file_safe(&label));
        let file = self.dir.join(name);
        write_private(&file, body.as_bytes())?;
        let manifest = &entry.manifest().path;
        let component = &entry.manifest().component;
        let mut replay = format!(
            "plugin-host invoke {} {} --manifest {}",
            shell_word(&component.display().to_string()),
            shell_word(&file.display().to_string()),
            shell_word(&manifest.display().to_string()),
        );
        for flag in flags {
            replay.push(' ');
            replay.push_str(&flag);
        }
        Ok((file, replay))
    }
}

/// The call's label, its body, and the `invoke` flags that make the same
/// call.
fn replay_parts(call: &Call) -> (String, &str, Vec<String>) {
    match call {
        Call::Event { name, body } => (name.clone(), body, Vec::new()),
        Call::Override { kind, body } => (
            format!("override-{kind}"),
            body,
            vec![format!("--override {}", shell_word(kind))],
        ),
        Call::Webhook { topic, body } => (
            format!("webhook-{topic}"),
            body,
            vec![format!("--webhook {}", shell_word(topic))],
        ),
        Call::PlatformEvent { topic, body } => (
            format!("platform-{topic}"),
            body,
            vec![format!("--platform {}", shell_word(topic))],
        ),
        Call::BoldRequest(bold) => {
            let path = if bold.query.is_empty() {
                bold.path.clone()
            } else {
                format!("{}?{}", bold.path, bold.query)
            };
            (
                format!("bold-{}", bold.method),
                &bold.body,
                vec![
                    format!("--bold {}", shell_word(&format!("{} {path}", bold.method))),
                    format!("--shop {}", shell_word(&bold.shop_identifier)),
                ],
            )
        }
    }
}

/// At most 40 characters of `text` that are safe in a file name.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

/// `s` as one shell word (quoted unless it is plain).
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Writes a file only the host's user may read (the body holds personal
/// data).
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_words_are_safe() {
        assert_eq!(file_safe("order_submitted"), "order_submitted");
        assert_eq!(file_safe("../x y"), "___x_y");
        assert_eq!(shell_word("/tmp/a-b.json"), "/tmp/a-b.json");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
        let call = Call::Override {
            kind: "inventory".into(),
            body: "{}".into(),
        };
        let (label, body, flags) = replay_parts(&call);
        assert_eq!((label.as_str(), body), ("override-inventory", "{}"));
        assert_eq!(flags, ["--override inventory"]);
    }
}
