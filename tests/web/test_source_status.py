"""Honest source status on the pages: a source whose latest run failed shows as failed
with its last success (or "never"), and /about lists the watched pages to review."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from corpus.model import Case
from corpus.settings import Settings
from corpus.store import Store
from web.app import create_app


def _run(store: Store, source: str, status: str, finished: str) -> None:
    store.save_run(
        {"source": source, "finished_at": finished, "status": status, "message": "HTTP 503"}
    )


def _client(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path / "data")
    store = Store(settings.db_path)
    with store.transaction():  # the home page lists sources once the store holds cases
        store.upsert_record(Case(id="dk-x", title="A case", countries=["DK"]), "corpus")
    _run(store, "dsi", "ok", "2026-11-20T06:00:00+00:00")
    _run(store, "dsi", "failed", "2026-12-01T06:00:00+00:00")  # down today
    _run(store, "nff", "failed", "2026-12-01T06:05:00+00:00")  # never worked
    _run(store, "corpus", "ok", "2026-12-01T05:00:00+00:00")
    store.save_watched_page(
        {
            "source": "dsi",
            "url": "https://dsi.dk/dsi/vores-investeringer/tidlig-indsats-mod-skolefravaer/",
            "title": "Tidlig indsats mod skolefravær",
            "text_hash": "b",
            "cases": [],
            "status": "ok",
            "first_seen": "2026-11-20T06:00:00+00:00",
            "review": "new",
            "review_reason": "a page the site lists that no curated case cites",
        }
    )
    store.close()
    return TestClient(create_app(settings), raise_server_exceptions=False)


def _text(client: TestClient, path: str) -> BeautifulSoup:
    r = client.get(path, headers={"accept-language": "en"})
    assert r.status_code == 200
    return BeautifulSoup(r.text, "lxml")


def test_home_shows_a_failed_source_as_failed_never_as_updated_today(tmp_path):
    with _client(tmp_path) as client:
        soup = _text(client, "/")
    rows = {
        li.find("span").get_text(strip=True): li.get_text(" ", strip=True)
        for li in soup.select("ul.counts li")
    }
    dsi = next(v for k, v in rows.items() if "DSI" in k or "dsi" in k.lower() or "Sociale" in k)
    assert "failed" in dsi and "Nov 20, 2026" in dsi and "Dec 1, 2026" not in dsi
    nff = next(v for k, v in rows.items() if "nff" in k.lower() or "Nonprofit" in k)
    assert "failed" in nff and "never updated" in nff


def test_about_marks_failed_sources_and_lists_pages_to_review(tmp_path):
    with _client(tmp_path) as client:
        soup = _text(client, "/about")
    cells = [tr.get_text(" ", strip=True) for tr in soup.select("table tbody tr")]
    # Danish time: the run of 06:00 UTC ended at 07:00 in Copenhagen.
    dsi = next(c for c in cells if "Nov 20, 2026 07:00" in c)
    assert "failed" in dsi
    review = soup.select("ul.review-items li")
    assert len(review) == 1
    assert review[0].find("a")["href"].endswith("/tidlig-indsats-mod-skolefravaer/")
    assert review[0].get_text(" ", strip=True).startswith("new")
