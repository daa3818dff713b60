"""In which language a search's snippets speak to the reader: for the Danish, Swedish,
Finnish and English queries of the development sets and the first six held-out sets,
the language of each top-10 result's snippet, over all results and over the results
that have a Danish text to show (a Danish summary, challenge, target group, intervention
or outcome metrics).

Run: `.venv/bin/python bench/bench_snippet_language.py [--write]`

A Nordic query is shown a case's Danish text, sentence for sentence, where it says more
of the query's words as typed than the English original (`search/snippets.py`,
`_as_typed`); the second row scores the search with that rule switched off, for the
comparison. The seventh and eighth held-out sets are left out: their rankings are not
read while they are unseen.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import DEV_QUERIES, REPO, ensure_data, replace_section  # noqa: E402
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search import snippets  # noqa: E402
from search.request import SearchRequest  # noqa: E402
from search.service import SearchService  # noqa: E402

#: The sets read: both development sets and the held-out sets already read (the
#: seventh and eighth are unseen).
SETS = [DEV_QUERIES, REPO / "bench" / "dev_queries_more.json"] + [
    REPO / "bench" / f"heldout{n}_queries.json" for n in ("", "2", "3", "4", "5", "6")
]
LANGS = ("da", "sv", "fi", "en")


def has_danish(case) -> bool:
    """Whether the case has a Danish text a snippet may show: one of the texts snippets
    read (`snippets.prepare`) in Danish, beside the name (the result's title shows it)."""
    parts = snippets.prepare(case).parts
    return any(p.lang == "da" and p.kind not in ("title", "names") for p in parts)


def count(service: SearchService, store: Store) -> dict[str, Counter]:
    """Per query language: snippet languages over all top-10 results (`all:<lang>`) and
    over the results with a Danish text (`danish:<lang>`); `None` is the English source
    text."""
    danish: dict[str, bool] = {}
    out: dict[str, Counter] = {lang: Counter() for lang in LANGS}
    for path in SETS:
        for q in json.loads(path.read_text(encoding="utf-8"))["queries"]:
            for hit in service.search(SearchRequest(q=q["q"], limit=10)).results:
                lang = (hit.snippet.lang if hit.snippet else None) or "en"
                if hit.id not in danish:
                    danish[hit.id] = has_danish(store.get_case(hit.id))
                out[q["lang"]][f"all:{lang}"] += 1
                if danish[hit.id]:
                    out[q["lang"]][f"danish:{lang}"] += 1
    return out


def table(rows: dict[str, dict[str, Counter]]) -> str:
    """A markdown table: per variant and query language, the share of snippets in
    Danish over all results and over the results that have a Danish text."""
    lines = [
        "| variant | query language | results | in Danish | results with a Danish text "
        "| of those in Danish |",
        "|---|---|---|---|---|---|",
    ]
    for name, counts in rows.items():
        for lang in LANGS:
            c = counts[lang]
            total = sum(v for k, v in c.items() if k.startswith("all:"))
            with_da = sum(v for k, v in c.items() if k.startswith("danish:"))
            lines.append(
                f"| {name} | {lang} | {total} | {c['all:da']} ({c['all:da'] / total:.0%}) "
                f"| {with_da} | {c['danish:da']} ({c['danish:da'] / max(with_da, 1):.0%}) |"
            )
    return "\n".join(lines)


def main() -> None:
    """Count both variants; print; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    settings = Settings(data_dir=ensure_data())
    store = Store(settings.db_path)
    rows = {"default": count(SearchService(settings, store), store)}
    # The rule switched off: the chosen sentence stays as the ranking of sentences chose.
    with mock.patch.object(snippets, "_as_typed", lambda prep, typed, g: g):
        rows["without the translation rule"] = count(SearchService(settings, store), store)
    text = table(rows)
    print(text)
    if args.write:
        body = (
            "`.venv/bin/python bench/bench_snippet_language.py --write`: the language of "
            "each top-10 result's snippet for the queries of both development sets and the "
            "first six held-out sets, by the query's language; over all results and over "
            "the results that have a Danish text to show (summary, challenge, target group, "
            "intervention or outcome metrics). English is the source texts' language.\n\n"
            + text
            + "\n\nA Danish, Swedish or Finnish query is shown the Danish translation of the "
            "sentence chosen, sentence for sentence, where the case has one that says more "
            "of the query's words as typed (`search/snippets.py`); an English query never "
            "(its words as typed are single words, and a Danish summary that says "
            '"permanent" would win over an English sentence that says "permanent '
            'supportive housing"). The row without the rule keeps the sentence the '
            "ranking of sentences chose (the Danish outcome metrics are snippet texts in "
            "both rows)."
        )
        replace_section(REPO / "bench" / "RESULTS.md", "Snippet language", body)


if __name__ == "__main__":
    main()
