"""Similar cases by what they do: for every curated case, how many of its 5 similar cases
share its policy area and its target group.

Run: `.venv/bin/python bench/bench_similar.py [--write]`

Data: the benchmark store (bench/_setup.py): the INDIGO projects and the curated cases.
Policy area = the case's main sector. Target group = the glossary concepts
(`search/glossary/`) named in the case's target-population text, or in its title and
intervention when it has none; two cases share a target group when they name a common
concept. Each variant is a `RankConfig` for `SearchService.similar` (fields compared,
bonus for the same policy area); the variants are scored on the same cases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import REPO, ensure_data, replace_section  # noqa: E402
from corpus.model import Case  # noqa: E402
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search.glossary import load_glossary  # noqa: E402
from search.ranking import RankConfig  # noqa: E402
from search.service import SearchService  # noqa: E402

N = 5
WHAT = {"whole": 1.0, "intervention": 1.0, "target": 1.0}
VARIANTS: dict[str, RankConfig] = {
    "whole-case vector (before)": RankConfig(
        similar_weights={"whole": 1.0}, similar_sector_bonus=0.0
    ),
    "whole + intervention + target group": RankConfig(
        similar_weights=WHAT, similar_sector_bonus=0.0
    ),
    "whole + intervention + target group + challenge": RankConfig(
        similar_weights={**WHAT, "challenge": 1.0}, similar_sector_bonus=0.0
    ),
    "whole-case vector + same policy area 0.05": RankConfig(
        similar_weights={"whole": 1.0}, similar_sector_bonus=0.05
    ),
    "whole + intervention + target group + same policy area 0.05 (default)": RankConfig(
        similar_weights=WHAT, similar_sector_bonus=0.05
    ),
    "whole + intervention + target group + same policy area 0.1": RankConfig(
        similar_weights=WHAT, similar_sector_bonus=0.1
    ),
}


def target_groups(case: Case) -> set[str]:
    """Glossary concepts named in the case's target group (else title and intervention);
    the general words (`general.yaml`: people, aged, improve) name no target group."""
    glossary = load_glossary()
    text = case.target_population or f"{case.title}. {case.intervention or ''}"
    return {m.concept.id for m in glossary.find(text) if m.concept.domain != "general"}


def evaluate(service: SearchService, curated: list[Case], store: Store) -> dict[str, float]:
    """Mean share of the N similar cases sharing the policy area, the target group, both."""
    sector = group = both = 0.0
    groups: dict[str, set[str]] = {}
    for case in curated:
        mine = groups.setdefault(case.id, target_groups(case))
        hits = service.similar(case.id, limit=N)
        s = g = b = 0
        for h in hits:
            other = store.get_case(h.id)
            theirs = groups.setdefault(other.id, target_groups(other))
            same_sector = bool(case.sector) and other.sector == case.sector
            same_group = bool(mine & theirs)
            s += same_sector
            g += same_group
            b += same_sector and same_group
        sector += s / N
        group += g / N
        both += b / N
    n = max(len(curated), 1)
    return {"sector": sector / n, "group": group / n, "both": both / n}


def main() -> None:
    """Score every variant; print; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    settings = Settings(data_dir=ensure_data())
    store = Store(settings.db_path)
    curated = [
        c
        for c in store.iter_cases()
        if any(p.source == "corpus" for p in c.provenance) and c.stage != "pipeline"
    ]
    rows = []
    for name, config in VARIANTS.items():
        got = evaluate(SearchService(settings, store, config=config), curated, store)
        rows.append(f"| {name} | {got['sector']:.2f} | {got['group']:.2f} | {got['both']:.2f} |")
        print(rows[-1], flush=True)
    text = (
        "`.venv/bin/python bench/bench_similar.py --write`: for each of the "
        f"{len(curated)} curated cases (not in the pipeline), the share of its {N} similar "
        "cases (`/api/cases/{id}/similar`) that share its policy area (main sector), its "
        "target group (a glossary concept named in both target-group texts) and both.\n\n"
        "| variant | same policy area | same target group | both |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nThe default compares the whole-case, intervention and target-group vectors "
        "of two cases (cosine, averaged over the kinds both have) and adds 0.05 for the "
        "same policy area: what a case does, rather than the language or country its "
        "text is in. The target-group share is measured with the glossary's concepts "
        "(its general words left out), so it moves when the glossary grows as well as "
        "when `similar()` changes."
    )
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "Similar cases", text)


if __name__ == "__main__":
    main()
