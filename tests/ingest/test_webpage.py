"""The page toolkit: `require` names what a redesign removed; `rejects_for` is the one way a
failed page becomes rejects, keeping the records it stands for."""

import pytest
from bs4 import BeautifulSoup

from ingest.fetch import HTTPStatusError, RobotsDisallowed
from ingest.sources.webpage import StructureChanged, rejects_for, require


def test_require_names_what_is_missing():
    root = BeautifulSoup("<main><p>no title here</p></main>", "lxml")
    with pytest.raises(StructureChanged, match="the title \\(h1\\) not found"):
        require(root.find("h1"), "the title (h1)")
    assert require(root.find("p"), "a paragraph").get_text() == "no title here"


def test_a_fetch_failure_becomes_one_reject_per_record_it_stands_for():
    exc = HTTPStatusError("http://127.0.0.1:9/x", 503, "HTTP 503 Service Unavailable")
    rejects = rejects_for(exc, record_ids=["INDIGO-POJ-0001", "INDIGO-POJ-0002"])
    assert [(r.where, r.reason, r.record_id) for r in rejects] == [
        (
            "http://127.0.0.1:9/x (for INDIGO-POJ-0001)",
            "HTTP 503 Service Unavailable",
            "INDIGO-POJ-0001",
        ),
        (
            "http://127.0.0.1:9/x (for INDIGO-POJ-0002)",
            "HTTP 503 Service Unavailable",
            "INDIGO-POJ-0002",
        ),
    ]


def test_a_page_standing_for_no_record_is_one_reject_in_the_fetch_layers_words():
    exc = RobotsDisallowed("http://127.0.0.1:9/y", "robots.txt of http://127.0.0.1:9 disallows it")
    (reject,) = rejects_for(exc, where="https://www.gov.uk/y")
    assert reject.where == "https://www.gov.uk/y" and reject.record_id is None
    assert reject.reason == "robots.txt of http://127.0.0.1:9 disallows it"
    changed = StructureChanged("page structure changed: the title (h1) not found")
    (reject,) = rejects_for(changed, where="http://127.0.0.1:9/z", record_ids=["r1"])
    assert reject.reason == str(changed) and reject.record_id == "r1"
