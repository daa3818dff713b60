"""Bad input and safety: the error shape, 4xx for bad parameters, escaping, security headers."""

from __future__ import annotations

import httpx
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
        ("/search?offset=-1", 400),  # not digits: as the API says it
        ("/search?page=abc", 400),
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


def test_an_unknown_address_is_told_in_danish_without_an_english_status_phrase(
    client: TestClient,
) -> None:
    """Starlette's 404 for an address no route has carries only "Not Found": the Danish
    lead says that already, so the page has no English details line."""
    r = client.get("/no/such/page", headers={"accept-language": "da"})
    soup = BeautifulSoup(r.text, "html.parser")
    assert r.status_code == 404 and "findes ikke" in soup.select_one("p.lead").get_text()
    assert "Not Found" not in soup.get_text() and not soup.select("p.details")
    # A message of its own stays: it says what was wrong with the request.
    bad = BeautifulSoup(client.get("/lang/de").text, "html.parser")
    assert bad.select_one("p.details") is not None


def test_a_bad_page_number_is_told_in_danish_with_the_search_kept(client: TestClient) -> None:
    """`page`, `limit` and `offset` follow the API's rule for numbers, and the page says in
    the reader's language what is wrong (it had FastAPI's English 'Input should be a
    valid integer' as its only explanation)."""
    for path in ("/search?q=unge&page=abc", "/search?q=unge&limit=101", "/search?q=unge&page=1.5"):
        r = client.get(path, headers={"accept-language": "da"})
        assert r.status_code in (400, 422), path
        soup = BeautifulSoup(r.text, "html.parser")
        assert "Sidenummeret eller antallet af resultater pr. side" in soup.get_text(), path
        assert soup.find("input", attrs={"name": "q"})["value"] == "unge", path
    # Blank paging fields are the defaults.
    assert client.get("/search?q=unge&page=&limit=&offset=").status_code == 200


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


# -- URLs from configuration, never from the Host header -----------------------------------

HOST_PATHS = [
    "/",
    "/search?q=housing",
    "/cases/INDIGO-POJ-0901",
    "/compare?id=INDIGO-POJ-0901&id=INDIGO-POJ-0902",
    "/about",
    "/api/search?q=housing",
    "/api/search.csv?q=housing",
    "/api/cases/INDIGO-POJ-0901",
    "/api/cases/INDIGO-POJ-0901/similar",
    "/api/health",
    "/cases/no-such-case",
    "/api/cases/no-such-case",
]


@pytest.mark.parametrize("path", HOST_PATHS)
def test_the_host_header_changes_no_url(client: TestClient, path: str) -> None:
    r = client.get(path, headers={"host": "evil.example", "x-forwarded-host": "evil.example"})
    assert r.status_code < 500
    assert "evil.example" not in r.text
    assert not any("evil.example" in v for v in r.headers.values())


def test_absolute_links_come_from_casebank_base_url(web_settings) -> None:
    """With CASEBANK_BASE_URL the CSV's url column and the case page's citation use it,
    whatever the request's Host says."""
    from dataclasses import replace

    from web.app import create_app

    settings = replace(web_settings, base_url="https://casebank.example.dk")
    with TestClient(create_app(settings)) as c:
        csv_text = c.get("/api/search.csv?q=housing", headers={"host": "evil.example"}).text
        page = c.get("/cases/INDIGO-POJ-0901", headers={"host": "evil.example"}).text
    rows = [line for line in csv_text.splitlines()[1:] if line]
    assert rows and all("https://casebank.example.dk/cases/" in line for line in rows)
    cite = BeautifulSoup(page, "html.parser").select_one("p.cite").get_text()
    assert "https://casebank.example.dk/cases/indigo-poj-0901" in cite.lower()
    assert "evil.example" not in csv_text + page


def test_without_base_url_links_are_relative(client: TestClient) -> None:
    csv_text = client.get("/api/search.csv?q=housing").text
    rows = [line for line in csv_text.splitlines()[1:] if line]
    assert rows and all(",/cases/" in line for line in rows)
    assert "http://testserver" not in csv_text


# -- HEAD, Cache-Control ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=housing", "/cases/INDIGO-POJ-0901", "/about", "/api/health",
     "/api/search?q=housing", "/api/search.csv?q=housing", "/static/style.css",
     "/cases/no-such-case"],
)  # fmt: skip
def test_head_is_answered_wherever_get_is(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code != 405
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_cache_control_on_static_files_and_exports(client: TestClient) -> None:
    static = client.get("/static/style.css")
    assert static.status_code == 200
    assert "max-age=86400" in static.headers["cache-control"]
    export = client.get("/api/search.csv?q=housing")
    assert export.headers["cache-control"] == "no-cache"
    assert "cache-control" not in client.get("/cases/no-such-case").headers


def test_raw_utf8_in_the_request_line_gets_a_400(live_server: str) -> None:
    """uvicorn (h11, as installed here without httptools) refuses a request line whose
    target holds raw non-ASCII bytes: h11's request-target grammar is visible ASCII
    only (h11/_abnf.py `request_target = r"{vchar}+"`, vchar = [\\x21-\\x7e]), and
    uvicorn answers its parse error with 400 "Invalid HTTP request received." before the
    app sees anything. Percent-encoded UTF-8 is what clients send and works."""
    import socket
    from urllib.parse import urlsplit

    port = urlsplit(live_server).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall("GET /search?q=søg HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400")
    r = httpx.get(live_server + "/search?q=s%C3%B8g")
    assert r.status_code == 200


def test_error_messages_name_no_server_path(web_settings) -> None:
    """A domain error whose text holds the data folder's path reaches the client without it."""
    from corpus.errors import IndexMissing
    from web.app import create_app

    app = create_app(web_settings)

    @app.get("/api/boom")
    def boom() -> None:
        raise IndexMissing(f"the search index in {web_settings.index_dir}/gen-x is corrupt")

    with TestClient(app) as c:
        message = c.get("/api/boom").json()["error"]["message"]
    assert str(web_settings.data_dir) not in message and "index/gen-x" in message


@pytest.mark.parametrize(
    ("path", "status", "lead", "words"),
    [
        ("/cases/no-such-case", 404, "Der findes ingen sag med det id", ""),
        ("/organisations/nobody-at-all", 404, "Der findes ingen organisation", ""),
        ("/compare?id=indigo-poj-0901&id=nope", 404, "En af de sager, som adressen vil", ""),
        (
            "/search?q=unge+hjemløse&country=XX",
            400,
            "Et filter eller en sortering",
            "unge hjemløse",
        ),
        ("/search?q=unge&stage=finished&sort=date", 400, "Et filter eller en sortering", "unge"),
        ("/search?q=" + "x" * 1200, 422, "Søgningen er for lang: skriv højst 1000 tegn.", ""),
    ],
)
def test_error_pages_say_what_is_wrong_in_danish(
    client: TestClient, path: str, status: int, lead: str, words: str
) -> None:
    """A Danish reader is told in Danish what is wrong with the address; the server's
    English words are behind "technical details", and a bad filter leaves the reader's
    words in the search form (without the filters)."""
    r = client.get(path, headers={"accept-language": "da"})
    assert r.status_code == status
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one(".lead").get_text(strip=True).startswith(lead)
    details = soup.select_one("details.details")
    assert details.summary.get_text(strip=True) == "Tekniske detaljer (på engelsk)"
    assert details.select_one("p[lang=en]").get_text(strip=True)
    form = soup.find("form", attrs={"action": "/search"})
    assert form.find("input", attrs={"name": "q"})["value"] == words
    assert form.find_all("input", attrs={"type": "hidden"}) == []
