//! The one wasmtime engine of a host process: pooling allocator, fuel, epoch
//! interruption, and the thread that advances the epoch.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::shape::SandboxShape;

/// How often the epoch advances: a running guest yields to the executor
/// (and its deadline is checked) once per tick.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Engine-wide settings (per-plugin limits live in [`super::Limits`]).
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Largest memory any plugin may have, in bytes: the size of a pooled
    /// memory slot. Per-plugin limits below it are enforced per store.
    pub max_memory_bytes: u64,
    /// Sandboxes that may exist at once (pooled instance slots).
    pub max_concurrent_instances: u32,
    /// Linear memory kept resident (not returned to the OS) per slot after a
    /// sandbox ends, so the next sandbox does not fault it in again. `None`:
    /// chosen from the components ([`EngineSettings::keep_resident`]).
    pub memory_keep_resident: Option<usize>,
    /// Guest stack in bytes (deep recursion traps past it).
    pub max_wasm_stack: usize,
    /// Reset only the pages a sandbox dirtied when its memory slot is
    /// reused (Linux `PAGEMAP_SCAN`, kernel 6.7+; ignored elsewhere),
    /// instead of the whole kept-resident prefix. `None`: on when the kept
    /// resident memory is larger than [`SMALL_KEEP_RESIDENT`] (a JavaScript
    /// or Python guest's); measured no faster for 192 KiB guests
    /// (docs/measurements.md).
    pub pagemap_scan: Option<bool>,
    /// Room in the pool for each sandbox: at least
    /// [`SandboxShape::MINIMUM`], grown to fit the components the host
    /// runs ([`EngineSettings::fit`]).
    pub sandbox: SandboxShape,
    /// Instantiate each plugin's next sandbox after a call returns, so the
    /// next call finds it ready (instantiation and teardown leave the
    /// call's path). At most a quarter of `max_concurrent_instances` are
    /// held as spares. Every call still gets an instance nothing ran in.
    /// Off by default: it pays only when the spare is used by the thread
    /// that made it (docs/measurements.md).
    pub prewarm: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            max_memory_bytes: 1024 * 1024 * 1024,
            max_concurrent_instances: 256,
            memory_keep_resident: None,
            max_wasm_stack: 512 * 1024,
            pagemap_scan: None,
            sandbox: SandboxShape::MINIMUM,
            prewarm: false,
        }
    }
}

/// Kept-resident memory for guests that start small (Rust's start with about
/// 1 MiB): the slot's first pages, reset with one `memset`.
pub const SMALL_KEEP_RESIDENT: usize = 2 * 1024 * 1024;

/// The most memory kept resident per slot when it is chosen automatically.
pub const MAX_AUTO_KEEP_RESIDENT: usize = 64 * 1024 * 1024;

impl EngineSettings {
    /// Grows the pool's room per sandbox to fit every component in
    /// `shapes` (never below [`SandboxShape::MINIMUM`]).
    pub fn fit(&mut self, shapes: impl IntoIterator<Item = SandboxShape>) {
        self.sandbox = shapes.into_iter().fold(self.sandbox, SandboxShape::max);
    }

    /// Memory kept resident per slot: as set, or [`SMALL_KEEP_RESIDENT`]
    /// when every component starts within it, else the power of two above
    /// the largest initial memory plus 1 MiB of heap (16 MiB for
    /// componentize-js's 9 MiB and componentize-py's 12 MiB), at most
    /// [`MAX_AUTO_KEEP_RESIDENT`].
    pub fn keep_resident(&self) -> usize {
        if let Some(bytes) = self.memory_keep_resident {
            return bytes;
        }
        let initial = usize::try_from(self.sandbox.initial_memory_bytes).unwrap_or(usize::MAX);
        if initial <= SMALL_KEEP_RESIDENT {
            return SMALL_KEEP_RESIDENT;
        }
        initial
            .saturating_add(1024 * 1024)
            .checked_next_power_of_two()
            .unwrap_or(MAX_AUTO_KEEP_RESIDENT)
            .min(MAX_AUTO_KEEP_RESIDENT)
    }

    /// Whether slots are reset page by page (`PAGEMAP_SCAN`): as set, or
    /// when more than [`SMALL_KEEP_RESIDENT`] is kept resident (resetting
    /// 16 MiB with `memset` after a call that dirtied a few pages costs
    /// more than asking the kernel which pages it dirtied).
    pub fn pagemap(&self) -> bool {
        self.pagemap_scan
            .unwrap_or_else(|| self.keep_resident() > SMALL_KEEP_RESIDENT)
    }
}

/// Builds the engine, its pool sized for `max_concurrent_instances`
/// sandboxes of `sandbox`'s shape.
pub fn build_engine(settings: &EngineSettings) -> wasmtime::Result<Engine> {
    let instances = settings.max_concurrent_instances.max(1);
    let room = settings.sandbox;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(room.core_instances))
        .total_memories(instances.saturating_mul(room.memories))
        .total_tables(instances.saturating_mul(room.tables))
        .total_stacks(instances)
        .max_core_instances_per_component(room.core_instances)
        .max_memories_per_component(room.memories)
        .max_tables_per_component(room.tables)
        .max_memory_size(usize::try_from(settings.max_memory_bytes).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(settings.keep_resident())
        .table_keep_resident(64 * 1024)
        .async_stack_keep_resident(64 * 1024)
        .pagemap_scan(if settings.pagemap() {
            Enabled::Auto
        } else {
            Enabled::No
        });

    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(settings.max_wasm_stack)
        .async_stack_size(settings.max_wasm_stack + 1024 * 1024)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Starts the thread that advances `engine`'s epoch every [`EPOCH_TICK`]; it
/// ends by itself once the engine is dropped.
pub fn spawn_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_builds_with_defaults() {
        build_engine(&EngineSettings::default()).unwrap();
    }

    #[test]
    fn kept_resident_memory_follows_the_largest_initial_memory() {
        let mut settings = EngineSettings::default();
        let rust = SandboxShape {
            initial_memory_bytes: 17 * 64 * 1024,
            ..SandboxShape::MINIMUM
        };
        settings.fit([rust]);
        assert_eq!(settings.keep_resident(), SMALL_KEEP_RESIDENT);
        assert!(!settings.pagemap());

        let js = SandboxShape {
            initial_memory_bytes: 9_500_000,
            ..SandboxShape::MINIMUM
        };
        settings.fit([js]);
        assert_eq!(settings.keep_resident(), 16 * 1024 * 1024);
        assert!(settings.pagemap());
        build_engine(&settings).unwrap();

        let huge = SandboxShape {
            initial_memory_bytes: 1 << 30,
            ..SandboxShape::MINIMUM
        };
        settings.fit([huge]);
        assert_eq!(settings.keep_resident(), MAX_AUTO_KEEP_RESIDENT);

        settings.memory_keep_resident = Some(0);
        settings.pagemap_scan = Some(false);
        assert_eq!((settings.keep_resident(), settings.pagemap()), (0, false));
    }

    #[test]
    fn the_pool_grows_to_fit_the_components() {
        let mut settings = EngineSettings::default();
        settings.fit([SandboxShape {
            core_instances: 14,
            memories: 3,
            tables: 12,
            initial_memory_bytes: 0,
        }]);
        assert_eq!(
            settings.sandbox,
            SandboxShape {
                core_instances: 14,
                memories: 3,
                tables: 12,
                initial_memory_bytes: 0
            }
        );
        build_engine(&settings).unwrap();
    }
}
