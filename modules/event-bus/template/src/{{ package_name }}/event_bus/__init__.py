"""Event bus: consume transactions, score them with the service, publish decisions (added by the event-bus module).

The broker is the one chosen when the module was added (:data:`BACKEND`). See the module's README
for the delivery guarantees: at least once, a redelivered key never scored twice, poison messages
to the dead letter, bounded in-flight messages, graceful shutdown.
"""

from ._backend import BACKEND
from ._core import Action, Delivery, InFlight, Processor, Transport
from .bus import EventBus, redacted
from .keys import KeyStoreError, ProcessedKeys
from .messages import DecisionEvent, PoisonMessageError, Transaction, parse_transaction
from .settings import EventBusSettings

__all__ = [
    "BACKEND",
    "Action",
    "DecisionEvent",
    "Delivery",
    "EventBus",
    "EventBusSettings",
    "InFlight",
    "KeyStoreError",
    "PoisonMessageError",
    "ProcessedKeys",
    "Processor",
    "Transaction",
    "Transport",
    "parse_transaction",
    "redacted",
]
