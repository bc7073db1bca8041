"""The component's entry module (`componentize-py ... componentize app`):
the world's exports from `ExampleCheckout`. Only this module imports the
generated bindings (through `checkout_plugin_sdk.component`)."""

from checkout_plugin_sdk.component import export
from example_checkout import ExampleCheckout

WitWorld = export(ExampleCheckout())
