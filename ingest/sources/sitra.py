"""Finland: Sitra's SIB funds (the themed outcomes funds Sitra helped set up).

How the real site is built (sitra.fi): the project page `/hankkeet/sib-rahastot/` (in
English under `/en/projects/`) has the title in `<h1>`, a lead paragraph and headed
sections: `Mistä on kyse?` (what it is), `Mitä teemme?` (what Sitra does), `Keitä on
mukana?` (the roles: who buys the outcomes, who provides, who invests, who manages the
fund) and `Missä mennään?` (where things stand), the last with a bullet list of the themed
SIB funds, e.g. "Maahanmuuttajien työllistäminen ja kotouttaminen (Koto-SIB)", each
linking to an article about that fund. A fund's article has its name as `<h1>`, a lead,
the article text and a list of the parties with bold labels (`Tulosten ostaja:`,
`Hankehallinnoija:`, `Palveluntuottajat:`, `Sijoittajat:`, `Rahaston koko:`,
`Aloitus:`; the English pages say `Outcome payer:`, `Fund manager:` ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from corpus.model import Case, Party
from corpus.store import Store
from ingest.fetch import HTML, Fetcher, FetchError, Page
from ingest.merge import matched
from ingest.runner import Item
from ingest.sources.webpage import (
    StructureChanged,
    facts,
    indigo_id,
    parse_loose_date,
    parse_money,
    provenance,
    reject,
    require,
    section_body,
    sections,
    slugify,
    soup_of,
    source_link,
    split_names,
    text_of,
)

SOURCE = "sitra"
COMPLETE = True
DEFAULT_BASE_URL = "https://www.sitra.fi"
FUNDS_PATH = "/hankkeet/sib-rahastot/"
PARSER_VERSION = "1"
PUBLISHER = "Sitra"

_LIST_HEADINGS = re.compile(r"missä mennään|sib-hankkeet|where are we|sib funds|the funds", re.I)
_ROLES = (
    (("tulosten ostaja", "tulosten ostajat", "outcome payer", "outcome payers"), "outcome_payer"),
    (("sijoittajat", "sijoittaja", "investors", "investor"), "investor"),
    (
        ("palveluntuottajat", "palveluntuottaja", "service providers", "service provider"),
        "service_provider",
    ),
    (
        ("hankehallinnoija", "rahastonhoitaja", "fund manager", "project manager"),
        "intermediary",
    ),
    (("arvioija", "evaluator"), "evaluator"),
)
_SECTORS = (
    (
        re.compile(r"työllis|kotout|maahanmuut|employ|immigra|integrat", re.I),
        "Employment and training",
    ),
    (re.compile(r"lapset|lasten|nuor|lastensuojel|child|youth", re.I), "Child and family welfare"),
    (re.compile(r"työhyvinvoin|terveys|diabet|ikäänt|wellbeing|health|elderly", re.I), "Health"),
    (re.compile(r"ympäristö|ravinne|environment|nutrient", re.I), "Agriculture and environment"),
)


def fund_id(short_or_name: str) -> str:
    """The record (and own case) id of a fund: `sitra-<slug of its short name>`."""
    return f"{SOURCE}-{slugify(short_or_name)}"


def _short_name(text: str) -> str | None:
    """`Maahanmuuttajien ... (Koto-SIB)` -> `Koto-SIB`; a name that is itself `X-SIB` too."""
    m = re.search(r"\(([^()]*SIB[^()]*)\)", text)
    if m:
        return m.group(1).strip()
    m = re.search(r"\b([\w-]+-SIB)\b", text)
    return m.group(1) if m else None


def parse_funds(page: Page) -> list[dict[str, str | None]]:
    """The themed funds listed on the SIB page: name, short name, description, link."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    require(root.find("h1"), "the page title (h1)")
    heading = next((h for title, h in sections(root).items() if _LIST_HEADINGS.search(title)), None)
    heading = require(heading, "the section listing the SIB funds ('Missä mennään?')")
    funds = []
    for el in section_body(heading):
        for li in [el] if el.name == "li" else el.find_all("li"):
            text = text_of(li)
            if not text:
                continue
            parts = re.split(r"\s+[–—]\s+|\s+-\s+", text, maxsplit=1)
            name = parts[0].strip()
            description = parts[1].strip() if len(parts) > 1 else None
            a = li.find("a", href=True)
            funds.append(
                {
                    "name": name,
                    "short": _short_name(name),
                    "description": description,
                    "url": urljoin(page.final_url, a["href"]) if a else None,
                }
            )
    if not funds:
        raise StructureChanged("page structure changed: the SIB fund list has no items")
    return funds


def _parties(box: dict[str, str]) -> list[Party]:
    parties = []
    for labels, role in _ROLES:
        value = next((box[k] for k in labels if k in box), None)
        for name in split_names(value):
            parties.append(Party(name=name, role=role, country="FI"))  # type: ignore[arg-type]
    return parties


def _lead(h1: Tag) -> str | None:
    for p in h1.find_all_next("p"):
        text = text_of(p)
        if re.match(r"(julkaistu|päivitetty|published|updated)\b", text, re.I):
            continue  # the date line above the article
        if text and not text.endswith(":") and not p.find(["strong", "b"]):
            return text
    return None


def parse_fund_page(page: Page, fund: dict[str, str | None]) -> list[Case]:
    """A fund's article -> its case (title, lead, text, parties, size, start)."""
    soup = soup_of(page)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    h1 = require(root.find("h1"), "the fund's title (h1)")
    box = facts(root)
    parties = _parties(box)
    if not parties:
        raise StructureChanged(
            "page structure changed: no parties (e.g. 'Tulosten ostaja:', 'Sijoittajat:')"
        )
    return [_case(fund, page, text_of(h1), _lead(h1), root, box, parties)]


def _case(
    fund: dict[str, str | None],
    page: Page,
    title: str,
    lead: str | None,
    root: Tag | None,
    box: dict[str, str],
    parties: list[Party],
) -> Case:
    rid = fund_id(fund["short"] or fund["name"] or title)
    short = fund["short"]
    names = [n for n in (fund["name"], short) if n and n != title]
    article = (
        "\n\n".join(t for t in (text_of(p) for p in root.find_all(["p", "li"])) if t)
        if root is not None
        else None
    )
    start = parse_loose_date(box.get("aloitus") or box.get("start") or box.get("kesto"))
    lang = "en" if "/en/" in urlsplit(page.url).path else "fi"
    summary = lead or fund["description"]
    return Case(
        id=rid,
        external_ids=indigo_id(article or ""),
        title=title,
        alt_names=names,
        summary={lang: summary} if summary else {},
        countries=["FI"],
        sector=next((s for rx, s in _SECTORS if rx.search(f"{title} {fund['name']}")), None),
        target_population=box.get("kohderyhmä") or box.get("target group"),
        dates={"service_start": start} if start else {},
        investment=parse_money(box.get("rahaston koko") or box.get("fund size"), "EUR"),
        parties=[
            Party(
                name="Sitra",
                role="other",
                org_type="foundation",
                role_detail="adviser",
                country="FI",
            ),
            *parties,
        ],
        full_text={lang: article} if article else {},
        sources=[source_link(page, title, PUBLISHER)],
        provenance=[provenance(SOURCE, rid, page)],
    )


def _items(fetcher: Fetcher, base_url: str, funds_path: str) -> Iterator[Item]:
    url = urljoin(base_url, funds_path)
    page = fetcher.get(url, accept=HTML)
    try:
        funds = parse_funds(page)
    except StructureChanged as exc:
        raise FetchError(url, str(exc)) from None
    for fund in funds:
        link = fund["url"]
        if not link or urlsplit(link).netloc != urlsplit(page.final_url).netloc:
            # No article of its own: the list entry is all there is.
            yield _case(fund, page, fund["name"] or "", None, None, {}, [])
            continue
        try:
            fund_page = fetcher.get(link, accept=HTML)
            yield from fetcher.parsed(
                fund_page, lambda p, f=fund: parse_fund_page(p, f), version=PARSER_VERSION
            )
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            yield from reject(fetcher, link, reason, fund_id(fund["short"] or fund["name"] or link))


def items(
    fetcher: Fetcher,
    store: Store | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    funds_path: str = FUNDS_PATH,
) -> Iterable[Item]:
    """Every SIB fund on Sitra's page, matched against the cases in `store` (INDIGO's
    Finnish projects)."""
    return matched(_items(fetcher, base_url, funds_path), store, SOURCE)


def allowed_hosts(base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """The hosts this source reaches."""
    return [urlsplit(base_url).hostname or ""]
