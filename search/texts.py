"""What is embedded and indexed per case: a few short texts ("fields"), each on one theme.

A case is embedded as several vectors, one per field (the problem, the intervention, the
target group, the outcomes paid for, the curated summaries), plus one `whole` vector
that stands for the case in "similar cases" and in the ranking. Short, focused texts let
a query about a target group meet the target-group text directly instead of a long
average of everything. `search/ranking.py` says how field scores combine.

`whole` is *composed*, not embedded: the normalised mean of the vectors of the main
fields (`COMPOSED`). Embedding the main fields joined together cost 36 % of the first
build's tokens for a text that only repeats them; the composed vector scored the same or
better on both development sets (bench/RESULTS.md, "What the first build embeds").

Change `TEXT_VERSION` whenever the texts change: the index then re-embeds what differs.
"""

from __future__ import annotations

import re

from corpus.model import Case

TEXT_VERSION = "fields-v4"

#: Fields embedded per case, in index order; curated summaries add one `summary_<lang>`
#: field per language.
FIELDS: tuple[str, ...] = (
    "title",
    "names",
    "challenge",
    "intervention",
    "target",
    "outcomes",
)
SUMMARY_PREFIX = "summary_"

#: Fields whose vector is the normalised mean of the vectors of other fields, in the
#: case's source language (what the joined text of those fields would say). `whole`
#: must stay: similar cases use it.
COMPOSED: dict[str, tuple[str, ...]] = {
    "whole": ("title", "summary_en", "challenge", "intervention", "target"),
}

#: Characters kept per field: e5 reads at most 512 tokens, and the start says the most.
MAX_CHARS = 1500

_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """One line of text: whitespace collapsed, stripped."""
    return _SPACE.sub(" ", text or "").strip()


def _join(*parts: str | None, sep: str = ". ") -> str:
    kept = [clean(p).rstrip(".") for p in parts if clean(p)]
    return sep.join(kept)


def title_text(case: Case) -> str:
    """Name and policy sectors."""
    sectors = [case.sector or "", *[s for s in case.sectors if s != case.sector]]
    return _join(case.title, ", ".join(s for s in sectors if s))


def outcomes_text(case: Case, lang: str | None = None) -> str:
    """The outcome metrics that are paid for, with their target populations; with
    `lang`, as the case gives them in that language, and "" unless it gives every
    metric's definition in it (a translation metric for metric, never half of one)."""
    parts: list[str] = []
    for metric in case.outcome_metrics:
        definition, target = metric.definition, metric.target_population
        if lang is not None:
            if not metric.definition_i18n.get(lang):
                return ""
            definition = metric.definition_i18n[lang]
            target = metric.target_population_i18n.get(lang) or target
        parts.append(_join(definition, target, sep=": "))
    return "; ".join(dict.fromkeys(p for p in parts if p))


def summary_text(case: Case) -> str:
    """Curated summaries (English first, then the other languages)."""
    langs = sorted(case.summary, key=lambda lang: (lang != "en", lang))
    return _join(*(case.summary[lang] for lang in langs), sep=" ")


def field_texts(case: Case) -> dict[str, str]:
    """`{field: text}` for every field with text, each cut to `MAX_CHARS`.

    Texts in different languages are kept in different fields (other names apart from
    the name, one summary field per language): e5 scores any text in the query's
    language higher, so a Danish summary mixed into the English fields would pull every
    Danish query toward the few cases that have one. Kept apart, each field is
    standardised against its own background (`search/ranking.py`), which removes that
    language offset. Composed fields (`COMPOSED`) have no text of their own.
    """
    texts = {
        "title": title_text(case),
        "names": "; ".join(n for n in case.alt_names if n),
        "challenge": clean(case.social_challenge),
        "intervention": clean(case.intervention),
        "target": clean(case.target_population),
        "outcomes": outcomes_text(case),
    }
    out = {f: texts[f][:MAX_CHARS] for f in FIELDS if texts.get(f)}
    for lang in sorted(case.summary):
        if clean(case.summary[lang]):
            out[SUMMARY_PREFIX + lang] = clean(case.summary[lang])[:MAX_CHARS]
    return out


def field_kind(field: str) -> str:
    """The field's kind for weights and labels (`summary_da` -> `summary`)."""
    return "summary" if field.startswith(SUMMARY_PREFIX) else field


def lexical_texts(case: Case) -> dict[str, str]:
    """Columns of the lexical index: names (with the outcome funds'), who and where, and
    the descriptive text."""
    # The outcome fund's name too: "Fair Chance Fund" is how people name its projects.
    funds = [f.name for f in case.outcome_funds if f.name]
    names = " ; ".join([case.title, *case.alt_names, *case.external_ids.values(), *funds])
    who_where = " ; ".join(
        [p.name for p in case.parties]
        + [x for pl in case.places for x in (pl.name, pl.admin_area) if x]
        + case.countries
    )
    text = " ".join(
        clean(t)
        for t in (
            case.sector,
            " ".join(case.sectors),
            case.social_challenge,
            case.intervention,
            case.target_population,
            outcomes_text(case),
            summary_text(case),
            case.notes,
        )
        if t
    )
    return {"names": names, "who_where": who_where, "body": text}
