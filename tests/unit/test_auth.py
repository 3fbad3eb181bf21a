"""Token registry: static and issued tokens, scopes, expiry, tenant binding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from specdouble.services.emporix import REALM_NAME as EMPORIX
from specdouble.services.shopatron import REALM_NAME as SHOPATRON
from specdouble.state.server_state import MemoryServerState
from specdouble.support.problems import Problem
from specdouble.world import auth

TTLS = {EMPORIX: 14399, SHOPATRON: 3600}

SCOPES = auth.ScopeCatalog(frozenset({"pickpack.pickpack_view", "pickpack.pickpack_manage",
                                      "customermanagement.contactassignment_read"}))
FIXTURES = {
    "emporix": {
        "tokens": {"t-all": {"tenant": "acme", "scopes": "all"},
                   "t-view": {"tenant": "acme", "scopes": "view"}},
        "clients": {"c1": {"secret": "s1", "tenant": "acme", "scopes": "all"}},
    },
    "shopatron": {"clients": {"k1": {"secret": "ks", "tenant": "acme"}}},
}


@pytest.fixture
def registry() -> auth.TokenRegistry:
    return auth.TokenRegistry.from_fixtures(FIXTURES, SCOPES, TTLS)


def test_static_tokens_expand_scope_names(registry: auth.TokenRegistry) -> None:
    assert registry.resolve(EMPORIX, "t-all").scopes == SCOPES.all
    assert registry.resolve(EMPORIX, "t-view").scopes == {
        "pickpack.pickpack_view", "customermanagement.contactassignment_read"}


@pytest.mark.parametrize(("token", "kind"), [(None, auth.MISSING_TOKEN), ("", auth.MISSING_TOKEN),
                                            ("nope", auth.INVALID_TOKEN)])
def test_unusable_tokens(registry: auth.TokenRegistry, token: str | None, kind: str) -> None:
    with pytest.raises(Problem) as caught:
        registry.resolve(EMPORIX, token)
    assert caught.value.status == 401 and caught.value.kind == kind


def test_realms_do_not_mix(registry: auth.TokenRegistry) -> None:
    with pytest.raises(Problem):
        registry.resolve(SHOPATRON, "t-all")


def test_issue_expire_and_narrow(registry: auth.TokenRegistry) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    registry.clock = lambda: now
    client = registry.authenticate_client(EMPORIX, "c1", "s1")
    issued = registry.issue(EMPORIX, client, ["tenant=acme", "pickpack.pickpack_view"])
    assert issued.expires_in == 14399
    assert issued.principal.scopes == {"pickpack.pickpack_view"}
    assert registry.resolve(EMPORIX, issued.access_token).tenant == "acme"
    registry.clock = lambda: now + timedelta(seconds=14399)
    with pytest.raises(Problem) as caught:
        registry.resolve(EMPORIX, issued.access_token)
    assert caught.value.kind == auth.EXPIRED_TOKEN


@pytest.mark.parametrize("requested", [["tenant=globex"], ["no.such_scope"]])
def test_issue_refuses_other_tenant_or_unknown_scope(registry: auth.TokenRegistry,
                                                     requested: list[str]) -> None:
    client = registry.authenticate_client(EMPORIX, "c1", "s1")
    with pytest.raises(Problem) as caught:
        registry.issue(EMPORIX, client, requested)
    assert caught.value.status == 400 and caught.value.kind == auth.INVALID_SCOPE


def test_wrong_secret(registry: auth.TokenRegistry) -> None:
    with pytest.raises(Problem) as caught:
        registry.authenticate_client(EMPORIX, "c1", "wrong")
    assert caught.value.status == 401 and caught.value.kind == auth.INVALID_CLIENT


def test_shopatron_tokens_live_an_hour(registry: auth.TokenRegistry) -> None:
    client = registry.authenticate_client(SHOPATRON, "k1", "ks")
    assert registry.issue(SHOPATRON, client).expires_in == 3600


def test_remove_tenant_forgets_its_granted_and_issued_tokens(
        registry: auth.TokenRegistry) -> None:
    registry.add_static_token(EMPORIX, "n-all", "newco", SCOPES.all)
    registry.add_client(EMPORIX, "n-client", "n-secret", "newco", SCOPES.all)
    issued = registry.issue(EMPORIX,
                            registry.authenticate_client(EMPORIX, "n-client", "n-secret"))
    assert registry.resolve(EMPORIX, issued.access_token).tenant == "newco"
    registry.remove_tenant("newco")
    for token in ("n-all", issued.access_token):
        with pytest.raises(Problem):
            registry.resolve(EMPORIX, token)
    assert registry.client(EMPORIX, "n-client") is None
    assert registry.resolve(EMPORIX, "t-all").tenant == "acme"  # the fixtures' stay


def test_registries_on_one_server_state_accept_each_others_tokens() -> None:
    """What workers sharing a Redis do: a token issued by one is valid on all."""
    shared = MemoryServerState()
    first = auth.TokenRegistry.from_fixtures(FIXTURES, SCOPES, TTLS, shared)
    second = auth.TokenRegistry.from_fixtures(FIXTURES, SCOPES, TTLS, shared)
    issued = first.issue(EMPORIX, first.authenticate_client(EMPORIX, "c1", "s1"),
                         ["pickpack.pickpack_view"])
    principal = second.resolve(EMPORIX, issued.access_token)
    assert principal.scopes == {"pickpack.pickpack_view"}
    assert principal.expires_at == issued.principal.expires_at
    second.add_static_token(SHOPATRON, "granted", "newco", client_id="k9")
    assert first.resolve(SHOPATRON, "granted").client_id == "k9"
    first.forget_granted()
    with pytest.raises(Problem):
        second.resolve(EMPORIX, issued.access_token)


def test_tokens_expired_for_a_day_are_pruned() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    registry = auth.TokenRegistry.from_fixtures(FIXTURES, SCOPES, TTLS)
    registry.clock = lambda: now[0]
    client = registry.authenticate_client(SHOPATRON, "k1", "ks")
    old = registry.issue(SHOPATRON, client).access_token
    now[0] += timedelta(days=2)
    for _ in range(auth.PRUNE_EVERY):
        registry.issue(SHOPATRON, client)
    assert registry.shared.get("issued:shopatron", old) is None
    assert len(registry.shared.items("issued:shopatron")) == auth.PRUNE_EVERY
