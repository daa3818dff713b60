"""Similar cases by what they do: for every curated case, how many of its 5 similar cases
share its policy area and its target group.

Run: `.venv/bin/python bench/bench_similar.py [--write]`

Data: the benchmark store (bench/_setup.py): the INDIGO projects and the curated cases.
Policy area = the case's main sector. Target group, two ways:
- labels (`bench/target_groups.json`): each case's groups from a fixed list of 22 (young
  people, unemployed, children in care, homeless ...), 1-3 a case, given by a helper
  from the case's texts without reading or running the project; two cases share a
  target group when they have a label in common ("other" is never shared). What the
  default is chosen by;
- glossary concepts (`search/glossary/`) named in the case's target-population text, or
  in its title and intervention when it has none: read by the search's own glossary,
  so a similarity that used those concepts would be measured by itself.
Each variant is a `RankConfig` for `SearchService.similar` (fields compared, bonus for
the same policy area); the variants are scored on the same cases.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._setup import REPO, ensure_data, replace_section  # noqa: E402
from corpus.model import Case  # noqa: E402
from corpus.settings import Settings  # noqa: E402
from corpus.store import Store  # noqa: E402
from search.ranking import RankConfig  # noqa: E402
from search.service import SearchService  # noqa: E402
from search.similar import target_groups  # noqa: E402

N = 5
#: The target-group labels of every case of the benchmark store (see the docstring).
LABELS = REPO / "bench" / "target_groups.json"
WHAT = {"whole": 1.0, "intervention": 1.0, "target": 1.0}


def _variant(weights: dict[str, float], sector: float, group: float = 0.0) -> RankConfig:
    return RankConfig(
        similar_weights=weights, similar_sector_bonus=sector, similar_group_bonus=group
    )


VARIANTS: dict[str, RankConfig] = {
    "whole-case vector (before)": _variant({"whole": 1.0}, 0.0),
    "whole + intervention + target group": _variant(WHAT, 0.0),
    "whole + intervention + target group + challenge": _variant({**WHAT, "challenge": 1.0}, 0.0),
    "whole-case vector + same policy area 0.05": _variant({"whole": 1.0}, 0.05),
    "whole + intervention + target group + same policy area 0.05 (session 16)": _variant(
        WHAT, 0.05
    ),
    "whole + intervention + target group + same policy area 0.1": _variant(WHAT, 0.1),
    "... + same policy area 0.05 + same target group there 0.02 (default)": _variant(
        WHAT, 0.05, 0.02
    ),
    "... + same policy area 0.05 + same target group there 0.05": _variant(WHAT, 0.05, 0.05),
}


def labels() -> dict[str, frozenset[str]]:
    """Each labelled case's target groups; "other" says no group of the list, so it is
    never a group two cases share."""
    data = json.loads(LABELS.read_text(encoding="utf-8"))
    return {cid: frozenset(g) - {"other"} for cid, g in data["labels"].items()}


@dataclass(frozen=True)
class Truth:
    """What a similar case is judged by, read once for every variant: each case (not in
    the pipeline) by id, its labelled target groups and its glossary concepts."""

    cases: dict[str, Case]
    labels: dict[str, frozenset[str]]
    concepts: dict[str, frozenset[str]]


def evaluate(service: SearchService, pool: list[Case], truth: Truth) -> dict[str, float]:
    """Mean share of the N similar cases sharing the policy area, a labelled target
    group, a glossary target-group concept, and both policy area and labelled group."""
    none: frozenset[str] = frozenset()
    totals = dict.fromkeys(("sector", "group", "concept", "both"), 0.0)
    for case in pool:
        mine = truth.labels.get(case.id, none)
        for h in service.similar(case.id, limit=N):
            other = truth.cases[h.id]
            same_sector = bool(case.sector) and other.sector == case.sector
            same_group = bool(mine & truth.labels.get(other.id, none))
            totals["sector"] += same_sector / N
            totals["group"] += same_group / N
            totals["concept"] += bool(truth.concepts[case.id] & truth.concepts[other.id]) / N
            totals["both"] += (same_sector and same_group) / N
    n = max(len(pool), 1)
    return {k: v / n for k, v in totals.items()}


def main() -> None:
    """Score every variant; print; with --write, update bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    settings = Settings(data_dir=ensure_data())
    store = Store(settings.db_path)
    cases = [c for c in store.iter_cases() if c.stage != "pipeline"]
    curated = [c for c in cases if any(p.source == "corpus" for p in c.provenance)]
    truth = Truth({c.id: c for c in cases}, labels(), {c.id: target_groups(c) for c in cases})
    rows = []
    for name, config in VARIANTS.items():
        service = SearchService(settings, store, config=config)
        mine, every = evaluate(service, curated, truth), evaluate(service, cases, truth)
        rows.append(
            f"| {name} | {mine['sector']:.2f} | {mine['group']:.2f} | {mine['concept']:.2f} "
            f"| {mine['both']:.2f} | {every['sector']:.2f} | {every['group']:.2f} "
            f"| {every['both']:.2f} |"
        )
        print(rows[-1], flush=True)
    unlabelled = sum(c.id not in truth.labels for c in cases)
    text = (
        "`.venv/bin/python bench/bench_similar.py --write`: for each of the "
        f"{len(curated)} curated cases (not in the pipeline), and then for each of all "
        f"{len(cases)} cases, the share of its {N} similar cases "
        "(`/api/cases/{id}/similar`) that share its policy area (main sector), its target "
        "group and both. Target group by the labels of `bench/target_groups.json` (1-3 of "
        "22 groups a case, given blind by a helper from the case texts; "
        f"{unlabelled} cases unlabelled) and, for the curated cases, also by a glossary "
        "concept named in both target-group texts.\n\n"
        "| variant | curated: same policy area | same target group (labels) | same target "
        "group (glossary concepts) | both (policy area and labels) | all cases: same "
        "policy area | same target group (labels) | both |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n" + NOTES
    )
    if args.write:
        replace_section(REPO / "bench" / "RESULTS.md", "Similar cases", text)


NOTES = """The default compares the whole-case, intervention and target-group vectors of
two cases (cosine, averaged over the kinds both have), adds 0.05 for the same policy
area, and, among the best 30, 0.02 for a case of the same policy area whose target-group
text names a glossary concept the case's own names too (`search/similar.py`): what a
case does and for whom, rather than the language or country its text is in.

Session 17: the labels were added, as the glossary-concept measure reads the glossary the
search reads. By them, the whole-case vector alone (the first version) found the same
target group for 0.88 of the curated cases' similar cases and session 16's default 0.84,
while the policy area rose from 0.79 to 0.99 and both together from 0.73 to 0.84; over
all cases target group 0.79 -> 0.76, policy area 0.85 -> 1.00, both 0.71 -> 0.76.
- Kept: the target-group bonus within the policy area (above): curated target group
  0.843 -> 0.849 and both 0.838 -> 0.843, all cases 0.765 -> 0.783 and 0.764 -> 0.782,
  the policy area unchanged. The glossary-concept column rises with it (0.64 -> 0.81),
  as it reads the same concepts: the labels are what it was chosen by.
- Tried, not kept (curated cases; same target group / both): the same concept bonus for
  any case, whatever its policy area (session 16's candidate): at 0.02 0.85 / 0.83, at
  0.05 0.85 / 0.81, as it lets other policy areas in; the target-group vector at twice
  the weight 0.85 / 0.84 (all 0.77 / 0.76), without the intervention 0.85 / 0.83, with
  the challenge 0.84 / 0.83; a smaller policy-area bonus, 0.03 0.86 / 0.82 and 0.02 0.87
  / 0.81, the whole-case vector alone with 0.03 0.85 / 0.82: each trades policy area
  for target group.
- Within 0.006 of the default on every column (policy area / target group / both): the
  whole-case vector alone with both bonuses (curated 0.997 / 0.851 / 0.849, all 0.999 /
  0.786 / 0.786, against 0.995 / 0.849 / 0.843 and 0.997 / 0.783 / 0.782), the group
  bonus at 0.01, 0.03 or 0.05. The intervention and target-group vectors stay: they are
  what "what a case does" reads, and the labels cannot tell these apart."""


if __name__ == "__main__":
    main()
