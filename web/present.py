"""Turn a `Case` into what the case and compare pages show, so templates stay simple.

Nothing here formats HTML: functions return plain values and the templates escape them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from corpus.model import ROLES, Case, Link, PartialDate, Party
from search.results import Snippet
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


def basis(text: str | None, t: Translator) -> str:
    """Why a provider or investor model was chosen, with "curated" in the reader's words."""
    if not text:
        return ""
    if text == "curated":
        return t("case.basis_curated")
    if text.startswith("curated:"):
        return t("case.basis_curated") + ":" + text[len("curated:") :]
    return text


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
    text = t("case.cite_text", title=case.title, id=case.id, url=url, date=today.isoformat())
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
    return [
        p.name if p.org_type == "unknown" else f"{p.name} ({t.value('org_type', p.org_type)})"
        for p in case.parties_by_role(role)
    ]


def _money_lines(case: Case, t: Translator) -> list[str]:
    out = []
    for key in ("investment", "max_outcome_payment", "outcome_payments_made"):
        text = t.money(getattr(case, key))
        if text:
            out.append(f"{t('case.' + key)}: {text}")
    return out


def _result_lines(case: Case, t: Translator) -> list[str]:
    out = []
    if case.cohort_target is not None:
        out.append(f"{t('case.cohort_target')}: {t.number(case.cohort_target)}")
    if case.cohort_actual is not None:
        out.append(f"{t('case.cohort_actual')}: {t.number(case.cohort_actual)}")
    for r in case.results[:5]:
        text = r.description or r.achieved
        if text:
            out.append(text)
    return out


def compare_rows(cases: list[Case], t: Translator) -> list[Row]:
    """The rows of the compare page, one column per case."""

    def row(label_key: str, cell) -> Row:
        return Row(t(label_key), [cell(c) for c in cases])

    def text(value: str | None) -> list[str]:
        return [value] if value else []

    return [
        row("field.countries", lambda c: [t.country(x) for x in c.countries]),
        row("field.sector", lambda c: text(c.sector and t.value("sector", c.sector))),
        row("field.stage", lambda c: [t.value("stage", c.stage)]),
        row("case.problem", lambda c: text(c.social_challenge)),
        row("case.target_group", lambda c: text(c.target_population)),
        row("case.intervention", lambda c: text(c.intervention)),
        row("field.provider_model", lambda c: [t.value("provider_model", c.provider_model)]),
        row("compare.providers", lambda c: _names(c, "service_provider", t)),
        row("field.investor_model", lambda c: [t.value("investor_model", c.investor_model)]),
        row("compare.investors", lambda c: _names(c, "investor", t)),
        row("compare.outcome_payers", lambda c: _names(c, "outcome_payer", t)),
        row("case.outcome_metrics", lambda c: [m.definition for m in c.outcome_metrics[:6]]),
        row("compare.money", lambda c: _money_lines(c, t)),
        row("compare.duration", lambda c: text(years(c))),
        row("case.results", lambda c: _result_lines(c, t)),
    ]
