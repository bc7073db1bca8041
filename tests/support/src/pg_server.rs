//! A throwaway PostgreSQL server for the tests, started once per test
//! binary, with one database per test.
//!
//! - Finds `initdb` and `pg_ctl` in `$PLUGIN_HOST_PG_BINDIR` if set, else
//!   on `PATH`, else in the newest `/usr/lib/postgresql/*/bin`.
//! - PostgreSQL refuses to run as root: as root, the commands run as the
//!   `postgres` user (`runuser -u postgres --`, else `su postgres -c`) in a
//!   temporary directory handed to that user.
//! - The server listens on a unix socket in that directory and on
//!   127.0.0.1 at a free port, with `fsync = off` (the tests check the
//!   rules, not durability), and is stopped with `pg_ctl stop -m
//!   immediate`: on drop, and, for the server kept in a static for the
//!   whole run (statics are never dropped), by a watchdog process that does
//!   it once the test process is gone.
//! - If PostgreSQL cannot be found or started, [`database`] prints
//!   `skipped: <reason>` and returns `None`, and the test returns early;
//!   with `PLUGIN_HOST_REQUIRE_POSTGRES=1` it panics instead.
//!
//! Everything here blocks (the `postgres` client included): call it from
//! plain `#[test]` functions, not from async code.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Set to make a missing PostgreSQL a failure instead of a skip.
pub const REQUIRE_ENV: &str = "PLUGIN_HOST_REQUIRE_POSTGRES";

/// Set to the directory of the PostgreSQL binaries to use (only there).
pub const BINDIR_ENV: &str = "PLUGIN_HOST_PG_BINDIR";

/// The superuser the tests connect as (trust authentication).
const SUPERUSER: &str = "postgres";

/// The OS user that runs the server when the tests run as root.
const OS_USER: &str = "postgres";

static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// A fresh database on the shared server for the test `test`, as a URL
/// over TCP (`postgresql://postgres@127.0.0.1:<port>/<db>`), or `None`
/// (after printing why) when there is no PostgreSQL here.
pub fn database(test: &str) -> Option<String> {
    let result = server().and_then(|server| server.create_database(test));
    match result {
        Ok(url) => Some(url),
        Err(reason) => skip(&reason),
    }
}

/// The server shared by every test of this run, started on first use.
pub fn server() -> Result<&'static PgServer, String> {
    SERVER
        .get_or_init(PgServer::start)
        .as_ref()
        .map_err(Clone::clone)
}

fn skip<T>(reason: &str) -> Option<T> {
    if std::env::var_os(REQUIRE_ENV).is_some_and(|v| !v.is_empty() && v != "0") {
        panic!("PostgreSQL is required ({REQUIRE_ENV}) but unavailable: {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

/// How the server's commands are run.
#[derive(Debug, Clone)]
enum RunAs {
    /// As the current (non-root) user.
    Me,
    /// `runuser -u postgres -- …`.
    Runuser(PathBuf),
    /// `su postgres -s /bin/sh -c '…'`.
    Su(PathBuf),
}

/// A running server (see the module docs).
#[derive(Debug)]
pub struct PgServer {
    dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
    pg_ctl: PathBuf,
    run_as: RunAs,
}

impl PgServer {
    /// Initialises a cluster in a temporary directory and starts it.
    pub fn start() -> Result<Self, String> {
        let (initdb, pg_ctl) = find_binaries()?;
        let run_as = run_as()?;
        let base = if Path::new("/tmp").is_dir() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("outbox-pg-")
            .tempdir_in(base)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        if !matches!(run_as, RunAs::Me) {
            let out = Command::new("chown")
                .arg(OS_USER)
                .arg(dir.path())
                .output()
                .map_err(|e| format!("cannot run chown: {e}"))?;
            check("chown", &out)?;
        }
        let data = dir.path().join("data");
        let out = run(
            &run_as,
            dir.path(),
            &initdb,
            &[
                "-D".into(),
                data.clone().into(),
                "-U".into(),
                SUPERUSER.into(),
                "-A".into(),
                "trust".into(),
                "-E".into(),
                "UTF8".into(),
                "--locale=C".into(),
                "-N".into(),
            ],
        )?;
        check("initdb", &out)?;
        let mut server = Self {
            dir,
            data,
            port: 0,
            pg_ctl,
            run_as,
        };
        let mut last_error = String::new();
        for _ in 0..3 {
            server.port = free_port()?;
            match server.start_once() {
                Ok(()) => {
                    server.spawn_watchdog();
                    server.wait_ready()?;
                    return Ok(server);
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn start_once(&self) -> Result<(), String> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        let out = run(
            &self.run_as,
            self.dir.path(),
            &self.pg_ctl,
            &[
                "-D".into(),
                self.data.clone().into(),
                "-l".into(),
                log.clone().into(),
                "-w".into(),
                "-t".into(),
                "60".into(),
                "-o".into(),
                options.into(),
                "start".into(),
            ],
        )?;
        check("pg_ctl start", &out).map_err(|e| {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = tail.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
            format!("{e} (server log: {tail})")
        })
    }

    /// Stops the server once this process has exited, whatever way it
    /// exits (the static server is never dropped).
    fn spawn_watchdog(&self) {
        use std::os::unix::process::CommandExt;
        let stop = shell_command(&self.run_as, &self.stop_args());
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; \
             rm -rf {dir}",
            pid = std::process::id(),
            dir = quote(self.dir.path().as_os_str()),
        );
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        if let Err(e) = spawned {
            eprintln!("warning: no watchdog for the test PostgreSQL server: {e}");
        }
    }

    fn stop_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![self.pg_ctl.clone().into()];
        args.extend([
            "-D".into(),
            self.data.clone().into(),
            "stop".into(),
            "-m".into(),
            "immediate".into(),
        ]);
        args
    }

    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.client("postgres") {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("the server did not accept connections: {e}"));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A superuser connection to `dbname` over the unix socket.
    pub fn client(&self, dbname: &str) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host_path(self.dir.path())
            .port(self.port)
            .user(SUPERUSER)
            .dbname(dbname)
            .connect(postgres::NoTls)
            .map_err(|e| format!("cannot connect to the test server: {e}"))
    }

    /// Creates an empty database named after `test` and returns its URL.
    pub fn create_database(&self, test: &str) -> Result<String, String> {
        let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
        let slug: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{n}_{slug}");
        let mut admin = self.client("postgres")?;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| format!("cannot create database {name}: {e}"))?;
        Ok(self.url(&name))
    }

    /// The TCP URL of `dbname`.
    pub fn url(&self, dbname: &str) -> String {
        format!("postgresql://{SUPERUSER}@127.0.0.1:{}/{dbname}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let args = self.stop_args();
        if let Some((program, rest)) = args.split_first() {
            let _ = run(&self.run_as, self.dir.path(), Path::new(program), rest);
        }
    }
}

/// `initdb` and `pg_ctl` from one installation.
fn find_binaries() -> Result<(PathBuf, PathBuf), String> {
    if let Some(dir) = std::env::var_os(BINDIR_ENV) {
        let dir = PathBuf::from(dir);
        let (initdb, pg_ctl) = (dir.join("initdb"), dir.join("pg_ctl"));
        if initdb.is_file() && pg_ctl.is_file() {
            return Ok((initdb, pg_ctl));
        }
        return Err(format!(
            "{BINDIR_ENV}={} has no initdb and pg_ctl",
            dir.display()
        ));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_str()?.parse().ok()?;
                Some((version, e.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        dirs.extend(versions.into_iter().map(|(_, dir)| dir));
    }
    dirs.iter()
        .map(|dir| (dir.join("initdb"), dir.join("pg_ctl")))
        .find(|(initdb, pg_ctl)| initdb.is_file() && pg_ctl.is_file())
        .ok_or_else(|| {
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in \
             /usr/lib/postgresql/*/bin"
                .to_owned()
        })
}

/// As whom to run the server: as root, the `postgres` user.
fn run_as() -> Result<RunAs, String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("cannot run `id -u`: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Ok(RunAs::Me);
    }
    let user_exists = Command::new("id")
        .arg("-u")
        .arg(OS_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !user_exists {
        return Err(format!(
            "running as root, and there is no `{OS_USER}` user to run PostgreSQL as"
        ));
    }
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let runuser = Path::new(dir).join("runuser");
        if runuser.is_file() {
            return Ok(RunAs::Runuser(runuser));
        }
    }
    for dir in ["/usr/bin", "/bin"] {
        let su = Path::new(dir).join("su");
        if su.is_file() {
            return Ok(RunAs::Su(su));
        }
    }
    Err("running as root, and neither runuser nor su is available".into())
}

/// Runs `program args` as `run_as` in `cwd` and waits for it.
fn run(run_as: &RunAs, cwd: &Path, program: &Path, args: &[OsString]) -> Result<Output, String> {
    let mut command = match run_as {
        RunAs::Me => {
            let mut c = Command::new(program);
            c.args(args);
            c
        }
        RunAs::Runuser(runuser) => {
            let mut c = Command::new(runuser);
            c.args(["-u", OS_USER, "--"]).arg(program).args(args);
            c
        }
        RunAs::Su(su) => {
            let mut line = vec![program.as_os_str().to_owned()];
            line.extend(args.iter().cloned());
            let mut c = Command::new(su);
            c.args([OS_USER, "-s", "/bin/sh", "-c"])
                .arg(line.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "));
            c
        }
    };
    command
        .current_dir(cwd)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))
}

/// The same as a `sh` command line.
fn shell_command(run_as: &RunAs, line: &[OsString]) -> String {
    let line: Vec<String> = line.iter().map(|a| quote(a)).collect();
    match run_as {
        RunAs::Me => line.join(" "),
        RunAs::Runuser(runuser) => format!(
            "{} -u {OS_USER} -- {}",
            quote(runuser.as_os_str()),
            line.join(" ")
        ),
        RunAs::Su(su) => format!(
            "{} {OS_USER} -s /bin/sh -c {}",
            quote(su.as_os_str()),
            quote(line.join(" ").as_ref())
        ),
    }
}

/// `'text'` for `sh`.
fn quote(text: &std::ffi::OsStr) -> String {
    format!("'{}'", text.to_string_lossy().replace('\'', "'\\''"))
}

fn check(what: &str, out: &Output) -> Result<(), String> {
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let text: String = format!("{stderr} {stdout}")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(400)
        .collect();
    Err(format!("{what} failed ({}): {text}", out.status))
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
