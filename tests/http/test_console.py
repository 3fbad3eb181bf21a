"""The console's page and files, and ``GET /`` as HTML for browsers (no browser needed).

What the page does in a browser is tested in ``test_console_browser.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from specdouble.http.app import create_app
from specdouble.http.index import wants_html
from specdouble.support.settings import Settings
from tests.conftest import ACME_ALL, bearer

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def guarded_app() -> Any:
    """A server with ``--admin-token``: the console shell must still load."""
    return create_app(Settings(admin_token="s3cret"))


def test_console_page_and_files_are_served(client: TestClient) -> None:
    for path in ("/__admin/", "/__admin"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert '<script src="/__admin/console/console.js"' in page.text
        # only this server's own files: no inline script, nothing from the network
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "connect-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/__admin/console/console.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("application/javascript")
    assert "/__admin/requests" in script.text and "innerHTML" not in script.text
    assert client.get("/__admin/console/console.css").headers["content-type"].startswith("text/css")
    missing = client.get("/__admin/console/nosuch.js")
    assert missing.status_code == 404
    assert missing.json()["error"] == "Not Found"  # the admin API's error shape
    # looking at the console is not journaled
    assert client.get("/__admin/requests").json()["requests"] == []


def test_console_shell_needs_no_token_but_its_data_does(guarded_app: Any) -> None:
    with TestClient(guarded_app, client=("10.0.0.7", 4000)) as remote:
        assert remote.get("/__admin/").status_code == 200
        assert remote.get("/__admin/console/console.js").status_code == 200
        assert remote.get("/__admin/console/nosuch.js").status_code == 401
        assert remote.get("/__admin/health").status_code == 401
        assert remote.get("/__admin/requests/").status_code == 401
        assert remote.get("/__admin/health", headers=bearer("s3cret")).status_code == 200


def test_console_shell_loads_remotely_while_the_api_stays_on_loopback(app: Any) -> None:
    with TestClient(app, client=("10.0.0.7", 4000)) as remote:
        assert remote.get("/__admin/").status_code == 200
        assert remote.get("/__admin/health").status_code == 403


def test_other_admin_paths_with_a_slash_stay_json_404s(client: TestClient) -> None:
    response = client.get("/__admin/faults/")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_index_is_html_for_browsers_linking_the_console(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    assert 'href="/__admin/"' in page.text
    assert 'href="/docs/emporix-pick-pack/"' in page.text
    assert 'href="/specs/shopatron-order.json"' in page.text


def test_index_stays_json_for_json_clients(client: TestClient) -> None:
    plain = client.get("/", headers={"Accept": ""})
    assert plain.headers["content-type"] == "application/json"
    for accept in ("application/json", "*/*", "text/html;q=0.5, application/json"):
        response = client.get("/", headers={"Accept": accept})
        assert response.headers["content-type"] == "application/json", accept
        assert response.json() == plain.json()
    assert plain.json()["services"][0]["docs"] == "/docs/emporix-pick-pack/"
    assert client.get("/pick-pack/acme/events", headers=ACME_ALL).status_code == 200


@pytest.mark.parametrize(("accept", "html"), [
    (None, False),
    ("", False),
    ("*/*", False),
    ("application/json", False),
    ("text/html", True),
    (BROWSER_ACCEPT, True),
    ("text/*", True),
    ("text/html;q=0.4, application/json;q=0.5", False),
    ("application/json;q=0.5, text/html", True),
    ("text/html;q=0, */*", False),
    ("text/html;q=abc, application/json", False),
    ("TEXT/HTML", True),
])
def test_wants_html(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html
