"""Merge the source records of one case into the single case that search and web show.

Sources are ranked: curated files first (written by people, in Danish and English), then
national pages, then INDIGO. A scalar field takes the first non-empty value by rank; a
list field takes the union, without duplicates, in rank order; parties are taken per role
from the best source that names any; outcome metrics, places and sources that two
sources both list (a curated metric and its INDIGO copy, "Aarhus Municipality" and
"Aarhus", a URL with and without `www.`) are kept once. The provider and investor
models are then settled by `corpus.provider_models` unless a curated record fixed them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from rapidfuzz import fuzz

from corpus.countries import english_names
from corpus.model import ROLES, Case, OutcomeMetric, Party, Place
from corpus.provider_models import model_fixed

#: Lower rank wins. Unlisted sources (new scrapers) sit between curated files and INDIGO.
#: GO Lab case studies only attach their full text to INDIGO cases, so they rank last.
SOURCE_RANK = {"corpus": 0, "overrides": 0, "indigo": 90, "golab-case-studies": 95}
DEFAULT_RANK = 50

_SCALARS = (
    "title",
    "sector",
    "social_challenge",
    "intervention",
    "target_population",
    "cohort_target",
    "cohort_actual",
    "investment",
    "max_outcome_payment",
    "outcome_payments_made",
    "notes",
    "provider_selection",
)

#: Per-language text maps: merged key by key, the better source winning.
_I18N = ("title_i18n", "social_challenge_i18n", "intervention_i18n", "target_population_i18n")


def source_rank(source: str) -> int:
    """Rank of a source name: lower is more trusted."""
    return SOURCE_RANK.get(source, DEFAULT_RANK)


def _merge_parties(ordered: list[Case]) -> list[Party]:
    """Parties per role from the best source that names any in that role.

    Sources name organisations differently ("Den Sociale Investeringsfond" and "... (The
    Danish Social Investment Fund)"), so mixing two sources' lists for one role lists the
    same organisation twice, and a curated correction (who really delivered) would sit
    beside the error it corrects. Within the chosen list, a party repeated by folded name
    or organisation id is kept once.
    """
    out: list[Party] = []
    for role in ROLES:
        best = next((c for c in ordered if c.parties_by_role(role)), None)
        if best is None:
            continue
        seen: set[tuple] = set()
        for party in best.parties_by_role(role):
            keys = {("name", " ".join(party.name.casefold().split()))}
            if party.organisation_id:
                keys.add(("id", party.organisation_id))
            if keys & seen:
                continue
            seen |= keys
            out.append(party)
    return out


def url_key(url: str | None) -> str:
    """A URL folded so that http/https, `www.` and a trailing slash name the same page."""
    text = (url or "").strip().casefold()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    return text.rstrip("/")


def _key_link(link: Any) -> tuple:
    return (url_key(link.url), (link.title or "").casefold() if not link.url else "")


#: Definitions this similar (rapidfuzz token-set ratio, 0-100) name the same outcome.
METRIC_SIMILARITY = 88
_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+")


def _fold(text: str | None) -> str:
    return _WS.sub(" ", re.sub(r"[^\w ]+", " ", (text or "").casefold())).strip()


def _same_metric(a: OutcomeMetric, b: OutcomeMetric) -> bool:
    """Whether two sources' metrics are one outcome: same id, or (nearly) same definition."""
    if a.id and b.id and a.id == b.id:
        return True
    da, db = _fold(a.definition), _fold(b.definition)
    if not da or not db:
        return False
    if da == db:
        return True
    # "at 6 months" and "at 12 months" are two outcomes however alike the words are.
    if set(_NUMBER.findall(da)) != set(_NUMBER.findall(db)):
        return False
    if min(len(da), len(db)) >= 20 and (da in db or db in da):
        return True
    return fuzz.token_set_ratio(da, db) >= METRIC_SIMILARITY


def _merge_metrics(lists: Iterable[list[OutcomeMetric]]) -> list[OutcomeMetric]:
    """One metric per outcome: the best source's list, completed by the others' copies.

    The best source that lists metrics gives the list (as for parties, results and
    payments): a curated file words INDIGO's metrics in its own way and often groups
    INDIGO's per-cohort rows, so taking both lists shows each outcome twice. A metric of a
    lower source that is the same outcome (same id, or nearly the same definition) fills
    the empty fields of the kept one and joins its texts and source references; the
    others stay in that source's record in the store (and its project page, cited).
    """
    out: list[OutcomeMetric] = []
    for items in lists:
        # Within one source only exact repeats are one metric; alike ones are compared
        # with what the better sources already gave.
        before = len(out)
        for m in items:
            folded = _fold(m.definition)
            same = next(
                (
                    i
                    for i, kept in enumerate(out)
                    if (_same_metric(kept, m) if i < before else _fold(kept.definition) == folded)
                ),
                None,
            )
            if same is None:
                if before == 0:  # the best source's own list
                    out.append(m)
                continue
            kept = out[same]
            update: dict[str, Any] = {
                name: getattr(m, name)
                for name in (
                    "id",
                    "target_population",
                    "target",
                    "validation_method",
                    "data_source",
                    "price",
                    "price_description",
                )
                if getattr(kept, name) in (None, "") and getattr(m, name) not in (None, "")
            }
            # INDIGO often repeats the definition as the target: that is no target.
            if "target" in update and _fold(update["target"]) == _fold(m.definition):
                del update["target"]
            for name in (
                "definition_i18n",
                "target_population_i18n",
                "target_i18n",
                "price_description_i18n",
            ):
                update[name] = {**getattr(m, name), **getattr(kept, name)}
            update["source_refs"] = list(dict.fromkeys([*kept.source_refs, *m.source_refs]))
            out[same] = kept.model_copy(update=update)
    return out


#: Words that name the kind of place, not the place ("Aarhus Municipality" is Aarhus).
_PLACE_WORDS = re.compile(
    r"\b(municipality|municipal|kommune|kommun|kunta|kaupunki|city of|city|council|"
    r"county|borough|district|region|regionen|of)\b"
)


@cache
def _country_names() -> dict[str, str]:
    """English country names, folded, by ISO code."""
    return {code: _fold(name) for code, name in english_names().items()}


#: Letters whose ASCII spelling is two letters (Brøndby is spelt Broendby).
_ASCII_SPELLING = str.maketrans({"ø": "oe", "æ": "ae", "å": "aa", "ä": "ae", "ö": "oe", "ü": "ue"})
_SPELT_AS = re.compile(r"(?P<name>[^()]+?)\s*\((?P<spelt>[^()]+)\)")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_SPELLING))
    return decomposed.encode("ascii", "ignore").decode()


def _without_spelling(name: str | None) -> str | None:
    """A place's name without a parenthesis that only spells it in ASCII letters
    ("Brøndby (Broendby)", INDIGO's, beside the curated "Brøndby Kommune"); a place
    may have no name (coordinates or an area only)."""
    m = _SPELT_AS.fullmatch(name.strip()) if name else None
    if m and _ascii(_fold(m["name"])) == _fold(m["spelt"]):
        return m["name"]
    return name


def _place_key(p: Place) -> tuple:
    folded = _fold(_without_spelling(p.name))
    # A source may end a place's name in its country ("Holbæk Municipality, Denmark"
    # beside INDIGO's "Holbæk Municipality"): the place's country says that already.
    country = _country_names().get(p.country or "")
    if country and folded.endswith(f" {country}"):
        folded = folded[: -len(country) - 1]
    name = _PLACE_WORDS.sub(" ", folded)
    return (" ".join(name.split()) or _fold(p.name), p.country)


def _merge_places(lists: Iterable[list[Place]]) -> list[Place]:
    """One place per name and country; coordinates and area filled from later copies."""
    out: dict[tuple, Place] = {}
    for items in lists:
        for p in items:
            key = _place_key(p)
            kept = out.get(key)
            if kept is None:
                out[key] = p
                continue
            fill = {
                name: getattr(p, name)
                for name in ("admin_area", "lat", "lng", "country")
                if getattr(kept, name) is None and getattr(p, name) is not None
            }
            if p.name_i18n and not kept.name_i18n:
                fill["name_i18n"] = p.name_i18n
            if fill:
                out[key] = kept.model_copy(update=fill)
    return list(out.values())


def _union(lists: Iterable[list], key: Callable[[Any], Any]) -> list:
    seen: set = set()
    out: list = []
    for items in lists:
        for item in items:
            k = key(item)
            if k in seen:
                continue
            seen.add(k)
            out.append(item)
    return out


def merge_records(case_id: str, records: list[tuple[str, Case]]) -> Case:
    """Merge `(source, record)` pairs that belong to one case into one `Case` with `case_id`."""
    if not records:
        raise ValueError("merge_records needs at least one record")
    ordered = [c for _, c in sorted(records, key=lambda sc: source_rank(sc[0]))]
    first = ordered[0]
    merged: dict[str, Any] = {"id": case_id}
    for name in _SCALARS:
        merged[name] = next((getattr(c, name) for c in ordered if getattr(c, name)), None)
    merged["title"] = merged["title"] or first.title
    # The notes' translations come from the source whose notes are shown.
    merged["notes_i18n"] = next((c.notes_i18n for c in ordered if c.notes), {})
    external: dict[str, str] = {}
    summary: dict[str, str] = {}
    full_text: dict[str, str] = {}
    dates: dict = {}
    for c in reversed(ordered):  # higher-ranked records overwrite lower ones
        external.update(c.external_ids)
        summary.update(c.summary)
        full_text.update(c.full_text)
        dates.update(c.dates)
    merged.update(external_ids=external, summary=summary, full_text=full_text, dates=dates)
    for name in _I18N:
        texts: dict[str, str] = {}
        for c in reversed(ordered):
            texts.update(getattr(c, name))
        merged[name] = texts
    field_sources: dict[str, list[str]] = {}
    for c in reversed(ordered):
        field_sources.update(c.field_sources)
    merged["field_sources"] = field_sources
    merged["unverified_fields"] = list(
        dict.fromkeys(f for c in ordered for f in c.unverified_fields)
    )
    # INDIGO lists impact bonds only, so a better source's instrument wins when it says more.
    merged["instrument"] = next(
        (c.instrument for c in ordered if c.instrument != "impact_bond"), "impact_bond"
    )
    merged["outcome_funds"] = _union((c.outcome_funds for c in ordered), lambda f: f.id)
    titles = {merged["title"].casefold()}
    alt: list[str] = []
    for c in ordered:
        for name in [c.title, *c.alt_names]:
            if name and name.casefold() not in titles:
                titles.add(name.casefold())
                alt.append(name)
    merged["alt_names"] = alt
    merged["countries"] = list(dict.fromkeys(cc for c in ordered for cc in c.countries))
    merged["sectors"] = list(dict.fromkeys(s for c in ordered for s in [c.sector, *c.sectors] if s))
    merged["stage"] = next((c.stage for c in ordered if c.stage != "unknown"), "unknown")
    merged["places"] = _merge_places(c.places for c in ordered)
    merged["parties"] = _merge_parties(ordered)
    merged["outcome_metrics"] = _merge_metrics(c.outcome_metrics for c in ordered)
    # Results and payments are facts of one source each; take them from the best source
    # that has any instead of mixing periods from two accounts of the same contract.
    merged["results"] = next((c.results for c in ordered if c.results), [])
    merged["payments"] = next((c.payments for c in ordered if c.payments), [])
    merged["documents"] = _union((c.documents for c in ordered), _key_link)
    merged["sources"] = _union((c.sources for c in ordered), _key_link)
    merged["provenance"] = [p for c in ordered for p in c.provenance]
    for field in ("provider_model", "investor_model"):
        fixed = next((c for c in ordered if model_fixed(c, field)), None)
        merged[field] = getattr(fixed, field) if fixed else "unknown"
        merged[f"{field}_basis"] = getattr(fixed, f"{field}_basis") if fixed else None
        merged[f"{field}_basis_i18n"] = getattr(fixed, f"{field}_basis_i18n") if fixed else {}
    return Case.model_validate(merged)
