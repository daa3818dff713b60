"""Turn a `Case` into what the case and compare pages show, so templates stay simple.

Functions return plain values that the templates escape; the one exception is `marked`,
which escapes the text itself and adds only `<mark>` elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from corpus.currency import FixedRate, euro_equivalent
from corpus.model import ROLES, Case, Link, OutcomeMetric, PartialDate, Party, Result
from corpus.provider_models import (
    CURATED_BASIS,
    GOVERNMENT_PROVIDES,
    LEFT_UNKNOWN,
    NO_KNOWN_PARTY,
    PARTY_RULES,
    SEVERAL_KINDS,
)
from search.expansion import STOPWORDS
from search.results import Snippet
from search.snippets import highlights
from web.briefs import Card
from web.i18n import Translator

#: Named dates in the order a reader follows a project.
DATE_KEYS = ("contract_signed", "service_start", "service_end", "anticipated_end", "completed")
_END_KEYS = ("completed", "service_end", "anticipated_end")


def safe_url(url: str | None) -> str | None:
    """The URL if it is a web address (http/https), else None: no `javascript:` links."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def period(start: PartialDate | None, end: PartialDate | None, t: Translator) -> str:
    """`2021 – 2022`, `2021 –`, `– 2022` (only an end known reads "until"), or ``."""
    if start and end:
        return f"{t.date(start)} – {t.date(end)}"
    if start:
        return f"{t.date(start)} –"
    return f"– {t.date(end)}" if end else ""


#: The clauses `corpus.provider_models` writes a model's basis in, by label: each names
#: an organisation, an override also says why (the editors' words, in English).
_BASIS_CLAUSE = re.compile(rf"({'|'.join(map(re.escape, PARTY_RULES))}) of (.+)", re.DOTALL)
_BASIS_SEVERAL = re.compile(rf"{re.escape(SEVERAL_KINDS)} \(([^)]*)\): (.*)", re.DOTALL)
_BASIS_WHOLE = {NO_KNOWN_PARTY: "basis.none", GOVERNMENT_PROVIDES: "basis.government"}


def basis(
    text: str | None, t: Translator, case: Case | None = None, field: str = "provider_model"
) -> str:
    """Why a provider or investor model was chosen, in the reader's words: "curated" and
    the rules' clauses ("type of X", "name of X", "several kinds (...)", ...) in its
    language; the editors' reasons and the records' own words stay as written.

    `field` is the model the basis is of (`provider_model`, `investor_model`), whose
    values "several kinds" names. Names of undisclosed parties are not repeated there.
    """
    if not text:
        return ""
    for p in case.parties if case else []:
        if p.undisclosed and p.name:
            text = text.replace(p.name, t("party.undisclosed"))
    if text == CURATED_BASIS:
        return t("case.basis_curated")
    if text == LEFT_UNKNOWN:
        return t("case.basis_left_unknown")
    if text.startswith(CURATED_BASIS + ":"):
        reason = getattr(case, f"{field}_basis_i18n").get(t.lang) if case else None
        return t("case.basis_curated") + ": " + (reason or text[len(CURATED_BASIS) + 1 :].strip())
    return _rule_basis(text, t, field)


def _short_value(t: Translator, field: str, code: str) -> str:
    """A provider or investor model's label without its explanation in parentheses,
    lower-cased as inside a sentence ("Kommerciel (investorer, banker)" -> "kommerciel")."""
    label = re.sub(r"\s*\(.*\)$", "", t.value(field, code))
    return label[:1].lower() + label[1:]


def _rule_basis(text: str, t: Translator, field: str) -> str:
    head = ""
    several = _BASIS_SEVERAL.fullmatch(text)
    if several:
        kinds = [k.strip() for k in several[1].split(",")]
        said = [_short_value(t, field, k) for k in kinds]
        head, text = t("basis.several", kinds=", ".join(said)) + ": ", several[2]
    clauses: list[str] = []
    for piece in text.split("; "):
        if piece in _BASIS_WHOLE:
            clauses.append(t(_BASIS_WHOLE[piece]))
            continue
        m = _BASIS_CLAUSE.fullmatch(piece)
        if m is None:
            if not clauses:
                return head + text  # not a basis the rules wrote: as it is
            clauses[-1] += "; " + piece  # an editor's reason that itself has a "; "
            continue
        rule, rest = m[1], m[2]
        name, why = rest.split(": ", 1) if rule == "override" and ": " in rest else (rest, None)
        said = t("basis." + rule.replace(" ", "_"), name=name)
        clauses.append(f"{said}: {why}" if why else said)
    return head + "; ".join(clauses)


def snippet_parts(snippet: Snippet | dict | None, t: Translator) -> tuple[str | None, str]:
    """A search snippet (`search.results.Snippet`, or its JSON form) as `(label in the
    reader's language, text)`; a snippet that only repeats the case's name is dropped
    (the result's title already says it). `Snippet.segments()` gives the marked pieces.
    """
    if snippet is None:
        return None, ""
    shown = snippet if isinstance(snippet, Snippet) else Snippet.model_validate(snippet)
    if shown.kind == "title":
        return None, ""
    key = f"snippet.{shown.kind}"
    return (t(key) if t.has(key) else None), shown.text


def parties_by_role(case: Case) -> list[tuple[str, list[Party]]]:
    """`(role, parties)` for each role that has parties, in a fixed reading order."""
    return [(role, ps) for role in ROLES if (ps := case.parties_by_role(role))]


def years(case: Case) -> str:
    """`2016–2020`, `2016–` or `` from the start and end dates."""
    start = case.start_year
    end = next((case.dates[k].year for k in _END_KEYS if k in case.dates), None)
    if start is None:
        return str(end) if end else ""
    if end is None:
        return f"{start}–"
    return str(start) if end == start else f"{start}–{end}"


def eur_rates(case: Case) -> list[tuple[str, FixedRate]]:
    """`(currency, rate)` of the fixed rates that the case's euro figures were converted
    at (for a note; the currency names the note's label, `money.eur_source.<currency>`)."""
    amounts = [case.investment, case.max_outcome_payment, case.outcome_payments_made]
    amounts += [p.amount for p in case.parties] + [m.price for m in case.outcome_metrics]
    amounts += [p.amount for p in case.payments]
    found = {m.currency: e.rate for m in amounts if m and (e := euro_equivalent(m)) and e.rate}
    return list(found.items())


def ordered_dates(case: Case) -> list[tuple[str, PartialDate]]:
    """`(name, date)` of the case's dates, known names first in project order."""
    known = [(k, case.dates[k]) for k in DATE_KEYS if k in case.dates]
    other = sorted(
        ((k, d) for k, d in case.dates.items() if k not in DATE_KEYS), key=lambda x: x[0]
    )
    return known + other


def summaries(case: Case, lang: str) -> list[tuple[str, str]]:
    """`(language, text)` of the case's summaries: the reader's language, English, the rest."""
    order = {lang: 0, "en": 1}
    return sorted(case.summary.items(), key=lambda kv: (order.get(kv[0], 2), kv[0]))


def is_indigo(case: Case) -> bool:
    """Whether any of the case's data came from GO Lab INDIGO (which must be credited)."""
    return "indigo" in case.external_ids or any(
        p.source.startswith("indigo") for p in case.provenance
    )


def links(items: list[Link]) -> list[Link]:
    """Documents or sources worth listing: with a web address or at least a title."""
    return [x for x in items if safe_url(x.url) or x.title]


def cite(case: Case, url: str, t: Translator, today: date | None = None) -> str:
    """A citation of the case page, crediting GO Lab INDIGO when its data is shown."""
    today = today or date.today()
    title = case_title(case, t.lang).text
    text = t("case.cite_text", title=title, id=case.id, url=url, date=today.isoformat())
    if is_indigo(case):
        indigo_id = case.external_ids.get("indigo", case.id.upper())
        text += " " + t("case.cite_indigo", id=indigo_id)
    return text


@dataclass
class Row:
    """One row of the compare table: a label and, per case, lines of text."""

    label: str
    cells: list[list[str]]


def _names(case: Case, role: str, t: Translator) -> list[str]:
    out = []
    for p in case.parties_by_role(role):
        name = party_name(p, t)
        out.append(
            name if p.org_type == "unknown" else f"{name} ({t.value('org_type', p.org_type)})"
        )
    return out


def _money_lines(case: Case, t: Translator) -> list[str]:
    out = []
    for key in ("investment", "max_outcome_payment", "outcome_payments_made"):
        text = t.money(getattr(case, key))
        if text:
            mark = f" ({t('mark.unverified')})" if is_unverified(case, key) else ""
            out.append(f"{t('case.' + key)}: {text}{mark}")
    return out


def _participant_lines(case: Case, t: Translator) -> list[str]:
    """Planned and actual participants (the plan is no result, so it has a row of its
    own beside the results)."""
    out = []
    if case.cohort_target is not None:
        out.append(f"{t('case.cohort_target')}: {t.number(case.cohort_target)}")
    if case.cohort_actual is not None:
        out.append(f"{t('case.cohort_actual')}: {t.number(case.cohort_actual)}")
    return out


def _result_lines(case: Case, t: Translator) -> list[str | Text]:
    out: list[str | Text] = []
    for r in case.results[:5]:
        described = localized(r.description_i18n, r.description, t.lang, case.countries)
        if described is not None:
            out.append(described)
        elif r.achieved:
            found = result_metric(case, r)
            if found is None:
                out.append(Text(r.achieved, guess_language(r.achieved, case.countries)))
                continue
            # INDIGO reports a number per metric: the number alone says nothing.
            said = metric_text(found[1], t.lang, case.countries)
            out.append(Text(f"{said.text}: {r.achieved}", said.lang))
    return out


def result_metric(case: Case, result: Result) -> tuple[int, OutcomeMetric] | None:
    """The outcome metric a result reports on, with its number in the case's list of
    metrics (from 1), when the result names one the case has (INDIGO links 371 of its
    424 results so)."""
    if not result.metric_id:
        return None
    for n, metric in enumerate(case.outcome_metrics, start=1):
        if metric.id == result.metric_id:
            return n, metric
    return None


def metric_text(m, lang: str, countries: list[str] | None = None) -> Text:
    """An outcome metric's definition in the reader's language where the case has it."""
    return localized(m.definition_i18n, m.definition, lang, countries) or Text(m.definition, "en")


def metric_target(m, lang: str, countries: list[str] | None = None) -> Text | None:
    """A metric's target in the reader's language where the case has it, unless it only
    repeats the definition (as INDIGO rows often do)."""
    if not m.target:
        return None
    fold = lambda text: " ".join(re.sub(r"[^\w ]+", " ", text.casefold()).split())  # noqa: E731
    if fold(m.target) == fold(m.definition):
        return None
    return localized(m.target_i18n, m.target, lang, countries)


def compare_rows(cases: list[Case], t: Translator) -> list[Row]:
    """The rows of the compare page, one column per case (texts carry their language)."""

    def row(label_key: str, cell) -> Row:
        return Row(t(label_key), [cell(c) for c in cases])

    def text(value) -> list:
        return [value] if value else []

    lang = t.lang
    return [
        row("field.countries", lambda c: [t.country(x) for x in c.countries]),
        row("field.sector", lambda c: text(c.sector and t.value("sector", c.sector))),
        row("field.stage", lambda c: [t.value("stage", c.stage)]),
        row("field.instrument", lambda c: [t.value("instrument", c.instrument)]),
        row(
            "field.funds",
            lambda c: [t.fund_name(f.name) if f.name else f.id for f in c.outcome_funds],
        ),
        row("case.problem", lambda c: text(case_text(c, "social_challenge", lang))),
        row("case.target_group", lambda c: text(case_text(c, "target_population", lang))),
        row("case.intervention", lambda c: text(case_text(c, "intervention", lang))),
        row("field.provider_model", lambda c: [t.value("provider_model", c.provider_model)]),
        row("compare.providers", lambda c: _names(c, "service_provider", t)),
        row("field.investor_model", lambda c: [t.value("investor_model", c.investor_model)]),
        row("compare.investors", lambda c: _names(c, "investor", t)),
        row("compare.outcome_payers", lambda c: _names(c, "outcome_payer", t)),
        row(
            "case.outcome_metrics",
            lambda c: [metric_text(m, lang, c.countries) for m in c.outcome_metrics[:6]],
        ),
        row("compare.money", lambda c: _money_lines(c, t)),
        row("compare.duration", lambda c: text(years(c))),
        row("compare.participants", lambda c: _participant_lines(c, t)),
        row("case.results", lambda c: _result_lines(c, t)),
    ]


#: A compare cell shows about this many characters of a long text before "read the rest".
LEAD = 320


def lead_and_rest(text: Text | str, limit: int = LEAD) -> tuple[Text | str, Text | str | None]:
    """A long text as its first sentences (up to about `limit` characters, whole
    sentences where one ends in time, else whole words) and the rest (None when short):
    side by side, three INDIGO intervention texts made rows 30 lines tall."""
    raw = text.text if isinstance(text, Text) else text
    if len(raw) <= limit * 1.25:
        return text, None
    head = raw[:limit]
    cut = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    cut = cut + 1 if cut >= limit // 3 else head.rfind(" ")
    if cut <= 0:
        return text, None
    lead, rest = raw[:cut].rstrip(), raw[cut:].strip()
    if isinstance(text, Text):
        return Text(lead, text.lang), Text(rest, text.lang)
    return lead, rest


def hit_view(hit: dict, case: Case | Card | None, t: Translator, q: str = "") -> dict:
    """What a result in the list shows: title and snippet in the reader's language if known.

    Without a query a Danish reader sees the case's Danish summary instead of the search
    service's (English) snippet. With one, the snippet's words matching the query are
    marked: by the service's highlight spans when it sends them, else by the query words.
    """
    title = case_title(case, t.lang) if case else Text(hit.get("title") or "", "en")
    raw = hit.get("snippet")
    # Pages get results as JSON data: read the snippet back into its type, so its
    # highlight spans (the query's words and their glossary translations) are kept.
    shown = raw if isinstance(raw, Snippet) or raw is None else Snippet.model_validate(raw)
    spans: list = []
    if not q and case is not None and (summary := summary_text(case, t.lang)):
        label, text, lang = t("snippet.summary"), summary.text, summary.lang
    else:
        label, text = snippet_parts(shown, t)
        if text and shown is not None:
            spans = list(shown.highlights)
        elif case is not None:
            # Every result shows something of the case beyond its name; the service did
            # not mark this text, so the query's own words are marked (not its function
            # words: "for" is no evidence).
            fallback = summary_text(case, t.lang) or case_text(case, "intervention", t.lang)
            if fallback:
                label = t("snippet.summary" if case.summary else "snippet.intervention")
                text = fallback.text
                words = [w for w in q.split() if len(w) >= 3 and w.casefold() not in STOPWORDS]
                spans = highlights(text, words)
        lang = guess_language(text, case.countries if case else None)
    return {
        "title": title,
        "label": label,
        "snippet": marked(text, spans),
        "snippet_lang": lang,
        "instrument": case.instrument if case else hit.get("instrument"),
    }


# -- Danish first: texts in the reader's language, marked with the language they are in ----


@dataclass(frozen=True)
class Text:
    """A text to show and the language it is written in (for the `lang` attribute)."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text


#: Short, common words that tell the languages of the case texts apart.
_WORDS = {
    "da": {
        "og",
        "til",
        "af",
        "med",
        "på",
        "ikke",
        "der",
        "fra",
        "som",
        "er",
        "unge",
        "børn",
        "kommune",
        "hjemløse",
        "indsats",
        "borgere",
    },
    "sv": {
        "och",
        "för",
        "att",
        "av",
        "inte",
        "vid",
        "som",
        "är",
        "kommun",
        "barn",
        "stöd",
        "unga",
        "insats",
    },
    "fi": {"ja", "sekä", "lasten", "kunta", "hanke", "nuorten", "työllisyys", "hyvinvointi"},
    "en": {"the", "and", "of", "for", "with", "to", "in", "is", "people", "young"},
    # INDIGO's French, Spanish, Portuguese, German and Dutch project names: function
    # words (a few, such as "der" and "no", are Danish or English words too).
    "fr": {"et", "la", "le", "les", "des", "du", "pour", "aux", "dans", "sur", "une", "l", "d"},
    "es": {"y", "la", "el", "los", "las", "del", "con", "para", "una", "por"},
    "pt": {"e", "do", "dos", "das", "em", "com", "uma", "ao", "os", "no", "na"},
    "de": {"und", "der", "die", "für", "mit", "von", "zu", "im"},
    "nl": {"het", "voor", "van", "een", "naar", "bij"},
}
#: Languages that a single word does not tell (a name such as "Los Angeles" or "Del
#: Norte" in an English text, a Danish "der"): they need two of their words.
_TWO_WORDS = ("fr", "es", "pt", "de", "nl")
_LETTERS = {"da": re.compile("[æøÆØ]"), "sv": re.compile("[äöÄÖ]")}


def guess_language(text: str, countries: list[str] | None = None) -> str:
    """The language a source text is most likely in, when no source says so.

    INDIGO and most curated source texts are English. Common short words, and æ/ø (Danish)
    or ä/ö (Swedish, or Finnish in a Finnish case), point to another language (INDIGO
    also names some projects in French, Spanish, Portuguese, German or Dutch). A guess only
    decides the `lang` attribute that makes a screen reader switch voice, never what is
    shown; a tie is English.
    """
    words = re.findall(r"\w+", text.casefold())
    score = {lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()}
    for lang in _TWO_WORDS:
        if score[lang] < 2:
            score[lang] = 0
    if _LETTERS["da"].search(text):
        score["da"] += 1
    if _LETTERS["sv"].search(text):
        finnish = "FI" in (countries or []) and "SE" not in (countries or [])
        score["fi" if finnish else "sv"] += 1
    best = max(score, key=lambda lang: (score[lang], lang == "en"))
    return best if score[best] > score["en"] else "en"


def localized(
    texts: dict[str, str], source: str | None, lang: str, countries: list[str] | None = None
) -> Text | None:
    """The text in `lang` if the map has it, else the source text, with its language."""
    if texts.get(lang):
        return Text(texts[lang], lang)
    if not source:
        # No source text: any translation beats nothing (English first).
        for code in ("en", *sorted(texts)):
            if texts.get(code):
                return Text(texts[code], code)
        return None
    for code, value in texts.items():
        if value == source:
            return Text(source, code)
    return Text(source, guess_language(source, countries))


def case_text(case: Case | Card, field: str, lang: str) -> Text | None:
    """A case's text field (`title`, `intervention`, ...) in the reader's language if known."""
    return localized(getattr(case, f"{field}_i18n", {}), getattr(case, field), lang, case.countries)


def case_title(case: Case | Card, lang: str) -> Text:
    """The case's title in the reader's language where it has one."""
    return case_text(case, "title", lang) or Text(case.title, "en")


#: A bracketed ending of a title: "(Aarhus)", "(Brøndby, TUBA)".
_BRACKETED_END = re.compile(r"\s*\([^()]*\)\s*$")


def other_names(case: Case, shown: str) -> list[str]:
    """The case's other names beside the title the page shows: its source title and
    alternative names, each once, none the shown title again (a Danish title that a
    source also lists as an alternative name), nor the shown title without the place
    or provider the editors added in brackets ("... misbrug" beside "... misbrug
    (Brøndby, TUBA)")."""

    def key(name: str) -> str:
        return " ".join(name.casefold().split())

    seen = {key(shown), key(_BRACKETED_END.sub("", shown))}
    out = []
    for name in [case.title, *case.alt_names]:
        if (folded := key(name)) not in seen:
            seen.add(folded)
            out.append(name)
    return out


def summary_text(case: Case | Card, lang: str) -> Text | None:
    """The summary in the reader's language, else English, else any."""
    for code in (lang, "en", *sorted(case.summary)):
        if case.summary.get(code):
            return Text(case.summary[code], code)
    return None


# -- codelists shown with Danish labels ---------------------------------------------------

#: INDIGO's project and pipeline standards name some policy areas differently; they are
#: shown (and counted in charts) as one.
SECTOR_GROUPS = {
    "Agriculture": "Agriculture and environment",
    "Water, Sanitation and Hygiene": "Water, sanitation and hygiene",
    "Early Childhood Education": "Early childhood education",
}


def sector_group(sector: str | None) -> str | None:
    """The policy area a sector value is shown as (`Agriculture` -> `Agriculture and ...`)."""
    return SECTOR_GROUPS.get(sector, sector) if sector else sector


# -- one record per fact: sources -----------------------------------------------------------


def url_key(url: str | None) -> str:
    """A URL folded so that http/https, `www.` and a trailing slash name the same page."""
    text = (url or "").strip().casefold()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    return text.rstrip("/")


def dedupe_links(items: list[Link]) -> list[Link]:
    """Links with one entry per page (the first, with a title taken from a later copy)."""
    out: dict[str, Link] = {}
    for link in items:
        key = url_key(link.url) if link.url else "title:" + (link.title or "").casefold()
        if key in out:
            if not out[key].title and link.title:
                out[key] = out[key].model_copy(update={"title": link.title})
            continue
        out[key] = link
    return list(out.values())


def source_titles(case: Case, refs: list[str]) -> list[Link]:
    """The case's sources that a fact cites (by `Link.id`), in the fact's order."""
    by_id = {s.id: s for s in case.sources if s.id}
    return [by_id.get(r) or Link(id=r, title=r) for r in refs]


def is_unverified(case: Case, field: str) -> bool:
    """Whether a scalar fact of the case is marked as not checked against its source."""
    return field in case.unverified_fields


def party_name(p: Party, t: Translator) -> str:
    """A party's name as the reader's language says it: its editors' translation of a
    described group (`Party.name_i18n`), else `Translator.party_name`; or "undisclosed
    organisation" when the source keeps it private."""
    if p.undisclosed:
        return t("party.undisclosed")
    return p.name_i18n.get(t.lang) or t.party_name(p.name, p.org_type, p.country)


# -- highlighting in snippets ---------------------------------------------------------------


def marked(text: str, spans: list) -> Markup:
    """Text with `<mark>` around the highlight spans; everything else is escaped."""
    clean: list[tuple[int, int]] = []
    for span in sorted(
        (tuple(s) if not isinstance(s, dict) else (s["start"], s["end"])) for s in spans
    ):
        start, end = max(0, int(span[0])), min(len(text), int(span[1]))
        if start >= end or (clean and start < clean[-1][1]):
            continue  # empty, out of range or overlapping: skip rather than break markup
        clean.append((start, end))
    out, pos = [], 0
    for start, end in clean:
        out.append(escape(text[pos:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)
