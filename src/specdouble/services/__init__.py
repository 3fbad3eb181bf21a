"""The built-in services: one descriptor each (spec, handlers, seeder, errors, tokens).

Everything specific to a vendor lives in these descriptors and the modules
they name (``domain/``, ``data/seeders/``, ``http/handlers/``); the generic
layers ask the descriptor.
"""

from __future__ import annotations

from specdouble.services import admin, emporix, shopatron
from specdouble.world.catalog import Catalog, Service

BUILT_IN: tuple[Service, ...] = (
    emporix.PICKPACK,
    emporix.CUSTOMER_MANAGEMENT,
    emporix.OAUTH,
    shopatron.ORDERS,
    shopatron.OAUTH,
    admin.ADMIN,
)

# Errors on paths no service owns are answered in this service's shape.
FALLBACK = emporix.CUSTOMER_MANAGEMENT.name


# The command line's words for what only these services have.
FIXTURE_TOKENS = "acme-all, acme-view, globex-all (Emporix), shopatron-test (Shopatron)"
OPTION_HELP = {
    "job-delay": "seconds a pick-pack recalculation job stays IN_PROGRESS "
                 "(default: 0, finished before the next request)",
    "strict-saas-token": "require a well-formed, unexpired JWT in the saas-token header",
}


def built_in_catalog(services: tuple[Service, ...] = BUILT_IN) -> Catalog:
    return Catalog(services, fallback=FALLBACK)
