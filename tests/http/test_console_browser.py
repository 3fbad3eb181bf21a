"""The console (``/__admin/``) in a real browser: headless Chromium driven by Playwright.

The server runs on a free loopback port (``tests/liveserver.py``); the test
makes requests with httpx as a client under test would, and looks at what the
page shows. Chromium is Debian's (``apt-get install chromium``; ``.ci/run``
installs it); where it or the ``playwright`` package is missing these tests
skip with a warning saying so. Every browser step waits at most
:data:`STEP_MS`, so a broken page fails in seconds instead of hanging.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from specdouble.support.settings import Settings
from tests.liveserver import live_server

# one process runs them all: the browser and server start once (--dist loadgroup)
pytestmark = [pytest.mark.live, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
STEP_MS = 15_000
LAUNCH_MS = 60_000
ACME = {"Authorization": "Bearer acme-all"}
ASSIGNEE = {"id": "u1", "siteCode": "main", "firstName": "Ada", "lastName": "Lovelace"}
ASSIGNEES = "/pick-pack/acme/orders/123/assignees"
CONTACT = "/customer-management/acme/contact-assignments/627e06ecf0452c2d6c0b81391"
ADMIN_TOKEN = "console-s3cret"


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the Python package playwright is missing (pip install -e '.[test]')"
    if not CHROMIUM.is_file():
        return f"Chromium is missing at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        warnings.warn(f"console browser tests SKIPPED: {reason}", stacklevel=1)
        pytest.skip(f"console browser tests need Chromium: {reason}")
    from playwright.sync_api import expect as playwright_expect
    from playwright.sync_api import sync_playwright

    playwright_expect.set_options(timeout=STEP_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              timeout=LAUNCH_MS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server(Settings()) as live:
        yield live.base_url


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[str]:
    with live_server(Settings(admin_token=ADMIN_TOKEN)) as live:
        yield live.base_url


def _fresh(base_url: str, headers: dict[str, str]) -> None:
    """The server as it started: tenants reseeded, on-demand ones dropped, no journal or rules."""
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as admin:
        for tenant in admin.get("/__admin/tenants").json()["tenants"]:
            if not tenant["default"]:
                admin.delete(f"/__admin/tenants/{tenant['name']}")
        admin.post("/__admin/reset").raise_for_status()
        admin.delete("/__admin/faults").raise_for_status()
        admin.delete("/__admin/requests").raise_for_status()


class Page:
    """A browser tab on one server, with what the test needs of it."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.changes: list[Any] = []  # the admin calls that change something
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._seen)

    def _seen(self, request: Any) -> None:
        if request.method != "GET" and "/__admin/" in request.url:
            self.changes.append(request)

    def open(self, path: str = "/__admin/") -> Any:
        self.page.goto(self.base_url + path)
        return self.page


def _open_page(browser: Any, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    tab = Page(context.new_page(), base_url)
    try:
        yield tab
    finally:
        context.close()
    assert tab.errors == [], f"the console's script failed: {tab.errors}"
    for request in tab.changes:  # state changes are JSON (no cross-site form can send them)
        assert request.headers.get("content-type") == "application/json", request.url


@pytest.fixture
def console(browser: Any, server: str) -> Iterator[Page]:
    _fresh(server, {})
    yield from _open_page(browser, server)


@pytest.fixture
def guarded_console(browser: Any, guarded_server: str) -> Iterator[Page]:
    _fresh(guarded_server, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    yield from _open_page(browser, guarded_server)


def expect(locator: Any) -> Any:
    """Playwright's expect, imported late: the module must load (and skip) without it."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_every_panel_renders(console: Page) -> None:
    page = console.open("/")
    page.get_by_role("link", name="Open the console").click()
    page.wait_for_url("**/__admin/")
    services = page.locator("#services-rows tr")
    expect(services.filter(has_text="Emporix Pick-pack")).to_have_count(1)
    expect(page.locator('#services a[href="/docs/emporix-pick-pack/"]')).to_be_visible()
    expect(page.locator('#services a[href="/specs/shopatron-order.json"]')).to_be_visible()
    expect(page.locator("#server")).to_contain_text("seed 20240601")
    expect(page.locator("#journal-rows")).to_contain_text("No requests recorded")
    expect(page.locator("#fault-rows")).to_contain_text("No fault rules.")
    expect(page.locator("#fault-form button[type=submit]")).to_have_text("Add rule")
    for tenant in ("acme", "globex"):
        row = page.locator("#state-rows tr", has_text=tenant)
        expect(row.get_by_role("button", name="Download JSON")).to_be_visible()
        expect(row.get_by_role("button", name="Reset")).to_be_visible()
        expect(page.locator("#tenant-rows tr", has_text=tenant)
               .get_by_role("button", name="Delete")).to_be_disabled()
    expect(page.locator("#login")).to_be_hidden()


def test_requests_show_up_in_the_journal_and_open_on_click(console: Page) -> None:
    page = console.open()
    expect(page.locator("#journal-rows")).to_contain_text("No requests recorded")
    with httpx.Client(base_url=console.base_url, headers=ACME, timeout=30) as client:
        assert client.get("/pick-pack/acme/events").status_code == 200
        assert client.get("/pick-pack/acme/events", headers={"Prefer": "code=401"}).status_code \
            == 401
        assert client.get("/pick-pack/acme/events", params={"pageSize": "abc"}).status_code == 400
    rows = page.locator("#journal-rows tr")
    expect(rows).to_have_count(3)  # polled: the page was open before the requests
    expect(rows.nth(0)).to_contain_text("pageSize=abc")  # newest first
    expect(rows.nth(0).locator(".badge")).to_have_text("invalid")
    expect(rows.nth(1).locator(".badge")).to_have_text("forced")

    rows.nth(0).click()
    entry = page.locator("#entry")
    expect(entry.locator("h3")).to_have_text("GET /pick-pack/acme/events?pageSize=abc")
    expect(entry.locator("ul.errors")).to_contain_text("query.pageSize")
    expect(entry).to_contain_text('"message": "validation_failure"')
    rows.nth(1).click()
    expect(entry.locator("dd").nth(6)).to_have_text("yes")  # Forced (Prefer)
    expect(entry).to_contain_text("Invalid access token")

    filters = page.locator("#journal-filter")
    filters.locator("[name=status]").fill("200")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("listEvents")
    filters.locator("[name=status]").fill("")
    filters.locator("[name=service]").select_option(label="Emporix Customer Management")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("No requests recorded")
    filters.locator("[name=service]").select_option(label="Emporix Pick-pack")
    filters.locator("[name=tenant]").select_option("globex")
    expect(rows.nth(0)).to_contain_text("No requests recorded")
    filters.locator("[name=tenant]").select_option("acme")
    filters.locator("[name=operationId]").fill("listEvents")
    expect(rows).to_have_count(3)


def test_a_fault_added_in_the_form_changes_the_next_answer(console: Page) -> None:
    page = console.open()
    form = page.locator("#fault-form")
    form.locator("[name=operationId]").fill("addAssignee")
    form.locator("[name=status]").fill("409")
    form.locator("[name=times]").fill("1")
    form.get_by_role("button", name="Add rule").click()
    rule = page.locator("#fault-rows tr", has_text="addAssignee")
    expect(rule).to_contain_text("answer 409")
    rule_id = rule.locator("td").first.inner_text()
    assert rule_id.startswith("fault-")

    with httpx.Client(base_url=console.base_url, headers=ACME, timeout=30) as client:
        assert client.post(ASSIGNEES, json=ASSIGNEE).status_code == 409
        assert client.post(ASSIGNEES, json=ASSIGNEE).status_code == 200  # times: 1
        expect(page.locator("#journal-rows tr").nth(1).locator(".badge")).to_have_text(rule_id)
        expect(page.locator("#fault-rows")).to_contain_text("No fault rules.")  # used up, live

        form.locator("[name=path]").fill("/pick-pack/acme/*")
        form.locator("[name=fault]").select_option("connection_reset")
        form.get_by_role("button", name="Add rule").click()
        dropping = page.locator("#fault-rows tr", has_text="connection reset")
        expect(dropping).to_have_count(1)
        with pytest.raises(httpx.TransportError):
            client.get("/pick-pack/acme/events")
        dropping.get_by_role("button", name="Delete").click()
        expect(page.locator("#fault-rows")).to_contain_text("No fault rules.")
        assert client.get("/__admin/faults").json()["faults"] == []
        assert client.get("/pick-pack/acme/events").status_code == 200
        # a rule added elsewhere (a CI job, say) shows up too
        assert client.post("/__admin/faults", json={"tenant": "globex", "delayMs": 5}) \
            .status_code == 201
        expect(page.locator("#fault-rows tr", has_text="tenant globex")).to_contain_text(
            "wait 5 ms")


def test_a_reset_from_the_page_resets(console: Page) -> None:
    page = console.open()
    with httpx.Client(base_url=console.base_url, headers=ACME, timeout=30) as client:
        assert client.delete(CONTACT).status_code == 204
        assert client.get(CONTACT).status_code == 404
        page.locator("#state-rows tr", has_text="acme").get_by_role("button", name="Reset").click()
        expect(page.locator("#notice")).to_have_text("Reset acme to the seeded data.")
        assert client.get(CONTACT).status_code == 200


def test_state_downloads_and_uploads(console: Page, tmp_path: Path) -> None:
    page = console.open()
    row = page.locator("#state-rows tr", has_text="acme")
    with page.expect_download(timeout=STEP_MS) as download:
        row.get_by_role("button", name="Download JSON").click()
    assert download.value.suggested_filename == "acme-state.json"
    state = json.loads(Path(download.value.path()).read_text())
    assert state["tenant"] == "acme"
    del state["collections"]["pickpack.orders"]["123"]
    edited = tmp_path / "acme-edited.json"
    edited.write_text(json.dumps(state))

    row.locator("input[type=file]").set_input_files(str(edited))
    expect(page.locator("#notice")).to_contain_text("from acme-edited.json into acme")
    with httpx.Client(base_url=console.base_url, headers=ACME, timeout=30) as client:
        assert client.post(ASSIGNEES, json=ASSIGNEE).status_code == 404

    broken = tmp_path / "broken.json"
    broken.write_text('{"collections": {"pickpack.orders": {"1": {"orderId": 5}}}}')
    row.locator("input[type=file]").set_input_files(str(broken))
    expect(page.locator("#notice")).to_have_class("error")
    expect(page.locator("#notice")).to_contain_text("nothing was imported")


def test_tenants_are_created_and_deleted(console: Page) -> None:
    page = console.open()
    form = page.locator("#tenant-form")
    form.locator("[name=name]").fill("ci4711")
    form.locator("[name=seed]").fill("7")
    form.get_by_role("button", name="Create tenant").click()
    expect(page.locator("#tenant-created")).to_contain_text('"all": "ci4711-all"')
    row = page.locator("#tenant-rows tr", has_text="ci4711")
    expect(row).to_contain_text("on demand")
    expect(page.locator("#state-rows tr", has_text="ci4711")).to_have_count(1)
    with httpx.Client(base_url=console.base_url, timeout=30) as client:
        events = client.get("/pick-pack/ci4711/events",
                            headers={"Authorization": "Bearer ci4711-all"})
        assert events.status_code == 200
        row.get_by_role("button", name="Delete").click()
        expect(row).to_have_count(0)
        names = [t["name"] for t in client.get("/__admin/tenants").json()["tenants"]]
        assert names == ["acme", "globex"]


def test_with_an_admin_token_nothing_shows_until_it_is_entered(guarded_console: Page) -> None:
    page = guarded_console.open()
    login = page.locator("#login")
    expect(login).to_be_visible()
    expect(page.locator("#main")).to_be_hidden()
    expect(page.locator("#services-rows tr")).to_have_count(0)
    expect(page.locator("#journal-rows tr")).to_have_count(0)

    login.locator("[name=token]").fill("wrong")
    login.get_by_role("button", name="Open").click()
    expect(page.locator("#notice")).to_have_text("The admin token was refused.")
    expect(page.locator("#main")).to_be_hidden()
    expect(page.locator("#tenant-rows tr")).to_have_count(0)

    login.locator("[name=token]").fill(ADMIN_TOKEN)
    login.get_by_role("button", name="Open").click()
    expect(page.locator("#main")).to_be_visible()
    expect(page.locator("#tenant-rows tr", has_text="acme")).to_have_count(1)
    assert page.evaluate("sessionStorage.getItem('specdouble.adminToken')") == ADMIN_TOKEN
    page.locator("#state-rows tr", has_text="globex").get_by_role("button", name="Reset").click()
    expect(page.locator("#notice")).to_have_text("Reset globex to the seeded data.")

    page.reload()  # the token stays for this tab
    expect(page.locator("#main")).to_be_visible()
    page.get_by_role("button", name="Forget token").click()
    expect(login).to_be_visible()
    expect(page.locator("#main")).to_be_hidden()
