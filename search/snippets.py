"""Snippets: the sentence of a case that shows why it matched a query.

A sentence containing query words wins (rarer words count more); without such words
(a Danish query over English text, say) the start of the field whose vector matched best
is shown. Each snippet says which part of the case it comes from ("Target group: ...").
"""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.model import Case
from search.texts import field_kind, field_texts

LABELS = {
    "title": "Name",
    "names": "Also known as",
    "challenge": "Challenge",
    "intervention": "Intervention",
    "target": "Target group",
    "outcomes": "Outcomes paid for",
    "summary": "Summary",
    "who": "Organisations and places",
}
MAX_LEN = 240
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_FOLD = str.maketrans("äöåæøéèüáàíóú", "aoaaoeeuaaiou")


def _fold(text: str) -> str:
    return text.casefold().translate(_FOLD)


@lru_cache(maxsize=256)
def _patterns(terms: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Per term, a pattern over folded text: whole word, or shared 5-letter stem if longer."""
    out = []
    for term in terms:
        folded = re.escape(_fold(term))
        if len(term) > 5:
            out.append((term, re.compile(r"\b" + re.escape(_fold(term)[:5]))))
        else:
            out.append((term, re.compile(r"\b" + folded + r"\b")))
    return tuple(out)


def _term_hits(sentence: str, terms: list[str], idf: dict[str, float]) -> float:
    """IDF mass of query terms in a sentence; a word matches a term by a shared stem."""
    folded = _fold(sentence)
    return sum(idf.get(t, 1.0) for t, pat in _patterns(tuple(terms)) if pat.search(folded))


def _cut(sentence: str, terms: list[str]) -> str:
    """At most MAX_LEN characters, keeping the first query word in view."""
    if len(sentence) <= MAX_LEN:
        return sentence
    folded = _fold(sentence)
    first = min((folded.find(_fold(t)) for t in terms if _fold(t) in folded), default=0)
    start = max(0, min(first - 60, len(sentence) - MAX_LEN))
    head = "… " if start else ""
    piece = sentence[start : start + MAX_LEN - len(head)].rsplit(" ", 1)[0]
    return f"{head}{piece} …"


def _label(fld: str) -> str:
    return LABELS[field_kind(fld)]


def snippet(
    case: Case,
    terms: list[str],
    best_field: str | None = None,
    idf: dict[str, float] | None = None,
) -> str:
    """Plain-text snippet: `Label: sentence`; empty when the case has no text at all.

    `terms` are the words searched for (see `search.lexical.query_terms`); `best_field`
    is the field whose vector matched best; `idf` weighs words by rarity.
    """
    texts = {k: v for k, v in field_texts(case).items() if k != "whole"}
    who = " ; ".join([p.name for p in case.parties] + [pl.name for pl in case.places if pl.name])
    if who:
        texts["who"] = who
    best: tuple[float, str, str] | None = None
    if terms:
        for fld, text in texts.items():
            for sentence in _SENTENCE.split(text):
                s = _term_hits(sentence, terms, idf or {})
                if s > 0 and (best is None or s > best[0]):
                    best = (s, fld, sentence)
    if best is not None:
        _, fld, sentence = best
        return f"{_label(fld)}: {_cut(sentence, terms)}"
    summaries = sorted(
        (f for f in texts if field_kind(f) == "summary"), key=lambda f: f != "summary_en"
    )
    order = [best_field] if best_field and best_field != "summary" else []
    order += [*summaries, "intervention", "challenge", "target", "outcomes"]
    for fld in order:
        if fld in texts and fld != "title":
            return f"{_label(fld)}: {_cut(texts[fld], [])}"
    return f"{_label('title')}: {case.title}" if case.title else ""
