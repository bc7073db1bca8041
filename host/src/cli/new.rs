//! `plugin-host new <name> [--connector] [--dir PATH]`: writes a plugin
//! crate of its own (outside any workspace) that builds, tests, and is
//! served as it is: `Cargo.toml` (the SDK dependency, the release profile,
//! an empty `[workspace]`), `.cargo/config.toml` (the component's 64 KiB
//! stack), `src/lib.rs` (a small handler with native tests), `plugin.toml`,
//! `host.toml`, `README.md` (the five commands), sample events in
//! `fixtures/` and a `.gitignore`.
//!
//! It refuses, with exit status 2 and nothing written, a name that is not a
//! plugin id (or cannot be a crate's name), a `--dir` that exists and is
//! not an empty directory, and an SDK it cannot find. Files are created
//! only after every check passed, and never over an existing file. A
//! failed write is exit status 1.
//!
//! The templates are the files under `new/templates/`, with
//! `{{placeholders}}`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::manifest::is_plugin_id;

/// The SDK release tag `--sdk-git` pins when `--sdk-tag` is not given.
pub const DEFAULT_SDK_TAG: &str = "sdk-v0.1.1";

/// The SDK of the checkout this binary was built from; the default path
/// dependency while it still exists.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../guest-sdk");

/// Arguments of `plugin-host new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The plugin id, also the crate's name: 1-64 characters of a-z, 0-9,
    /// `-` and `_`, starting with a letter.
    pub name: String,
    /// A platform connector instead of a checkout plugin.
    #[arg(long)]
    pub connector: bool,
    /// Where to write the crate (default: `./<name>`); it must not exist,
    /// or be an empty directory.
    #[arg(long, value_name = "PATH")]
    pub dir: Option<PathBuf>,
    /// Depend on the SDK in this directory (a checkout's `guest-sdk`).
    /// Default: the SDK of the checkout this plugin-host was built from,
    /// while it exists.
    #[arg(long, value_name = "PATH", conflicts_with = "sdk_git")]
    pub sdk_path: Option<PathBuf>,
    /// Depend on the SDK from this git repository (the plugin host's).
    #[arg(long, value_name = "URL")]
    pub sdk_git: Option<String>,
    /// The release tag of `--sdk-git`.
    #[arg(long, value_name = "TAG", requires = "sdk_git", default_value = DEFAULT_SDK_TAG)]
    pub sdk_tag: String,
}

/// Why `new` wrote nothing (exit status 2), or stopped writing (1).
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    /// The name is not a plugin id, or not a crate's name.
    #[error(
        "{name:?} cannot be a plugin's name: {reason} (it is the plugin id, the crate's name \
         and the URL segment /plugins/<name>/)"
    )]
    Name {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--dir` exists and is not a directory.
    #[error("{} exists and is not a directory; nothing was written", .0.display())]
    NotADirectory(PathBuf),
    /// `--dir` is a directory with something in it.
    #[error("{} is not empty; nothing was written (name a new or empty directory with --dir)", .0.display())]
    NotEmpty(PathBuf),
    /// A file appeared while the crate was being written.
    #[error("{} already exists: it was left as it is, and writing stopped", .0.display())]
    WouldOverwrite(PathBuf),
    /// `--sdk-path` is not the SDK.
    #[error("--sdk-path {}: {reason}", path.display())]
    SdkPath {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No SDK was named and the one this binary was built from is gone.
    #[error(
        "no SDK to depend on: the checkout this plugin-host was built from ({}) is gone; \
         pass --sdk-git URL (the plugin host's repository; --sdk-tag TAG, default \
         {DEFAULT_SDK_TAG}) or --sdk-path PATH (a checkout's guest-sdk)",
        .0.display()
    )]
    NoSdk(PathBuf),
    /// `--dir` could not be inspected.
    #[error("cannot read {}: {source}", path.display())]
    Inspect {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A directory or file could not be created.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

impl NewError {
    /// The process exit status: 1 when writing or reading failed, else 2.
    pub fn exit_code(&self) -> u8 {
        match self {
            NewError::Inspect { .. } | NewError::Write { .. } => 1,
            _ => 2,
        }
    }
}

/// Where the SDK dependency points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SdkSource {
    /// A path dependency on this (canonical) directory.
    Path(PathBuf),
    /// A git dependency pinned to a tag.
    Git {
        /// The repository.
        url: String,
        /// The tag.
        tag: String,
    },
}

impl SdkSource {
    /// The `[dependencies]` line.
    fn dependency_line(&self) -> String {
        match self {
            SdkSource::Path(path) => format!(
                "plugin-sdk = {{ path = {} }}",
                toml_string(&path.to_string_lossy())
            ),
            SdkSource::Git { url, tag } => format!(
                "plugin-sdk = {{ git = {}, tag = {} }}",
                toml_string(url),
                toml_string(tag)
            ),
        }
    }

    /// The dependency in a few words, for the generated README.
    fn description(&self) -> String {
        match self {
            SdkSource::Path(path) => format!("a path dependency on `{}`", path.display()),
            SdkSource::Git { url, tag } => format!("a git dependency on `{url}`, tag `{tag}`"),
        }
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Runs `new`, printing what it wrote and the next commands to `stdout`.
pub fn run(args: &NewArgs, stdout: &mut dyn Write) -> Result<(), NewError> {
    run_with(args, Path::new(BUILT_FROM_SDK), stdout)
}

/// [`run`] with the default SDK directory given (tests).
fn run_with(args: &NewArgs, built_from_sdk: &Path, stdout: &mut dyn Write) -> Result<(), NewError> {
    let names = Names::new(&args.name)?;
    let (sdk, sdk_origin) = resolve_sdk(args, built_from_sdk)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| Path::new(".").join(&args.name));
    let kind = if args.connector {
        Kind::Connector
    } else {
        Kind::Checkout
    };
    let files = render_files(kind, &names, &sdk);
    check_target(&dir)?;
    write_files(&dir, &files)?;
    let _ = stdout.write_all(summary(kind, &names, &dir, &files, &sdk, sdk_origin).as_bytes());
    Ok(())
}

/// A checkout plugin or a platform connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Checkout,
    Connector,
}

/// The names derived from the plugin's.
#[derive(Debug)]
struct Names {
    /// The plugin id and crate name, e.g. `my-plugin`.
    id: String,
    /// The library's name, which names the component: `my_plugin`.
    lib: String,
    /// The handler's type: `MyPlugin`.
    type_name: String,
    /// The prefix of its environment variables: `MY_PLUGIN`.
    env: String,
}

/// Rust keywords (every edition, reserved ones included) and the names a
/// library may not take without shadowing a standard crate or a directory
/// of `target/`.
const RESERVED_LIB_NAMES: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "build",
    "const",
    "continue",
    "core",
    "crate",
    "deps",
    "do",
    "dyn",
    "else",
    "enum",
    "examples",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "incremental",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Names the templates use already; a handler type named so gets `Plugin`
/// appended.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "Action",
    "BoldRequest",
    "CheckoutPlugin",
    "ConnectorPlugin",
    "Deserialize",
    "Event",
    "HandlerError",
    "Host",
    "Id",
    "Notification",
    "PlatformCustomer",
    "PlatformEvent",
    "Result",
    "TestHost",
    "Value",
];

impl Names {
    fn new(name: &str) -> Result<Self, NewError> {
        let refuse = |reason: &str| NewError::Name {
            name: name.to_owned(),
            reason: reason.to_owned(),
        };
        if !is_plugin_id(name) {
            return Err(refuse("use 1-64 characters of a-z, 0-9, `-` and `_`"));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(refuse(
                "start it with a letter (a crate's name cannot start with a digit, and its variables are named after it)",
            ));
        }
        let lib = name.replace('-', "_");
        if RESERVED_LIB_NAMES.contains(&lib.as_str()) {
            return Err(refuse(
                "it is a Rust keyword or a reserved crate name; choose another",
            ));
        }
        let mut type_name: String = lib
            .split('_')
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        if TAKEN_TYPE_NAMES.contains(&type_name.as_str()) {
            type_name.push_str("Plugin");
        }
        Ok(Names {
            id: name.to_owned(),
            env: lib.to_ascii_uppercase(),
            lib,
            type_name,
        })
    }
}

/// The SDK dependency, and where the choice came from (for the summary).
fn resolve_sdk(
    args: &NewArgs,
    built_from_sdk: &Path,
) -> Result<(SdkSource, &'static str), NewError> {
    if let Some(url) = &args.sdk_git {
        return Ok((
            SdkSource::Git {
                url: url.clone(),
                tag: args.sdk_tag.clone(),
            },
            "--sdk-git",
        ));
    }
    if let Some(path) = &args.sdk_path {
        let dir = sdk_dir(path).map_err(|reason| NewError::SdkPath {
            path: path.clone(),
            reason,
        })?;
        return Ok((SdkSource::Path(dir), "--sdk-path"));
    }
    match sdk_dir(built_from_sdk) {
        Ok(dir) => Ok((
            SdkSource::Path(dir),
            "the SDK of the checkout this plugin-host was built from",
        )),
        Err(_) => Err(NewError::NoSdk(built_from_sdk.to_owned())),
    }
}

/// `path`, canonical, if it is the SDK's crate (`package.name =
/// "plugin-sdk"` in its `Cargo.toml`).
fn sdk_dir(path: &Path) -> Result<PathBuf, String> {
    let dir = path.canonicalize().map_err(|e| e.to_string())?;
    if dir.to_str().is_none() {
        return Err("the path is not valid UTF-8".to_owned());
    }
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("{}: {e}", manifest.display()))?;
    let name = table
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str);
    if name != Some("plugin-sdk") {
        return Err(format!(
            "{} is not plugin-sdk's (name the SDK's directory, `guest-sdk` in the host's checkout)",
            manifest.display()
        ));
    }
    Ok(dir)
}

/// One file of the crate: its path relative to the crate, its text, and
/// what it is (for the summary).
#[derive(Debug)]
struct File {
    path: &'static str,
    text: String,
    about: &'static str,
}

fn render_files(kind: Kind, names: &Names, sdk: &SdkSource) -> Vec<File> {
    let dependency = sdk.dependency_line();
    let description = sdk.description();
    let vars: [(&str, &str); 6] = [
        ("name", &names.id),
        ("lib_name", &names.lib),
        ("type_name", &names.type_name),
        ("env", &names.env),
        ("sdk_dependency", &dependency),
        ("sdk_description", &description),
    ];
    let file = |path, template: &str, about| File {
        path,
        text: render(template, &vars),
        about,
    };
    let mut files = vec![
        file(
            "Cargo.toml",
            include_str!("new/templates/Cargo.toml.tmpl"),
            "the crate: the SDK dependency, the release profile",
        ),
        file(
            ".cargo/config.toml",
            include_str!("new/templates/cargo-config.toml.tmpl"),
            "the component's 64 KiB stack",
        ),
        file(
            ".gitignore",
            include_str!("new/templates/gitignore.tmpl"),
            "/target",
        ),
    ];
    match kind {
        Kind::Checkout => files.extend([
            file(
                "src/lib.rs",
                include_str!("new/templates/checkout/lib.rs.tmpl"),
                "the handler and its native tests",
            ),
            file(
                "plugin.toml",
                include_str!("new/templates/checkout/plugin.toml.tmpl"),
                "the manifest: id, component, secret, events, scopes, config",
            ),
            file(
                "host.toml",
                include_str!("new/templates/checkout/host.toml.tmpl"),
                "serves it on 127.0.0.1:8080",
            ),
            file(
                "README.md",
                include_str!("new/templates/checkout/README.md.tmpl"),
                "the commands below",
            ),
            sample("fixtures/initialize_checkout.json", "initialize_checkout"),
            sample("fixtures/order_submitted.json", "order_submitted_us"),
        ]),
        Kind::Connector => files.extend([
            file(
                "src/lib.rs",
                include_str!("new/templates/connector/lib.rs.tmpl"),
                "the connector and its native tests",
            ),
            file(
                "plugin.toml",
                include_str!("new/templates/connector/plugin.toml.tmpl"),
                "the manifest: id, component, [connector] (shop, secrets, topics, hosts)",
            ),
            file(
                "host.toml",
                include_str!("new/templates/connector/host.toml.tmpl"),
                "serves it on 127.0.0.1:8080",
            ),
            file(
                "README.md",
                include_str!("new/templates/connector/README.md.tmpl"),
                "the commands below",
            ),
            file(
                "fixtures/customer-updated.json",
                include_str!("new/templates/connector/customer-updated.json.tmpl"),
                "a sample platform webhook",
            ),
        ]),
    }
    files
}

/// One of Bold's sample events the SDK bundles.
fn sample(path: &'static str, fixture: &str) -> File {
    File {
        path,
        text: plugin_sdk::testing::fixture_json(fixture)
            .unwrap_or_default()
            .to_owned(),
        about: "Bold's sample event",
    }
}

/// `template` with every `{{key}}` of `vars` replaced by its value.
fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut text = template.to_owned();
    for (key, value) in vars {
        text = text.replace(&format!("{{{{{key}}}}}"), value);
    }
    text
}

/// Refuses a `dir` that exists and is not an empty directory: no file of
/// the crate can then be there already.
fn check_target(dir: &Path) -> Result<(), NewError> {
    match std::fs::metadata(dir) {
        // A dangling symbolic link is not a directory either.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match dir.symlink_metadata() {
                Ok(_) => Err(NewError::NotADirectory(dir.to_owned())),
                Err(_) => Ok(()),
            };
        }
        Err(source) => {
            return Err(NewError::Inspect {
                path: dir.to_owned(),
                source,
            });
        }
        Ok(meta) if !meta.is_dir() => return Err(NewError::NotADirectory(dir.to_owned())),
        Ok(_) => {}
    }
    let mut entries = std::fs::read_dir(dir).map_err(|source| NewError::Inspect {
        path: dir.to_owned(),
        source,
    })?;
    if entries.next().is_some() {
        return Err(NewError::NotEmpty(dir.to_owned()));
    }
    Ok(())
}

/// Creates the directories and files; a file that exists is never
/// overwritten.
fn write_files(dir: &Path, files: &[File]) -> Result<(), NewError> {
    for file in files {
        let path = dir.join(file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| NewError::Write {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => NewError::WouldOverwrite(path.clone()),
                _ => NewError::Write {
                    path: path.clone(),
                    source,
                },
            })?;
        out.write_all(file.text.as_bytes())
            .map_err(|source| NewError::Write {
                path: path.clone(),
                source,
            })?;
    }
    Ok(())
}

/// The commands that take the new crate from tests to a served plugin,
/// run in its directory; the generated README has the same ones.
fn next_commands(kind: Kind, names: &Names) -> Vec<String> {
    let wasm = format!("target/wasm32-wasip2/release/{}.wasm", names.lib);
    let (id, env) = (&names.id, &names.env);
    let mut commands = vec![
        "cargo test".to_owned(),
        "cargo build --release --target wasm32-wasip2".to_owned(),
    ];
    match kind {
        Kind::Checkout => commands.extend([
            format!(
                "plugin-host invoke {wasm} fixtures/initialize_checkout.json --manifest plugin.toml"
            ),
            format!("{env}_SECRET=dev plugin-host serve --config host.toml"),
            format!(
                "{env}_SECRET=dev plugin-host sign --send --secret-env {env}_SECRET \
                 --body fixtures/order_submitted.json \
                 --url http://127.0.0.1:8080/plugins/{id}/events"
            ),
        ]),
        Kind::Connector => commands.extend([
            format!(
                "plugin-host invoke {wasm} fixtures/customer-updated.json \
                 --platform customer-updated --manifest plugin.toml"
            ),
            format!(
                "{env}_SECRET=dev {env}_BOLD_TOKEN=dev {env}_BOLD_HMAC_SECRET=dev \
                 {env}_WEBHOOK_SECRET=dev plugin-host serve --config host.toml"
            ),
        ]),
    }
    commands
}

/// What `new` prints: the files, the SDK dependency, the next commands.
fn summary(
    kind: Kind,
    names: &Names,
    dir: &Path,
    files: &[File],
    sdk: &SdkSource,
    sdk_origin: &str,
) -> String {
    let what = match kind {
        Kind::Checkout => "checkout plugin",
        Kind::Connector => "platform connector",
    };
    let mut out = format!("wrote {what} `{}` in {}:\n", names.id, dir.display());
    let width = files.iter().map(|f| f.path.len()).max().unwrap_or(0);
    for file in files {
        let _ = writeln!(out, "  {:<width$}  {}", file.path, file.about);
    }
    let _ = writeln!(out, "SDK: {} ({sdk_origin})", sdk.dependency_line());
    let _ = writeln!(out, "\nnext (README.md has them too):");
    let _ = writeln!(out, "  cd {}", shell_word(&dir.to_string_lossy()));
    for command in next_commands(kind, names) {
        let _ = writeln!(out, "  {command}");
    }
    if let Ok(exe) = std::env::current_exe() {
        let _ = writeln!(out, "(plugin-host is {})", exe.display());
    }
    out
}

/// `word`, quoted for a POSIX shell when it needs to be.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests;
