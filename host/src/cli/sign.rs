//! `plugin-host sign`: print the headers of a signed request and a `curl`
//! command that sends it, for trying a running host by hand.
//!
//! The secret is read from an environment variable (never an argument, so it
//! stays out of shell history and `ps`). Output, on stdout: the headers one
//! per line (`Name: value`), a blank line, then the `curl` command; with
//! `--print headers` or `--print curl`, only one of them (for scripts). With
//! `--send`, the signed request is sent instead: the answer's status line on
//! stderr, its body on stdout, exit 0 for a 2xx and 1 otherwise. The
//! signature is good for the verifier's skew window (300 s by default).
//!
//! By default the request is signed as Bold Checkout signs its calls (a
//! draft-cavage signature with the client secret). With `--x-hmac` it is
//! stamped as Bold stamps its calls to a platform connector:
//! `X-HMAC-Timestamp` (now) and `X-HMAC` with the connector's shared secret;
//! such a stamp passes once, within the connector's window.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;

use crate::signature::{Algorithm, Secret, Signer, SignerError, XHmacSigner};

/// Arguments of `plugin-host sign`.
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// The environment variable holding the client secret (with `--x-hmac`,
    /// the connector's X-HMAC shared secret).
    #[arg(long, value_name = "NAME")]
    pub secret_env: String,
    /// Stamp the request as Bold stamps its calls to a platform connector
    /// (`X-HMAC-Timestamp` and `X-HMAC`) instead of a cavage signature.
    #[arg(long, conflicts_with_all = ["headers", "key_id", "algorithm"])]
    pub x_hmac: bool,
    /// The request body file (default: an empty body).
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// The full URL to call.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The headers to sign, space-separated, in order.
    #[arg(
        long,
        value_name = "NAMES",
        default_value = "(request-target) date digest"
    )]
    pub headers: String,
    /// The `keyId` parameter.
    #[arg(long, value_name = "ID", default_value = "plugin-host")]
    pub key_id: String,
    /// The algorithm: hmac-sha256, hmac-sha1 or hmac-sha512.
    #[arg(long, value_name = "NAME", default_value = "hmac-sha256")]
    pub algorithm: Algorithm,
    /// The request method (uppercased).
    #[arg(long, value_name = "METHOD", default_value = "POST")]
    pub method: String,
    /// The `Content-Type` header.
    #[arg(long, value_name = "TYPE", default_value = "application/json")]
    pub content_type: String,
    /// What to print: `both` (the headers, a blank line, the curl command),
    /// `headers` (`Name: value` lines only) or `curl` (the command only).
    #[arg(long, value_enum, default_value = "both", conflicts_with = "send")]
    pub print: Print,
    /// Send the signed request and print the answer: the status line on
    /// stderr, the body on stdout; exit 0 for a 2xx answer, 1 otherwise.
    #[arg(long)]
    pub send: bool,
}

/// What `sign` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Print {
    /// The headers, a blank line, the curl command.
    Both,
    /// The headers only, `Name: value` per line.
    Headers,
    /// The curl command only.
    Curl,
}

/// How long `--send` waits for the answer.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why `sign` failed (all are usage or input errors: exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The secret's environment variable is not set.
    #[error("environment variable {0} is not set")]
    SecretUnset(String),
    /// The secret's environment variable is empty.
    #[error("environment variable {0} is empty")]
    SecretEmpty(String),
    /// The secret's environment variable is not valid Unicode.
    #[error("environment variable {0} is not valid Unicode")]
    SecretNotUnicode(String),
    /// The body file cannot be read.
    #[error("cannot read body file {path}: {source}")]
    Body {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The URL is not an absolute `http://` or `https://` URL.
    #[error("bad --url: {0}")]
    Url(String),
    /// The method is not an HTTP method token.
    #[error("bad --method: {0:?} is not an HTTP method")]
    Method(String),
    /// The `Content-Type` is not a valid header value.
    #[error("bad --content-type: not a valid header value")]
    ContentType,
    /// The key id or header list cannot be signed.
    #[error("{0}")]
    Signer(#[from] SignerError),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
    /// `--send`: the request got no answer.
    #[error("no answer from {url}: {reason}")]
    Send {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

impl SignError {
    /// The process exit status for this error: 1 when a request got no
    /// answer, else 2 (usage or input).
    pub fn exit_code(&self) -> u8 {
        match self {
            SignError::Send { .. } => 1,
            _ => 2,
        }
    }
}

/// Runs `sign` as of now, reading the secret from the process environment;
/// the exit status (with `--send`, 1 when the answer is not a 2xx).
pub fn sign_command(
    args: &SignArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, SignError> {
    let env = |name: &str| std::env::var_os(name);
    if args.send {
        let signed = signed_request(args, SystemTime::now(), &env)?;
        return send(args, signed, stdout, stderr);
    }
    sign_command_at(args, stdout, SystemTime::now(), &env)?;
    Ok(0)
}

/// A request ready to go: method, headers, body.
struct Signed {
    method: http::Method,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `--send`: posts the signed request and prints the answer.
fn send(
    args: &SignArgs,
    signed: Signed,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, SignError> {
    let failed = |reason: String| SignError::Send {
        url: args.url.clone(),
        reason,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(e.to_string()))?;
    let (status, body) = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| failed(e.without_url().to_string()))?;
        let mut request = client.request(signed.method, &args.url).body(signed.body);
        for (name, value) in &signed.headers {
            request = request.header(name, value);
        }
        let response = request
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        Ok::<_, SignError>((status, body))
    })?;
    writeln!(stderr, "HTTP {status}")?;
    stdout.write_all(&body)?;
    if !body.is_empty() && !body.ends_with(b"\n") {
        writeln!(stdout)?;
    }
    Ok(if status.is_success() { 0 } else { 1 })
}

/// Runs `sign` as of `now`, looking environment variables up with `env`
/// (tests pass a fixed clock and a map).
pub fn sign_command_at(
    args: &SignArgs,
    stdout: &mut dyn Write,
    now: SystemTime,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(), SignError> {
    let Signed {
        method, headers, ..
    } = signed_request(args, now, env)?;
    if args.print != Print::Curl {
        for (name, value) in &headers {
            writeln!(stdout, "{name}: {value}")?;
        }
    }
    if args.print == Print::Headers {
        return Ok(());
    }
    if args.print == Print::Both {
        writeln!(stdout)?;
    }
    write!(
        stdout,
        "curl -sS -X {} {}",
        shell_quote(method.as_str()),
        shell_quote(&args.url)
    )?;
    for (name, value) in &headers {
        write!(
            stdout,
            " \\\n  -H {}",
            shell_quote(&format!("{name}: {value}"))
        )?;
    }
    if let Some(path) = &args.body {
        let arg = format!("@{}", path.display());
        write!(stdout, " \\\n  --data-binary {}", shell_quote(&arg))?;
    }
    writeln!(stdout)?;
    Ok(())
}

/// The request `args` describe, signed as of `now`.
fn signed_request(
    args: &SignArgs,
    now: SystemTime,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Signed, SignError> {
    let secret = match env(&args.secret_env) {
        None => return Err(SignError::SecretUnset(args.secret_env.clone())),
        Some(value) if value.is_empty() => {
            return Err(SignError::SecretEmpty(args.secret_env.clone()));
        }
        Some(value) => value
            .into_string()
            .map_err(|_| SignError::SecretNotUnicode(args.secret_env.clone()))?,
    };

    let method = http::Method::from_bytes(args.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| SignError::Method(args.method.clone()))?;
    if http::HeaderValue::from_str(&args.content_type).is_err() {
        return Err(SignError::ContentType);
    }
    let target = Target::parse(&args.url)?;
    let body = match &args.body {
        Some(path) => std::fs::read(path).map_err(|source| SignError::Body {
            path: path.clone(),
            source,
        })?,
        None => Vec::new(),
    };

    let headers = if args.x_hmac {
        // `secret` is not empty (checked above), so the signer is made.
        let signer = XHmacSigner::new(Secret::from(secret))
            .map_err(|_| SignError::SecretEmpty(args.secret_env.clone()))?;
        let mut headers: Vec<(String, String)> = signer
            .sign(now)
            .headers()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        headers.push(("Content-Type".to_owned(), args.content_type.clone()));
        headers
    } else {
        let signer = Signer::new(args.key_id.clone(), Secret::from(secret), args.algorithm)?
            .with_headers(args.headers.split_ascii_whitespace())?;
        signer.sign(
            method.as_str(),
            &target.path_and_query,
            &target.host,
            &args.content_type,
            &body,
            now,
        )
    };

    Ok(Signed {
        method,
        headers,
        body,
    })
}

/// What the signature needs from the URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// `Host` header value: host, and the port if the URL has one.
    host: String,
    /// Path and query as the server will receive them (`/` if none).
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, SignError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| SignError::Url(e.to_string()))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => {
                return Err(SignError::Url(
                    "expected an absolute http:// or https:// URL".into(),
                ));
            }
        }
        let authority = uri
            .authority()
            .ok_or_else(|| SignError::Url("no host".into()))?;
        if authority.as_str().contains('@') {
            return Err(SignError::Url(
                "user info in the URL is not supported".into(),
            ));
        }
        let host = match authority.port() {
            Some(port) => format!("{}:{}", authority.host(), port),
            None => authority.host().to_owned(),
        };
        let path_and_query = uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .filter(|pq| !pq.is_empty())
            .unwrap_or("/");
        let path_and_query = if path_and_query.starts_with('/') {
            path_and_query.to_owned()
        } else {
            format!("/{path_and_query}")
        };
        Ok(Target {
            host,
            path_and_query,
        })
    }
}

/// `s` as one single-quoted shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::signature::{Policy, SignedRequest, Verifier};

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: SignArgs,
    }

    fn args(extra: &[&str]) -> SignArgs {
        let mut argv = vec!["sign", "--secret-env", "SIGN_TEST_SECRET"];
        if !extra.contains(&"--url") {
            argv.extend_from_slice(&["--url", "http://h/p"]);
        }
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).unwrap().args
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn env_with(secret: Option<&str>) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = secret
            .map(|s| ("SIGN_TEST_SECRET".to_owned(), OsString::from(s)))
            .into_iter()
            .collect();
        move |name| map.get(name).cloned()
    }

    fn run(args: &SignArgs, secret: Option<&str>) -> Result<String, SignError> {
        let mut out = Vec::new();
        sign_command_at(args, &mut out, now(), &env_with(secret))?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn header_lines(output: &str) -> Vec<(String, String)> {
        output
            .lines()
            .take_while(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(": ").unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn prints_headers_and_curl_that_verify() {
        let dir = tempfile::tempdir().unwrap();
        let body_path = dir.path().join("it's body.json");
        let body = br#"{"event":"initialize_checkout"}"#;
        std::fs::write(&body_path, body).unwrap();
        let body_arg = body_path.to_str().unwrap();
        let args = args(&[
            "--body",
            body_arg,
            "--url",
            "http://localhost:8080/plugins/demo/events?shop=1",
        ]);
        let out = run(&args, Some("s3cret")).unwrap();

        let headers = header_lines(&out);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Date", "Content-Type", "Digest", "Authorization"]);
        assert_eq!(headers[0].1, "Tue, 14 Nov 2023 22:13:20 GMT");
        assert!(headers[3].1.starts_with(
            "Signature keyId=\"plugin-host\",algorithm=\"hmac-sha256\",headers=\"(request-target) date digest\",signature=\""
        ));

        let mut map = http::HeaderMap::new();
        for (n, v) in &headers {
            map.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let policy = Policy {
            require_digest: true,
            require_request_target: true,
            ..Policy::default()
        };
        Verifier::new(policy, vec![Secret::from("s3cret")])
            .verify(
                &SignedRequest {
                    method: &http::Method::POST,
                    path_and_query: "/plugins/demo/events?shop=1",
                    headers: &map,
                    body,
                },
                now(),
            )
            .unwrap();

        let curl = out.split("\n\n").nth(1).unwrap();
        assert!(curl.starts_with(
            "curl -sS -X 'POST' 'http://localhost:8080/plugins/demo/events?shop=1' \\\n  -H 'Date: Tue, 14 Nov 2023 22:13:20 GMT' \\\n"
        ));
        let quoted_path = body_arg.replace('\'', r"'\''");
        assert!(
            curl.ends_with(&format!(" \\\n  --data-binary '@{quoted_path}'\n")),
            "{curl}"
        );
        assert!(quoted_path.contains(r"it'\''s"));
        assert!(!out.contains("s3cret"));
    }

    #[test]
    fn signs_host_and_other_algorithms() {
        let args = args(&[
            "--url",
            "https://[::1]:8443",
            "--headers",
            "(request-target) host date",
            "--algorithm",
            "HMAC-SHA512",
            "--method",
            "put",
            "--key-id",
            "my-key",
        ]);
        let out = run(&args, Some("s3cret")).unwrap();
        let headers = header_lines(&out);
        assert_eq!(headers[0], ("Host".to_owned(), "[::1]:8443".to_owned()));
        let auth = &headers.last().unwrap().1;
        assert!(auth.contains("keyId=\"my-key\",algorithm=\"hmac-sha512\""));
        assert!(auth.contains("headers=\"(request-target) host date\""));
        // No body: no --data-binary.
        assert!(!out.contains("--data-binary"));
        assert!(out.contains("curl -sS -X 'PUT' 'https://[::1]:8443'"));
    }

    #[test]
    fn x_hmac_stamps_what_a_connector_verifies() {
        use crate::signature::{DEFAULT_XHMAC_WINDOW, XHmacVerifier};

        let args = args(&[
            "--x-hmac",
            "--method",
            "PUT",
            "--url",
            "http://localhost:8080/plugins/platform-sync/bold/shop/customers/1",
        ]);
        let out = run(&args, Some("s3cret")).unwrap();
        let headers = header_lines(&out);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X-HMAC-Timestamp", "X-HMAC", "Content-Type"]);
        assert_eq!(headers[0].1, "2023-11-14T22:13:20Z");
        let mut map = http::HeaderMap::new();
        for (n, v) in &headers {
            map.append(
                http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let verified = XHmacVerifier::new(vec![Secret::from("s3cret")], DEFAULT_XHMAC_WINDOW)
            .verify(&map, now())
            .unwrap();
        assert_eq!(verified.secret, 0);
        assert!(out.contains(
            "curl -sS -X 'PUT' 'http://localhost:8080/plugins/platform-sync/bold/shop/customers/1'"
        ));
        assert!(out.contains("-H 'X-HMAC: "), "{out}");
        assert!(!out.contains("s3cret"));
        // Cavage's options do not apply.
        for extra in [
            ["--headers", "date"],
            ["--key-id", "k"],
            ["--algorithm", "hmac-sha1"],
        ] {
            let argv = [
                "sign",
                "--secret-env",
                "X",
                "--url",
                "http://h/",
                "--x-hmac",
                extra[0],
                extra[1],
            ];
            assert!(Cli::try_parse_from(argv).is_err(), "{extra:?}");
        }
    }

    #[test]
    fn targets() {
        let t = |url| Target::parse(url).map_err(|e| e.to_string());
        assert_eq!(
            t("http://h/"),
            Ok(Target {
                host: "h".into(),
                path_and_query: "/".into()
            })
        );
        assert_eq!(t("http://h:81").unwrap().path_and_query, "/");
        assert_eq!(t("http://h:81").unwrap().host, "h:81");
        assert_eq!(t("http://h?x=1").unwrap().path_and_query, "/?x=1");
        assert_eq!(
            t("http://h/a%20b?q=%2F").unwrap().path_and_query,
            "/a%20b?q=%2F"
        );
        assert!(t("/relative").is_err());
        assert!(t("ftp://h/").is_err());
        assert!(t("http://user:pw@h/").is_err());
        assert!(t("not a url").is_err());
    }

    #[test]
    fn secret_errors() {
        let a = args(&[]);
        assert!(matches!(run(&a, None), Err(SignError::SecretUnset(n)) if n == "SIGN_TEST_SECRET"));
        assert!(matches!(run(&a, Some("")), Err(SignError::SecretEmpty(_))));
    }

    #[test]
    fn input_errors() {
        let missing = args(&["--body", "/nonexistent/body.json"]);
        assert!(matches!(
            run(&missing, Some("s")),
            Err(SignError::Body { .. })
        ));
        let bad_headers = args(&["--headers", "date x-custom"]);
        assert!(matches!(
            run(&bad_headers, Some("s")),
            Err(SignError::Signer(SignerError::UnsupportedHeader(_)))
        ));
        let no_date = args(&["--headers", "(request-target) digest"]);
        assert!(matches!(
            run(&no_date, Some("s")),
            Err(SignError::Signer(SignerError::DateNotSigned))
        ));
        let bad_method = args(&["--method", "PO ST"]);
        assert!(matches!(
            run(&bad_method, Some("s")),
            Err(SignError::Method(_))
        ));
        let bad_type = args(&["--content-type", "a\nb"]);
        assert!(matches!(
            run(&bad_type, Some("s")),
            Err(SignError::ContentType)
        ));
        assert!(
            Cli::try_parse_from(["sign", "--secret-env", "X", "--algorithm", "rsa-sha256"])
                .is_err()
        );
        assert!(Cli::try_parse_from(["sign"]).is_err());
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
