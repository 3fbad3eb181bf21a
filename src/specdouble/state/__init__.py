"""State: a small per-tenant document store behind a protocol.

The domain only sees :class:`~specdouble.state.base.Store` and its
transactions; ``memory.py`` is the default backend.
"""

from specdouble.state.base import Store, TenantData, Transaction
from specdouble.state.memory import MemoryStore

__all__ = ["MemoryStore", "Store", "TenantData", "Transaction"]
