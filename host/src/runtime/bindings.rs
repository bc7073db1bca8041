//! Host-side bindings of the `checkout-plugin` world, generated from `wit/`.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "checkout-plugin",
    exports: { default: async },
});
