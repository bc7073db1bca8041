//! The invocation's log: `log` import records and the guest's stdout/stderr,
//! kept up to a byte cap and truncated past it (never a trap).

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// Severity of a guest log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Debugging information.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected, recovered from.
    Warn,
    /// A failure.
    Error,
}

impl LogLevel {
    /// Lowercase name, as printed in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// Where a stream write came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn prefix(self) -> &'static str {
        match self {
            Stream::Stdout => "[stdout] ",
            Stream::Stderr => "[stderr] ",
        }
    }
}

/// The captured log of one invocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvocationLog {
    /// The kept text: one line per record, stream output prefixed with
    /// `[stdout] ` / `[stderr] `.
    pub text: String,
    /// Bytes the guest tried to log past the cap.
    pub dropped_bytes: u64,
}

impl InvocationLog {
    /// Whether anything was dropped.
    pub fn truncated(&self) -> bool {
        self.dropped_bytes > 0
    }
}

#[derive(Debug)]
struct Buffer {
    text: String,
    cap: usize,
    dropped: u64,
    stdout_mid_line: bool,
    stderr_mid_line: bool,
    /// The last [`STDERR_TAIL`] bytes the guest wrote to stderr, kept even
    /// past the cap: a panic's message is written last, often after a log
    /// that filled up.
    stderr_tail: Vec<u8>,
}

/// Bytes of stderr kept for [`LogSink::panic_message`].
const STDERR_TAIL: usize = 4096;
/// Longest panic message passed on (guests control it).
const MAX_PANIC_MESSAGE: usize = 512;

impl Buffer {
    fn push(&mut self, piece: &str) {
        let room = self.cap.saturating_sub(self.text.len());
        if piece.len() <= room {
            self.text.push_str(piece);
            return;
        }
        let mut cut = room;
        while !piece.is_char_boundary(cut) {
            cut -= 1;
        }
        self.text.push_str(&piece[..cut]);
        self.dropped += (piece.len() - cut) as u64;
    }

    fn full(&self) -> bool {
        self.text.len() >= self.cap
    }
}

/// A shared, capped log sink: the `log` import and both WASI output streams
/// of one store write into it.
#[derive(Debug, Clone)]
pub(crate) struct LogSink(Arc<Mutex<Buffer>>);

impl LogSink {
    pub(crate) fn new(cap: usize) -> Self {
        Self(Arc::new(Mutex::new(Buffer {
            text: String::new(),
            cap,
            dropped: 0,
            stdout_mid_line: false,
            stderr_mid_line: false,
            stderr_tail: Vec::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Buffer> {
        // A poisoned lock only means another writer panicked mid-write; the
        // text is still valid UTF-8 (we only push whole `&str` prefixes).
        self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Appends one structured record: `level message key=value …`.
    #[cfg(test)]
    pub(crate) fn record(&self, level: LogLevel, message: &str, fields: &[(String, String)]) {
        let mut record = self.begin(level, message);
        for (key, value) in fields {
            record.field(key, value);
        }
    }

    /// Starts a record, `level message`, to which fields are added one by
    /// one while there is room ([`Record::full`]), so that the `log` import
    /// reads no more of the guest's fields than the log keeps. The line
    /// ends when the record is dropped. The log is locked until then.
    pub(crate) fn begin(&self, level: LogLevel, message: &str) -> Record<'_> {
        let mut buf = self.lock();
        buf.push(level.as_str());
        buf.push(" ");
        buf.push(message);
        Record { buf }
    }

    /// Appends bytes the guest wrote to stdout or stderr.
    pub(crate) fn stream(&self, stream: Stream, bytes: &[u8]) {
        let mut buf = self.lock();
        if matches!(stream, Stream::Stderr) {
            let tail = &bytes[bytes.len().saturating_sub(STDERR_TAIL)..];
            buf.stderr_tail.extend_from_slice(tail);
            let excess = buf.stderr_tail.len().saturating_sub(STDERR_TAIL);
            buf.stderr_tail.drain(..excess);
        }
        // Every byte kept takes at least a byte of room: only the part that
        // can fit is decoded (a lossy decode may allocate a copy).
        let room = buf.cap.saturating_sub(buf.text.len());
        let (bytes, past_room) = bytes.split_at(bytes.len().min(room));
        buf.dropped += past_room.len() as u64;
        if bytes.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        for line in text.split_inclusive('\n') {
            let mid_line = match stream {
                Stream::Stdout => &mut buf.stdout_mid_line,
                Stream::Stderr => &mut buf.stderr_mid_line,
            };
            let starts_line = !*mid_line;
            *mid_line = !line.ends_with('\n');
            if starts_line {
                buf.push(stream.prefix());
            }
            buf.push(line);
        }
    }

    /// The log so far.
    pub(crate) fn snapshot(&self) -> InvocationLog {
        let buf = self.lock();
        InvocationLog {
            text: buf.text.clone(),
            dropped_bytes: buf.dropped,
        }
    }

    /// The last panic the guest reported on stderr, as Rust's standard
    /// library writes it, `panicked at <file:line:col>: <message>` (without
    /// the advice to set `RUST_BACKTRACE`, which cannot work in a sandbox
    /// without environment), at most 512 bytes.
    pub(crate) fn panic_message(&self) -> Option<String> {
        let buf = self.lock();
        panic_from_stderr(&String::from_utf8_lossy(&buf.stderr_tail))
    }

    pub(crate) fn output(&self, stream: Stream) -> CapturedOutput {
        CapturedOutput {
            sink: self.clone(),
            stream,
        }
    }
}

/// Finds the last `panicked at` report in `stderr`: since Rust 1.73
/// `thread '…' panicked at src/lib.rs:26:37:\n<message>\nnote: …`.
fn panic_from_stderr(stderr: &str) -> Option<String> {
    const MARK: &str = "panicked at ";
    let start = stderr.rfind(MARK)? + MARK.len();
    let rest = &stderr[start..];
    let (location, message) = rest.split_once(":\n")?;
    if location.is_empty() || location.len() > 256 || location.contains('\n') {
        return None;
    }
    let message: Vec<&str> = message
        .lines()
        .take_while(|line| !line.starts_with("note: "))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let mut text = format!("panicked at {location}: {}", message.join(" "));
    if text.len() > MAX_PANIC_MESSAGE {
        let mut end = MAX_PANIC_MESSAGE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    Some(text.trim_end().to_owned())
}

/// A record being appended ([`LogSink::begin`]); dropping it ends the line.
pub(crate) struct Record<'a> {
    buf: MutexGuard<'a, Buffer>,
}

impl Record<'_> {
    /// Appends ` key=value`.
    pub(crate) fn field(&mut self, key: &str, value: &str) {
        self.buf.push(" ");
        self.buf.push(key);
        self.buf.push("=");
        self.buf.push(value);
    }

    /// Whether the log is full: anything more is dropped (and only
    /// counted), so there is no need to read more of the guest's fields.
    pub(crate) fn full(&self) -> bool {
        self.buf.full()
    }
}

impl Drop for Record<'_> {
    fn drop(&mut self) {
        self.buf.push("\n");
    }
}

impl std::fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record").finish_non_exhaustive()
    }
}

/// A WASI stdout/stderr that writes into a [`LogSink`] and always accepts
/// everything (bytes past the cap are counted and dropped), so a guest that
/// prints too much is truncated, never trapped.
#[derive(Debug, Clone)]
pub(crate) struct CapturedOutput {
    sink: LogSink,
    stream: Stream,
}

/// How much a guest may hand over in one write; any size works, this only
/// bounds the host-side copy per call.
const WRITE_BUDGET: usize = 64 * 1024;

#[wasmtime_wasi::async_trait]
impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        self.sink.stream(self.stream, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(WRITE_BUDGET)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.sink.stream(self.stream, buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_streams_share_one_log() {
        let sink = LogSink::new(1024);
        sink.record(LogLevel::Info, "hello", &[("k".into(), "v".into())]);
        sink.stream(Stream::Stdout, b"part");
        sink.stream(Stream::Stdout, b"ial\nnext\n");
        sink.stream(Stream::Stderr, b"oops\n");
        let log = sink.snapshot();
        assert_eq!(
            log.text,
            "info hello k=v\n[stdout] partial\n[stdout] next\n[stderr] oops\n"
        );
        assert!(!log.truncated());
    }

    #[test]
    fn truncates_past_the_cap_and_counts_the_rest() {
        let sink = LogSink::new(10);
        sink.stream(Stream::Stdout, b"0123456789abcdef");
        sink.record(LogLevel::Warn, "more", &[]);
        let log = sink.snapshot();
        assert_eq!(log.text, "[stdout] 0");
        assert_eq!(log.dropped_bytes, 15 + "warn more\n".len() as u64);
        assert!(log.truncated());
    }

    #[test]
    fn a_huge_write_is_cut_to_the_room_left_before_it_is_decoded() {
        let sink = LogSink::new(16);
        sink.stream(Stream::Stdout, b"ab");
        sink.stream(Stream::Stderr, &[0xff; 1 << 20]);
        let log = sink.snapshot();
        // The cut input (4 bytes after "[stdout] ab"'s 11 and a prefix)
        // decodes to replacement characters that do not fit either.
        assert!(log.text.len() <= 16, "{:?}", log.text);
        assert!(log.text.starts_with("[stdout] ab"));
        assert!(log.dropped_bytes >= (1 << 20) - 16);
        sink.stream(Stream::Stdout, b"more");
        assert_eq!(sink.snapshot().dropped_bytes, log.dropped_bytes + 4);
    }

    #[test]
    fn records_are_built_field_by_field_until_the_log_is_full() {
        let sink = LogSink::new(24);
        {
            let mut record = sink.begin(LogLevel::Debug, "msg");
            assert!(!record.full());
            record.field("a", "1");
            record.field("key", "a long value that does not fit");
            assert!(record.full());
        }
        let log = sink.snapshot();
        assert_eq!(log.text, "debug msg a=1 key=a long");
        assert_eq!(log.dropped_bytes, " value that does not fit\n".len() as u64);
    }

    #[test]
    fn never_splits_a_utf8_character() {
        let sink = LogSink::new(3);
        sink.record(LogLevel::Info, "é", &[]);
        let log = sink.snapshot();
        assert!(log.text.len() <= 3);
        assert!(log.truncated());
    }

    #[test]
    fn a_panic_is_read_from_stderr_without_the_backtrace_advice() {
        let sink = LogSink::new(64);
        // A full log does not hide the panic.
        sink.stream(Stream::Stdout, &[b'x'; 100]);
        sink.stream(
            Stream::Stderr,
            b"\nthread '<unnamed>' panicked at src/lib.rs:26:37:\nindex out of bounds: \
              the len is 3 but the index is 5\nnote: run with `RUST_BACKTRACE=1` environment \
              variable to display a backtrace\n",
        );
        assert_eq!(
            sink.panic_message().as_deref(),
            Some(
                "panicked at src/lib.rs:26:37: index out of bounds: the len is 3 but the index \
                 is 5"
            )
        );
        let quiet = LogSink::new(1024);
        quiet.stream(Stream::Stderr, b"just a warning\n");
        assert_eq!(quiet.panic_message(), None);
        let long = LogSink::new(1024);
        let text = format!("thread 'x' panicked at a.rs:1:1:\n{}\n", "y".repeat(10_000));
        long.stream(Stream::Stderr, text.as_bytes());
        // The tail keeps 4 KiB: the mark is gone, nothing is made up.
        assert_eq!(long.panic_message(), None);
        let multi = LogSink::new(1024);
        multi.stream(
            Stream::Stderr,
            b"thread 'x' panicked at a.rs:1:1:\nfirst\nsecond\n",
        );
        assert_eq!(
            multi.panic_message().as_deref(),
            Some("panicked at a.rs:1:1: first second")
        );
    }
}
