//! The one wasmtime engine of a host process: pooling allocator, fuel, epoch
//! interruption, and the thread that advances the epoch.

use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

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
    /// sandbox ends, so the next sandbox does not fault it in again.
    pub memory_keep_resident: usize,
    /// Guest stack in bytes (deep recursion traps past it).
    pub max_wasm_stack: usize,
    /// Reset only the pages a sandbox dirtied when its memory slot is
    /// reused (Linux `PAGEMAP_SCAN`, kernel 6.7+; ignored elsewhere),
    /// instead of the whole kept-resident prefix. Off by default: measured
    /// no faster for 192 KiB guests (docs/measurements.md).
    pub pagemap_scan: bool,
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
            memory_keep_resident: 2 * 1024 * 1024,
            max_wasm_stack: 512 * 1024,
            pagemap_scan: false,
            prewarm: false,
        }
    }
}

/// Core instances, memories and tables a Rust `wasm32-wasip2` component needs
/// (its module plus the shims `wit-component` adds), with room to spare.
const CORE_INSTANCES_PER_COMPONENT: u32 = 8;

/// Builds the engine.
pub fn build_engine(settings: &EngineSettings) -> wasmtime::Result<Engine> {
    let instances = settings.max_concurrent_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT)
        .total_memories(instances * 2)
        .total_tables(instances * CORE_INSTANCES_PER_COMPONENT)
        .total_stacks(instances)
        .max_memory_size(usize::try_from(settings.max_memory_bytes).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(settings.memory_keep_resident)
        .table_keep_resident(64 * 1024)
        .async_stack_keep_resident(64 * 1024)
        .pagemap_scan(if settings.pagemap_scan {
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
}
