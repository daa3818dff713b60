"""A word bridge: query words the case texts never use, mapped to the nearest word they do.

multilingual-e5 places many single words near their translations ("hjemløse" near
"homeless", "demensvård" near "dementia", "komplexa" near "complex") even where it
blurs a whole foreign sentence. The bridge uses that: the vocabulary of the case texts
(English mostly) is embedded once at index time; at query time each query word that
is not in it is embedded and replaced by its nearest vocabulary word, if that word is
close enough. The translations then feed both sides of the ranking: the dense query
gets their vector added, the lexical query searches them (so a Danish query can match
English text exactly), instead of Danish words that only the few Danish texts contain.

No word list is written by hand: the vocabulary comes from the cases, the mapping from
the model, and the threshold is calibrated per model at index time (how close a word
comes to itself versus to other words), so other embedders get their own scale.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from search.embedders import Embedder
from search.texts import SUMMARY_PREFIX

#: Shorter words are not mapped (too ambiguous as single words, mostly function words).
MIN_LEN = 4
#: Query words whose mapping is remembered (oldest forgotten first).
MAX_CACHED = 20_000
#: A vocabulary word must occur this often in the cases (drops typos and one-off names).
MIN_COUNT = 2
#: Where between "another word" (0) and "the same word" (1) a translation must lie.
CALIBRATION = 0.55
#: Words embedded per call (progress is reported after each).
WORD_BATCH = 256
#: Words sampled for the calibration.
SAMPLE = 200

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def words_of(text: str) -> list[str]:
    """Lower-cased words of at least two letters (hyphenated words kept whole)."""
    return [w for w in _WORD.findall(text.casefold()) if len(w) >= 2]


def vocabulary(case_texts: Iterable[dict[str, str]]) -> list[str]:
    """Words of the cases' source-language fields (not the translated summaries/names);
    `case_texts` holds each case's `search.texts.field_texts`."""
    counts: Counter[str] = Counter()
    for texts in case_texts:
        for fld, text in texts.items():
            if fld in ("whole", "names") or (
                fld.startswith(SUMMARY_PREFIX) and fld != SUMMARY_PREFIX + "en"
            ):
                continue
            counts.update(words_of(text))
    return sorted(w for w, n in counts.items() if n >= MIN_COUNT)


def calibrate(embedder: Embedder, words: list[str], vectors: np.ndarray) -> float:
    """The similarity a translation needs, on this model's scale.

    For a sample of vocabulary words, compare each word embedded as a query with itself
    embedded as a passage ("same") and with the other words ("other"); the threshold
    lies `CALIBRATION` of the way from the mean "other" to the mean "same".
    """
    if len(words) < 10:
        return 1.0  # too few words to calibrate: never translate
    rng = np.random.default_rng(0)
    idx = rng.choice(len(words), size=min(SAMPLE, len(words)), replace=False)
    q = embedder.embed_queries([words[i] for i in idx])
    sims = q @ vectors.T
    same = float(np.mean(sims[np.arange(len(idx)), idx]))
    other = float(np.mean(sims))
    return other + CALIBRATION * (same - other)


class WordBridge:
    """The vocabulary with its vectors and threshold; maps foreign query words."""

    def __init__(
        self, words: list[str], vectors: np.ndarray, threshold: float, short: list[str]
    ) -> None:
        #: Embedded words (at least MIN_LEN letters), row i of `vectors` is words[i].
        self.words = words
        self.vectors = vectors
        self.threshold = threshold
        #: Shorter words of the vocabulary: known, never mapped.
        self.short = short
        self.known = set(words) | set(short)
        self._cache: dict[str, str | None] = {}

    def save(self, folder: Path) -> None:
        """Write `vocab.json` and `vocab.npy` into a generation folder."""
        np.save(folder / "vocab.npy", np.ascontiguousarray(self.vectors, dtype=np.float32))
        data = {"threshold": self.threshold, "words": self.words, "short": self.short}
        (folder / "vocab.json").write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> WordBridge:
        """Read a generation's bridge (raises OSError/ValueError when unreadable)."""
        data = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "vocab.npy")
        if vectors.shape[0] != len(data["words"]):
            raise ValueError(f"{len(data['words'])} words but {vectors.shape[0]} vectors")
        return cls(data["words"], vectors, float(data["threshold"]), data["short"])

    def foreign(self, terms: list[str]) -> list[str]:
        """Query words the bridge would try to map and has not mapped yet."""
        return [
            t for t in terms if len(t) >= MIN_LEN and t not in self.known and t not in self._cache
        ]

    def translate(
        self, embedder: Embedder, terms: list[str], vectors: np.ndarray | None = None
    ) -> dict[str, str]:
        """`{query word: vocabulary word}` for the query words that are foreign and mappable.

        `vectors` may hold the query vectors of `self.foreign(terms)`, embedded by the
        caller in the same batch as the query itself.
        """
        foreign = [t for t in terms if len(t) >= MIN_LEN and t not in self.known]
        mapped = {t: self._cache[t] for t in foreign if t in self._cache}
        todo = [t for t in foreign if t not in mapped]
        if todo and len(self.words):
            if vectors is None or len(vectors) != len(todo):
                vectors = embedder.embed_queries(todo)
            sims = vectors @ self.vectors.T
            for t, row in zip(todo, sims, strict=True):
                best = int(np.argmax(row))
                mapped[t] = self._cache[t] = (
                    self.words[best] if row[best] >= self.threshold else None
                )
            # A long-running server sees endless new words: forget the oldest mappings.
            while len(self._cache) > MAX_CACHED:
                self._cache.pop(next(iter(self._cache)))
        return {t: mapped[t] for t in foreign if mapped.get(t)}


def build_bridge(
    embedder: Embedder,
    case_texts: list[dict[str, str]],
    previous: WordBridge | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[WordBridge, int]:
    """The bridge for the cases' field texts, reusing the previous one's vectors;
    returns (bridge, words embedded). `progress(done, total)` follows the embedding."""
    every = vocabulary(case_texts)
    words = [w for w in every if len(w) >= MIN_LEN]
    short = [w for w in every if len(w) < MIN_LEN]
    old = {w: i for i, w in enumerate(previous.words)} if previous else {}
    new = [w for w in words if w not in old]
    fresh = np.zeros((len(new), embedder.dim), np.float32)
    for start in range(0, len(new), WORD_BATCH):
        fresh[start : start + WORD_BATCH] = embedder.embed_documents(
            new[start : start + WORD_BATCH]
        )
        if progress:
            progress(min(start + WORD_BATCH, len(new)), len(new))
    pos = {w: i for i, w in enumerate(new)}
    vectors = np.zeros((len(words), embedder.dim), dtype=np.float32)
    for i, w in enumerate(words):
        vectors[i] = fresh[pos[w]] if w in pos else previous.vectors[old[w]]
    if previous is not None and not new and len(words) == len(previous.words):
        threshold = previous.threshold
    else:
        threshold = calibrate(embedder, words, vectors)
    return WordBridge(words, vectors, threshold, short), len(new)


def lexical_terms(terms: list[str], translated: dict[str, str], known: set[str]) -> list[str]:
    """The terms the lexical index is asked for.

    A mapped foreign word is replaced by its translation; a short word the case texts
    never use is dropped (a function word of another language, like "og" or "med", which
    would otherwise match only the few texts in that language); the rest stay.
    """
    out: list[str] = []
    for t in terms:
        if t in translated:
            t = translated[t]
        elif len(t) < MIN_LEN and t.isalpha() and t not in known:
            continue
        if t not in out:
            out.append(t)
    return out


def translate_text(text: str, translated: dict[str, str]) -> str:
    """The text with each mapped word replaced by its translation (case-insensitively)."""

    def swap(m: re.Match[str]) -> str:
        return translated.get(m.group(0).casefold(), m.group(0))

    return re.sub(r"\w+", swap, text)
