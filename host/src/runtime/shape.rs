//! What one sandbox of a component takes from the engine's pool: core
//! instances, linear memories and tables, and the largest initial memory.
//!
//! Read from the component's bytes before anything is compiled, so the pool
//! can be sized for the components a host (or `invoke`) will run. A Rust
//! `wasm32-wasip2` component has a handful of core instances (its module
//! plus the adapter's shims); componentize-py's have 14, and
//! componentize-js's start with 9 MiB of memory.

use wasmparser::{Encoding, Instance, Parser, Payload};

/// Bytes of one WebAssembly page.
const PAGE: u64 = 64 * 1024;

/// One sandbox's needs (a component's), or the room the pool has for each
/// sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxShape {
    /// Core module instances created when the component is instantiated.
    pub core_instances: u32,
    /// Linear memories those instances define.
    pub memories: u32,
    /// Tables those instances define.
    pub tables: u32,
    /// The largest initial size of any of those memories, in bytes.
    pub initial_memory_bytes: u64,
}

impl SandboxShape {
    /// The room every pool has at least: what Rust components need, with
    /// room to spare (the host's pool before components were measured).
    pub const MINIMUM: Self = Self {
        core_instances: 8,
        memories: 2,
        tables: 8,
        initial_memory_bytes: 0,
    };

    /// Reads the shape of the component `wasm`. Components instantiated by
    /// a component count once per instantiation site.
    pub fn of_component(wasm: &[u8]) -> Result<Self, ShapeError> {
        // One frame per component or module being read; a component frame
        // holds its core modules' (memories, tables, initial bytes).
        enum Frame {
            Component(Vec<(u32, u32, u64)>),
            Module(u32, u32, u64),
        }
        let mut shape = Self {
            core_instances: 0,
            memories: 0,
            tables: 0,
            initial_memory_bytes: 0,
        };
        let mut stack: Vec<Frame> = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(|e| ShapeError(e.to_string()))? {
                Payload::Version { encoding, .. } => stack.push(match encoding {
                    Encoding::Component => Frame::Component(Vec::new()),
                    Encoding::Module => Frame::Module(0, 0, 0),
                }),
                Payload::MemorySection(reader) => {
                    if let Some(Frame::Module(memories, _, initial)) = stack.last_mut() {
                        for memory in reader {
                            let memory = memory.map_err(|e| ShapeError(e.to_string()))?;
                            *memories += 1;
                            *initial = (*initial).max(memory.initial.saturating_mul(PAGE));
                        }
                    }
                }
                Payload::TableSection(reader) => {
                    if let Some(Frame::Module(_, tables, _)) = stack.last_mut() {
                        *tables += reader.count();
                    }
                }
                Payload::InstanceSection(reader) => {
                    let Some(Frame::Component(modules)) = stack.last() else {
                        continue;
                    };
                    for instance in reader {
                        let instance = instance.map_err(|e| ShapeError(e.to_string()))?;
                        if let Instance::Instantiate { module_index, .. } = instance {
                            shape.core_instances += 1;
                            // A module from elsewhere (an alias, an import)
                            // defines nothing we could count.
                            if let Some(&(memories, tables, initial)) =
                                modules.get(module_index as usize)
                            {
                                shape.memories += memories;
                                shape.tables += tables;
                                shape.initial_memory_bytes =
                                    shape.initial_memory_bytes.max(initial);
                            }
                        }
                    }
                }
                Payload::End(_) => {
                    if let Some(Frame::Module(memories, tables, initial)) = stack.pop()
                        && let Some(Frame::Component(modules)) = stack.last_mut()
                    {
                        modules.push((memories, tables, initial));
                    }
                }
                _ => {}
            }
        }
        Ok(shape)
    }

    /// Room for both `self` and `other`.
    pub fn max(self, other: Self) -> Self {
        Self {
            core_instances: self.core_instances.max(other.core_instances),
            memories: self.memories.max(other.memories),
            tables: self.tables.max(other.tables),
            initial_memory_bytes: self.initial_memory_bytes.max(other.initial_memory_bytes),
        }
    }

    /// Whether a sandbox of this shape fits in `room`; if not, which limit
    /// it exceeds, in words.
    pub fn fits_in(&self, room: &Self) -> Result<(), String> {
        for (what, needs, has) in [
            ("core instances", self.core_instances, room.core_instances),
            ("memories", self.memories, room.memories),
            ("tables", self.tables, room.tables),
        ] {
            if needs > has {
                return Err(format!(
                    "the component needs {needs} {what} per sandbox; the engine's pool was \
                     sized for {has} (from the components loaded at start): restart the host \
                     to size it for this component"
                ));
            }
        }
        Ok(())
    }
}

/// The component's bytes could not be read as WebAssembly.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the component's structure: {0}")]
pub struct ShapeError(String);

#[cfg(test)]
mod tests {
    use super::*;

    fn component(wat: &str) -> Vec<u8> {
        wat::parse_str(wat).unwrap()
    }

    #[test]
    fn counts_instantiations_of_each_module() {
        let wasm = component(
            r#"(component
                (core module $m (memory 3) (table 1 funcref) (table 2 funcref))
                (core module $n (memory 160))
                (core instance (instantiate $m))
                (core instance (instantiate $m))
                (core instance (instantiate $n))
                (core instance (export "x" (table 0)))
            )"#,
        );
        let shape = SandboxShape::of_component(&wasm).unwrap();
        assert_eq!(
            shape,
            SandboxShape {
                core_instances: 3,
                memories: 3,
                tables: 4,
                initial_memory_bytes: 160 * PAGE,
            }
        );
    }

    #[test]
    fn a_shape_past_the_room_names_the_limit() {
        let python_like = SandboxShape {
            core_instances: 14,
            ..SandboxShape::MINIMUM
        };
        let err = python_like.fits_in(&SandboxShape::MINIMUM).unwrap_err();
        assert!(
            err.contains("14 core instances") && err.contains("sized for 8"),
            "{err}"
        );
        assert!(
            python_like
                .fits_in(&python_like.max(SandboxShape::MINIMUM))
                .is_ok()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(SandboxShape::of_component(b"\0asm\x0d\0\x01\0\xff\xff").is_err());
    }
}
