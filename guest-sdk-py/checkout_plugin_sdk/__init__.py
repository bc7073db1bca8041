"""checkout_plugin_sdk: write a Bold Checkout plugin handler in Python, test
it natively with `python -m unittest`, and build it into a WebAssembly
component with componentize-py (world `checkout-plugin` of the contract
`checkout:plugin@0.1.1`).

    from checkout_plugin_sdk import Action, CheckoutPlugin, Event, HandlerError, Host

    class BigSpender(CheckoutPlugin):
        def handle_event(self, event: Event, host: Host) -> list[Action]:
            if event.name != "order_submitted":
                return []
            threshold = host.config_or("threshold", 10_000)
            if event.cart().subtotal >= threshold:
                return [Action.add_note("Thank you for your order!")]
            return []

The handler module imports this package only (never the generated
bindings); the component's entry module adds the exports:

    from checkout_plugin_sdk.component import export
    from big_spender import BigSpender
    WitWorld = export(BigSpender())

See README.md next to this package.
"""

from .actions import (
    Action,
    AddFee,
    AddLineItem,
    AddressChange,
    FlagOrderAsBopis,
    actions_to_response,
)
from .adapter import CheckoutPlugin
from .errors import Failed, HandlerError, InvalidInput, Unsupported
from .event import Event
from .host import (
    BoldApiError,
    BoldApiRequest,
    Host,
    HttpError,
    HttpRequest,
    HttpResponse,
    Level,
    Shop,
)
from .lenient import Id, LenientError
from .model import (
    Address,
    Cart,
    CoreInfo,
    Customer,
    Fee,
    LineItem,
    Order,
    OrderCustomer,
    ShippingLine,
)

__version__ = "0.1.1"

__all__ = [
    "Action",
    "AddFee",
    "AddLineItem",
    "Address",
    "AddressChange",
    "BoldApiError",
    "BoldApiRequest",
    "Cart",
    "CheckoutPlugin",
    "CoreInfo",
    "Customer",
    "Event",
    "Failed",
    "Fee",
    "FlagOrderAsBopis",
    "HandlerError",
    "Host",
    "HttpError",
    "HttpRequest",
    "HttpResponse",
    "Id",
    "InvalidInput",
    "LenientError",
    "Level",
    "LineItem",
    "Order",
    "OrderCustomer",
    "ShippingLine",
    "Shop",
    "Unsupported",
    "actions_to_response",
]
