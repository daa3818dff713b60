"""Provider/investor model coverage and accuracy on all cases: INDIGO, pipeline, curated.

Imports the INDIGO CSV export (default ../shared/data/indigo/csv: the projects and
pipeline.csv) and the curated corpus into a temporary store with the real importers, so
the models are those the store settles after merging, then reports:
- coverage: the share of cases whose provider (investor) model is known, per country,
  per source (INDIGO project, INDIGO pipeline, curated only) and overall (goal: >= 97%),
  and the provider detail (municipal team, NGO, company ...) the cases get;
- accuracy against the hand-labelled sample in tests/corpus/provider_labels.yaml, with the
  full rules and with the name/type rules alone (no organisation overrides), so the share
  the overrides file carries is visible;
- which rule decided (organisation override, type or role category, name cue);
- the time to settle the models of every case (median of several runs).

Run: `.venv/bin/python bench/bench_provider_models.py [EXPORT_DIR] [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import curated  # noqa: E402
from corpus.model import Case  # noqa: E402
from corpus.provider_models import (  # noqa: E402
    Overrides,
    apply_models,
    default_overrides,
)
from corpus.store import Store  # noqa: E402
from ingest.indigo import pipeline as indigo_pipeline  # noqa: E402
from ingest.indigo.csv_export import read_export  # noqa: E402
from ingest.runner import run_source  # noqa: E402
from ingest.sources import corpus_files  # noqa: E402

DEFAULT_EXPORT = ROOT.parent / "shared" / "data" / "indigo" / "csv"
LABELS = ROOT / "tests" / "corpus" / "provider_labels.yaml"
FIELDS = ("provider_model", "investor_model")


def load_cases(export: Path) -> list[Case]:
    """Every case as the store holds it after importing the export, pipeline and corpus."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        try:
            run_source(store, "indigo", read_export(export), complete=True)
            run_source(
                store, indigo_pipeline.SOURCE, indigo_pipeline.read_csv(export), complete=True
            )
            run_source(store, corpus_files.SOURCE, corpus_files.read(), complete=True)
            return list(store.iter_cases())
        finally:
            store.close()


def source_of(case: Case) -> str:
    """Which dataset a case belongs to: an INDIGO project, a pipeline project, curated only."""
    if "indigo" in case.external_ids:
        return "INDIGO project"
    if "indigo_pipeline" in case.external_ids:
        return "INDIGO pipeline"
    return "curated only"


def rule_of(basis: str | None) -> str:
    """Which rule decided, from a basis string."""
    basis = basis or ""
    if basis.startswith("several kinds"):
        basis = basis.split(": ", 1)[1] if ": " in basis else basis
    for prefix, name in (
        ("curated", "curated"),
        ("override:", "case override"),
        ("override of", "organisation override"),
        ("type of", "type"),
        ("role category of", "role category"),
        ("name of", "name cue"),
        ("no party", "none"),
    ):
        if basis.startswith(prefix):
            return name
    return "other"


def coverage(cases: list[Case], key=None) -> dict[str, dict[str, tuple[int, int]]]:
    """Per country (or per `key(case)`) and 'all': (known, total) for each model field."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {f: [0, 0] for f in FIELDS})
    for case in cases:
        groups = [key(case)] if key else (case.countries or ["??"])
        for country in [*groups, "all"]:
            for field in FIELDS:
                out[country][field][1] += 1
                out[country][field][0] += getattr(case, field) != "unknown"
    return {k: {f: tuple(v) for f, v in d.items()} for k, d in out.items()}


def accuracy(cases: list[Case], labels: dict, overrides: Overrides) -> dict[str, tuple[int, int]]:
    """(correct, judged) per field on the labelled sample, settling models with `overrides`."""
    by_id = {c.external_ids["indigo"]: c for c in cases if "indigo" in c.external_ids}
    score = {f: [0, 0] for f in FIELDS}
    for indigo_id, label in labels.items():
        case = by_id.get(indigo_id)
        if case is None:
            raise SystemExit(f"labelled case {indigo_id} is not in the export")
        bare = case.model_copy(update={f: "unknown" for f in FIELDS})
        settled = apply_models(bare, overrides)
        for field in FIELDS:
            if label[field] is None:
                continue
            score[field][1] += 1
            score[field][0] += getattr(settled, field) == label[field]
    return {f: tuple(v) for f, v in score.items()}


def pct(known: int, total: int) -> str:
    return f"{known}/{total} ({100 * known / total:.1f}%)" if total else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=DEFAULT_EXPORT)
    parser.add_argument("--runs", type=int, default=5, help="timing runs (median reported)")
    args = parser.parse_args()

    cases = load_cases(args.export)
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    cov = coverage(cases)
    print(f"cases: {len(cases)}\n")
    by_source = coverage(cases, source_of)
    print("| source | cases | provider model known | investor model known |")
    print("|---|---|---|---|")
    for name in [*sorted(k for k in by_source if k != "all"), "all"]:
        p, i = by_source[name]["provider_model"], by_source[name]["investor_model"]
        print(f"| {name} | {p[1]} | {pct(*p)} | {pct(*i)} |")
    print()
    print("| country | cases | provider model known | investor model known |")
    print("|---|---|---|---|")
    order = sorted((k for k in cov if k != "all"), key=lambda k: -cov[k]["provider_model"][1])
    shown = [*order[:8], *(c for c in ("DK", "SE", "FI") if c in order[8:])]
    for country in [*shown, "all"]:
        p, i = cov[country]["provider_model"], cov[country]["investor_model"]
        print(f"| {country} | {p[1]} | {pct(*p)} | {pct(*i)} |")
    rest = [c for c in order if c not in shown]
    if rest:
        print(f"\n(other countries: {', '.join(rest)})")

    full = accuracy(cases, labels, default_overrides())
    bare = accuracy(cases, labels, Overrides(cases={}, organisations={}))
    print("\n| accuracy on the labelled sample | provider | investor |")
    print("|---|---|---|")
    print(f"| full rules | {pct(*full['provider_model'])} | {pct(*full['investor_model'])} |")
    print(
        f"| without organisation overrides | {pct(*bare['provider_model'])} "
        f"| {pct(*bare['investor_model'])} |"
    )

    for field in FIELDS:
        rules = Counter(rule_of(getattr(c, f"{field}_basis")) for c in cases)
        models = Counter(getattr(c, field) for c in cases)
        print(f"\n{field}: {dict(models.most_common())}")
        print(f"  decided by: {dict(rules.most_common())}")

    details = Counter(k for c in cases for k in c.provider_detail)
    with_detail = sum(1 for c in cases if c.provider_detail)
    print(f"\nprovider detail known for {pct(with_detail, len(cases))} cases; kinds (a case")
    print(f"counts under each of its providers' kinds): {dict(details.most_common())}")
    nordic = [c for c in cases if set(c.countries) & {"DK", "SE", "FI"}]
    nd = Counter(k for c in nordic for k in c.provider_detail)
    print(f"  Nordic cases ({len(nordic)}): {dict(nd.most_common())}")
    unknown = Counter(source_of(c) for c in cases if c.provider_model == "unknown")
    print(f"  provider model unknown, by source: {dict(unknown.most_common())}")

    report = curated.check()
    unverified = report.unverified
    print(
        f"\ncurated corpus: {len(report.files)} files, {len(report.problems)} problems "
        f"(facts without a source included), {len(unverified)} unverified facts "
        f"in {len({u.file for u in unverified})} files"
    )

    timings = []
    bare_cases = [c.model_copy(update={f: "unknown" for f in FIELDS}) for c in cases]
    for _ in range(args.runs):
        start = time.perf_counter()
        for case in bare_cases:
            apply_models(case)
        timings.append(time.perf_counter() - start)
    per_case = statistics.median(timings) / len(bare_cases) * 1e6
    print(f"\nsettling both models: median {per_case:.0f} µs per case over {args.runs} runs")


if __name__ == "__main__":
    main()
