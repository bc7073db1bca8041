//! Logging for `serve`: human or JSON lines on stderr, `RUST_LOG` filters
//! (default `info`: one line per request).
//!
//! Lines are formatted on the thread that logs them and handed to a writer
//! thread through a bounded queue, so a request never waits on stderr (a
//! slow terminal, a full pipe to a log shipper). The writer thread writes
//! what is queued in one go. When the queue is full, lines are dropped and
//! counted (`plugin_host_log_lines_dropped_total`) rather than slowing
//! requests; [`LogGuard`] flushes the queue when `serve` ends.

use std::io::{BufWriter, IsTerminal};
use std::sync::OnceLock;

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};

use crate::config::LogFormat;

/// Lines the queue to the writer thread holds (about 3 MiB of request
/// lines); past it, lines are dropped.
pub const QUEUED_LINES: usize = 16 * 1024;

/// Lines dropped so far, once logging is set up.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// Keeps the writer thread; dropping it writes what is still queued.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard(#[allow(dead_code)] Option<WorkerGuard>);

impl std::fmt::Debug for LogGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogGuard")
            .field("writer", &self.0.is_some())
            .finish()
    }
}

/// Sets up logging for `serve`: human or JSON lines on stderr, written by a
/// thread of their own.
pub fn init_logging(format: LogFormat) -> LogGuard {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let ansi = std::io::stderr().is_terminal();
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        // The writer thread writes every line queued since its last pass,
        // then flushes: one `write` for many lines.
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let dropped = writer.error_counter();
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_env_filter(filter);
    let installed = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
    if installed.is_err() {
        // Logging was set up already (tests): this writer is unused.
        return LogGuard(None);
    }
    let _ = DROPPED.set(dropped);
    LogGuard(Some(guard))
}

/// Log lines dropped because the writer thread fell behind.
pub fn dropped_lines() -> u64 {
    DROPPED
        .get()
        .map_or(0, |counter| counter.dropped_lines() as u64)
}
