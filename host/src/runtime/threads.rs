//! Where sandboxes run: a dedicated tokio runtime, so guest code never runs
//! on the HTTP server's async workers.

use super::{Call, CallContext, Invocation, Plugin, Report};
use crate::fault::{Fault, FaultKind};

/// The sandbox threads.
#[derive(Debug)]
pub struct SandboxPool {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
}

impl SandboxPool {
    /// Starts `threads` sandbox threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("sandbox")
            // Timers for deadlines; I/O for connectors' outbound HTTP.
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            runtime: Some(runtime),
            handle,
        })
    }

    /// Runs `call` (with its `context`) in a fresh sandbox of `plugin` on a
    /// sandbox thread, and
    /// drops `hold` (an admission place, a gauge's guard) when the sandbox
    /// is gone. Cancellation-safe: dropping the returned future stops the
    /// sandbox at its next yield (every epoch tick) and drops `hold` then,
    /// so nothing outlives the caller unaccounted.
    pub async fn run<H: Send + 'static>(
        &self,
        plugin: Plugin,
        call: Call,
        context: CallContext,
        hold: H,
    ) -> Invocation {
        let limits = plugin.limits().clone();
        let spawned = std::time::Instant::now();
        let mut task = AbortOnDrop(self.handle.spawn(async move {
            // Waiting for a sandbox thread is the host's time, not the guest's.
            let queued = spawned.elapsed();
            let mut invocation = plugin.invoke_with(&call, context).await;
            invocation.report.timings.waited += queued;
            drop(hold);
            invocation
        }));
        match (&mut task.0).await {
            Ok(invocation) => invocation,
            // Only a bug in the host can get here (guest faults are values).
            Err(err) => Invocation {
                outcome: Err(Fault::new(
                    FaultKind::Trap,
                    format!("sandbox task failed: {err}"),
                )),
                report: Report::empty(&limits),
            },
        }
    }
}

/// A task that is stopped when its handle is dropped (a finished task is
/// not affected).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for SandboxPool {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime may block; never do that on an async thread.
            runtime.shutdown_background();
        }
    }
}
