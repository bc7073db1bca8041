//! Logging for `serve`: human or JSON lines on stderr, `RUST_LOG` filters
//! (default `info`: one line per request).
//!
//! A line is formatted on the thread that logs it and appended to a shared
//! buffer (a short lock, no system call); a writer thread wakes every
//! [`FLUSH_INTERVAL`] and writes what accumulated with one `write`. So a
//! request never waits on stderr (a slow terminal, a full pipe to a log
//! shipper), and, unlike a queue whose consumer is woken for every line,
//! logging costs no context switch per request. When [`BUFFER_BYTES`] are
//! waiting, further lines are dropped and counted
//! (`plugin_host_log_lines_dropped_total`) rather than slowing requests;
//! [`LogGuard`] writes what is left when `serve` ends.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// How often the writer thread writes what accumulated.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(20);

/// Bytes of lines waiting for the writer thread (some 16,000 request
/// lines); past it, lines are dropped.
pub const BUFFER_BYTES: usize = 4 * 1024 * 1024;

/// The buffer of the process's logging, once set up.
static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();

/// Sets up logging for `serve`: human or JSON lines on stderr, written by a
/// thread of their own.
pub fn init_logging(format: LogFormat) -> LogGuard {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let shared = Arc::new(Shared::new(BUFFER_BYTES));
    let builder = tracing_subscriber::fmt()
        .with_writer(Batched(shared.clone()))
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
    if installed.is_err() || SHARED.set(shared.clone()).is_err() {
        // Logging was set up already (tests): this buffer is unused.
        return LogGuard(None);
    }
    let writer = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || shared.write_until_closed(&mut std::io::stderr()))
    };
    match writer {
        Ok(thread) => LogGuard(Some((shared, thread))),
        Err(err) => {
            // No writer thread: nothing would ever be written.
            eprintln!("cannot start the log writer thread: {err}");
            LogGuard(None)
        }
    }
}

/// Log lines dropped because the writer thread fell behind.
pub fn dropped_lines() -> u64 {
    SHARED
        .get()
        .map_or(0, |shared| shared.dropped.load(Ordering::Relaxed))
}

/// Keeps the writer thread; dropping it writes what is still buffered.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard(Option<(Arc<Shared>, std::thread::JoinHandle<()>)>);

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard")
            .field("writer", &self.0.is_some())
            .finish()
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some((shared, thread)) = self.0.take() {
            shared.close();
            let _ = thread.join();
        }
    }
}

/// Lines waiting for the writer thread.
struct Shared {
    state: Mutex<Pending>,
    wake: Condvar,
    dropped: AtomicU64,
    capacity: usize,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    closed: bool,
}

impl Shared {
    fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            dropped: AtomicU64::new(0),
            capacity,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one formatted line, or counts it dropped when the buffer is
    /// full.
    fn append(&self, line: &[u8]) {
        let mut pending = self.lock();
        if pending.bytes.len() + line.len() > self.capacity {
            drop(pending);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.bytes.extend_from_slice(line);
    }

    /// Stops the writer thread after one last write.
    fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
    }

    /// The writer thread: every [`FLUSH_INTERVAL`] (or when closed), takes
    /// what accumulated and writes it to `out` in one go. Write errors (a
    /// closed stderr) drop the lines: logging never stops the host.
    fn write_until_closed(&self, out: &mut dyn Write) {
        let mut spare = Vec::new();
        loop {
            let closed = {
                let pending = self.lock();
                let (mut pending, _) = self
                    .wake
                    .wait_timeout_while(pending, FLUSH_INTERVAL, |p| !p.closed)
                    .unwrap_or_else(|e| e.into_inner());
                std::mem::swap(&mut pending.bytes, &mut spare);
                pending.closed
            };
            if !spare.is_empty() {
                let _ = out.write_all(&spare).and_then(|()| out.flush());
                spare.clear();
            }
            if closed {
                return;
            }
        }
    }
}

/// The subscriber's writer: each event's line goes to the shared buffer.
struct Batched(Arc<Shared>);

impl<'a> MakeWriter<'a> for Batched {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.0,
            line: Vec::new(),
        }
    }
}

/// Collects one event's output (the formatter may write it in pieces) and
/// appends it whole when dropped, so a line is kept or dropped entirely.
struct LineWriter<'a> {
    shared: &'a Shared,
    line: Vec<u8>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.shared.append(&self.line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_written_whole_in_one_pass_and_the_overflow_is_counted() {
        let shared = Arc::new(Shared::new(64));
        let writer = Batched(shared.clone());
        for i in 0..10 {
            let mut line = writer.make_writer();
            // A formatter may write a line in pieces.
            write!(line, "line {i} ").unwrap();
            writeln!(line, "of ten").unwrap();
        }
        // 15 bytes a line: four fit in 64, six are dropped.
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 6);
        shared.close();
        let mut out = Vec::new();
        shared.write_until_closed(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "line 0 of ten\nline 1 of ten\nline 2 of ten\nline 3 of ten\n"
        );
    }

    #[test]
    fn the_writer_thread_writes_without_being_woken_per_line() {
        let shared = Arc::new(Shared::new(BUFFER_BYTES));
        let out = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (shared, out) = (shared.clone(), out.clone());
            std::thread::spawn(move || {
                let mut sink = SharedSink(out);
                shared.write_until_closed(&mut sink)
            })
        };
        let writer = Batched(shared.clone());
        for _ in 0..1000 {
            writeln!(writer.make_writer(), "request").unwrap();
        }
        // Written within a few intervals, with no close.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while out.lock().unwrap().len() < 8 * 1000 {
            assert!(std::time::Instant::now() < deadline, "not written");
            std::thread::sleep(FLUSH_INTERVAL);
        }
        shared.close();
        thread.join().unwrap();
        assert_eq!(out.lock().unwrap().len(), 8 * 1000);
    }

    struct SharedSink(Arc<Mutex<Vec<u8>>>);

    impl Write for SharedSink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
