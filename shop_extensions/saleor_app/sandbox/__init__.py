"""A local stand-in for the part of Saleor the app talks to (no Django). See README.md."""

from .keys import KeyStore
from .service import Sandbox
from .state import LineSpec, PendingEvent, SandboxError, Store
from .webhooks import Delivery, DeliveryRecord, send

__all__ = [
    "Delivery",
    "DeliveryRecord",
    "KeyStore",
    "LineSpec",
    "PendingEvent",
    "Sandbox",
    "SandboxError",
    "Store",
    "send",
]
