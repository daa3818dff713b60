"""Sweden: Norrköping's social investment fund and Sweden's first social outcomes contract.

How the real site is built (norrkoping.se, a Sitevision site): the fund's page
`/organisation/ekonomi/norrkopings-sociala-investeringsfond` is a step guide ("Översikt -
Steg 6 av 6"), one step per `?step=N`. Each step has the page title `<h1>` and a numbered
`<h2>` ("6. Socialt utfallskontrakt") followed by paragraphs. The outcomes-contract step
names the partners in its first sentence ("Norrköpings kommun, Leksell Social Ventures,
... har tillsammans utvecklat Sveriges första social impact bond"), then the aims, then the
timeline ("Beslut fattades under våren 2016 ... hösten 2016, då insatsen ... förväntas
starta"). The fund's overview step lists the investments granted from the fund under a
heading `Beviljade sociala investeringar`, one list item per investment.

The contract is one case (the municipality pays for outcomes, Leksell Social Ventures
invests). Each granted investment is a case too: the municipality investing from its own
fund, which is the model Danish municipal funds follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from urllib.parse import urljoin, urlsplit

from corpus.model import Case, PartialDate, Party, Place
from corpus.store import Store
from ingest.fetch import HTML, Fetcher, FetchError, Page
from ingest.merge import matched
from ingest.runner import Item
from ingest.sources.webpage import (
    StructureChanged,
    indigo_id,
    provenance,
    reject,
    require,
    section_body,
    section_items,
    sections,
    slugify,
    soup_of,
    source_link,
    split_names,
    text_of,
)

SOURCE = "norrkoping"
COMPLETE = True
DEFAULT_BASE_URL = "https://www.norrkoping.se"
FUND_PATH = "/organisation/ekonomi/norrkopings-sociala-investeringsfond"
CONTRACT_STEP = "6"
PARSER_VERSION = "1"
PUBLISHER = "Norrköpings kommun"
MUNICIPALITY = "Norrköpings kommun"
FUND = "Norrköpings sociala investeringsfond"
CONTRACT_ID = f"{SOURCE}-socialt-utfallskontrakt"

_PARTNERS = re.compile(r"^(?P<names>.+?)\s+har\s+tillsammans\s+(?:utvecklat|tagit fram)", re.I)
_DECIDED = re.compile(r"beslut\s+fattades[^.]*?\b((?:19|20)\d\d)\b", re.I)
_STARTS = re.compile(r"\b((?:19|20)\d\d)\b[^.]*?\b(?:starta|startar|startade|inleddes)\b", re.I)
# In the order they decide: "Unga till arbete" is about work, "skolnärvaro" about school.
_SECTORS = (
    (re.compile(r"skol|utbildning", re.I), "Education"),
    (re.compile(r"arbete|syssels|försörj", re.I), "Employment and training"),
    (re.compile(r"placer|barn|unga|famil|HVB", re.I), "Child and family welfare"),
    (re.compile(r"hälsa|psykisk", re.I), "Health"),
)


def _role(name: str) -> tuple[str, str]:
    """Role and organisation type of a named partner of the contract."""
    if re.search(r"kommun|region|landsting", name, re.I):
        return "outcome_payer", "government"
    if re.search(r"ventures|invest|kapital|fond|capital", name, re.I):
        return "investor", "company"
    if re.search(r"SKL|Sveriges Kommuner", name):
        return "intermediary", "government"
    return "intermediary", "unknown"


def parse_contract(page: Page) -> list[Case]:
    """The outcomes-contract step -> its case."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    require(root.find("h1"), "the page title (h1)")
    heading = next(
        (h for title, h in sections(root, ("h2", "h3")).items() if "utfallskontrakt" in title),
        None,
    )
    heading = require(heading, "the 'Socialt utfallskontrakt' section")
    paragraphs = [text_of(el) for el in section_body(heading) if el.name == "p"]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise StructureChanged("page structure changed: the contract section has no text")
    text = "\n\n".join(paragraphs)
    m = _PARTNERS.search(paragraphs[0])
    names = split_names(m.group("names")) if m else [MUNICIPALITY]
    parties = []
    for name in names:
        role, org_type = _role(name)
        parties.append(Party(name=name, role=role, org_type=org_type, country="SE"))  # type: ignore[arg-type]
    decided, starts = _DECIDED.search(text), _STARTS.search(text)
    dates = {}
    if decided:
        dates["contract_signed"] = PartialDate.parse(decided.group(1))
    if starts:
        dates["service_start"] = PartialDate.parse(starts.group(1))
    aims = next((p for p in paragraphs if re.search(r"målet|syftet", p, re.I)), None)
    title_part = re.sub(r"^\d+\.\s*", "", text_of(heading))
    alt = ["Team Nystart"] if "Team Nystart" in soup.get_text() else []
    return [
        Case(
            id=CONTRACT_ID,
            external_ids=indigo_id(text),
            title=f"{title_part} i {MUNICIPALITY}",
            alt_names=alt,
            summary={"sv": paragraphs[0]},
            countries=["SE"],
            places=[Place(name="Norrköping", country="SE")],
            sector="Child and family welfare" if re.search(r"placer", text, re.I) else None,
            stage="complete" if re.search(r"slutrapport|avslutat", text, re.I) else "unknown",
            intervention=aims,
            target_population=(
                "Placerade barn och unga" if re.search(r"placerade barn", text, re.I) else None
            ),
            dates=dates,
            parties=parties,
            full_text={"sv": text},
            sources=[source_link(page, text_of(heading), PUBLISHER)],
            provenance=[provenance(SOURCE, CONTRACT_ID, page)],
        )
    ]


def parse_granted(page: Page) -> list[Case]:
    """The fund's overview -> one case per granted investment."""
    soup = soup_of(page)
    root = soup.find("main") or soup.body or soup
    require(root.find("h1"), "the page title (h1)")
    heading = next(
        (h for title, h in sections(root, ("h2", "h3")).items() if "beviljade" in title), None
    )
    entries = section_items(require(heading, "the 'Beviljade sociala investeringar' section"))
    if not entries:
        raise StructureChanged("page structure changed: no granted investments listed")
    cases = []
    for entry in entries:
        parts = re.split(r"\s+[–—]\s+|\s+-\s+|:\s+", entry, maxsplit=1)
        name = parts[0].strip()
        description = parts[1].strip() if len(parts) > 1 else None
        rid = f"{SOURCE}-{slugify(name)}"
        cases.append(
            Case(
                id=rid,
                title=name,
                summary={"sv": description} if description else {},
                countries=["SE"],
                places=[Place(name="Norrköping", country="SE")],
                sector=next((s for rx, s in _SECTORS if rx.search(entry)), None),
                parties=[
                    Party(name=FUND, role="investor", org_type="government", country="SE"),
                    Party(
                        name=MUNICIPALITY,
                        role="service_provider",
                        org_type="government",
                        country="SE",
                    ),
                ],
                notes=(
                    "Intern social investering ur Norrköpings sociala investeringsfond: "
                    "kommunen investerar i sin egen verksamhet, utan extern investerare."
                ),
                sources=[source_link(page, text_of(heading), PUBLISHER)],
                provenance=[provenance(SOURCE, rid, page)],
            )
        )
    return cases


def _items(fetcher: Fetcher, base_url: str, fund_path: str, contract_step: str) -> Iterator[Item]:
    overview = urljoin(base_url, fund_path)
    contract = f"{overview}?step={contract_step}"
    for url, parse, fallback in (
        (contract, parse_contract, CONTRACT_ID),
        (overview, parse_granted, f"{SOURCE}-granted"),
    ):
        try:
            page = fetcher.get(url, accept=HTML)
            yield from fetcher.parsed(page, parse, version=PARSER_VERSION)
        except (FetchError, StructureChanged) as exc:
            reason = exc.reason if isinstance(exc, FetchError) else str(exc)
            yield from reject(fetcher, url, reason, fallback)


def items(
    fetcher: Fetcher,
    store: Store | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
    fund_path: str = FUND_PATH,
    contract_step: str = CONTRACT_STEP,
) -> Iterable[Item]:
    """The outcomes contract and the fund's granted investments, matched against `store`."""
    return matched(_items(fetcher, base_url, fund_path, str(contract_step)), store, SOURCE)


def allowed_hosts(base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """The hosts this source reaches."""
    return [urlsplit(base_url).hostname or ""]
