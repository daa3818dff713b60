"""Snippets: the sentence of a case that shows why it matched a query, with its matches marked.

A sentence containing query words (or their glossary translations) wins, rarer words
counting more and each part of the query counted once (an English term of several words
and its words are one part, so a translation does not outweigh the word typed); between
equals, the sentence that says the reader's own words (a Danish summary for a Danish
query) wins, and a Nordic query is shown the translation of the sentence chosen where
the case has one that says more of its words as typed; without such words (a Danish
query over English text that the glossary does not cover) the start of the field whose
vector matched best is shown. A snippet is a `Snippet(kind, text, lang, highlights)`:
the part of the case it comes from, a passage cut at sentence and word boundaries, and
the character spans of the matched words. Every case with any text gets one; the name
is used only when there is nothing else.

What does not depend on the query (a case's texts, folded, cut into sentences) is
`prepare`d once per case and can be kept by the caller (`SearchService` keeps it per
index generation), so a snippet costs only the look-up of the query's words.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from corpus.model import Case
from search.results import Snippet
from search.texts import clean, field_kind, field_texts, outcomes_text

MAX_LEN = 240
#: A sentence ends at . ! ? ; followed by space and an upper-case letter, digit or quote,
#: so "e.g. housing" and "1.5 million" stay whole.
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[^\W_a-zæøåäöü])", re.UNICODE)
_WORD_END = re.compile(r"\w*", re.UNICODE)
_FOLD = str.maketrans("äöåæøéèüáàíóúâêôç", "aoaaoeeuaaiouaeoc")
#: Fields a snippet is taken from, in the order ties are decided; names come last: the
#: result's title already shows them.
_ORDER = ("summary", "intervention", "target", "challenge", "outcomes", "who", "names", "title")
_I18N = {
    "social_challenge_i18n": "challenge",
    "intervention_i18n": "intervention",
    "target_population_i18n": "target",
    "title_i18n": "title",
}


def fold(text: str) -> str:
    """Lower-cased, common diacritics removed, and exactly as long as `text` (so that
    offsets found in the folded text are offsets in the original)."""
    low = text.lower()
    if len(low) != len(text):  # rare: a letter that lower-cases to two ("İ")
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


def stem_length(term: str) -> int:
    """Letters of a term that a word must share to match it: whole short words, about
    three fifths of longer ones ("homelessness" matches "homeless", "intervention" does
    not match "international")."""
    return len(term) if len(term) <= 5 else max(5, round(len(term) * 0.6))


@lru_cache(maxsize=512)
def _patterns(terms: tuple[str, ...]) -> tuple[tuple[str, str, bool], ...]:
    """`(term, literal, whole)` per term: a match is the literal at the start of a word,
    and with `whole` (short terms) also at its end."""
    out = []
    for term in terms:
        folded = fold(term)
        if not folded.strip():
            continue
        if len(folded) <= 5:
            out.append((term, folded, True))
        else:
            out.append((term, folded[: stem_length(folded)], False))
    return tuple(out)


def _is_word(char: str) -> bool:
    """What the regular expression `\\w` matches: a letter, digit or underscore."""
    return char.isalnum() or char == "_"


def _matches(folded: str, literal: str, whole: bool) -> Iterator[tuple[int, int]]:
    """`(start, end)` of each match of a term in a folded text, left to right and not
    overlapping, as `(?<!\\w)literal` (and `(?!\\w)` with `whole`) would find them.

    Found with `str.find`, not a regular expression: a pattern that begins with a
    look-behind is tried at every position of the text, which made snippets the
    costliest part of a search after the model call.
    """
    size = len(literal)
    i = folded.find(literal)
    while i >= 0:
        end = i + size
        if (i == 0 or not _is_word(folded[i - 1])) and not (
            whole and end < len(folded) and _is_word(folded[end])
        ):
            yield i, end
            i = folded.find(literal, end)
        else:
            i = folded.find(literal, i + 1)


def highlights(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """`[start, end)` spans of the words of `text` that match any of the terms, merged."""
    folded = fold(text)
    spans = []
    for _, literal, whole in _patterns(tuple(terms)):
        for start, end in _matches(folded, literal, whole):
            spans.append((start, end + len(_WORD_END.match(folded, end).group())))
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, overlapping and touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _sentences(text: str) -> list[tuple[int, int]]:
    """`(start, end)` of each sentence of a text."""
    out, start = [], 0
    for m in _SENTENCE.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def cut(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """At most MAX_LEN characters around the first highlighted span, cut between words
    (with "…" where text was left out); spans moved to the cut text."""
    if len(text) <= MAX_LEN:
        return text, spans
    first = spans[0][0] if spans else 0
    start = max(0, min(first - 60, len(text) - MAX_LEN))
    if start:
        # Begin at a word: after the next space (or at the match itself).
        space = text.find(" ", start, first if first > start else start + 40)
        start = space + 1 if space >= 0 else start
    end = start + MAX_LEN - 2
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    head = "… " if start else ""
    tail = " …" if end < len(text) else ""
    piece = text[start:end].rstrip(" ,;:")
    shift = len(head) - start
    moved = [
        (s + shift, min(e, start + len(piece)) + shift)
        for s, e in spans
        if s >= start and s < start + len(piece)
    ]
    return head + piece + tail, moved


def _candidates(case: Case, lang: str | None) -> list[tuple[str, str | None, str]]:
    """`(kind, language, text)` of every part of a case a snippet may come from."""
    out: list[tuple[str, str | None, str]] = []
    for fld, text in field_texts(case).items():
        if fld == "whole":
            continue
        kind = field_kind(fld)
        text_lang = fld[len("summary_") :] if kind == "summary" else None
        out.append((kind, text_lang, text))
    for attr, kind in _I18N.items():
        for text_lang, text in sorted(getattr(case, attr, {}).items()):
            if clean(text) and (lang is None or text_lang == lang):
                out.append((kind, text_lang, clean(text)))
    metric_langs = {k for m in case.outcome_metrics for k in m.definition_i18n}
    for text_lang in sorted(metric_langs):
        text = outcomes_text(case, text_lang)
        if text and (lang is None or text_lang == lang):
            out.append(("outcomes", text_lang, text))
    who = " ; ".join([p.name for p in case.parties] + [pl.name for pl in case.places if pl.name])
    if who:
        out.append(("who", None, who))
    return out


@dataclass(frozen=True)
class Part:
    """One text of a case a snippet may come from, with its sentences."""

    kind: str
    lang: str | None
    text: str
    sentences: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Prepared:
    """A case's snippet texts for one reader language (see `prepare`)."""

    parts: tuple[Part, ...]
    #: Every part's folded text joined by a line break (never inside a match): each
    #: term is looked for once in it.
    folded: str
    #: Every sentence of every part, in order, as offsets in `folded` (where each starts
    #: and ends) with its part and its index in that part: a match is placed in its
    #: sentence by bisection.
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    owners: tuple[tuple[int, int], ...]


def prepare(case: Case, lang: str | None = None) -> Prepared:
    """What a snippet of `case` reads that does not depend on the query."""
    parts, folded, starts, ends, owners = [], [], [], [], []
    offset = 0
    for kind, text_lang, text in _candidates(case, lang):
        sentences = tuple(_sentences(text))
        for i, (start, end) in enumerate(sentences):
            starts.append(offset + start)
            ends.append(offset + end)
            owners.append((len(parts), i))
        parts.append(Part(kind, text_lang, text, sentences))
        folded.append(fold(text))
        offset += len(text) + 1
    return Prepared(tuple(parts), "\n".join(folded), tuple(starts), tuple(ends), tuple(owners))


def snippet(
    case: Case,
    terms: list[str],
    best_field: str | None = None,
    idf: dict[str, float] | None = None,
    lang: str | None = None,
    groups: Sequence[Sequence[str]] | None = None,
    nordic: bool = False,
) -> Snippet | None:
    """The passage of `case` that best shows why it matched; None only for a case
    without any text.

    `terms` are the words searched for (the query's and their translations);
    `best_field` is the field whose vector matched best; `idf` weighs words by rarity;
    `lang` is the reader's language: its texts win ties and fill in when nothing matches;
    `groups` are the query's parts (`QueryExpansion.groups`: each the word as typed,
    then its alternatives), each counted once (without them, each term is a part);
    `nordic`: the query says Danish, Swedish or Finnish words (`QueryExpansion.nordic`),
    and the chosen sentence's translation is shown instead when it says more of them as
    typed (`_as_typed`; not for an English query, whose words as typed are single words:
    "permanent" would pick a Danish summary over "permanent supportive housing").
    """
    parts = tuple(tuple(g) for g in groups or ())
    return snippet_of(prepare(case, lang), terms, best_field, idf, lang, parts, nordic)


def snippet_of(
    prep: Prepared,
    terms: list[str],
    best_field: str | None = None,
    idf: dict[str, float] | None = None,
    lang: str | None = None,
    groups: tuple[tuple[str, ...], ...] = (),
    nordic: bool = False,
) -> Snippet | None:
    """`snippet` of a case's `prepare`d texts (which a caller can keep); `groups` as
    tuples (`QueryExpansion.parts`), the key its query parts are worked out under."""
    parts = prep.parts
    rank = {k: i for i, k in enumerate(_ORDER)}
    best: tuple[tuple[float, int, int, int], int] | None = None
    if terms:
        found, typed, marked = _sentence_weights(
            prep,
            _patterns(tuple(terms)),
            idf or {},
            _parts_of(groups),
        )
        # Sentences in the order of the parts and within each part: the first of equals wins.
        for g in sorted(found):
            w = found[g]
            if w <= 0:
                continue
            part = parts[prep.owners[g][0]]
            # Names only when nothing else matches: the title is shown anyway.
            key = (
                0.0 if part.kind in ("title", "names") else round(w, 6),
                typed.get(g, 0),
                1 if (lang and part.lang == lang) else 0,
                -rank[part.kind],
            )
            if best is None or key > best[0]:
                best = (key, g)
        if best is not None and parts[prep.owners[best[1]][0]].kind in ("title", "names"):
            # Only the name matched: the title shows that already, so the case's own
            # description is more useful (matches in it still marked).
            other = _fallback(parts, best_field, lang, terms)
            if other is not None and other.kind not in ("title", "names"):
                return other
    if best is not None:
        g = _as_typed(prep, typed, best[1]) if nordic else best[1]
        n, i = prep.owners[g]
        part = parts[n]
        start, end = part.sentences[i]
        # The sentence's matches were found in the joined text: moved to the sentence.
        spans = _merged([(a - prep.starts[g], b - prep.starts[g]) for a, b in marked[g]])
        text, spans = cut(part.text[start:end], spans)
        return Snippet(kind=part.kind, text=text, lang=part.lang, highlights=spans)
    return _fallback(parts, best_field, lang, terms)


def _as_typed(prep: Prepared, typed: dict[int, int], g: int) -> int:
    """Sentence `g`, or the same sentence of its text's translation (the Danish text of
    an English challenge, the Danish summary beside the English one, sentence for
    sentence) when that one says more of a Nordic query's words as typed.

    The two say the same thing, so the reader loses nothing of why the case matched
    and reads it in the words they typed, marked: "stofmisbrug unge" shows a Danish
    case's "De mest udsatte hjemløse unge ..., med misbrug" rather than its English
    original, which says the query only in the glossary's English terms. A translation
    of another number of sentences is not matched sentence for sentence: no change.
    """
    part = prep.parts[prep.owners[g][0]]
    i = prep.owners[g][1]
    best, start = g, 0  # start: the index of `other`'s first sentence among all
    for other in prep.parts:
        translation = other.kind == part.kind and other.lang != part.lang
        aligned = len(other.sentences) == len(part.sentences)
        if translation and aligned and typed.get(start + i, 0) > typed.get(best, 0):
            best = start + i
        start += len(other.sentences)
    return best


@lru_cache(maxsize=512)
def _parts_of(groups: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[int, bool]]]:
    """Per term, the query parts it stands for and whether it is the part as typed (the
    first of its group); a term of no group is a part of its own, as typed. Kept per
    query: a page's snippets share it (the caller must not change it)."""
    out: dict[str, list[tuple[int, bool]]] = {}
    for n, group in enumerate(groups):
        for i, term in enumerate(group):
            out.setdefault(term, []).append((n, i == 0))
    return out


def _sentence_weights(
    prep: Prepared,
    patterns: tuple[tuple[str, str, bool], ...],
    weights: dict[str, float],
    parts_of: dict[str, list[tuple[int, bool]]],
) -> tuple[dict[int, float], dict[int, int], dict[int, list[tuple[int, int]]]]:
    """Per sentence found (index in prep.starts): the summed weight of the query parts
    it says (each part by its best term there), how many of those best terms are the
    part as typed, and the spans of its matched words (offsets in `prep.folded`).

    Each term is looked for once over all the case's texts joined and each match placed
    in its sentence by bisection (a match must lie within the sentence): one scan per
    term, not one per term and part (a case has a dozen parts and dozens of sentences).
    """
    folded, starts, ends = prep.folded, prep.starts, prep.ends
    # Per sentence, per query part: its best (weight, as typed); ties go to the typed.
    best: dict[int, dict[object, tuple[float, bool]]] = {}
    marked: dict[int, list[tuple[int, int]]] = {}
    for term, literal, whole in patterns:
        if literal not in folded:
            continue
        hit: set[int] = set()
        for start, end in _matches(folded, literal, whole):
            g = bisect_right(starts, start) - 1
            if g >= 0 and end <= ends[g]:
                hit.add(g)
                word_end = end + len(_WORD_END.match(folded, end, ends[g]).group())
                marked.setdefault(g, []).append((start, word_end))
        weight = weights.get(term, 1.0)
        said = [((weight, as_typed), part) for part, as_typed in parts_of.get(term, ())] or [
            ((weight, True), term)
        ]
        for g in hit:
            slots = best.get(g)
            if slots is None:
                slots = best[g] = {}
            for value, part in said:
                old = slots.get(part)
                if old is None or value > old:
                    slots[part] = value
    found: dict[int, float] = {}
    typed: dict[int, int] = {}
    for g, slots in best.items():
        found[g] = sum(w for w, _ in slots.values())
        typed[g] = sum(t for _, t in slots.values())
    return found, typed, marked


def _fallback(
    parts: tuple[Part, ...],
    best_field: str | None,
    lang: str | None,
    terms: list[str],
) -> Snippet | None:
    """The start of the best-matching field (or a summary, the intervention ...)."""
    wanted = field_kind(best_field) if best_field and best_field != "whole" else None

    def order(part: Part) -> tuple[int, int, int]:
        return (
            0 if part.kind == wanted else 1,
            0 if (lang and part.lang == lang) else (1 if part.lang in (None, "en") else 2),
            _ORDER.index(part.kind),
        )

    described = any(p.kind not in ("title", "names", "who") for p in parts)
    for part in sorted(parts, key=order):
        if described and part.kind in ("title", "names", "who"):
            continue
        first = _SENTENCE.split(part.text)[0]
        piece, spans = cut(first, highlights(first, terms))
        return Snippet(kind=part.kind, text=piece, lang=part.lang, highlights=spans)
    return None
