"""The corpus side of the glossary: which English words and phrases the case texts use,
and which of them the glossary covers.

The glossary is written from this list, never from evaluation queries: the frequent
words and two- and three-word phrases of the English challenge, intervention,
target-population and outcome fields (INDIGO and the curated cases), counted once per
case (document frequency), with function words and numbers left out. A phrase is listed
only when it is frequent in its own right, not only as part of a longer one.

Run: `python -m search.glossary.vocabulary [--data-dir D] [--top N] [--uncovered]`.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from corpus.model import Case
from search.glossary import STOPWORDS, load_glossary, normalise

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Z]{2,}")
_MORE_STOP = (
    "also been can its may more most other over such these those through who will would "
    "all any each per under up out them his her our we you s i e g etc via using use "
    "within between both including based"
)
_EN_STOP = STOPWORDS["en"] | frozenset(_MORE_STOP.split())


def case_texts(case: Case) -> list[str]:
    """The English texts of one case the glossary is written against."""
    texts = [case.social_challenge, case.intervention, case.target_population]
    texts += [case.summary.get("en")]
    for m in case.outcome_metrics:
        texts += [m.definition, m.target_population]
    return [t for t in texts if t]


def _grams(text: str, n_max: int = 3) -> set[str]:
    words = [w.casefold() for w in _WORD.findall(text)]
    out: set[str] = set()
    for n in range(1, n_max + 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            # A phrase that starts or ends with a function word is not a term.
            if gram[0] in _EN_STOP or gram[-1] in _EN_STOP:
                continue
            out.add(" ".join(gram))
    return out


def frequencies(cases: Iterable[Case]) -> Counter[str]:
    """Document frequency of every word and phrase (up to three words) over the cases."""
    df: Counter[str] = Counter()
    for case in cases:
        grams: set[str] = set()
        for t in case_texts(case):
            grams |= _grams(t)
        df.update(grams)
    return df


def covered(term: str) -> bool:
    """Whether the glossary has a concept whose English terms include this word/phrase
    (or whose English terms' words it is part of)."""
    g = load_glossary()
    key = normalise(term)
    for c in g.concepts.values():
        for t in c.english:
            if normalise(t) == key or key in normalise(t).split() and " " not in key:
                return True
        if any(normalise(a) == key for a in c.acronyms):
            return True
    return False


def main() -> None:
    """Print the corpus's frequent terms, marking the ones the glossary covers."""
    from corpus.settings import Settings
    from corpus.store import Store

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=None)
    p.add_argument("--top", type=int, default=300)
    p.add_argument("--min-df", type=int, default=4)
    p.add_argument("--uncovered", action="store_true", help="only the terms not covered")
    args = p.parse_args()
    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    df = frequencies(Store(settings.db_path).iter_cases())
    shown = 0
    for term, n in df.most_common():
        if n < args.min_df or shown >= args.top:
            break
        words = term.split()
        # Skip a phrase whose longer extension is nearly as frequent (it is that one).
        if len(words) == 1 and len(term) < 4:
            continue
        cov = covered(term)
        if args.uncovered and cov:
            continue
        print(f"{n:4d} {'+' if cov else '-'} {term}")
        shown += 1


if __name__ == "__main__":
    main()
