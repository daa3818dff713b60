"""Decide which stored case a scraped record belongs to, so one case seen by several sources
becomes one case.

The store merges the records of a case once the case id is known (`corpus.merge`); this
module finds that id, in this order:

1. the overrides file (`merge_overrides.yaml`): a person settled it, either to a case id or
   `never` (the record stays a case of its own);
2. external ids: an INDIGO id named on the page gives the INDIGO case at once; another id
   scheme matches a stored case that carries the same id;
3. the name, with the country and the dates: names are normalised (case-folded, accents
   stripped, words such as "social impact bond" or "SIB" dropped) and compared as token
   sets; a stored case in another country is never a candidate, and start years far apart
   lower the score. At or above the threshold the record joins that case; a score in the
   band just below is a near miss, reported so a person can settle it in the overrides;
4. otherwise the record is a case of its own (its own id).

Candidates are the cases in the store when the matcher is made (a snapshot per run). A
case that already holds another record of the same source is never a candidate: a source
lists each case once. A case is compared by the names the *other* sources gave it, so a
record never matches itself, and an earlier merge is re-decided from the evidence each run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from rapidfuzz import fuzz

from corpus import yaml_keys
from corpus.errors import InvalidInput
from corpus.model import Case, case_id_for_indigo
from corpus.store import Store
from ingest.runner import Item, Note, Targeted, record_id_of

#: The overrides file shipped with the package; `Matcher` reads it unless told otherwise.
DEFAULT_OVERRIDES = Path(__file__).with_name("merge_overrides.yaml")
#: Name similarity (0..1) at which a record joins a stored case.
THRESHOLD = 0.88
#: Scores in [THRESHOLD - NEAR_BAND, THRESHOLD) are reported as near misses.
NEAR_BAND = 0.18
NEVER = "never"

# Phrases that say what kind of contract a case is, not which case: they are dropped so
# "Aarhus Housing First SIB" and "Housing First Aarhus" compare as the same name. Longer
# phrases first, so "social impact bond" goes before "social".
_STOP_PHRASES = (
    "social impact bonds",
    "social impact bond",
    "social outcomes partnership",
    "social outcomes contract",
    "socialt utfallskontrakt",
    "sociala utfallskontrakt",
    "social effektinvestering",
    "sociale effektinvesteringer",
    "social investering",
    "tulosperusteinen rahoitussopimus",
    "pay for success",
    "payment by results",
    "outcomes contract",
    "impact bond",
    "project",
    "projekt",
    "projekti",
    "programme",
    "program",
    "initiative",
    "investering i",
    "investering",
)
_STOP_WORDS = frozenset(
    " ".join(
        (
            "sib sibs pfs sob the a an of and for in on to at with by from",
            "og i af til med paa pa om en et den det de",  # Danish
            "och att foer av",  # Swedish
            "ja seka",  # Finnish
            "denmark danmark sweden sverige finland suomi usa uk england",
        )
    ).split()
)
# Letters NFKD does not take apart (æ, ø, ß ...) and that a page may spell either way.
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})


def normalise_name(name: str) -> str:
    """A name reduced to the words that tell cases apart: folded, unaccented, no stop words."""
    text = name.casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^\w]+", " ", text)
    text = f" {' '.join(text.split())} "
    for phrase in _STOP_PHRASES:
        text = text.replace(f" {phrase} ", " ")
    return " ".join(w for w in text.split() if w not in _STOP_WORDS)


_NUMERALS = frozenset(
    ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "ii", "iii", "iv", "vi")
)
#: Score factor when each name has a word the other lacks (Camden / Barnet, Less / Most):
#: such pairs are sibling projects far more often than one project spelled two ways.
CONFLICT_FACTOR = 0.85


def _conflict(ta: set[str], tb: set[str]) -> bool:
    """Do the names disagree on a word: each has one the other lacks and nothing alike
    (sleepers/sleeping are alike, Brighton/Bristol are not), or a number on one side only?"""
    only_a, only_b = ta - tb, tb - ta
    if (only_a | only_b) & _NUMERALS:
        return True
    if not only_a or not only_b:
        return False
    return any(not any(_alike(x, y) for y in only_b) for x in only_a)


def _alike(x: str, y: str) -> bool:
    """Two words that are one word written two ways (a shared stem, or a typo apart)."""
    return (len(x) >= 5 and x[:5] == y[:5]) or fuzz.ratio(x, y) >= 70


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names after `normalise_name`, from 0 to 1.

    The mean of the token-set ratio (word order and repeated words do not matter) and the
    token-sort ratio: the set ratio alone scores a name contained in a longer one as 1.0
    ("Reducing homelessness" in "Reducing youth homelessness, Roskilde"), the sort ratio
    pulls such pairs down to a near miss. Names that disagree on a word (a different town,
    "less" against "most", "II") are scaled by `CONFLICT_FACTOR`.
    """
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    score = (fuzz.token_set_ratio(na, nb) + fuzz.token_sort_ratio(na, nb)) / 200.0
    if _conflict(set(na.split()), set(nb.split())):
        score *= CONFLICT_FACTOR
    return score


def _date_factor(a: int | None, b: int | None) -> float:
    """How far apart start years may be: unknown or one year apart does not count against."""
    if a is None or b is None:
        return 1.0
    gap = abs(a - b)
    return 1.0 if gap <= 1 else 0.92 if gap == 2 else 0.75


_PLACE_KIND = re.compile(
    r"\b(kommune|kommun|municipality|council|county|city of|city|borough|kaupunki|stad)\b", re.I
)


def _place_words(record: Case) -> set[str]:
    """Folded words of the places a record names, without "Kommune", "Council" and such."""
    words: set[str] = set()
    for place in record.places:
        if place.name:
            words.update(normalise_name(_PLACE_KIND.sub(" ", place.name)).split())
    return {w for w in words if len(w) > 2}


How = Literal["override", "never", "external_id", "name", "new"]


@dataclass(frozen=True)
class Decision:
    """Where one record goes and why.

    `near_misses` are (case id, score) pairs of other candidates that came close: below the
    threshold, or above it but beaten by a better match.
    """

    case_id: str
    how: How
    score: float | None = None
    matched_name: str | None = None
    near_misses: tuple[tuple[str, float], ...] = ()

    def notes(self, where: str) -> list[dict[str, str]]:
        """Informational entries for the run report: the merge, if any, and the near misses."""
        out: list[dict[str, str]] = []
        if self.how == "name":
            out.append(
                {
                    "where": where,
                    "kind": "merge",
                    "reason": f"merged into {self.case_id} by name ({self.score:.2f}: "
                    f"{self.matched_name!r})",
                }
            )
        elif self.how in ("external_id", "override"):
            reason = f"merged into {self.case_id} by {self.how.replace('_', ' ')}"
            out.append({"where": where, "kind": "merge", "reason": reason})
        for case_id, score in self.near_misses:
            out.append(
                {
                    "where": where,
                    "kind": "near-miss",
                    "reason": f"not merged with {case_id} (name score {score:.2f}); "
                    "settle it in merge_overrides.yaml if they are one case",
                }
            )
        return out


def load_overrides(path: Path | str) -> dict[str, dict[str, str]]:
    """Read the overrides file: `{source: {record_id: case_id or "never"}}`.

    A missing file means no overrides; a malformed one raises InvalidInput naming the file
    and the entry, so a typo never silently merges or splits cases.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = yaml_keys.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: not valid YAML: {exc}") from exc
    return check_overrides(data, str(path))


def check_overrides(data: object, where: str = "overrides") -> dict[str, dict[str, str]]:
    """Validate overrides and normalise their case ids (`INDIGO-POJ-0077` -> `indigo-poj-0077`)."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected a mapping of source -> {{record id: case id}}")
    out: dict[str, dict[str, str]] = {}
    for source, entries in data.items():
        if not isinstance(entries, dict):
            raise InvalidInput(f"{where}: {source}: expected a mapping of record id -> case id")
        for record_id, target in entries.items():
            if not isinstance(target, str) or not target.strip():
                raise InvalidInput(
                    f"{where}: {source}: {record_id}: expected a case id or 'never', got {target!r}"
                )
            target = target.strip()
            if re.fullmatch(r"(?i)indigo-[a-z]+-\d+", target):
                target = case_id_for_indigo(target)
            out.setdefault(str(source), {})[str(record_id)] = target
    return out


@dataclass
class _Candidate:
    case_id: str
    countries: frozenset[str]
    start_year: int | None
    names: list[str]
    records: set[tuple[str, str]] = field(default_factory=set)


class Matcher:
    """Decides the case id of scraped records against a snapshot of the store's cases."""

    def __init__(
        self,
        store: Store,
        *,
        overrides: dict[str, dict[str, str]] | None = None,
        threshold: float = THRESHOLD,
        near_band: float = NEAR_BAND,
    ) -> None:
        self.overrides = (
            load_overrides(DEFAULT_OVERRIDES) if overrides is None else check_overrides(overrides)
        )
        self.threshold = threshold
        self.near_band = near_band
        self._cases: list[_Candidate] = []
        self._by_external: dict[tuple[str, str], str] = {}
        for case in store.iter_cases():
            cand = _Candidate(
                case_id=case.id,
                countries=frozenset(case.countries),
                start_year=case.start_year,
                names=[case.title, *case.alt_names],
                records=set(store.records_of_case(case.id)),
            )
            self._cases.append(cand)
            for scheme, value in case.external_ids.items():
                self._by_external.setdefault((scheme, value.casefold()), case.id)

    def decide(self, record: Case, source: str, record_id: str) -> Decision:
        """The case `record` (stored by `source` as `record_id`) belongs to, and why."""
        target = self.overrides.get(source, {}).get(record_id)
        if target == NEVER:
            return Decision(record.id, "never")
        if target:
            return Decision(target, "override")
        if "indigo" in record.external_ids:
            return Decision(case_id_for_indigo(record.external_ids["indigo"]), "external_id")
        for scheme, value in sorted(record.external_ids.items()):
            found = self._by_external.get((scheme, value.casefold()))
            if found:
                return Decision(found, "external_id")
        return self._by_name(record, source, record_id)

    def _by_name(self, record: Case, source: str, record_id: str) -> Decision:
        if not record.countries:
            # Without a country a name alone is too weak to join two cases.
            return Decision(record.id, "new")
        own = {n.casefold() for n in [record.title, *record.alt_names]}
        places = _place_words(record)
        scored: list[tuple[float, str, str, bool]] = []
        for cand in self._cases:
            if any(s == source and r != record_id for s, r in cand.records):
                continue  # a source lists each case once
            if cand.countries and not cand.countries & set(record.countries):
                continue
            names = cand.names
            if (source, record_id) in cand.records:
                # Judge the case by what the other sources call it, so a past merge is
                # re-decided from evidence; when they all use this record's name, that is it.
                others = cand.records - {(source, record_id)}
                if not others:
                    continue  # the record's own case: no evidence of anything
                names = [n for n in cand.names if n.casefold() not in own] or [record.title]
            factor = _date_factor(record.start_year, cand.start_year)
            sim, best = max(
                (name_similarity(mine, theirs), theirs)
                for mine in [record.title, *record.alt_names]
                for theirs in names
            )
            # Names in two languages rarely match; the same town in the same years is
            # worth a person's look, so it is reported as a near miss (never merged).
            same_place = factor == 1.0 and any(
                w in normalise_name(n).split() for n in names for w in places
            )
            scored.append((round(sim * factor, 4), cand.case_id, best, same_place))
        scored.sort(key=lambda t: (-t[0], t[1]))
        low = self.threshold - self.near_band
        if scored and scored[0][0] >= self.threshold:
            score, case_id, name, _ = scored[0]
            near = tuple((c, s) for s, c, _, p in scored[1:] if s >= low or p)
            return Decision(case_id, "name", score, name, near)
        near = tuple((c, s) for s, c, _, p in scored if s >= low or p)
        return Decision(record.id, "new", near_misses=near)


def route(items: Iterable[Item], matcher: Matcher, source: str) -> Iterator[Item]:
    """Pass a source's items on, each `Case` as `Targeted` at the case the matcher chose,
    followed by `Note`s for the run report (the merge, the near misses)."""
    for item in items:
        if not isinstance(item, Case):
            yield item
            continue
        record_id = record_id_of(item)
        decision = matcher.decide(item, source, record_id)
        yield Targeted(item, decision.case_id)
        for note in decision.notes(f"{source}:{record_id}"):
            yield Note(note["where"], note["reason"], note["kind"])
