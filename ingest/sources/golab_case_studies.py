"""GO Lab case studies: the full text of the case-study pages INDIGO projects link to.

INDIGO's documents and sources lists link some projects to a case study in GO Lab's
knowledge bank (`https://golab.bsg.ox.ac.uk/knowledge-bank/case-studies/<slug>/`). This
source finds those links in the store (so it runs after the INDIGO sources), fetches each
page once however many projects link to it, and stores, for each linking project, a
record with the project's INDIGO id whose `full_text["en"]` is the case study's text; the
store merges it into the INDIGO case. The record ranks below INDIGO's own record
(`corpus.merge.SOURCE_RANK`), so it adds the text and changes nothing INDIGO says.

A case-study page, as GO Lab builds it: a hero with tags (instrument, policy area,
country), the location and reading time, the title (`h1`), "Last updated: 11 Jan 2022"
and an introduction; a facts panel (project location, aligned SDGs, target population,
dates, capital raised); then the body in sections headed by `h2` ("The challenge", ...).
The text kept is the title line, the introduction, the target population and every
section with its heading, in page order; navigation, scripts, icons, share links and
"related content" are left out.

What goes wrong, and what happens:
- a page without a title or without headed sections (a redesign, a page now rendered by
  JavaScript): a `Reject` saying the structure changed, for each linking project; the
  text stored before is kept, nothing new is stored;
- a page that cannot be fetched (timeout, 5xx, robots.txt, wrong content type, too
  large): a `Reject` per linking project with the reason; the stored text is kept;
- a page that is gone (404, 410), or no project links to it any more: its records are
  removed (the source is complete), so the cases lose that text.
An unchanged page (304 or same content) is not parsed again (`Fetcher.parsed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from bs4 import Tag

from corpus.errors import SourceError
from corpus.model import Case, Provenance, case_id_for_indigo
from corpus.store import Store
from ingest.context import SourceContext
from ingest.fetch import HTML, HTTPStatusError, Page
from ingest.normalise import clean_text
from ingest.runner import Gone, Item
from ingest.sources.webpage import (
    PAGE_ERRORS,
    StructureChanged,
    rejects_for,
    require,
    soup_of,
)

SOURCE = "golab-case-studies"
COMPLETE = True
#: Bump when the parser changes, so pages kept as parsed are parsed again.
PARSER_VERSION = "1"
DEFAULT_BASE_URL = "https://golab.bsg.ox.ac.uk"
#: Hosts whose case-study links count (the site has been served from a Heroku name too).
LINK_HOSTS = ("golab.bsg.ox.ac.uk", "www.golab.bsg.ox.ac.uk", "golab-bsg.herokuapp.com")
CASE_STUDY_PATH = re.compile(r"^/knowledge-bank/case-studies/([a-z0-9][a-z0-9-]*)/?$", re.I)

_DROP = ("script", "style", "svg", "noscript", "template", "iframe", "form", "button", "nav")
_DROP_CLASSES = re.compile(r"share|social|related|breadcrumb|newsletter|cookie", re.I)
_BLOCKS = ("h2", "h3", "h4", "p", "li", "blockquote", "dd")
_HEADINGS = ("h2", "h3", "h4")
_UPDATED = re.compile(r"Last updated:?\s*(\d{1,2}\s+[A-Za-z]{3,9}\s+\d{4})", re.I)
#: Facts-panel labels that carry no text of their own on the page (a map, SDG icons).
_EMPTY_LABELS = {"project location", "aligned sdgs"}


def case_study_path(url: str | None) -> str | None:
    """The canonical path of a GO Lab case-study URL (`/knowledge-bank/case-studies/x/`),
    or None for any other URL (resources, PDFs, blogs, other sites)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if (parts.hostname or "").lower() not in LINK_HOSTS:
        return None
    m = CASE_STUDY_PATH.match(parts.path)
    return f"/knowledge-bank/case-studies/{m.group(1).lower()}/" if m else None


def linked_case_studies(store: Store) -> dict[str, list[str]]:
    """`{case-study path: [INDIGO ids of the cases linking to it]}` from the store."""
    out: dict[str, list[str]] = {}
    for case in store.iter_cases():
        indigo_id = case.external_ids.get("indigo")
        if not indigo_id:
            continue
        for link in [*case.documents, *case.sources]:
            path = case_study_path(link.url)
            if path and indigo_id not in out.setdefault(path, []):
                out[path].append(indigo_id)
    return out


# -- parsing one page ------------------------------------------------------------------------


_CONTAINERS = frozenset({*_BLOCKS, "h1", "dt", "div", "ul", "ol", "section", "article", "table"})


def _own_text(tag: Tag) -> str:
    """A tag's text without that of blocks nested in it (broken markup nests paragraphs and
    headings inside headings or unclosed inline tags)."""
    parts = []
    for string in tag.find_all(string=True):
        block = next((p for p in string.parents if p.name in _CONTAINERS), None)
        if block is tag:
            parts.append(str(string))
    return clean_text(" ".join(parts)) or ""


def _updated(root: Tag) -> str | None:
    m = _UPDATED.search(root.get_text(" "))
    if not m:
        return None
    for fmt in ("%d %b %Y", "%d %B %Y"):
        try:
            return datetime.strptime(" ".join(m.group(1).split()), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def parse_case_study(page: Page) -> list[Case]:
    """The case study on `page` as one case (id `golab-<slug>`): title and full text.

    Raises StructureChanged when the title or the headed sections are missing.
    """
    soup = soup_of(page)
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        if tag.find("h1") is None:  # the site's header and footer, not an article's header
            tag.decompose()
    for tag in soup.find_all(class_=_DROP_CLASSES):
        tag.decompose()
    root = soup.find("main") or soup.body or soup
    h1 = require(root.find("h1"), "the case study's title (h1)")
    title = _own_text(h1)
    if not title:
        raise StructureChanged("page structure changed: the title (h1) is empty")
    updated = _updated(root)
    order = {id(el): n for n, el in enumerate(root.descendants)}
    start = order[id(h1)]
    lines: list[str] = []
    headings = 0
    for el in root.find_all(_BLOCKS):
        if order[id(el)] < start or el.find_parent(["li", "blockquote", "dd"]) is not None:
            continue
        if el.name in _HEADINGS:
            text = _own_text(el)
            if not text or text.casefold() in _EMPTY_LABELS:
                continue
            if el.name == "h2":
                headings += 1
            lines.append(f"\n{text}\n")
            continue
        text = _own_text(el) if el.name == "p" else clean_text(el.get_text(" ")) or ""
        if not text or _UPDATED.fullmatch(text.strip()):
            continue
        if el.name == "dd":
            label = el.find_previous_sibling("dt")
            text = f"{_own_text(label)}: {text}" if label is not None else text
        lines.append(f"- {text}" if el.name == "li" else text)
    # Drop headings that nothing follows (a facts label whose value is a map or an icon).
    kept = [
        line
        for n, line in enumerate(lines)
        if not line.startswith("\n") or (n + 1 < len(lines) and not lines[n + 1].startswith("\n"))
    ]
    body = clean_text("\n".join(kept)) or ""
    if headings < 2 or len(body) < 200:
        raise StructureChanged(
            "page structure changed: expected the case study's sections (h2 headings with "
            f"text) after the title, found {headings} heading(s) and {len(body)} characters"
        )
    first = f"GO Lab case study: {title}" + (f" (last updated {updated})" if updated else "")
    slug = CASE_STUDY_PATH.match(urlsplit(page.url).path)
    key = slug.group(1).lower() if slug else "page"
    return [
        Case(
            id=f"golab-{key}",
            title=title,
            full_text={"en": f"{first}\n\n{body}"},
        )
    ]


# -- the source ------------------------------------------------------------------------------


def _attach(study: Case, indigo_id: str, page: Page) -> Case:
    """The case study as the record of one INDIGO project."""
    return study.model_copy(
        update={
            "id": case_id_for_indigo(indigo_id),
            "external_ids": {"indigo": indigo_id},
            "provenance": [
                Provenance(
                    source=SOURCE,
                    record_id=indigo_id,
                    url=page.url,
                    fetched_at=page.fetched_at,
                    content_hash=page.content_hash,
                )
            ],
        }
    )


def items(ctx: SourceContext) -> Iterator[Item]:
    """For each case-study page linked from an INDIGO project in the store, one record per
    linking project with the page's full text (see the module docstring for failures).

    Option `base_url` is where the pages are fetched from (GO Lab's own site by default).
    """
    base = str(ctx.option("base_url", DEFAULT_BASE_URL)).rstrip("/")
    linked = sorted(linked_case_studies(ctx.store).items())
    answered = 0
    last_reason = ""
    for path, indigo_ids in linked:
        url = base + path
        try:
            page = ctx.fetcher.get(url, accept=HTML)
            studies = ctx.fetcher.parsed(page, parse_case_study, version=PARSER_VERSION)
        except PAGE_ERRORS as exc:
            if isinstance(exc, HTTPStatusError) and exc.status in (404, 410):
                for iid in indigo_ids:
                    yield Gone(iid, f"case study {url} answered {exc.status}")
                answered += 1
            else:
                rejected = rejects_for(exc, where=url, record_ids=indigo_ids)
                last_reason = rejected[0].reason
                yield from rejected
            continue
        answered += 1
        for study in studies:
            for iid in indigo_ids:
                yield _attach(study, iid, page)
    if linked and not answered:
        # Not one page answered: the site is down or blocks us. Failing the run keeps the
        # stored texts and shows the source as failed, not as updated.
        raise SourceError(f"no case-study page could be fetched ({last_reason})")
