"""The services this server mocks: which spec, which handlers, which error shape.

This table is the one place a service is declared; ``app.py`` mounts each
entry, ``errors.py`` finds the owner of a path here, seeding runs each
seeder, ``GET /`` lists them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from specdouble.world.auth import EMPORIX, SHOPATRON


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    spec_file: str
    handlers: str
    error_style: str
    prefixes: tuple[str, ...]
    realm: str | None = None
    seeder: str | None = None  # "module:function"
    # How a token of another tenant is answered (Customer Management: 400).
    tenant_mismatch_status: int = 403

    @property
    def slug(self) -> str:
        return self.spec_file.removesuffix(".yaml")

    def load_seeder(self) -> Any:
        if self.seeder is None:
            return None
        module, _, function = self.seeder.partition(":")
        return getattr(importlib.import_module(module), function)


SERVICES: tuple[Service, ...] = (
    Service(
        name="pickpack",
        title="Emporix Pick-pack",
        spec_file="emporix-pick-pack.yaml",
        handlers="specdouble.http.handlers.pickpack",
        error_style="pickpack",
        prefixes=("/pick-pack/",),
        realm=EMPORIX,
        seeder="specdouble.data.seeders.pickpack:seed",
    ),
    Service(
        name="customer-management",
        title="Emporix Customer Management",
        spec_file="emporix-customer-management.yaml",
        handlers="specdouble.http.handlers.customer_management",
        error_style="emporix",
        prefixes=("/customer-management/",),
        realm=EMPORIX,
        seeder="specdouble.data.seeders.contacts:seed",
        tenant_mismatch_status=400,
    ),
    Service(
        name="emporix-oauth",
        title="Emporix OAuth token endpoint",
        spec_file="emporix-oauth.yaml",
        handlers="specdouble.http.handlers.emporix_oauth",
        error_style="oauth",
        prefixes=("/oauth/",),
    ),
    Service(
        name="shopatron",
        title="Shopatron Order API v2",
        spec_file="shopatron-order.yaml",
        handlers="specdouble.http.handlers.shopatron",
        error_style="shopatron",
        prefixes=("/api/",),
        realm=SHOPATRON,
        seeder="specdouble.data.seeders.shopatron:seed",
    ),
    Service(
        name="shopatron-oauth",
        title="Shopatron OAuth token endpoint",
        spec_file="shopatron-oauth.yaml",
        handlers="specdouble.http.handlers.shopatron_oauth",
        error_style="shopatron",
        prefixes=("/oauthserver/",),
    ),
    Service(
        name="admin",
        title="specdouble admin API (journal, faults, state, tenants)",
        spec_file="admin.yaml",
        handlers="specdouble.http.admin",
        error_style="admin",
        prefixes=("/__admin",),
    ),
)

FALLBACK_STYLE = "emporix"


@lru_cache(maxsize=4096)
def style_for_path(path: str) -> str:
    """The error shape for ``path``: its owning service's, Emporix's elsewhere."""
    for service in SERVICES:
        if path.startswith(service.prefixes):
            return service.error_style
    return FALLBACK_STYLE


def service_for_path(path: str) -> Service | None:
    for service in SERVICES:
        if path.startswith(service.prefixes):
            return service
    return None
