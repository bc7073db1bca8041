//! The listener's deadlines and bounds (`[http]`), against the real binary
//! over raw TCP: a stalled request head or body, a connection cap, a bounded
//! drain on SIGTERM, and a 413 that a client writing its whole body first
//! still reads.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use plugin_tests::guests::EXAMPLE_CHECKOUT;
use plugin_tests::server::{PluginSpec, TestServer, write_config};

const BIN: &str = env!("CARGO_BIN_EXE_plugin-host-under-test");
const EVENTS: &str = "/plugins/example-checkout/events";

fn start(http: &str, manifest_extra: &str) -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs =
        [PluginSpec::new("example-checkout", EXAMPLE_CHECKOUT, "secret").with(manifest_extra)];
    let host_extra = if http.is_empty() {
        String::new()
    } else {
        format!("[http]\n{http}\n")
    };
    let host = write_config(dir.path(), &specs, &host_extra);
    let server = TestServer::start(BIN, &host, &specs, &[]);
    (dir, server)
}

fn connect(server: &TestServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("read timeout");
    stream
}

/// Reads until the server closes the connection (or the read timeout);
/// returns what arrived and how long it took.
fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

fn post_head(content_length: usize) -> String {
    format!(
        "POST {EVENTS} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n\
         Content-Length: {content_length}\r\n\r\n"
    )
}

#[test]
fn a_stalled_request_head_is_closed_after_the_head_timeout() {
    let (_dir, server) = start("head_timeout_ms = 500", "");
    let mut stalled = connect(&server);
    stalled
        .write_all(format!("POST {EVENTS} HTTP/1.1\r\nHost: te").as_bytes())
        .expect("write");
    let (received, took) = read_to_close(&mut stalled);
    assert!(
        took < Duration::from_secs(5),
        "closed after {took:?}, got {received:?}"
    );
    // An idle keep-alive connection goes the same way.
    let mut idle = connect(&server);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .expect("write");
    let (received, took) = read_to_close(&mut idle);
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(took < Duration::from_secs(5), "idle closed after {took:?}");
}

#[test]
fn a_stalled_body_gets_408() {
    let (_dir, server) = start("body_timeout_ms = 500", "");
    let mut stalled = connect(&server);
    stalled
        .write_all(format!("{}{{\"event\"", post_head(100)).as_bytes())
        .expect("write");
    let (received, took) = read_to_close(&mut stalled);
    assert!(received.starts_with("HTTP/1.1 408"), "{received}");
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    assert!(
        received.to_ascii_lowercase().contains("connection: close"),
        "{received}"
    );
}

#[test]
fn connections_over_the_cap_wait_for_a_free_place() {
    let (_dir, server) = start("max_connections = 3\nhead_timeout_ms = 1500", "");
    let stalled: Vec<TcpStream> = (0..3)
        .map(|_| {
            let mut stream = connect(&server);
            stream.write_all(b"GET /heal").expect("write");
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let mut health = connect(&server);
    health
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .expect("write");
    let (received, _) = read_to_close(&mut health);
    let waited = started.elapsed();
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(
        waited > Duration::from_millis(700),
        "served only once a stalled connection was closed: {waited:?}"
    );
    drop(stalled);
}

#[test]
fn sigterm_with_a_stalled_body_exits_within_the_drain_time() {
    let (_dir, mut server) = start("shutdown_drain_ms = 500\nbody_timeout_ms = 60000", "");
    let mut stalled = connect(&server);
    stalled
        .write_all(format!("{}{{", post_head(1000)).as_bytes())
        .expect("write");
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(10));
    let took = started.elapsed();
    assert!(status.is_some(), "the server exits");
    assert!(took < Duration::from_secs(4), "exited after {took:?}");
}

#[test]
fn a_body_over_the_limit_written_whole_before_reading_still_gets_its_413() {
    let (_dir, server) = start("", "[limits]\nbody_bytes = 65536");
    for round in 0..3 {
        let mut client = connect(&server);
        let body = vec![b' '; 4 * 1024 * 1024];
        client
            .write_all(post_head(body.len()).as_bytes())
            .expect("head");
        let written = client.write_all(&body);
        assert!(
            written.is_ok(),
            "round {round}: the server reads the body it refuses: {written:?}"
        );
        let (received, _) = read_to_close(&mut client);
        assert!(
            received.starts_with("HTTP/1.1 413"),
            "round {round}: {received:?}"
        );
    }
}
