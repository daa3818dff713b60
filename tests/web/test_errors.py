"""Bad input and safety: the error shape, 4xx for bad parameters, escaping, security headers."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient


def assert_error(r, status: int) -> str:
    """The response is the API's error document with this status; returns its message."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "message"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["message"]


def test_error_shape_for_an_unknown_case(client: TestClient) -> None:
    message = assert_error(client.get("/api/cases/no-such-case"), 404)
    assert "no-such-case" in message
    assert_error(client.get("/api/cases/no-such-case/similar"), 404)
    assert_error(client.get("/api/no/such/endpoint"), 404)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"offset": -1}, "offset"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"stage": "finished"}, "stage"),
        ({"provider_model": "state"}, "provider_model"),
        ({"investor_model": "angel"}, "investor_model"),
        ({"country": "XX"}, "country"),
        ({"country": "Denmark"}, "country"),
        ({"start_year": "last year"}, "start_year"),
        ({"sort": "random"}, "sort"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "x" * 1001}, "q"),
        ({"start_year": "²⁰²⁰"}, "start_year"),
        ({"start_year": "２０２０"}, "start_year"),
        ({"start_year": "9" * 5000}, "start_year"),
        ({"country": "ß"}, "country"),
        ({"instrument": "bond"}, "instrument"),
        ({"fund": "<script>"}, "fund"),
    ],
)
def test_bad_search_parameters_are_4xx_naming_the_parameter(
    client: TestClient, params: dict, names: str
) -> None:
    # The CSV export takes the same parameters (all rows by default; a limit has no cap).
    csv_params = {**params, "limit": 0} if params.get("limit") == 101 else params
    for path, p in (("/api/search", params), ("/api/search.csv", csv_params)):
        r = client.get(path, params=p)
        assert 400 <= r.status_code < 500
        assert names in assert_error(r, r.status_code)


def test_broken_utf8_in_the_query_string_is_400(client: TestClient) -> None:
    message = assert_error(client.get("/api/search?q=%ff%fe"), 400)
    assert "UTF-8" in message
    assert_error(client.get("/api/cases/%ff%fe"), 400)
    page = client.get("/search?q=caf%e9")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")


def test_similar_and_runs_parameters_are_checked(client: TestClient) -> None:
    assert_error(client.get("/api/cases/indigo-poj-0901/similar?limit=0"), 422)
    assert_error(client.get("/api/cases/indigo-poj-0901/similar?country=ZZ"), 400)
    assert_error(client.get("/api/ingest/runs?limit=-5"), 422)


def test_wrong_method_keeps_its_status(client: TestClient) -> None:
    r = client.post("/api/search")
    assert_error(r, 405)
    assert "GET" in r.headers["allow"]


def test_without_index_search_is_lexical_and_health_says_so(bare_client: TestClient) -> None:
    found = bare_client.get("/api/search?q=housing")
    assert found.status_code == 200
    assert found.json()["semantic"] is False
    health = bare_client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["search"] == "lexical"
    assert "casebank index" in health.json()["message"]
    assert bare_client.get("/search?q=housing").status_code == 200
    assert bare_client.get("/").status_code == 200  # home works without an index


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/cases/no-such-case", 404),
        ("/no/such/page", 404),
        ("/search?limit=5&stage=finished", 400),
        ("/search?page=0", 422),
        ("/search?offset=-1", 422),
        ("/search?limit=101", 422),
        ("/search?q=" + "x" * 10_000, 422),
        ("/compare?id=indigo-poj-0901", 400),
        ("/compare?id=indigo-poj-0901&id=nope", 404),
        ("/organisations/nobody-at-all", 404),
        ("/lang/de", 404),
    ],
)
def test_pages_give_a_friendly_error_page(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.h1 is not None and str(status) in soup.h1.get_text()
    assert soup.find("form", attrs={"action": "/search"}) is not None  # a way on
    assert "Traceback" not in r.text


def test_markup_in_case_text_is_shown_as_text(client: TestClient, script_text: str) -> None:
    r = client.get("/cases/us-markup")
    assert r.status_code == 200
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.find_all("script") == []
    assert script_text in soup.h1.get_text()
    assert any(script_text in a.get_text() for a in soup.select("a[href^='/organisations/']"))
    results = client.get("/search", params={"q": "recidivism markup"})
    soup = BeautifulSoup(results.text, "html.parser")
    assert soup.find_all("script") == []
    assert any(script_text in h.get_text() for h in soup.select(".result-title"))


def test_only_web_links_become_links(client: TestClient) -> None:
    soup = BeautifulSoup(client.get("/cases/indigo-poj-0901").text, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert "https://example.org/odense-report.pdf" in hrefs
    assert not any(h.lower().startswith("javascript:") for h in hrefs)
    assert "Not a web link" in soup.get_text()


@pytest.mark.parametrize(
    "path", ["/", "/search?q=x", "/cases/nope", "/api/search", "/api/x", "/docs"]
)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    h = client.get(path).headers
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/", "/search?q=housing", "/cases/indigo-poj-0901", "/about"):
        soup = BeautifulSoup(client.get(path).text, "html.parser")
        assert soup.find_all("script") == []
        assert soup.find_all("style") == []
        assert soup.select("[style]") == []
        assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]


def test_language_switch_never_redirects_to_another_site(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        r = client.get("/lang/en", params={"next": target}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/"
