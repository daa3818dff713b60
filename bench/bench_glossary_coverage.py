"""How many of the content words of caseworker-style Danish, Swedish and Finnish
queries the glossary maps to a concept, and which words it leaves unmapped.

Run: `.venv/bin/python bench/bench_glossary_coverage.py [--set A|B] [--write]`

The queries are `bench/glossary_probes.json`: set A (for finding the glossary's gaps)
and set B (held out: its unmapped words are not read while the glossary is fixed), both
written before any fix, in their own words (not the dev sets'), over every policy area.
A query's content words are its tokens that are not function words of its language
(`search.glossary.STOPWORDS` and the Nordic function words the translated query
renders in English) and not digits; a content word is mapped when a span that
`load_glossary().find(query)` returns covers it. Figures per language and set: the
mean share of mapped content words per query, the pooled share over all content words
and the share of queries with every content word mapped. A word found only as the
known last part of a compound whose first part the glossary does not know
(`fotbollsresultat`) counts as mapped, and is listed apart with its unknown part.
`--write` replaces this benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import REPO, replace_section  # noqa: E402
from search.glossary import _FUNCTION_EN, LANGS, STOPWORDS, load_glossary, normalise  # noqa: E402

PROBES = REPO / "bench" / "glossary_probes.json"
SETS = ("A", "B")
_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Function words per language, normalised as the glossary normalises query tokens.
FUNCTION = {
    lang: frozenset(normalise(w) for w in STOPWORDS[lang]) | frozenset(_FUNCTION_EN)
    for lang in LANGS
}


def words_of(query: str, lang: str) -> list[tuple[str, int, int]]:
    """The content words of one query: (normalised word, start, end)."""
    out = []
    for m in _TOKEN.finditer(query):
        word = normalise(m.group())
        if word.isdigit() or word in FUNCTION[lang]:
            continue
        out.append((word, m.start(), m.end()))
    return out


def coverage(glossary, query: str, lang: str) -> tuple[list[str], list[str], list[str]]:
    """(content words, the unmapped ones, 'word (unknown part)' of the words mapped only
    through a compound's known last part) of one query."""
    matches = glossary.find(query)
    words, unmapped, partly = [], [], []
    for word, start, end in words_of(query, lang):
        words.append(word)
        over = [m for m in matches if m.start <= start and end <= m.end]
        if not over:
            unmapped.append(word)
        elif all(m.modifier for m in over):
            partly.append(f"{word} ({normalise(over[0].modifier)})")
    return words, unmapped, partly


def measure(glossary, probes: list[dict]) -> dict[str, dict]:
    """Per language: the coverage figures and the unmapped words (with counts)."""
    out = {}
    for lang in LANGS:
        shares, n_words, n_mapped, full = [], 0, 0, 0
        unmapped, partly = Counter(), Counter()
        queries = [p["q"] for p in probes if p["lang"] == lang]
        for q in queries:
            words, missed, part = coverage(glossary, q, lang)
            if not words:
                continue
            got = len(words) - len(missed)
            shares.append(got / len(words))
            n_words += len(words)
            n_mapped += got
            full += not missed
            unmapped.update(missed)
            partly.update(part)
        out[lang] = {
            "queries": len(queries),
            "mean": sum(shares) / len(shares) if shares else 0.0,
            "pooled": n_mapped / n_words if n_words else 0.0,
            "full": full / len(shares) if shares else 0.0,
            "words": n_words,
            "unmapped": unmapped,
            "partly": partly,
        }
    return out


def table(results: dict[str, dict[str, dict]]) -> list[str]:
    """One row per set and language: mean share per query, pooled share, full queries."""
    lines = [
        "| set | language | queries | content words | mapped per query (mean) "
        "| mapped (pooled) | queries fully mapped |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, per in results.items():
        for lang, r in per.items():
            lines.append(
                f"| {name} | {lang} | {r['queries']} | {r['words']} | {r['mean']:.2f} "
                f"| {r['pooled']:.2f} | {r['full']:.2f} |"
            )
        words = sum(r["words"] for r in per.values())
        mapped = sum(r["pooled"] * r["words"] for r in per.values())
        queries = sum(r["queries"] for r in per.values())
        mean = sum(r["mean"] * r["queries"] for r in per.values()) / queries
        full = sum(r["full"] * r["queries"] for r in per.values()) / queries
        lines.append(
            f"| {name} | all | {queries} | {words} | {mean:.2f} | {mapped / words:.2f} "
            f"| {full:.2f} |"
        )
    return lines


def word_lists(results: dict[str, dict[str, dict]]) -> list[str]:
    """The unmapped words (and the partly mapped ones) per set and language."""
    lines = []
    for name, per in results.items():
        for lang, r in per.items():
            counts = sorted(r["unmapped"].items())
            listed = ", ".join(w + (f" ×{n}" if n > 1 else "") for w, n in counts)
            total = sum(r["unmapped"].values())
            lines.append(f"- {name} {lang} unmapped ({total}): {listed or '-'}")
            if r["partly"]:
                part = ", ".join(sorted(r["partly"]))
                lines.append(f"- {name} {lang} mapped by the last part only: {part}")
    return lines


NOTES = """\
Session 6: the probes were written and committed before any glossary fix (each language
a third, every policy area, everyday and professional wording). Before any fix, content
words mapped (pooled): set A 0.85 (da 0.83, sv 0.87, fi 0.86), set B 0.87 (da 0.88, sv
0.86, fi 0.88); queries fully mapped A 0.77, B 0.79. The fixes were written from set A's
unmapped words and from the corpus side (the frequent English terms of `python -m
search.glossary.vocabulary`, the Danish words of the curated cases' texts, Danish,
Swedish and Finnish caseworker words for those concepts), each only as a form of a
concept whose English terms the case texts use; set B's unmapped words were first read
after those fixes; of the later changes, one (the home words dropped from housing)
followed a rendering seen in set B ('vård i hemmet' -> 'vård i housing'), the others
(ansatte/anställda as staff, the false parts below found in the dictionaries) came from
no probe, and B moved only with the first (Swedish 0.91 -> 0.90: hemmet unmapped again).
Most words still unmapped are function words the rules do not list (Danish hvor, deres,
gerne, vil, man; Swedish bara, får, varit; Finnish ilman, jälkeen, joilla) or general
words of no concept (sociale, privat, julkinen). Danish B loses one word: brug (of har
brug for, "needs") had matched patients through brugere, which the session dropped
because it made the verb bruge (use) a patient. Coverage counts a word mapped to any
concept; the session also removed false matches of everyday words, which it does not
show: Danish muligheder met inequality (ulighed inside it), Swedish undersökning
increase (ökning), samarbejde/samarbete employment (arbejde/arbete; now collaboration),
Finnish yhteiskunta municipality (kunta; now society), tavallinen government (a weak
grade derived from valtio), tärkeä everyday life, gemensam loneliness, miljoner
environment, koster/kostar diet, institutionelle residential care, and, from every
dictionary lemma of simplemma's Danish, Swedish and Finnish word lists run through the
glossary, kommunikation municipality (Swedish kommun inside it; now communication),
betydelse benefits (Danish ydelse), ansökning increase, drabbande gangs (Danish bande),
satunnainen women (nainen), plante loans (lånte). Set A's Swedish share falls 0.94 ->
0.93 at the last of these: betydelse (importance) is rightly unmapped now. Both dev sets
unchanged throughout (nDCG@10 0.864 / 0.769).

Session 11: an audit of the renderings (helper glossary-audit, from the concepts and
its own phrases, set A and no evaluation query read: care homes were home care, infants
maternal health, language tuition integration, wage subsidies work experience,
foundations nonprofit, and more; `git log` of the glossary files). Pooled, set A 0.93 ->
0.94 (Danish lejeboliger now housing), set B 0.91 -> 0.91 (Swedish särskild of
"särskilt boende", care homes). Every word of simplemma's Danish, Swedish and Finnish
dictionaries run through the glossary before and after the audit (about 4 million
forms) showed what the new forms also meet, and two were taken back: Danish brugere and
Swedish brukare as service users (their stems are the verbs': "har brug for", "vi
bruger", "de brukar" had become service users; session 6 had dropped brugere as
patients for the same reason), and Finnish säätiö* as a stem, which folded sits inside
organisaatio (organisation) and every -isaatio word (now exact, its inflections meeting
it by their lemma; organisaatio had rendered nonprofit before the audit too)."""


def main() -> None:
    """Print the figures and the unmapped words; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, action="append", help="only this set")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    started = time.perf_counter()
    probes = json.loads(PROBES.read_text(encoding="utf-8"))
    glossary = load_glossary()
    chosen = args.set or list(SETS)
    results = {name: measure(glossary, probes[name]) for name in chosen}
    text = "\n".join(table(results)) + "\n\n" + "\n".join(word_lists(results))
    print(text)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if args.write:
        if set(chosen) != set(SETS):
            sys.exit("--write needs both sets")
        body = (
            "`.venv/bin/python bench/bench_glossary_coverage.py --write`: the share of the "
            "content words (not function words, not digits) of the Danish, Swedish and "
            "Finnish probe queries of `bench/glossary_probes.json` that the glossary maps "
            "to a concept. Set A was used to find the gaps; set B is held out (the honest "
            "figure).\n\n" + text + "\n\n" + NOTES
        )
        replace_section(REPO / "bench" / "RESULTS.md", "Glossary coverage of probe queries", body)


if __name__ == "__main__":
    main()
