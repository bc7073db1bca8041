#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use super::*;
use crate::config::{HostConfig, Manifest};

/// The workspace this crate is built in.
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn args(name: &str, dir: &Path) -> NewArgs {
    NewArgs {
        name: name.to_owned(),
        connector: false,
        dir: Some(dir.to_owned()),
        sdk_path: None,
        sdk_git: None,
        sdk_tag: DEFAULT_SDK_TAG.to_owned(),
    }
}

fn sdk() -> SdkSource {
    SdkSource::Path(Path::new(BUILT_FROM_SDK).canonicalize().unwrap())
}

/// The crate's files as `new` would write them.
fn rendered(kind: Kind, name: &str) -> Vec<File> {
    render_files(kind, &Names::new(name).unwrap(), &sdk())
}

fn text<'a>(files: &'a [File], path: &str) -> &'a str {
    &files.iter().find(|f| f.path == path).unwrap().text
}

/// Every file under `dir`, relative path → contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Runs the command line as the binary does.
fn cli(argv: &[&str]) -> (u8, String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut full = vec!["plugin-host", "new"];
    full.extend_from_slice(argv);
    let code = crate::cli::run_from(full, &mut stdout, &mut stderr);
    (
        code,
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn names_that_are_plugin_ids_and_crate_names_are_accepted() {
    let long = "a".repeat(64);
    for name in ["my-plugin", "a", "a_b-c9", "gift-wrap2", long.as_str()] {
        assert!(Names::new(name).is_ok(), "{name}");
    }
    let names = Names::new("my-plugin").unwrap();
    assert_eq!(
        (
            names.lib.as_str(),
            names.type_name.as_str(),
            names.env.as_str()
        ),
        ("my_plugin", "MyPlugin", "MY_PLUGIN")
    );
    assert_eq!(Names::new("x2-y__z").unwrap().type_name, "X2YZ");
    // A type the template imports gets a suffix.
    assert_eq!(Names::new("event").unwrap().type_name, "EventPlugin");
    assert_eq!(Names::new("host").unwrap().type_name, "HostPlugin");
}

#[test]
fn other_names_are_refused_with_exit_2_and_a_reason() {
    let long = "a".repeat(65);
    for (name, reason) in [
        ("", "1-64 characters"),
        ("My-Plugin", "1-64 characters"),
        ("my plugin", "1-64 characters"),
        ("../escape", "1-64 characters"),
        ("café", "1-64 characters"),
        (long.as_str(), "1-64 characters"),
        ("1password", "start it with a letter"),
        ("_private", "start it with a letter"),
        ("fn", "Rust keyword"),
        ("self", "Rust keyword"),
        ("std", "reserved crate name"),
        ("proc-macro", "reserved crate name"),
    ] {
        let err = Names::new(name).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let message = err.to_string();
        assert!(message.contains(reason), "{name:?}: {message}");
        assert!(message.contains("plugin id"), "{message}");
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    let (code, stdout, stderr) = cli(&["Bad", "--dir", target.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.starts_with("error: \"Bad\" cannot be a plugin's name"),
        "{stderr}"
    );
    assert!(!target.exists());
}

#[test]
fn placeholders_are_all_substituted() {
    for kind in [Kind::Checkout, Kind::Connector] {
        for file in rendered(kind, "my-plugin") {
            assert!(
                !file.text.contains("{{"),
                "{kind:?} {}: a placeholder is left:\n{}",
                file.path,
                file.text
            );
            assert!(!file.text.is_empty(), "{kind:?} {} is empty", file.path);
        }
    }
    let checkout = rendered(Kind::Checkout, "my-plugin");
    assert!(text(&checkout, "src/lib.rs").contains("pub struct MyPlugin;"));
    assert!(text(&checkout, "src/lib.rs").contains("export_checkout_plugin!(MyPlugin)"));
    assert!(text(&checkout, "Cargo.toml").contains("name = \"my-plugin\""));
    let connector = rendered(Kind::Connector, "my-sync");
    assert!(text(&connector, "src/lib.rs").contains("export_connector_plugin!(MySync)"));
    assert!(text(&connector, "plugin.toml").contains("MY_SYNC_BOLD_TOKEN"));
}

#[test]
fn the_crate_is_written_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("my-plugin");
    let sdk_path = format!("{WORKSPACE}/guest-sdk");
    let argv = [
        "my-plugin",
        "--dir",
        target.to_str().unwrap(),
        "--sdk-path",
        &sdk_path,
    ];
    let (code, stdout, stderr) = cli(&argv);
    assert_eq!(code, 0, "{stderr}");
    let written = snapshot(&target);
    let paths: Vec<_> = written.keys().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            ".cargo/config.toml",
            ".gitignore",
            "Cargo.toml",
            "README.md",
            "fixtures/initialize_checkout.json",
            "fixtures/order_submitted.json",
            "host.toml",
            "plugin.toml",
            "src/lib.rs",
        ]
    );
    for path in &paths {
        assert!(stdout.contains(path), "{path} not in {stdout}");
    }
    assert!(stdout.contains("cargo build --release --target wasm32-wasip2"));
    assert!(stdout.contains("(--sdk-path)"), "{stdout}");

    // Again into the same directory: exit 2, nothing changed.
    let (code, stdout, stderr) = cli(&argv);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("is not empty; nothing was written"),
        "{stderr}"
    );
    assert_eq!(snapshot(&target), written);
}

#[test]
fn nothing_is_written_where_a_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("occupied");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("Cargo.toml"), "mine").unwrap();
    let mut out = Vec::new();
    let err = run_with(
        &args("my-plugin", &target),
        Path::new(BUILT_FROM_SDK),
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, NewError::NotEmpty(_)), "{err}");
    assert_eq!(err.exit_code(), 2);
    assert!(out.is_empty());
    assert_eq!(
        snapshot(&target),
        BTreeMap::from([(PathBuf::from("Cargo.toml"), b"mine".to_vec())])
    );

    // A file where the directory should be.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = run_with(
        &args("my-plugin", &file),
        Path::new(BUILT_FROM_SDK),
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, NewError::NotADirectory(_)), "{err}");
    assert_eq!(err.exit_code(), 2);
    assert_eq!(std::fs::read(&file).unwrap(), b"x");

    // An empty directory is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    run_with(
        &args("my-plugin", &empty),
        Path::new(BUILT_FROM_SDK),
        &mut out,
    )
    .unwrap();
    assert!(empty.join("src/lib.rs").is_file());
}

#[test]
fn the_default_sdk_is_this_checkout_s_and_without_it_exit_2_names_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let a = args("my-plugin", dir.path());
    let (sdk, origin) = resolve_sdk(&a, Path::new(BUILT_FROM_SDK)).unwrap();
    assert_eq!(
        sdk,
        SdkSource::Path(
            Path::new(WORKSPACE)
                .join("guest-sdk")
                .canonicalize()
                .unwrap()
        )
    );
    assert!(origin.contains("built from"));

    let gone = dir.path().join("no-such-checkout/guest-sdk");
    let target = dir.path().join("out");
    let err = run_with(&args("my-plugin", &target), &gone, &mut Vec::new()).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let message = err.to_string();
    assert!(message.contains("--sdk-git URL"), "{message}");
    assert!(message.contains("--sdk-path PATH"), "{message}");
    assert!(!target.exists(), "nothing is written");

    // --sdk-git, with and without a tag, needs no checkout.
    let mut git = args("my-plugin", &target);
    git.sdk_git = Some("https://git.example/plugin-host".to_owned());
    let (sdk, _) = resolve_sdk(&git, &gone).unwrap();
    assert_eq!(
        sdk.dependency_line(),
        r#"plugin-sdk = { git = "https://git.example/plugin-host", tag = "sdk-v0.1.1" }"#
    );
    git.sdk_tag = "sdk-v9".to_owned();
    let (sdk, _) = resolve_sdk(&git, &gone).unwrap();
    assert!(sdk.dependency_line().ends_with(r#"tag = "sdk-v9" }"#));

    // --sdk-path must be the SDK.
    let mut path = args("my-plugin", &target);
    path.sdk_path = Some(PathBuf::from(WORKSPACE).join("host"));
    let err = resolve_sdk(&path, &gone).unwrap_err();
    assert!(matches!(err, NewError::SdkPath { .. }), "{err}");
    assert!(err.to_string().contains("is not plugin-sdk's"), "{err}");
    path.sdk_path = Some(dir.path().join("missing"));
    assert_eq!(resolve_sdk(&path, &gone).unwrap_err().exit_code(), 2);
}

#[test]
fn sdk_flags_are_checked_by_the_parser() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    let target = target.to_str().unwrap();
    let (code, _, stderr) = cli(&["x", "--dir", target, "--sdk-tag", "v1"]);
    assert_eq!(code, 2, "--sdk-tag needs --sdk-git: {stderr}");
    let (code, _, _) = cli(&["x", "--dir", target, "--sdk-git", "u", "--sdk-path", "p"]);
    assert_eq!(code, 2);
    assert!(!Path::new(target).exists());
}

#[test]
fn the_default_tag_is_the_sdk_s_version() {
    let text = std::fs::read_to_string(format!("{WORKSPACE}/guest-sdk/Cargo.toml")).unwrap();
    let table: toml::Table = text.parse().unwrap();
    let version = table["package"]["version"].as_str().unwrap();
    assert_eq!(DEFAULT_SDK_TAG, format!("sdk-v{version}"));
}

#[test]
fn the_stack_flag_and_release_profile_are_the_workspace_s() {
    let files = rendered(Kind::Checkout, "my-plugin");
    let parse = |text: &str| -> toml::Table { text.parse().unwrap() };
    let ours = parse(&std::fs::read_to_string(format!("{WORKSPACE}/.cargo/config.toml")).unwrap());
    let generated = parse(text(&files, ".cargo/config.toml"));
    assert_eq!(generated["target"], ours["target"]);
    let ours = parse(&std::fs::read_to_string(format!("{WORKSPACE}/Cargo.toml")).unwrap());
    let generated = parse(text(&files, "Cargo.toml"));
    assert_eq!(generated["profile"]["release"], ours["profile"]["release"]);
    // A workspace of its own; a cdylib (the component) and an rlib (tests).
    assert_eq!(
        generated["workspace"],
        toml::Value::Table(toml::Table::new())
    );
    assert_eq!(
        generated["lib"]["crate-type"],
        toml::Value::Array(vec!["cdylib".into(), "rlib".into()])
    );
    let dependency = &generated["dependencies"]["plugin-sdk"]["path"];
    assert_eq!(
        Path::new(dependency.as_str().unwrap()),
        Path::new(WORKSPACE)
            .join("guest-sdk")
            .canonicalize()
            .unwrap()
    );
}

#[test]
fn the_manifest_and_host_file_load_as_the_host_loads_them() {
    for (kind, name) in [(Kind::Checkout, "my-plugin"), (Kind::Connector, "my-sync")] {
        let dir = tempfile::tempdir().unwrap();
        let names = Names::new(name).unwrap();
        write_files(dir.path(), &render_files(kind, &names, &sdk())).unwrap();

        let manifest = Manifest::from_file(&dir.path().join("plugin.toml")).unwrap();
        assert_eq!(manifest.id, name);
        assert_eq!(
            manifest.component,
            dir.path()
                .join(format!("target/wasm32-wasip2/release/{}.wasm", names.lib))
        );
        let env_prefix = names.env.clone();
        let env = move |key: &str| key.starts_with(&env_prefix).then(|| "dev".to_owned());
        let host = HostConfig::from_file_with_env(&dir.path().join("host.toml"), &env)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(host.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(host.plugins.len(), 1);
        assert_eq!(host.data_dir, dir.path().join("target/plugin-host"));
        match kind {
            Kind::Checkout => {
                let scopes: Vec<_> = manifest.scopes.unwrap().into_iter().collect();
                assert_eq!(scopes, ["add_fee", "modify_order"]);
                assert!(manifest.connector.is_none());
            }
            Kind::Connector => {
                let connector = manifest.connector.unwrap();
                assert_eq!(
                    connector.bold_token_env.as_deref(),
                    Some("MY_SYNC_BOLD_TOKEN")
                );
                assert!(connector.webhook.unwrap().accepts("customer-updated"));
                assert!(host.plugins[0].connector_secrets.is_some());
            }
        }
    }
}

#[test]
fn the_readme_has_the_commands_new_prints() {
    for kind in [Kind::Checkout, Kind::Connector] {
        let names = Names::new("my-plugin").unwrap();
        let files = render_files(kind, &names, &sdk());
        let readme = text(&files, "README.md");
        for command in next_commands(kind, &names) {
            assert!(
                readme.contains(&command),
                "{kind:?}: {command}\nnot in\n{readme}"
            );
        }
        let summary = summary(
            kind,
            &names,
            Path::new("./my-plugin"),
            &files,
            &sdk(),
            "test",
        );
        assert!(summary.contains("\n  cd ./my-plugin\n"), "{summary}");
    }
}

#[test]
fn the_sample_events_are_the_sdk_s() {
    let files = rendered(Kind::Checkout, "my-plugin");
    for (path, fixture) in [
        ("fixtures/initialize_checkout.json", "initialize_checkout"),
        ("fixtures/order_submitted.json", "order_submitted_us"),
    ] {
        let expected =
            std::fs::read_to_string(format!("{WORKSPACE}/guest-sdk/fixtures/{fixture}.json"))
                .unwrap();
        assert_eq!(text(&files, path), expected);
    }
}

#[test]
fn shell_words_are_quoted_when_needed() {
    assert_eq!(shell_word("./my-plugin"), "./my-plugin");
    assert_eq!(shell_word("/tmp/a b"), "'/tmp/a b'");
    assert_eq!(shell_word("it's"), r"'it'\''s'");
}
