//! Host-side bindings of the two worlds, generated from `wit/`. The
//! connector world reuses the checkout world's `types`, `log`, `config` and
//! `outbound-http`, so one implementation of each import serves both.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "checkout-plugin",
    exports: { default: async },
    imports: {
        "checkout:plugin/outbound-http.send": async,
        "checkout:plugin/bold-api.send": async,
    },
});

/// The `platform-connector` world.
pub mod connector {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "platform-connector",
        exports: { default: async },
        with: {
            "checkout:plugin/types": super::checkout::plugin::types,
            "checkout:plugin/log": super::checkout::plugin::log,
            "checkout:plugin/config": super::checkout::plugin::config,
            "checkout:plugin/outbound-http": super::checkout::plugin::outbound_http,
        },
    });
}
