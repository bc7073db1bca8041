//! `[tls]` against the real binary, with self-signed certificates made by
//! `rcgen`: a signed `initialize_checkout` answered over HTTPS to a client
//! that trusts only the test's certificate; the certificate files replaced
//! (as renewal does) and the new pair served to new connections without a
//! restart, a bad pair logged and the old one kept; plain HTTP to the HTTPS
//! port refused cleanly; a stalled handshake closed at the head deadline
//! while it holds a place under the connection cap; and bad files refused
//! by `serve` (exit 2) and by `check` (one line).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use plugin_tests::guests::EXAMPLE_CHECKOUT;
use plugin_tests::server::{PluginSpec, TestServer, signed_post, write_config};
use plugin_tests::support::{expected_example_checkout, fixture_body};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const SECRET: &str = "example-secret";
const EVENTS: &str = "/plugins/example-checkout/events";

/// A certificate for 127.0.0.1 and its key.
struct Pair {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn pair() -> Pair {
    let generated =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("a certificate");
    Pair {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
        der: generated.cert.der().to_vec(),
    }
}

fn specs() -> Vec<PluginSpec> {
    vec![
        PluginSpec::new("example-checkout", EXAMPLE_CHECKOUT, SECRET)
            .with(r#"scopes = ["provide_shipping_rates", "modify_order", "add_fee"]"#),
    ]
}

/// Writes `file` whole under a temporary name, then renames it into place,
/// as renewal tools do.
fn replace(path: &Path, text: &str) {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text).expect("write");
    std::fs::rename(&temporary, path).expect("rename");
}

/// A host file with `[tls]` naming `tls/cert.pem` and `tls/key.pem`
/// (relative to it), holding `first`; `extra` is appended.
fn config(dir: &Path, first: &Pair, extra: &str) -> (PathBuf, PathBuf) {
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).expect("mkdir");
    replace(&tls.join("cert.pem"), &first.cert_pem);
    replace(&tls.join("key.pem"), &first.key_pem);
    let host = write_config(
        dir,
        &specs(),
        &format!("[tls]\ncert = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n{extra}"),
    );
    (host, tls)
}

fn start(first: &Pair, extra: &str) -> (tempfile::TempDir, PathBuf, TestServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (host, tls) = config(dir.path(), first, extra);
    let server = TestServer::start(BIN, &host, &specs(), &[]);
    (dir, tls, server)
}

fn https(server: &TestServer, path: &str) -> String {
    format!("https://{}{path}", server.addr)
}

/// A client that trusts `pair`'s certificate and nothing else, and opens a
/// new connection for every request.
fn client_trusting(pair: &Pair) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(pair.cert_pem.as_bytes()).expect("a PEM certificate"),
        )
        .tls_info(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("a client")
}

/// The certificate the server presented for `response`'s connection.
fn peer_certificate(response: &reqwest::Response) -> Vec<u8> {
    response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .expect("TLS information with the peer's certificate")
        .to_vec()
}

/// Sends Bold's `initialize_checkout` sample, signed, and checks the 200
/// answer and its actions (the inventory override at the host's `https://`
/// public URL); returns the certificate the connection was served.
async fn signed_initialize_checkout(client: &reqwest::Client, server: &TestServer) -> Vec<u8> {
    let response = signed_post(
        client,
        &https(server, EVENTS),
        SECRET,
        &fixture_body("initialize_checkout"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let served = peer_certificate(&response);
    let body: Value = response.json().await.expect("a JSON answer");
    let mut expected = expected_example_checkout("initialize_checkout");
    expected[0]["data"]["url"] = json!(https(
        server,
        "/plugins/example-checkout/overrides/inventory"
    ));
    assert_eq!(body["success"], json!(true), "{body}");
    assert_eq!(body["actions"], expected, "{body}");
    served
}

#[tokio::test]
async fn a_signed_event_over_https_and_a_renewed_certificate_served_without_restart() {
    let first = pair();
    let (_dir, tls, mut server) = start(&first, "");
    let trusts_first = client_trusting(&first);
    assert_eq!(
        signed_initialize_checkout(&trusts_first, &server).await,
        first.der
    );
    let logs = server.wait_for_log("TLS: the plugin listener serves HTTPS");
    assert!(
        logs.contains("TLS: the plugin listener serves HTTPS"),
        "{logs}"
    );

    // A key that is not the certificate's: logged, the first pair kept.
    let stranger = pair();
    replace(&tls.join("key.pem"), &stranger.key_pem);
    let logs = server.wait_for_log("TLS certificate not reloaded");
    assert!(logs.contains("does not match"), "{logs}");
    assert_eq!(
        signed_initialize_checkout(&trusts_first, &server).await,
        first.der
    );

    // Renewal: a new certificate and key. New connections get them.
    let second = pair();
    replace(&tls.join("cert.pem"), &second.cert_pem);
    replace(&tls.join("key.pem"), &second.key_pem);
    let trusts_second = client_trusting(&second);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match trusts_second.get(https(&server, "/healthz")).send().await {
            Ok(response) => {
                assert_eq!(peer_certificate(&response), second.der);
                break;
            }
            Err(err) if Instant::now() < deadline => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(err) => panic!(
                "the new certificate is not served: {err:?}\n{}",
                server.logs()
            ),
        }
    }
    assert_eq!(
        signed_initialize_checkout(&trusts_second, &server).await,
        second.der
    );
    // Not even by resuming the session it had with the old pair: each pair
    // has its own session cache.
    let refused = trusts_first.get(https(&server, "/healthz")).send().await;
    assert!(
        refused.is_err(),
        "a client trusting only the old certificate is refused"
    );
    assert!(
        server
            .wait_for_log("TLS certificate reloaded")
            .contains("TLS certificate reloaded")
    );
    assert!(
        server.wait(Duration::ZERO).is_none(),
        "the same process serves"
    );
}

/// Reads until the server closes the connection (or 20 s); what arrived
/// and how long it took.
fn read_to_close(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
    (received, started.elapsed())
}

#[tokio::test]
async fn plain_http_to_the_https_port_fails_cleanly() {
    let first = pair();
    let (_dir, _tls, server) = start(&first, "");
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("a client");
    let started = Instant::now();
    let answer = plain.get(server.url("/healthz")).send().await;
    assert!(answer.is_err(), "no HTTP answer: {answer:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Over raw TCP: the connection is closed at once, with no HTTP in it.
    let mut raw = TcpStream::connect(server.addr).expect("connect");
    raw.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("write");
    let (received, took) = read_to_close(&mut raw);
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    assert!(!received.starts_with(b"HTTP/"), "{received:?}");

    // The listener goes on serving HTTPS.
    let response = client_trusting(&first)
        .get(https(&server, "/healthz"))
        .send()
        .await
        .expect("served over HTTPS");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_stalled_handshake_holds_its_place_under_the_cap_until_the_head_deadline() {
    let first = pair();
    let (_dir, _tls, server) = start(
        &first,
        "[http]\nmax_connections = 1\nhead_timeout_ms = 1500\n",
    );
    // The start of a ClientHello, then nothing.
    let mut stalled = TcpStream::connect(server.addr).expect("connect");
    stalled.write_all(&[0x16, 0x03, 0x01]).expect("write");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let response = client_trusting(&first)
        .get(https(&server, "/healthz"))
        .send()
        .await
        .expect("served once the stalled handshake is closed");
    let waited = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        waited > Duration::from_millis(700),
        "served only once the stalled handshake gave its place up: {waited:?}"
    );
    let (_, took) = read_to_close(&mut stalled);
    assert!(took < Duration::from_secs(2), "the stalled one is closed");
}

/// Runs `plugin-host <command> --config <host>`; a command still running
/// after a minute (a `serve` that started) is killed and fails the test.
fn run(command: &str, host: &Path) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg(command)
        .arg("--config")
        .arg(host)
        .env("TEST_SECRET_EXAMPLE_CHECKOUT", SECRET)
        .env(
            "PLUGIN_HOST_CACHE_DIR",
            plugin_tests::support::test_cache_dir(),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("`plugin-host {command}` is still running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_tls_files_stop_serve_and_are_one_line_of_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = pair();
    let (host, tls) = config(dir.path(), &first, "");
    let (code, out, err) = run("check", &host);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: tls (certificate "), "{out}");

    // A key that is not the certificate's.
    replace(&tls.join("key.pem"), &pair().key_pem);
    let (code, _, err) = run("check", &host);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("host.toml: fields `tls.cert` and `tls.key`: the private key in")
            && lines[0].contains("does not match"),
        "{err}"
    );

    // No key in the key file.
    replace(&tls.join("key.pem"), &first.cert_pem);
    let (code, _, err) = run("serve", &host);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("field `tls.key`:") && err.contains("holds no private key"),
        "{err}"
    );

    // A missing file.
    std::fs::remove_file(tls.join("cert.pem")).expect("remove");
    let (code, _, err) = run("serve", &host);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("field `tls.cert`: cannot read") && err.contains("cert.pem"),
        "{err}"
    );
    let (code, _, err) = run("check", &host);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error: ")).count(),
        1,
        "{err}"
    );
}
