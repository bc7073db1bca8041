//! Tests of the manifest file's parsing: every key, its default and its errors.

use super::*;

const PATH: &str = "/etc/plugins/example/plugin.toml";

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, Path::new(PATH))
}

fn parse_err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const MINIMAL: &str = "id = \"x\"\ncomponent = \"x.wasm\"\n";

fn env(name: &str) -> Option<String> {
    match name {
        "NEW_SECRET" => Some("new-value".into()),
        "OLD_SECRET" => Some("old-value".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

#[test]
fn parses_a_full_manifest() {
    let m = parse(
        r#"
id = "example-checkout"
component = "example.wasm"
client_secret_env = ["NEW_SECRET", "OLD_SECRET"]
events = ["initialize_checkout"]
scopes = ["modify_order"]
on_error = "fail"
max_concurrency = 3
queue = 0
[limits]
timeout_ms = 250
memory_bytes = 1048576
[signature]
algorithms = ["hmac-sha512", "hmac-sha256"]
require_digest = true
require_request_target = true
replay_protection = true
max_skew_secs = 60
[config]
stock = 5
label = "x"
enabled = true
"#,
    )
    .unwrap();
    assert_eq!(m.component, Path::new("/etc/plugins/example/example.wasm"));
    assert_eq!(m.on_error, OnError::Fail);
    assert_eq!(m.limits.timeout_ms, 250);
    assert_eq!(
        m.limits.base_fuel,
        crate::runtime::limits::DEFAULT_BASE_FUEL
    );
    assert_eq!((m.max_concurrency, m.queue), (3, 0));
    assert_eq!(
        m.signature,
        SignaturePolicy {
            algorithms: vec![VerifierAlgorithm::HmacSha512, VerifierAlgorithm::HmacSha256],
            require_digest: true,
            require_request_target: true,
            replay_protection: true,
            max_skew: Duration::from_secs(60),
        }
    );
    assert_eq!(
        m.client_secret_env.as_ref().unwrap().names(),
        vec!["NEW_SECRET", "OLD_SECRET"]
    );
    assert_eq!(
        m.config,
        vec![
            ("enabled".to_owned(), "true".to_owned()),
            ("label".to_owned(), "x".to_owned()),
            ("stock".to_owned(), "5".to_owned())
        ]
    );
    assert!(m.warnings().is_empty());
}

#[test]
fn a_minimal_manifest_takes_the_built_in_defaults() {
    let m = parse(MINIMAL).unwrap();
    assert_eq!(m.limits, Limits::default());
    assert_eq!(m.on_error, OnError::NoActions);
    assert_eq!(m.max_concurrency, DEFAULT_MAX_CONCURRENCY);
    assert_eq!(m.queue, DEFAULT_QUEUE);
    assert_eq!(m.signature, SignaturePolicy::default());
    assert_eq!(m.signature.algorithms, vec!["hmac-sha256"]);
    assert_eq!(m.signature.max_skew, Duration::from_secs(300));
    assert!(m.events.is_none() && m.scopes.is_none() && m.public_url.is_none());
    assert!(m.config.is_empty());
    let warnings = m.warnings();
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains(PATH) && warnings[0].contains("scopes"),
        "{warnings:?}"
    );
}

#[test]
fn manifests_inherit_defaults_key_by_key() {
    let defaults = ManifestDefaults {
        limits: Limits {
            timeout_ms: 50,
            memory_bytes: 1 << 20,
            ..Limits::default()
        },
        on_error: OnError::Fail,
        max_concurrency: 2,
        queue: 4,
        signature: SignaturePolicy {
            require_digest: true,
            max_skew: Duration::from_secs(30),
            ..SignaturePolicy::default()
        },
    };
    let inherit = Manifest::parse_with(MINIMAL, Path::new(PATH), &defaults).unwrap();
    assert_eq!(inherit.limits, defaults.limits);
    assert_eq!(inherit.on_error, OnError::Fail);
    assert_eq!((inherit.max_concurrency, inherit.queue), (2, 4));
    assert_eq!(inherit.signature, defaults.signature);

    let text = format!(
        "{MINIMAL}on_error = \"no-actions\"\nqueue = 9\n[limits]\ntimeout_ms = 70\n\
         [signature]\nmax_skew_secs = 10\n"
    );
    let m = Manifest::parse_with(&text, Path::new(PATH), &defaults).unwrap();
    assert_eq!(m.limits.timeout_ms, 70, "overridden");
    assert_eq!(m.limits.memory_bytes, 1 << 20, "inherited from defaults");
    assert_eq!(m.limits.output_bytes, Limits::default().output_bytes);
    assert_eq!(m.on_error, OnError::NoActions);
    assert_eq!((m.max_concurrency, m.queue), (2, 9));
    assert!(m.signature.require_digest, "inherited");
    assert_eq!(m.signature.max_skew, Duration::from_secs(10));
}

#[test]
fn unknown_keys_name_the_file_and_field() {
    for (text, field) in [
        (format!("{MINIMAL}surprise = 1\n"), "surprise"),
        (format!("{MINIMAL}[limits]\ntimeout = 5\n"), "timeout"),
        (format!("{MINIMAL}[signature]\nskew = 5\n"), "skew"),
    ] {
        let err = parse_err(&text);
        assert!(err.contains(PATH), "{err}");
        assert!(err.contains(&format!("unknown field `{field}`")), "{err}");
    }
}

#[test]
fn bad_values_name_the_field() {
    for (text, expected) in [
        (
            format!("{MINIMAL}[limits]\ntimeout_ms = 0\n"),
            "limits.timeout_ms",
        ),
        (
            format!("{MINIMAL}[limits]\nmemory_bytes = -1\n"),
            "memory_bytes",
        ),
        (format!("{MINIMAL}max_concurrency = 0\n"), "max_concurrency"),
        (format!("{MINIMAL}on_error = \"explode\"\n"), "explode"),
        (
            format!("{MINIMAL}[signature]\nmax_skew_secs = 0\n"),
            "signature.max_skew_secs",
        ),
        (
            format!("{MINIMAL}[signature]\nalgorithms = []\n"),
            "signature.algorithms",
        ),
        (format!("{MINIMAL}events = [\"\"]\n"), "events"),
        (format!("{MINIMAL}public_url = \"ftp://x\"\n"), "public_url"),
    ] {
        let err = parse_err(&text);
        assert!(err.contains(PATH) && err.contains(expected), "{err}");
    }
}

#[test]
fn bad_ids_are_refused() {
    let err = parse_err("id = \"Bad/Id\"\ncomponent = \"x.wasm\"\n");
    assert!(err.contains("field `id`"), "{err}");
}

#[test]
fn only_the_three_lowercase_algorithms_are_accepted() {
    for bad in ["hmac-md5", "HMAC-SHA256", "rsa-sha256", "hs2019"] {
        let err = parse_err(&format!("{MINIMAL}[signature]\nalgorithms = [\"{bad}\"]\n"));
        assert!(err.contains(PATH) && err.contains(bad), "{err}");
        assert!(
            err.contains("hmac-sha256"),
            "lists the accepted names: {err}"
        );
    }
    let m = parse(&format!(
        "{MINIMAL}[signature]\nalgorithms = [\"hmac-sha1\", \"hmac-sha1\", \"hmac-sha512\"]\n"
    ))
    .unwrap();
    assert_eq!(m.signature.algorithms, vec!["hmac-sha1", "hmac-sha512"]);
}

#[test]
fn secrets_come_from_one_or_two_environment_variables() {
    let one = parse(&format!("{MINIMAL}client_secret_env = \"NEW_SECRET\"\n")).unwrap();
    let secrets = one.resolve_secrets(&env).unwrap();
    assert_eq!(secrets, vec![SecretValue::new("new-value")]);

    let two = parse(&format!(
        "{MINIMAL}client_secret_env = [\"NEW_SECRET\", \"OLD_SECRET\"]\n"
    ))
    .unwrap();
    let secrets = two.resolve_secrets(&env).unwrap();
    let values: Vec<&str> = secrets.iter().map(SecretValue::expose).collect();
    assert_eq!(values, vec!["new-value", "old-value"]);
}

#[test]
fn a_missing_or_empty_variable_is_named_without_values() {
    let m = parse(&format!(
        "{MINIMAL}client_secret_env = [\"NEW_SECRET\", \"MISSING_SECRET\"]\n"
    ))
    .unwrap();
    let err = m.resolve_secrets(&env).unwrap_err().to_string();
    assert!(err.contains(PATH), "{err}");
    assert!(err.contains("client_secret_env"), "{err}");
    assert!(
        err.contains("MISSING_SECRET") && err.contains("not set"),
        "{err}"
    );
    assert!(!err.contains("new-value"), "{err}");

    let m = parse(&format!("{MINIMAL}client_secret_env = \"EMPTY\"\n")).unwrap();
    let err = m.resolve_secrets(&env).unwrap_err().to_string();
    assert!(err.contains("EMPTY") && err.contains("is empty"), "{err}");
}

#[test]
fn secrets_come_from_files_relative_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("new.secret"), "file-new\n").unwrap();
    std::fs::write(dir.path().join("old.secret"), "file-old\r\n").unwrap();
    std::fs::write(dir.path().join("kept.secret"), "kept\n\n").unwrap();
    std::fs::write(dir.path().join("empty.secret"), "\n").unwrap();
    let path = dir.path().join("plugin.toml");
    let parse_in_dir = |files: &str| {
        Manifest::parse(&format!("{MINIMAL}client_secret_file = {files}\n"), &path).unwrap()
    };

    let m = parse_in_dir("[\"new.secret\", \"old.secret\"]");
    let secrets = m.resolve_secrets(&env).unwrap();
    let values: Vec<&str> = secrets.iter().map(SecretValue::expose).collect();
    assert_eq!(values, vec!["file-new", "file-old"]);
    let m = parse_in_dir("\"kept.secret\"");
    assert_eq!(m.resolve_secrets(&env).unwrap()[0].expose(), "kept\n");

    let m = parse_in_dir("\"empty.secret\"");
    let err = m.resolve_secrets(&env).unwrap_err().to_string();
    assert!(
        err.contains("client_secret_file") && err.contains("empty.secret"),
        "{err}"
    );
    let m = parse_in_dir("\"absent.secret\"");
    let err = m.resolve_secrets(&env).unwrap_err().to_string();
    assert!(
        err.contains("cannot read") && err.contains("absent.secret"),
        "{err}"
    );
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn secret_sources_are_checked() {
    let err = parse_err(&format!("{MINIMAL}client_secret = \"hunter2\"\n"));
    assert!(err.contains("client_secret_env") && err.contains("client_secret_file"));
    assert!(err.contains("inline") && !err.contains("hunter2"), "{err}");

    for (sources, expected) in [
        ("client_secret_env = []", "empty"),
        ("client_secret_env = [\"A\", \"B\", \"C\"]", "at most two"),
        ("client_secret_env = [\"A\", \"A\"]", "twice"),
        ("client_secret_env = \"\"", "empty"),
        ("client_secret_env = 5", "a name, or a list"),
        (
            "client_secret_env = \"A\"\nclient_secret_file = \"a\"",
            "only one",
        ),
    ] {
        let err = parse_err(&format!("{MINIMAL}{sources}\n"));
        assert!(
            err.contains(PATH) && err.contains(expected),
            "{sources}: {err}"
        );
    }

    let err = parse(MINIMAL)
        .unwrap()
        .resolve_secrets(&env)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no client secret") && err.contains(PATH),
        "{err}"
    );
}

#[test]
fn secret_values_are_redacted_in_debug() {
    let secret = SecretValue::new("hunter2");
    assert_eq!(format!("{secret:?}"), "SecretValue(<redacted>)");
    assert!(!format!("{:?}", vec![secret]).contains("hunter2"));
}

#[test]
fn public_url_precedence() {
    let mut computed = parse(MINIMAL).unwrap();
    computed.apply_host_public_url("http://127.0.0.1:8080/");
    assert_eq!(
        computed.config,
        vec![(
            "public_url".to_owned(),
            "http://127.0.0.1:8080/plugins/x".to_owned()
        )]
    );
    computed.apply_host_public_url("https://other.example");
    assert_eq!(computed.config[0].1, "https://other.example/plugins/x");

    let mut top = parse(&format!("{MINIMAL}public_url = \"https://p.example/x/\"\n")).unwrap();
    top.apply_host_public_url("http://127.0.0.1:8080");
    assert_eq!(top.public_url.as_deref(), Some("https://p.example/x"));
    assert_eq!(top.config[0].1, "https://p.example/x");

    let mut in_config = parse(&format!(
        "{MINIMAL}[config]\npublic_url = \"https://c.example/x\"\n"
    ))
    .unwrap();
    in_config.apply_host_public_url("http://127.0.0.1:8080");
    assert_eq!(in_config.config[0].1, "https://c.example/x");

    let err = parse_err(&format!(
        "{MINIMAL}public_url = \"https://a.example\"\n[config]\npublic_url = \"https://b.example\"\n"
    ));
    assert!(err.contains("only one"), "{err}");
}

#[test]
fn watched_files_include_secret_files() {
    let m = parse(&format!("{MINIMAL}client_secret_file = \"s\"\n")).unwrap();
    assert_eq!(
        m.watched_files(),
        vec![
            PathBuf::from(PATH),
            PathBuf::from("/etc/plugins/example/x.wasm"),
            PathBuf::from("/etc/plugins/example/s"),
        ]
    );
}

#[test]
fn outbound_require_install_and_the_checkout_deadline() {
    let m = parse(&format!(
        "{MINIMAL}require_install = true\n[limits]\ntimeout_ms = 20000\n\
         [outbound]\nallowed_hosts = [\"Loyalty.Example.com\", \"127.0.0.1:9100\"]\n\
         timeout_ms = 2500\nmax_requests = 3\n"
    ))
    .unwrap();
    assert!(m.require_install);
    let grant = m.outbound.clone().unwrap();
    assert_eq!(
        grant.allowed_hosts.iter().collect::<Vec<_>>(),
        ["127.0.0.1:9100", "loyalty.example.com"]
    );
    assert_eq!(grant.timeout, Duration::from_millis(2500));
    assert_eq!(grant.max_requests, 3);
    assert_eq!(m.plugin_settings().outbound, Some(grant));
    let plain = parse(MINIMAL).unwrap();
    assert!(!plain.require_install);
    assert_eq!(plain.outbound, None);
    assert_eq!(plain.plugin_settings().outbound, None);

    for (text, expected) in [
        ("[limits]\ntimeout_ms = 20001\n", "20 s at most"),
        (
            "[outbound]\nallowed_hosts = [\"https://x.test/\"]\n",
            "outbound.allowed_hosts",
        ),
        (
            "[outbound]\nallowed_hosts = [\"*.x.test\"]\n",
            "outbound.allowed_hosts",
        ),
        ("[outbound]\ntimeout_ms = 0\n", "outbound.timeout_ms"),
        ("[outbound]\ntimeout_ms = 60001\n", "outbound.timeout_ms"),
        ("[outbound]\nmax_requests = 0\n", "outbound.max_requests"),
        ("[outbound]\nhosts = []\n", "hosts"),
        ("require_install = \"yes\"\n", "require_install"),
    ] {
        let err = parse_err(&format!("{MINIMAL}{text}"));
        assert!(err.contains(expected), "{text}: {err}");
    }
    // A connector grants its hosts in [connector]; it may take longer.
    let err = parse_err(&format!(
        "{MINIMAL}[connector]\nshop_identifier = \"s\"\nbold_token_env = \"T\"\n\
         [outbound]\nallowed_hosts = []\n"
    ));
    assert!(err.contains("connector.allowed_hosts"), "{err}");
}

#[test]
fn a_connector_without_an_x_hmac_secret_keeps_cavage_and_is_warned_about() {
    let connector = |keys: &str| {
        format!("{MINIMAL}[connector]\nshop_identifier = \"s\"\nbold_token_env = \"T\"\n{keys}")
    };
    let warned = |m: &Manifest| {
        m.warnings().iter().any(|w| {
            w.contains("names no X-HMAC shared secret") && w.contains("bold_hmac_secret_env")
        })
    };

    let legacy = parse(&connector("")).unwrap();
    let settings = legacy.connector.as_ref().unwrap();
    assert_eq!(settings.bold_auth, BoldAuth::Cavage { explicit: false });
    assert!(warned(&legacy), "{:?}", legacy.warnings());

    let chosen = parse(&connector("bold_auth = \"cavage\"\n")).unwrap();
    assert_eq!(
        chosen.connector.as_ref().unwrap().bold_auth,
        BoldAuth::Cavage { explicit: true }
    );
    assert!(!warned(&chosen), "{:?}", chosen.warnings());

    let x_hmac = parse(&connector("bold_hmac_secret_file = \"hmac\"\n")).unwrap();
    let settings = x_hmac.connector.as_ref().unwrap();
    let x = settings.bold_auth.x_hmac().unwrap();
    assert_eq!(
        x.secret_file,
        Some(OneOrTwo::One("/etc/plugins/example/hmac".into()))
    );
    assert!(!warned(&x_hmac), "{:?}", x_hmac.warnings());
    assert!(
        x_hmac
            .watched_files()
            .contains(&PathBuf::from("/etc/plugins/example/hmac")),
        "a secret file is watched"
    );

    let err = parse_err(&connector("bold_auth = \"hmac\"\n"));
    assert!(err.starts_with(PATH) && err.contains("bold_auth"), "{err}");
    let err = parse_err(&connector("bold_auth = \"x-hmac\"\n"));
    assert!(
        err.starts_with(PATH) && err.contains("no shared secret is named"),
        "{err}"
    );
}

#[test]
fn a_connector_s_x_hmac_secrets_resolve_like_the_others() {
    let text = format!(
        "{MINIMAL}[connector]\nshop_identifier = \"s\"\nbold_token_env = \"NEW_SECRET\"\n\
         bold_hmac_secret_env = [\"NEW_SECRET\", \"OLD_SECRET\"]\nbold_hmac_window_secs = 60\n"
    );
    let m = parse(&text).unwrap();
    let connector = m.connector.as_ref().unwrap();
    let secrets = connector.resolve_secrets(&m.path, &env).unwrap();
    let verifier = secrets.bold_hmac.as_ref().expect("X-HMAC verifier");
    assert_eq!(verifier.secret_count(), 2);
    assert_eq!(verifier.window(), Duration::from_secs(60));
    assert!(!format!("{secrets:?}").contains("new-value"));

    let unset = text.replace("\"OLD_SECRET\"", "\"UNSET\"");
    let m = parse(&unset).unwrap();
    let err = m
        .connector
        .as_ref()
        .unwrap()
        .resolve_secrets(&m.path, &env)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connector.bold_hmac_secret_env") && err.contains("UNSET is not set"),
        "{err}"
    );
}
