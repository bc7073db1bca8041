//! A test guest for world `checkout:plugin/checkout-plugin` that misbehaves on
//! purpose, so the host's limits and sandbox can be tested end to end.
//!
//! It uses `wit-bindgen` directly, not `plugin-sdk`: it shows that the WIT
//! contract alone is enough to write a component.
//!
//! `handle-event` behaves according to `event.name`:
//!
//! | name             | behaviour |
//! |------------------|-----------|
//! | `ok`             | returns one `add-note("ok")` (the sanity case) |
//! | `infinite_loop`  | spins forever (fuel or the epoch deadline must stop it; 20 M fuel lasts ~2 ms) |
//! | `memory_bomb`    | allocates 1 MiB chunks, writing a byte in every 4 KiB page, until an allocation fails; the allocator then aborts (a trap). Reaches 64 MiB with ~0.15 M fuel, so the memory limit comes first |
//! | `deep_recursion` | unbounded non-tail recursion with a local array; overflows the shadow stack (64 KiB in this workspace; an out-of-bounds memory trap) |
//! | `panic`          | `panic!("hostile guest panicked on purpose")` (message on stderr, then an `unreachable` trap) |
//! | `huge_output`    | returns 10,000 `add-note` actions of 1 KiB each (≈10 MB of output, ~18.5 M fuel) |
//! | `log_flood`      | calls the `log` import 100,000 times with a 1 KiB message and no fields, prints 1 MiB to stdout and 1 MiB to stderr, then returns `add-note("survived")` (~15 M fuel) |
//! | `sleep`          | sleeps for an hour on the WASI monotonic clock (blocks in the host's `poll`: epoch interruption alone does not end it) |
//! | `busy_sleep`     | polls `Instant::now()` for 10 s |
//! | `wasi_probe`     | tries environment, arguments, file system and network; returns one `generic` action of type `probe_result` whose data is `{"env_vars":N,"args":N,"read_dir":R,"read_file":R,"create_file":R,"tcp_connect":R}`, each R being `"ok"` or `"error: <reason>"` |
//! | `config_echo`    | returns one `generic` action of type `config_echo` whose data is a JSON object of every `config::all()` pair |
//! | `instance_state` | returns one `generic` action of type `instance_state` whose data is `{"calls":N,"heap_marker_seen":B}`: `calls` counts the events this instance has handled (a static), `heap_marker_seen` tells whether fresh heap memory holds the marker an earlier event wrote there; a fresh instance per event always answers `{"calls":1,"heap_marker_seen":false}` |
//! | `invalid_output` | returns a `generic` action of type `add_note` whose data is `not json {` |
//! | `handler_error`  | returns `handler-error::failed("something went wrong")` |
//! | `huge_random`    | asks `wasi:random/random.get-random-bytes` for 64 MiB at once (wasmtime-wasi's default cap), then returns `add-note` with the length it got |
//! | `log_amplified`  | one `log` call whose 100,000 fields all point at the same 1 MiB string (100 GiB if the host copied every field; under 8 MiB of guest memory), then returns `add-note("survived")` |
//! | anything else    | returns `handler-error::unsupported` |
//!
//! `handle-override`: kind `echo` answers the body as is; other kinds are
//! `unsupported`. `handle-webhook`: topic `ok` succeeds; other topics are
//! `unsupported`.
//!
//! On native targets the crate is empty but for [`EVENTS`]: the component
//! glue exists only on `wasm32`.

/// Every event name `handle-event` gives a behaviour to (others are
/// `unsupported`).
pub const EVENTS: &[&str] = &[
    "ok",
    "infinite_loop",
    "memory_bomb",
    "deep_recursion",
    "panic",
    "huge_output",
    "log_flood",
    "sleep",
    "busy_sleep",
    "wasi_probe",
    "config_echo",
    "instance_state",
    "invalid_output",
    "handler_error",
    "huge_random",
    "log_amplified",
];

/// Bindings generated from `wit/` (the path is relative to this crate's
/// manifest directory).
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "checkout-plugin",
    });

    use super::Hostile;
    export!(Hostile with_types_in self);
}

/// `wasi:random/random@0.2.0` as the WASI 0.2.0 release defines it, to call
/// `get-random-bytes` directly (std only ever asks it for a few bytes).
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs, missing_debug_implementations)]
mod wasi_random {
    wit_bindgen::generate!({
        inline: "
            package wasi:random@0.2.0;

            interface random {
                get-random-bytes: func(len: u64) -> list<u8>;
                get-random-u64: func() -> u64;
            }

            world hostile-random {
                import random;
            }
        ",
        world: "hostile-random",
    });
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use std::hint::black_box;
    use std::io::Write as _;
    use std::time::{Duration, Instant};

    use crate::bindings::checkout::plugin::config;
    use crate::bindings::checkout::plugin::log::{self, Level};
    use crate::bindings::checkout::plugin::types::{Action, Event, GenericAction, HandlerError};

    impl crate::bindings::Guest for crate::Hostile {
        fn handle_event(event: Event) -> Result<Vec<Action>, HandlerError> {
            match event.name.as_str() {
                "ok" => Ok(vec![Action::AddNote("ok".to_owned())]),
                "infinite_loop" => infinite_loop(),
                "memory_bomb" => memory_bomb(),
                "deep_recursion" => {
                    let n = recurse(0);
                    Ok(vec![Action::AddNote(format!("recursion ended at {n}"))])
                }
                "panic" => panic!("hostile guest panicked on purpose"),
                "huge_output" => {
                    let note = "x".repeat(1024);
                    Ok((0..10_000).map(|_| Action::AddNote(note.clone())).collect())
                }
                "log_flood" => {
                    log_flood();
                    Ok(vec![Action::AddNote("survived".to_owned())])
                }
                "sleep" => {
                    std::thread::sleep(Duration::from_secs(3600));
                    Ok(vec![Action::AddNote("woke up".to_owned())])
                }
                "busy_sleep" => {
                    let start = Instant::now();
                    while black_box(start.elapsed()) < Duration::from_secs(10) {}
                    Ok(vec![Action::AddNote("busy sleep ended".to_owned())])
                }
                "wasi_probe" => Ok(vec![generic("probe_result", wasi_probe())]),
                "config_echo" => Ok(vec![generic("config_echo", json_object(&config::all()))]),
                "instance_state" => Ok(vec![generic("instance_state", instance_state())]),
                "invalid_output" => Ok(vec![generic("add_note", "not json {".to_owned())]),
                "handler_error" => Err(HandlerError::Failed("something went wrong".to_owned())),
                "huge_random" => {
                    use crate::wasi_random::wasi::random::random;
                    let bytes = random::get_random_bytes(black_box(64 << 20));
                    Ok(vec![Action::AddNote(format!("got {} bytes", bytes.len()))])
                }
                "log_amplified" => {
                    log_amplified();
                    Ok(vec![Action::AddNote("survived".to_owned())])
                }
                _ => Err(HandlerError::Unsupported),
            }
        }

        fn handle_override(kind: String, body: String) -> Result<String, HandlerError> {
            match kind.as_str() {
                "echo" => Ok(body),
                _ => Err(HandlerError::Unsupported),
            }
        }

        fn handle_webhook(topic: String, _body: String) -> Result<(), HandlerError> {
            match topic.as_str() {
                "ok" => Ok(()),
                _ => Err(HandlerError::Unsupported),
            }
        }
    }

    fn generic(type_: &str, data_json: String) -> Action {
        Action::Generic(GenericAction {
            type_: type_.to_owned(),
            data_json,
        })
    }

    /// Reports what this instance remembers of earlier events: a counter in
    /// a static, and a marker left in heap memory that was then freed.
    fn instance_state() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static CALLS: AtomicU32 = AtomicU32::new(0);
        const MARKER: &[u8; 16] = b"hostile-marker!!";
        const SIZE: usize = 256 << 10;

        let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        let layout = std::alloc::Layout::from_size_align(SIZE, 16).expect("layout");
        // SAFETY: the block is allocated with `layout` and freed with it; the
        // bytes are read through raw pointers as plain integers (on wasm32
        // every byte of linear memory is initialised, which is what this
        // probe looks at: whatever an earlier event left there).
        #[allow(unsafe_code)]
        let seen = unsafe {
            let block = std::alloc::alloc(layout);
            assert!(!block.is_null(), "allocation failed");
            let bytes: Vec<u8> = (0..SIZE)
                .map(|i| std::ptr::read_volatile(block.add(i)))
                .collect();
            let seen = bytes.windows(MARKER.len()).any(|w| w == MARKER);
            for chunk in 0..SIZE / 4096 {
                std::ptr::copy_nonoverlapping(
                    MARKER.as_ptr(),
                    block.add(chunk * 4096),
                    MARKER.len(),
                );
            }
            std::alloc::dealloc(block, layout);
            seen
        };
        format!("{{\"calls\":{calls},\"heap_marker_seen\":{seen}}}")
    }

    fn infinite_loop() -> ! {
        let mut counter = 0u64;
        loop {
            counter = black_box(counter.wrapping_add(1));
        }
    }

    /// Grows the heap by 1 MiB at a time, writing a non-zero byte into every
    /// 4 KiB of each chunk (so the pages are really used, at little fuel per
    /// MiB: the memory limit comes before the fuel limit), until an
    /// allocation fails and the allocator aborts (a trap).
    fn memory_bomb() -> ! {
        const CHUNK: usize = 1 << 20;
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK);
            for byte in chunk.spare_capacity_mut().iter_mut().step_by(4096) {
                byte.write(1);
            }
            hoard.push(black_box(chunk));
            black_box(&mut hoard);
        }
    }

    /// Recursion the optimiser cannot turn into a loop: the local array is
    /// live across the call and the stop condition is opaque.
    fn recurse(depth: u64) -> u64 {
        if black_box(depth) == u64::MAX {
            return 0;
        }
        let mut frame = [0u8; 512];
        frame[(depth % 512) as usize] = depth as u8;
        let frame = black_box(frame);
        let below = recurse(black_box(depth + 1));
        below.wrapping_add(u64::from(frame[(depth % 512) as usize]))
    }

    fn log_flood() {
        // One message built once and no fields: each call costs the guest
        // little fuel, so what the flood meets is the host's log cap, not the
        // fuel limit.
        let message = "y".repeat(1024);
        for _ in 0..10_000u32 {
            log::log(Level::Info, black_box(&message), &[]);
        }
        let line = "z".repeat(1023);
        // Errors writing to the captured streams are ignored: the point is
        // that the host keeps going, not that the output arrives.
        let mut stdout = std::io::stdout().lock();
        for _ in 0..1024 {
            let _ = writeln!(stdout, "{line}");
        }
        drop(stdout);
        let mut stderr = std::io::stderr().lock();
        for _ in 0..1024 {
            let _ = writeln!(stderr, "{line}");
        }
    }

    /// One log record whose fields all alias one 1 MiB string: the guest
    /// holds 1 MiB of text and 100,000 (pointer, length) pairs, but lifting
    /// the list field by field would copy 100 GiB on the host.
    fn log_amplified() {
        const FIELDS: usize = 100_000;
        let big = "f".repeat(1 << 20);
        let mut fields: Vec<(String, String)> = Vec::with_capacity(FIELDS);
        // SAFETY: every value is a `String` header over `big`'s buffer. They
        // are only read (by the import's lowering), and `set_len(0)` forgets
        // them before the vector is dropped, so no buffer is freed twice.
        #[allow(unsafe_code)]
        unsafe {
            let (ptr, len) = (big.as_ptr().cast_mut(), big.len());
            for i in 0..FIELDS {
                let alias = String::from_raw_parts(ptr, len, len);
                fields.as_mut_ptr().add(i).write((String::new(), alias));
            }
            fields.set_len(FIELDS);
            log::log(Level::Info, "amplified", black_box(&fields));
            fields.set_len(0);
        }
        drop(fields);
        drop(big);
    }

    fn wasi_probe() -> String {
        fn outcome<T, E: std::fmt::Display>(r: Result<T, E>) -> String {
            match r {
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            }
        }
        let env_vars = std::env::vars_os().count();
        let args = std::env::args_os().count();
        let read_dir = outcome(std::fs::read_dir("/"));
        let read_file = outcome(std::fs::read("/etc/passwd"));
        let create_file = outcome(std::fs::File::create("x"));
        let tcp_connect = outcome(std::net::TcpStream::connect("127.0.0.1:80"));
        format!(
            "{{\"env_vars\":{env_vars},\"args\":{args},\"read_dir\":{},\"read_file\":{},\"create_file\":{},\"tcp_connect\":{}}}",
            json_string(&read_dir),
            json_string(&read_file),
            json_string(&create_file),
            json_string(&tcp_connect),
        )
    }

    fn json_object(pairs: &[(String, String)]) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(k));
            out.push(':');
            out.push_str(&json_string(v));
        }
        out.push('}');
        out
    }

    fn json_string(s: &str) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if u32::from(c) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// The component: its `Guest` implementation exists only on `wasm32`.
#[cfg(target_arch = "wasm32")]
#[derive(Debug)]
struct Hostile;
