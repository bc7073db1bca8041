//! A `plugin-host serve` process for tests: config files in a temporary
//! directory, an ephemeral port on 127.0.0.1, signed requests (Checkout's
//! cavage signature, Bold's X-HMAC on calls to a connector), signals.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use plugin_host::signature::{Algorithm, Secret, Signer, XHmacSigner, XHmacStamp};

/// One plugin of a test configuration.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// Its id.
    pub id: String,
    /// Its component (absolute path).
    pub component: String,
    /// Its client secret (passed to the server through an env variable).
    pub secret: String,
    /// Extra manifest lines (TOML), e.g. `on_error = "fail"`.
    pub extra: String,
}

impl PluginSpec {
    /// A plugin with default settings.
    pub fn new(id: &str, component: &str, secret: &str) -> Self {
        Self {
            id: id.to_owned(),
            component: component.to_owned(),
            secret: secret.to_owned(),
            extra: String::new(),
        }
    }

    /// Adds manifest lines.
    pub fn with(mut self, extra: &str) -> Self {
        self.extra.push_str(extra);
        self.extra.push('\n');
        self
    }

    fn env_name(&self) -> String {
        format!(
            "TEST_SECRET_{}",
            self.id.to_uppercase().replace(['-', '.'], "_")
        )
    }
}

/// Writes `host.toml` and one manifest per plugin into `dir`.
pub fn write_config(dir: &Path, plugins: &[PluginSpec], host_extra: &str) -> PathBuf {
    let mut host = String::from("listen = \"127.0.0.1:0\"\ndata_dir = \"data\"\nplugins = [");
    for plugin in plugins {
        host.push_str(&format!("\"{}.toml\", ", plugin.id));
        let component = PathBuf::from(&plugin.component);
        let manifest = format!(
            "id = \"{}\"\ncomponent = {:?}\nclient_secret_env = \"{}\"\n{}",
            plugin.id,
            component.display().to_string(),
            plugin.env_name(),
            plugin.extra
        );
        write(&dir.join(format!("{}.toml", plugin.id)), &manifest);
    }
    host.push_str("]\n");
    host.push_str(host_extra);
    let path = dir.join("host.toml");
    write(&path, &host);
    path
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A running `plugin-host serve`.
#[derive(Debug)]
pub struct TestServer {
    child: Child,
    /// The bound address.
    pub addr: SocketAddr,
    /// The admin listener's address, when the host file sets `admin_listen`.
    pub admin: Option<SocketAddr>,
    stderr: Arc<Mutex<String>>,
}

impl TestServer {
    /// Starts the server binary `bin` (integration tests pass
    /// `env!("CARGO_BIN_EXE_plugin-host-under-test")`) on `host_toml` with the
    /// plugins' secrets in its environment, and waits for `listening on`.
    pub fn start(bin: &str, host_toml: &Path, plugins: &[PluginSpec], extra_args: &[&str]) -> Self {
        Self::start_with_env(bin, host_toml, plugins, extra_args, &[])
    }

    /// [`TestServer::start`] with more environment variables (e.g. a
    /// connector's Bold token).
    pub fn start_with_env(
        bin: &str,
        host_toml: &Path,
        plugins: &[PluginSpec],
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new(bin);
        command.envs(env.iter().copied());
        command
            .arg("serve")
            .arg("--config")
            .arg(host_toml)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .env("RUST_LOG", "info")
            .env("PLUGIN_HOST_CACHE_DIR", crate::support::test_cache_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for plugin in plugins {
            command.env(plugin.env_name(), &plugin.secret);
        }
        let mut child = command.spawn().expect("start plugin-host serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&chunk[..n]));
                    }
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut admin = None;
            while let Some(Ok(line)) = lines.next() {
                if let Some(addr) = line.strip_prefix("admin listening on ") {
                    admin = Some(addr.to_owned());
                } else if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send((addr.to_owned(), admin.take()));
                }
            }
        });
        let (addr, admin) = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok((addr, admin)) => (
                addr.parse().expect("an address"),
                admin.map(|a| a.parse().expect("an admin address")),
            ),
            Err(_) => {
                let _ = child.kill();
                let log = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                panic!("the server did not start; its log:\n{log}");
            }
        };
        Self {
            child,
            addr,
            admin,
            stderr,
        }
    }

    /// `http://<addr><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the server logged so far. The host writes its log every 20 ms,
    /// so a line can arrive after the response it belongs to: to expect a
    /// line, use [`TestServer::wait_for_log`].
    pub fn logs(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Waits up to 10 s for the log to contain `text` (log lines arrive
    /// through a pipe, possibly after the response they belong to); the
    /// log, whether it does or not.
    pub fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if logs.contains(text) || Instant::now() >= deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (`TERM`, `HUP`, …) with `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Kills the process hard (SIGKILL): no shutdown code runs.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Headers that sign `body` for `POST url` the way Bold does (HMAC-SHA256
/// over `(request-target) date digest` by default).
pub fn sign(secret: &str, url: &str, body: &[u8], headers: &[&str]) -> Vec<(String, String)> {
    sign_method("POST", secret, url, body, headers)
}

/// [`sign`] for any method.
pub fn sign_method(
    method: &str,
    secret: &str,
    url: &str,
    body: &[u8],
    headers: &[&str],
) -> Vec<(String, String)> {
    let uri: http::Uri = url.parse().expect("a URL");
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let mut signer = Signer::new(
        "test",
        Secret::new(secret.as_bytes()),
        Algorithm::HmacSha256,
    )
    .expect("a signer");
    if !headers.is_empty() {
        signer = signer
            .with_headers(headers.iter().copied())
            .expect("signable headers");
    }
    signer.sign(
        method,
        &path,
        &host,
        "application/json",
        body,
        SystemTime::now(),
    )
}

/// POSTs `body` to `url`, signed with `secret`.
pub async fn signed_post(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    body: &str,
) -> reqwest::Response {
    let mut request = client.post(url).body(body.to_owned());
    for (name, value) in sign(secret, url, body.as_bytes(), &[]) {
        request = request.header(name, value);
    }
    request.send().await.expect("the request is answered")
}

/// The headers of Bold's call to a connector (`bold/PROTOCOL.md` §6):
/// `X-HMAC-Timestamp`, `X-HMAC` (HMAC-SHA256 of the timestamp with the
/// shared `secret`) and `Content-Type: application/json`. The timestamp has
/// microseconds and grows with every call ([`crate::mocks::now_rfc3339`]),
/// so two calls never share a stamp (the host accepts each pair once).
pub fn sign_xhmac(secret: &str) -> Vec<(String, String)> {
    xhmac_headers(&xhmac_signer(secret).sign_timestamp(&crate::mocks::now_rfc3339()))
}

/// [`sign_xhmac`] stamped at `at`, in whole seconds as the host's own
/// signer writes them (`2023-11-14T22:13:20Z`): an old, a future, or the
/// same stamp twice.
pub fn sign_xhmac_at(secret: &str, at: SystemTime) -> Vec<(String, String)> {
    xhmac_headers(&xhmac_signer(secret).sign(at))
}

fn xhmac_signer(secret: &str) -> XHmacSigner {
    XHmacSigner::new(Secret::new(secret.as_bytes())).expect("a non-empty secret")
}

fn xhmac_headers(stamp: &XHmacStamp) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = stamp
        .headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    headers
}
