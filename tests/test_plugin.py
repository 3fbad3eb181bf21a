"""The pytest plugin: registered by entry point, and its helpers do what they say.

The helpers are exercised here through the plugin's own fixtures (the plugin
is loaded in this session as in any other); ``pytester`` then runs a user's test
file in a fresh pytest process, where only the installed entry point can have
provided the ``specdouble`` fixture.
"""

from __future__ import annotations

import importlib.metadata
import textwrap

import httpx
import pytest

from specdouble.testing.plugin import SpecDouble, SpecDoubleError, SpecDoubleServer

pytest_plugins = ["pytester"]

EVENT = {"eventId": "plugin-1", "orderNumber": "123", "productId": "123", "unit": "H87",
         "timestamp": "2020-09-14T13:35:18.333Z", "site": "main", "packedAmount": 1}
ASSIGNEE = {"id": "u1", "siteCode": "main", "firstName": "Ada", "lastName": "Lovelace"}


def post_event(sd: SpecDouble, event: dict[str, object] = EVENT) -> httpx.Response:
    return sd.client.post("/pick-pack/acme/events", json=event,
                          headers={**sd.auth(sd.tokens.acme_all), "saas-token": "text"})


def test_entry_point_is_registered() -> None:
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11")
                if e.name == "specdouble"]
    assert entry.value == "specdouble.testing.plugin"


def test_fixture_serves_the_mocked_apis(specdouble: SpecDouble) -> None:
    assert specdouble.url.startswith("http://127.0.0.1:")
    index = httpx.get(specdouble.url + "/", timeout=10).json()
    assert {s["name"] for s in index["services"]} >= {"pickpack", "customer-management",
                                                      "shopatron"}
    events = specdouble.client.get("/pick-pack/acme/events", params={"pageSize": 2},
                                   headers=specdouble.auth(specdouble.tokens.acme_all))
    assert events.status_code == 200 and len(events.json()) == 2
    view = specdouble.client.post("/pick-pack/acme/jobs/recalculations",
                                  json={"jobType": "AUTOMATIC"},
                                  headers=specdouble.auth(specdouble.tokens.acme_view))
    assert view.status_code == 403  # the documented tokens carry the documented scopes


def test_reset_restores_seeded_state_and_clears_journal_and_faults(
        specdouble: SpecDouble) -> None:
    before = specdouble.export_state("acme")
    assert post_event(specdouble).status_code == 200
    specdouble.add_fault(operation_id="listEvents", status=500)
    specdouble.create_tenant("plugtmp")
    assert specdouble.export_state("acme") != before
    assert specdouble.reset() == ["acme", "globex"]
    assert specdouble.export_state("acme") == before
    assert specdouble.journal() == [] and specdouble.faults() == []
    assert "plugtmp" not in specdouble.health()["tenants"]
    assert post_event(specdouble).status_code == 200  # the event id is free again


def test_reset_of_one_tenant(specdouble: SpecDouble) -> None:
    before = specdouble.export_state("acme")
    post_event(specdouble)
    assert specdouble.reset("acme") == ["acme"]
    assert specdouble.export_state("acme") == before


def test_journal_filters(specdouble: SpecDouble) -> None:
    post_event(specdouble)
    assert post_event(specdouble).status_code == 409
    specdouble.client.get("/pick-pack/acme/events", headers=specdouble.auth("acme-all"))
    created = specdouble.journal(operation_id="createEvent")
    assert [e["status"] for e in created] == [409, 200]  # newest first
    assert [e["operationId"] for e in specdouble.journal(method="GET")] == ["listEvents"]
    assert len(specdouble.journal(operationId="createEvent", status=409)) == 1
    assert len(specdouble.journal(limit=1)) == 1
    specdouble.clear_journal()
    assert specdouble.journal() == []


def test_add_fault_takes_snake_case_and_expires(specdouble: SpecDouble) -> None:
    rule = specdouble.add_fault(operation_id="addAssignee", status=409, times=1)
    assert (rule["operationId"], rule["status"], rule["remaining"]) == ("addAssignee", 409, 1)
    url = "/pick-pack/acme/orders/123/assignees"
    headers = specdouble.auth(specdouble.tokens.acme_all)
    assert specdouble.client.post(url, json=ASSIGNEE, headers=headers).status_code == 409
    assert specdouble.client.post(url, json=ASSIGNEE, headers=headers).status_code == 200
    assert specdouble.faults() == []


def test_remove_fault(specdouble: SpecDouble) -> None:
    rule = specdouble.add_fault(method="GET", path="/pick-pack/*", delay_ms=1)
    assert [r["id"] for r in specdouble.faults()] == [rule["id"]]
    specdouble.remove_fault(rule["id"])
    assert specdouble.faults() == []


def test_refusals_raise_with_the_admin_answer(specdouble: SpecDouble) -> None:
    with pytest.raises(SpecDoubleError) as caught:
        specdouble.add_fault(operation_id="nosuchOperation", status=500)
    assert caught.value.status == 400 and "nosuchOperation" in caught.value.body
    with pytest.raises(SpecDoubleError) as missing:
        specdouble.export_state("nosuch")
    assert missing.value.status == 404


def test_load_state_round_trip_and_invalid_import_changes_nothing(
        specdouble: SpecDouble) -> None:
    exported = specdouble.export_state("acme")
    collections = exported["collections"]
    del collections["pickpack.orders"]["123"]
    result = specdouble.load_state("acme", collections)  # bare collections work too
    assert result["records"]["pickpack.orders"] == len(collections["pickpack.orders"])
    answer = specdouble.client.post("/pick-pack/acme/orders/123/assignees", json=ASSIGNEE,
                                    headers=specdouble.auth(specdouble.tokens.acme_all))
    assert answer.status_code == 404  # the loaded state is the live one
    loaded = specdouble.export_state("acme")
    broken = {"collections": {"cm.customers": {"c1": {"id": "c1", "name": 5}}}}
    with pytest.raises(SpecDoubleError) as caught:
        specdouble.load_state("acme", broken)
    assert caught.value.status == 400
    assert specdouble.export_state("acme") == loaded


def test_tenants_on_demand(specdouble: SpecDouble) -> None:
    created = specdouble.create_tenant("plugci", seed=7)
    assert created["tokens"]["all"] == "plugci-all"
    events = specdouble.client.get("/pick-pack/plugci/events",
                                   headers=specdouble.auth(created["tokens"]["all"]))
    assert events.status_code == 200
    specdouble.delete_tenant("plugci")
    assert "plugci" not in specdouble.health()["tenants"]


def test_outbox_lists_the_recorded_shopatron_emails(specdouble: SpecDouble) -> None:
    before = specdouble.outbox("acme")
    assign = {"orderID": 6543210, "sendEmails": True, "rectifyOrder": True,
              "packageAssignment": [{"autoAssign": True,
                                     "itemAssign": [{"orderItemID": 123456, "quantity": 1}]}]}
    answer = specdouble.client.post("/api/v2/order/action/assign", json=assign,
                                    headers=specdouble.auth(specdouble.tokens.shopatron))
    assert answer.status_code == 200, answer.text
    emails = specdouble.outbox("acme")
    assert len(emails) > len(before)
    assert {e["tenant"] for e in emails} == {"acme"} and emails[-1]["orderID"] == 6543210
    assert len(specdouble.outbox()) >= len(emails)
    assert repr(specdouble) == f"SpecDouble({specdouble.url!r})"


@pytest.mark.specdouble(faults=[{"operation_id": "listEvents", "status": 500, "times": 1}])
def test_marker_adds_faults_after_the_reset(specdouble: SpecDouble) -> None:
    (rule,) = specdouble.faults()
    assert rule["operationId"] == "listEvents"
    events = specdouble.client.get("/pick-pack/acme/events", headers=specdouble.auth("acme-all"))
    assert events.status_code == 500


@pytest.mark.specdouble(state={"globex": {"collections": {}}})
def test_marker_loads_state(specdouble: SpecDouble) -> None:
    assert all(not records for records in specdouble.export_state("globex")["collections"]
               .values())
    assert specdouble.export_state("acme")["collections"]["pickpack.orders"]


def test_session_server_is_the_same_server(specdouble: SpecDouble,
                                           specdouble_server: SpecDouble) -> None:
    assert specdouble is specdouble_server


def test_server_context_manager_starts_with_a_seed_and_stops() -> None:
    with SpecDoubleServer(seed=7) as sd:
        assert sd.health()["seed"] == 7
        url = sd.url
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/__admin/health", timeout=2)


def test_bad_settings_fail_in_the_caller() -> None:
    with pytest.raises(TypeError):
        SpecDoubleServer(no_such_setting=1).start()


USER_TEST = textwrap.dedent('''
    """A user's contract test: only the installed plugin provides the fixture."""
    import httpx
    import pytest

    EVENT = {"eventId": "e-1", "orderNumber": "123", "productId": "123", "unit": "H87",
             "timestamp": "2020-09-14T13:35:18.333Z", "site": "main", "packedAmount": 1}


    def post_event(specdouble):
        headers = {**specdouble.auth(specdouble.tokens.acme_all), "saas-token": "text"}
        return httpx.post(specdouble.url + "/pick-pack/acme/events", json=EVENT,
                          headers=headers)


    def test_creates_an_event(specdouble):
        assert post_event(specdouble).status_code == 200
        (entry,) = specdouble.journal(operation_id="createEvent")
        assert entry["status"] == 200


    def test_next_test_starts_clean(specdouble):
        assert specdouble.journal() == []
        assert post_event(specdouble).status_code == 200  # not a 409 from the test above


    def test_seed_option(specdouble):
        assert specdouble.health()["seed"] == 7


    def test_client_sees_a_fault(specdouble):
        specdouble.add_fault(operation_id="createEvent", status=500, times=1)
        assert post_event(specdouble).status_code == 500
''')


def test_users_test_file_gets_the_fixture_from_the_entry_point(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contract=USER_TEST)
    # -W error: a suite that turns warnings into errors can use the fixture too
    result = pytester.runpytest_subprocess("--specdouble-seed", "7", "-p", "no:cacheprovider",
                                           "-W", "error")
    result.assert_outcomes(passed=4)


def test_url_option_uses_a_running_server(pytester: pytest.Pytester,
                                          specdouble: SpecDouble) -> None:
    pytester.makepyfile(test_remote=textwrap.dedent(f'''
        def test_remote(specdouble):
            assert specdouble.url == "{specdouble.url}"
            assert specdouble.health()["status"] == "ok"
    '''))
    pytester.makeini("[pytest]\nspecdouble_url = " + specdouble.url + "\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_port_option_and_seed_and_port_markers(pytester: pytest.Pytester) -> None:
    port, marked_port = _free_port(), _free_port()
    pytester.makepyfile(test_choices=textwrap.dedent(f'''
        import pytest

        def test_ini_port(specdouble, specdouble_server):
            assert specdouble is specdouble_server
            assert specdouble.url == "http://127.0.0.1:{port}"
            assert specdouble.health()["seed"] != 11

        @pytest.mark.specdouble(seed=11)
        def test_seed_marker(specdouble, specdouble_server):
            assert specdouble.health()["seed"] == 11
            assert specdouble is not specdouble_server

        @pytest.mark.specdouble(seed=11)
        def test_same_seed_same_server(specdouble):
            assert specdouble.health()["seed"] == 11
            assert specdouble.journal() == []  # reset like any other

        @pytest.mark.specdouble(port={marked_port})
        def test_port_marker(specdouble):
            assert specdouble.url == "http://127.0.0.1:{marked_port}"
    '''))
    pytester.makeini(f"[pytest]\nspecdouble_port = {port}\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_a_taken_port_option_says_so(pytester: pytest.Pytester) -> None:
    import socket

    pytester.makepyfile(test_taken="def test_any(specdouble):\n    pass\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                               "--specdouble-port", str(port))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*port {port} is in use*"])
