"""The HTTP layer against a real server on 127.0.0.1: politeness, limits, faults, cache."""

from __future__ import annotations

import pytest

from corpus.errors import SourceError
from corpus.model import Case
from corpus.settings import Settings
from ingest.fetch import (
    CSV,
    HTML,
    JSON,
    Fetcher,
    FetchError,
    HostNotAllowed,
    HostThrottle,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
    WrongContentType,
    decode_body,
    retry_after_seconds,
)

PAGE = "<html><head><title>Hello</title></head><body><p>Hej verden</p></body></html>"


class Sleeps:
    """Records every wait instead of sleeping, so retries and throttling are checkable."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", http_timeout=5.0)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def fetcher(settings, sleeps):
    with Fetcher(
        settings,
        source="test",
        allowed_hosts=["127.0.0.1"],
        min_interval=0,
        sleep=sleeps,
        throttle=HostThrottle(sleep=sleeps),
    ) as f:
        yield f


def test_fetches_a_page_with_the_casebank_user_agent(http_server, fetcher, settings):
    http_server.route("/page", PAGE)
    page = fetcher.get(http_server.url("/page"))
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "Hej verden" in page.text
    assert not page.unchanged and not page.from_cache
    agents = {r.headers.get("User-Agent") for r in http_server.requests}
    assert agents == {settings.user_agent}
    assert "casebank" in settings.user_agent


def test_errors_are_source_errors_with_url_and_reason(http_server, fetcher):
    url = http_server.url("/missing")
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(url)
    err = info.value
    assert isinstance(err, SourceError)
    assert err.url == url and err.status == 404
    assert "404" in err.reason
    assert http_server.hits("/missing") == 1  # a 404 is not retried


def test_500_is_retried_with_backoff_then_succeeds(http_server, fetcher, sleeps):
    http_server.sequence("/flaky", [{"status": 500}, {"status": 503}, {"body": PAGE}])
    page = fetcher.get(http_server.url("/flaky"))
    assert "Hej verden" in page.text
    assert http_server.hits("/flaky") == 3
    assert sleeps.calls == [1.0, 2.0]  # exponential backoff


def test_500_every_time_gives_up_after_the_retries(http_server, fetcher):
    http_server.route("/down", "oops", status=500)
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(http_server.url("/down"))
    assert info.value.status == 500
    assert http_server.hits("/down") == fetcher.retries + 1


def test_429_honours_retry_after(http_server, fetcher, sleeps):
    http_server.sequence(
        "/busy", [{"status": 429, "headers": {"Retry-After": "7"}}, {"body": PAGE}]
    )
    page = fetcher.get(http_server.url("/busy"))
    assert page.status == 200
    assert sleeps.calls == [7.0]


def test_429_asking_for_too_long_a_wait_fails_at_once(http_server, fetcher, sleeps):
    http_server.route("/busy", "", status=429, headers={"Retry-After": "86400"})
    with pytest.raises(HTTPStatusError, match="Retry-After"):
        fetcher.get(http_server.url("/busy"))
    assert http_server.hits("/busy") == 1
    assert sleeps.calls == []


def test_retry_after_as_http_date():
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("soon") is None


def test_timeout_is_a_fetch_error(http_server, settings, sleeps):
    http_server.route("/slow", PAGE, delay=1.5)
    with (
        Fetcher(
            settings,
            source="test",
            allowed_hosts=["127.0.0.1"],
            min_interval=0,
            timeout=0.2,
            retries=1,
            sleep=sleeps,
        ) as f,
        pytest.raises(FetchError, match="timed out"),
    ):
        f.get(http_server.url("/slow"))
    assert http_server.hits("/slow") == 2  # tried again once


def test_redirect_within_allowed_hosts_is_followed(http_server, fetcher):
    http_server.route("/old", status=301, headers={"Location": "/new"})
    http_server.route("/new", PAGE)
    page = fetcher.get(http_server.url("/old"))
    assert page.final_url == http_server.url("/new")
    assert page.url == http_server.url("/old")


def test_redirect_to_another_host_is_refused(http_server, fetcher):
    http_server.route("/away", status=302, headers={"Location": http_server.url("/x", "localhost")})
    with pytest.raises(HostNotAllowed, match="redirected to 'localhost'"):
        fetcher.get(http_server.url("/away"))
    assert http_server.hits("/x") == 0


def test_a_host_outside_the_list_is_refused_before_any_request(http_server, fetcher):
    with pytest.raises(HostNotAllowed):
        fetcher.get(http_server.url("/page", "localhost"))
    with pytest.raises(HostNotAllowed):
        fetcher.get("file:///etc/passwd")
    assert http_server.requests == []


def test_redirect_loop_is_cut(http_server, fetcher):
    http_server.route("/a", status=302, headers={"Location": "/b"})
    http_server.route("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirects"):
        fetcher.get(http_server.url("/a"))


def test_oversized_page_is_refused_by_content_length(http_server, settings):
    http_server.route("/big", b"x" * 5000)
    with (
        Fetcher(
            settings, source="t", allowed_hosts=["127.0.0.1"], min_interval=0, max_bytes=1000
        ) as f,
        pytest.raises(TooLarge, match="5000 bytes"),
    ):
        f.get(http_server.url("/big"))


def test_oversized_streamed_page_without_length_is_cut_off(http_server, settings):
    http_server.route("/big", b"y" * 200_000, omit_length=True)
    with (
        Fetcher(
            settings, source="t", allowed_hosts=["127.0.0.1"], min_interval=0, max_bytes=10_000
        ) as f,
        pytest.raises(TooLarge, match="exceeds the limit"),
    ):
        f.get(http_server.url("/big"))
    assert f.cached(http_server.url("/big")) is None  # nothing half-read was kept


def test_wrong_content_type_is_refused(http_server, fetcher):
    http_server.route("/file.pdf", b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(WrongContentType, match="application/pdf"):
        fetcher.get(http_server.url("/file.pdf"), accept=HTML)
    http_server.route("/data", b'{"a": 1}', content_type="application/json")
    assert fetcher.get(http_server.url("/data"), accept=JSON).json() == {"a": 1}
    http_server.route("/bare", b"a,b", content_type=None)
    with pytest.raises(WrongContentType, match="missing"):
        fetcher.get(http_server.url("/bare"), accept=CSV)


def test_invalid_json_is_a_fetch_error(http_server, fetcher):
    http_server.route("/data", b"{broken", content_type="application/json")
    page = fetcher.get(http_server.url("/data"), accept=JSON)
    with pytest.raises(FetchError, match="not valid JSON"):
        page.json()


def test_latin1_bytes_declared_as_utf8_decode_correctly(http_server, fetcher):
    body = "<html><body><p>Sociale investeringer i Århus og Næstved</p></body></html>"
    http_server.route("/l1", body.encode("latin-1"), content_type="text/html; charset=utf-8")
    assert "Århus og Næstved" in fetcher.get(http_server.url("/l1")).text


def test_utf8_bytes_declared_as_latin1_decode_correctly(http_server, fetcher):
    body = "<html><body><p>Sosiaalisen vaikuttavuuden ja Göteborg</p></body></html>"
    http_server.route("/u8", body.encode("utf-8"), content_type="text/html; charset=iso-8859-1")
    text = fetcher.get(http_server.url("/u8")).text
    assert "Göteborg" in text and "Ã" not in text


def test_charset_from_meta_tag_when_header_has_none():
    body = '<html><head><meta charset="windows-1252"></head><body>Kø</body></html>'
    assert "Kø" in decode_body(body.encode("cp1252"), None, html=True)
    assert decode_body("plain ÅÄÖ".encode(), None) == "plain ÅÄÖ"


def test_robots_txt_disallow_is_obeyed_and_cached(http_server, fetcher):
    http_server.route(
        "/robots.txt",
        "User-agent: *\nDisallow: /private/\n",
        content_type="text/plain",
    )
    http_server.route("/private/report", PAGE)
    http_server.route("/public", PAGE)
    with pytest.raises(RobotsDisallowed, match="disallows"):
        fetcher.get(http_server.url("/private/report"))
    fetcher.get(http_server.url("/public"))
    fetcher.get(http_server.url("/public"))
    assert http_server.hits("/private/report") == 0
    assert http_server.hits("/robots.txt") == 1  # read once per host


def test_robots_txt_rules_for_casebank_by_name(http_server, fetcher):
    http_server.route(
        "/robots.txt",
        "User-agent: casebank\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
        content_type="text/plain",
    )
    http_server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed):
        fetcher.get(http_server.url("/page"))


def test_robots_txt_server_error_means_keep_out(http_server, fetcher):
    http_server.route("/robots.txt", "", status=500)
    http_server.route("/page", PAGE)
    with pytest.raises(RobotsDisallowed, match="answered HTTP 500; keeping out"):
        fetcher.get(http_server.url("/page"))


def _fake_clock():
    clock = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    return HostThrottle(clock=lambda: clock[0], sleep=sleep), sleep, waits


def test_min_interval_spaces_requests_to_one_host(http_server, settings):
    http_server.route("/page", PAGE)
    throttle, sleep, waits = _fake_clock()
    with Fetcher(
        settings,
        source="t",
        allowed_hosts=["127.0.0.1"],
        min_interval=0.5,
        throttle=throttle,
        sleep=sleep,
    ) as f:
        f.get(http_server.url("/page"))
        f.get(http_server.url("/page"), conditional=False)
    # robots.txt (404: no rules) at once, then each page 0.5 s after the previous request.
    assert waits == [0.5, 0.5]


def test_crawl_delay_of_robots_txt_wins_over_a_shorter_interval(http_server, settings):
    http_server.route("/robots.txt", "User-agent: *\nCrawl-delay: 3\n", content_type="text/plain")
    http_server.route("/page", PAGE)
    throttle, sleep, waits = _fake_clock()
    with Fetcher(
        settings,
        source="t",
        allowed_hosts=["127.0.0.1"],
        min_interval=0.5,
        throttle=throttle,
        sleep=sleep,
    ) as f:
        f.get(http_server.url("/page"))
        f.get(http_server.url("/page"), conditional=False)
    assert waits == [3.0, 3.0]


def test_etag_gives_304_and_the_cached_body(http_server, fetcher):
    http_server.route("/p", PAGE, etag='"v1"')
    first = fetcher.get(http_server.url("/p"))
    second = fetcher.get(http_server.url("/p"))
    assert not first.unchanged
    assert second.unchanged and second.from_cache
    assert second.content == first.content
    assert http_server.requests[-1].headers.get("If-None-Match") == '"v1"'


def test_last_modified_gives_304(http_server, fetcher):
    stamp = "Tue, 03 Mar 2026 10:00:00 GMT"
    http_server.route("/p", PAGE, last_modified=stamp)
    fetcher.get(http_server.url("/p"))
    again = fetcher.get(http_server.url("/p"))
    assert again.unchanged
    assert http_server.requests[-1].headers.get("If-Modified-Since") == stamp


def test_same_body_without_validators_is_reported_unchanged(http_server, fetcher):
    http_server.route("/p", PAGE)
    assert not fetcher.get(http_server.url("/p")).unchanged
    again = fetcher.get(http_server.url("/p"))
    assert again.unchanged and not again.from_cache
    http_server.route("/p", PAGE.replace("Hej", "Hallo"))
    assert not fetcher.get(http_server.url("/p")).unchanged


def test_changed_page_with_new_etag_is_fetched_again(http_server, fetcher):
    http_server.route("/p", PAGE, etag='"v1"')
    fetcher.get(http_server.url("/p"))
    http_server.route("/p", PAGE.replace("Hej", "Hallo"), etag='"v2"')
    page = fetcher.get(http_server.url("/p"))
    assert not page.unchanged and "Hallo" in page.text


def test_cache_on_disk_serves_offline(http_server, settings):
    http_server.route("/p", PAGE, etag='"v1"')
    with Fetcher(settings, source="t", allowed_hosts=["127.0.0.1"], min_interval=0) as f:
        f.get(http_server.url("/p"))
    assert list((settings.cache_dir / "t").rglob("*.body"))
    http_server.close()  # no network from here on
    with Fetcher(settings, source="t", allowed_hosts=["127.0.0.1"], offline=True) as f:
        page = f.get(http_server.url("/p"))
        assert "Hej verden" in page.text and page.from_cache
        with pytest.raises(FetchError, match="offline"):
            f.get(http_server.url("/never-fetched"))
        with pytest.raises(WrongContentType, match="cached content type 'text/html'"):
            f.get(http_server.url("/p"), accept=JSON)


def test_damaged_cache_entry_is_ignored(http_server, fetcher, settings):
    http_server.route("/p", PAGE, etag='"v1"')
    fetcher.get(http_server.url("/p"))
    for body in (settings.cache_dir / "test").rglob("*.body"):
        body.write_bytes(b"torn")
    page = fetcher.get(http_server.url("/p"))
    assert "Hej verden" in page.text
    assert "If-None-Match" not in http_server.requests[-1].headers


def test_parsed_runs_the_parser_only_when_the_page_changed(http_server, fetcher):
    http_server.route("/p", PAGE, etag='"v1"')
    calls = []

    def parse(page):
        calls.append(page.url)
        return [Case(id="c1", title=page.text.split("<title>")[1].split("<")[0])]

    first = fetcher.parsed(fetcher.get(http_server.url("/p")), parse)
    second = fetcher.parsed(fetcher.get(http_server.url("/p")), parse)
    assert first == second == [Case(id="c1", title="Hello")]
    assert len(calls) == 1
    fetcher.parsed(fetcher.get(http_server.url("/p")), parse, version="2")
    assert len(calls) == 2  # a new parser version parses again


def test_parse_failure_keeps_nothing(http_server, fetcher):
    http_server.route("/p", PAGE)
    page = fetcher.get(http_server.url("/p"))

    def broken(_page):
        raise ValueError("structure changed")

    with pytest.raises(ValueError):
        fetcher.parsed(page, broken)
    assert fetcher.parsed(page, lambda _p: []) == []
