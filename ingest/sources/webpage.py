"""Reading scraped HTML pages: the small toolkit the national-source parsers share.

Parsers call `soup_of(page)` (BeautifulSoup over the fetch layer's robust decoding, with
lxml, which repairs broken markup), pick out headed sections and label/value facts, and
raise `StructureChanged` when the elements a page is expected to have are missing, so the
source reports the page as a Reject instead of storing an empty or wrong case.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from corpus.model import Case, Link, Money, PartialDate, Provenance
from ingest.fetch import Fetcher, Page
from ingest.normalise import clean_text
from ingest.runner import Reject, record_id_of


class StructureChanged(ValueError):
    """The page lacks the elements its parser relies on: the site was probably redesigned."""


def soup_of(page: Page) -> BeautifulSoup:
    """The page parsed with lxml (which repairs unclosed and misnested tags)."""
    return BeautifulSoup(page.text, "lxml")


def text_of(node: Tag | None, sep: str = " ") -> str:
    """The visible text of a node with whitespace tidied; "" for None."""
    if node is None:
        return ""
    return clean_text(node.get_text(sep, strip=True)) or ""


def require(node: Tag | None, what: str) -> Tag:
    """`node`, or StructureChanged saying which expected element is missing."""
    if node is None:
        raise StructureChanged(f"page structure changed: {what} not found")
    return node


def slugify(text: str) -> str:
    """An ASCII slug of a name or URL segment (`Hjemløshed i Aarhus` -> `hjemloshed-i-aarhus`)."""
    text = text.casefold().translate(str.maketrans({"æ": "ae", "ø": "o", "ß": "ss"}))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def slug_of(url: str) -> str:
    """The slug of a page URL: its last path segment (or the query for `?step=6` pages)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    slug = slugify(segments[-1]) if segments else ""
    if parts.query:
        slug = f"{slug}-{slugify(parts.query)}".strip("-")
    return slug or "index"


def absolute_links(root: Tag, base_url: str, *, path_prefix: str) -> list[str]:
    """Absolute URLs of links under `root` whose path is below `path_prefix`, in page order."""
    base_host = urlsplit(base_url).netloc
    prefix = "/" + path_prefix.strip("/") + "/"
    seen: dict[str, None] = {}
    for a in root.find_all("a", href=True):
        url = urljoin(base_url, a["href"]).split("#")[0]
        parts = urlsplit(url)
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        if parts.netloc == base_host and path.startswith(prefix) and path != prefix:
            seen.setdefault(url, None)
    return list(seen)


_HEADINGS = ("h1", "h2", "h3", "h4")


def sections(root: Tag, levels: Iterable[str] = ("h2", "h3")) -> dict[str, Tag]:
    """`{heading text: heading tag}` of the headed sections under `root`."""
    out: dict[str, Tag] = {}
    for h in root.find_all(list(levels)):
        title = text_of(h).rstrip(":").strip()
        if title:
            out.setdefault(title.casefold(), h)
    return out


def section_body(heading: Tag) -> list[Tag]:
    """The elements after `heading` up to the next heading of the same or a higher level."""
    level = _HEADINGS.index(heading.name) if heading.name in _HEADINGS else 1
    body: list[Tag] = []
    for sib in heading.find_next_siblings():
        if sib.name in _HEADINGS and _HEADINGS.index(sib.name) <= level:
            break
        body.append(sib)
    return body


def section_text(heading: Tag | None) -> str | None:
    """The text of a section as paragraphs (None when there is no such section or no text)."""
    if heading is None:
        return None
    parts = [text_of(el) for el in section_body(heading)]
    return clean_text("\n\n".join(p for p in parts if p))


def section_items(heading: Tag | None) -> list[str]:
    """The list items of a section (bullets), in order."""
    if heading is None:
        return []
    items: list[str] = []
    for el in section_body(heading):
        lis = [el] if el.name == "li" else el.find_all("li")
        items.extend(t for t in (text_of(li) for li in lis) if t)
    return items


def facts(root: Tag) -> dict[str, str]:
    """Label/value pairs of a facts box, keyed by the folded label without its colon.

    Reads the shapes sites use: `<dl><dt>Label</dt><dd>value</dd>`, table rows
    `<tr><th>Label</th><td>value</td>`, a bold label starting a paragraph or list item
    (`<p><strong>Label:</strong> value</p>`, the value possibly after a `<br>`), and a
    short label element of its own followed by the value (`<h4>Varighed:</h4><p>Fem år</p>`).
    """
    out: dict[str, str] = {}

    def put(label: str, value: str) -> None:
        label = label.replace("\u2019", "'").strip().rstrip(":").strip().casefold()
        value = clean_text(value) or ""
        if label and value:
            out.setdefault(label, value)

    for dt in root.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            put(text_of(dt), text_of(dd, ", "))
    for tr in root.find_all("tr"):
        th, td = tr.find("th"), tr.find("td")
        if th is not None and td is not None:
            put(text_of(th), text_of(td, ", "))
    for strong in root.find_all(["strong", "b"]):
        parent = strong.parent
        if parent is None or parent.name not in ("p", "li", "div"):
            continue
        label = text_of(strong)
        if not label.endswith(":"):
            continue
        rest = text_of(parent)[len(text_of(strong)) :] if text_of(parent).startswith(label) else ""
        put(label, rest)
    for el in root.find_all(["h3", "h4", "h5", "h6", "p", "span"]):
        label = text_of(el)
        if not label.endswith(":") or len(label) > 40:
            continue
        value = el.find_next_sibling()
        if value is not None and not text_of(value).endswith(":"):
            put(label, text_of(value, ", "))
    return out


def split_names(text: str | None) -> list[str]:
    """Organisation names from a list written as text (`A, B og C`, one per line ...)."""
    if not text:
        return []
    # "Social- og Boligministeriet", "Työ- ja elinkeinoministeriö": a hyphen before the
    # conjunction makes it part of one name.
    parts = re.split(r"\s*(?:[,;\n•]|(?<!-)\s(?:og|och|and|ja|sekä|&)\s)\s*", text)
    return [p.strip(" .") for p in parts if p and p.strip(" .")]


# -- money ------------------------------------------------------------------------------

_CURRENCY_WORDS = (
    (re.compile(r"£|\bgbp\b|\bpounds?\b", re.I), "GBP"),
    (re.compile(r"\$|\busd\b|\bdollars?\b", re.I), "USD"),
    (re.compile(r"€|\beur\b|\beuro", re.I), "EUR"),
    (re.compile(r"\bsek\b|\bkronor\b|\bmkr\b|\btkr\b", re.I), "SEK"),
    (re.compile(r"\bdkk\b|\bkroner\b|\bkr\b\.?", re.I), "DKK"),
)
_MULTIPLIERS = (
    (re.compile(r"\b(?:billion|bn|mia|mrd|miljard(?:er)?|miljardia)\b", re.I), 1e9),
    (
        re.compile(
            r"\b(?:million|millions|m|mio|mill|mn|miljoner|miljon|millioner|miljoonaa|milj|mkr)\b",
            re.I,
        ),
        1e6,
    ),
    (re.compile(r"\b(?:thousand|k|tusind|tusen|tuhatta|tkr)\b", re.I), 1e3),
)
_NUMBER = re.compile(r"\d[\d.,\u00a0 ]*\d|\d")
_ENGLISH = {"GBP", "USD"}


def _number(raw: str, english: bool) -> float:
    raw = re.sub(r"[\u00a0 ]", "", raw)
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif "," in raw:
        grouped = re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw)
        decimal = "" if (grouped and english) else ","
    elif "." in raw:
        grouped = re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw)
        decimal = "" if (grouped and not english) else "."
    else:
        decimal = ""
    thousands = {",": ".", ".": ",", "": ",."}[decimal]
    for ch in thousands:
        raw = raw.replace(ch, "")
    return float(raw.replace(",", ".")) if decimal else float(raw)


def parse_money(text: str | None, default_currency: str | None = None) -> Money | None:
    """An amount from text like `23,2 mio. kr.`, `£1,181,570`, `$21.76 million`.

    The currency comes from a symbol or word, else `default_currency`; Nordic texts use a
    decimal comma, English ones a thousands comma. None when the text names no amount.
    """
    if not text:
        return None
    m = _NUMBER.search(text)
    if not m:
        return None
    currency = next((code for rx, code in _CURRENCY_WORDS if rx.search(text)), default_currency)
    if currency == "DKK" and default_currency == "SEK":
        currency = "SEK"  # "kr" alone is the local krona
    value = _number(m.group(0), english=(currency or default_currency) in _ENGLISH)
    tail = text[m.end() : m.end() + 20]
    factor = next((f for rx, f in _MULTIPLIERS if rx.match(tail.strip())), 1.0)
    amount = round(value * factor, 2)
    return Money(currency=currency, amount=amount)


# -- provenance -------------------------------------------------------------------------


def provenance(source: str, record_id: str, page: Page) -> Provenance:
    """Where a record came from: the page URL, when it was fetched and its body hash."""
    return Provenance(
        source=source,
        record_id=record_id,
        url=page.url,
        fetched_at=page.fetched_at,
        content_hash=page.content_hash,
    )


def source_link(page: Page, title: str, publisher: str) -> Link:
    """The page as a cited source of a case."""
    return Link(url=page.url, title=title, kind="web page", publisher=publisher)


_INDIGO_ID = re.compile(r"\bINDIGO-POJ-\d{4}\b")


def indigo_id(text: str) -> dict[str, str]:
    """`{"indigo": id}` when a page names an INDIGO project id, else `{}`."""
    m = _INDIGO_ID.search(text)
    return {"indigo": m.group(0)} if m else {}


_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan", "januar", "januari", "tammikuu"),
            ("february", "feb", "februar", "februari", "helmikuu"),
            ("march", "mar", "marts", "mars", "maaliskuu"),
            ("april", "apr", "huhtikuu"),
            ("may", "maj", "toukokuu"),
            ("june", "jun", "juni", "kesäkuu"),
            ("july", "jul", "juli", "heinäkuu"),
            ("august", "aug", "augusti", "elokuu"),
            ("september", "sep", "sept", "syyskuu"),
            ("october", "oct", "oktober", "lokakuu"),
            ("november", "nov", "marraskuu"),
            ("december", "dec", "december", "joulukuu"),
        ),
        start=1,
    )
    for name in names
}


def parse_loose_date(text: str | None) -> PartialDate | None:
    """A date written for people: `October 2014`, `2014-10-01`, `10/2014`, `hösten 2016`.

    Keeps what is certain: the year, and the month when it is named or numbered.
    """
    if not text:
        return None
    m = re.search(r"\b(20\d\d|19\d\d)-(\d\d)(?:-(\d\d))?\b", text)
    if m:
        return PartialDate.parse(m.group(0))
    m = re.search(r"\b(\d{1,2})/(?:\d{1,2}/)?((?:19|20)\d\d)\b", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return PartialDate.parse(f"{m.group(2)}-{int(m.group(1)):02d}")
    year = re.search(r"\b((?:19|20)\d\d)\b", text)
    if not year:
        return None
    for word in re.findall(r"[^\W\d_]+", text.casefold()):
        month = _MONTHS.get(word.rstrip("."))
        if month:
            return PartialDate.parse(f"{year.group(1)}-{month:02d}")
    return PartialDate.parse(year.group(1))


def reject(fetcher: Fetcher, url: str, reason: str, fallback_id: str) -> list[Reject]:
    """Rejects for a page that failed, naming the records it gave last time so they are kept.

    The records of a page are those of its last good parse (kept by the fetch layer); a
    page never parsed before names `fallback_id`, the id it would have had.
    """
    try:
        kept = json.loads(fetcher.cache.parsed_path(url).read_text("utf-8"))["cases"]
        ids = [record_id_of(Case.model_validate(c)) for c in kept]
    except (OSError, ValueError, KeyError, TypeError):
        ids = []
    return [Reject(url, reason, record_id=rid) for rid in ids or [fallback_id]]
