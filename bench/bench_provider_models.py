"""Provider/investor model coverage and accuracy on all cases: INDIGO, pipeline, curated.

Imports the INDIGO CSV export (default ../shared/data/indigo/csv: the projects and
pipeline.csv) and the curated corpus into a temporary store with the real importers, so
the models are those the store settles after merging, then reports:
- coverage: the share of cases whose provider (investor) model is known, per country,
  per source (INDIGO project, INDIGO pipeline, curated only) and overall (goal: >= 97%),
  the provider counted twice: strictly known, and known or "not yet chosen or named" (a
  project in design whose record names no provider),
  and the provider detail (municipal team, NGO, company ...) the cases get;
- accuracy against the hand-labelled sample in tests/corpus/provider_labels.yaml, with the
  full rules and with the name/type rules alone (no organisation overrides), so the share
  the overrides file carries is visible;
- which rule decided (organisation override, type or role category, name cue);
- the time to settle the models of every case (median of several runs).

Run: `.venv/bin/python bench/bench_provider_models.py [EXPORT_DIR] [--runs N] [--write]`
(`--write` replaces the "Provider models" section of bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._setup import replace_section  # noqa: E402
from corpus import curated  # noqa: E402
from corpus.model import Case, ProviderSelection  # noqa: E402
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
#: A case's models unset, their bases too: a curated basis keeps even "unknown" as the
#: editors' finding, which would hide what the rules say.
BARE = {**{f: "unknown" for f in FIELDS}, **{f"{f}_basis": None for f in FIELDS}}
GOAL = 0.97


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
        ("not yet selected", "not yet chosen or named"),
    ):
        if basis.startswith(prefix):
            return name
    return "other"


#: What coverage counts: the provider model strictly known; known or "not yet chosen or
#: named" (a project in design naming no provider, `Case.provider_not_yet_selected`); the
#: investor model known.
COUNTS = {
    "provider_model": lambda c: c.provider_model != "unknown",
    "provider_or_pending": lambda c: c.provider_model != "unknown" or c.provider_not_yet_selected,
    "investor_model": lambda c: c.investor_model != "unknown",
}


def coverage(cases: list[Case], key=None) -> dict[str, dict[str, tuple[int, int]]]:
    """Per country (or per `key(case)`) and 'all': (known, total) for each of `COUNTS`."""
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: {f: [0, 0] for f in COUNTS})
    for case in cases:
        groups = [key(case)] if key else (case.countries or ["??"])
        for country in [*groups, "all"]:
            for name, known in COUNTS.items():
                out[country][name][1] += 1
                out[country][name][0] += bool(known(case))
    return {k: {f: tuple(v) for f, v in d.items()} for k, d in out.items()}


def accuracy(cases: list[Case], labels: dict, overrides: Overrides) -> dict[str, tuple[int, int]]:
    """(correct, judged) per field on the labelled sample, settling models with `overrides`."""
    by_id = {c.external_ids["indigo"]: c for c in cases if "indigo" in c.external_ids}
    score = {f: [0, 0] for f in FIELDS}
    for indigo_id, label in labels.items():
        case = by_id.get(indigo_id)
        if case is None:
            raise SystemExit(f"labelled case {indigo_id} is not in the export")
        bare = case.model_copy(update=BARE)
        settled = apply_models(bare, overrides)
        for field in FIELDS:
            if label[field] is None:
                continue
            score[field][1] += 1
            score[field][0] += getattr(settled, field) == label[field]
    return {f: tuple(v) for f, v in score.items()}


def pct(known: int, total: int) -> str:
    return f"{known}/{total} ({100 * known / total:.1f}%)" if total else "-"


def _row(name: str, cov: dict[str, tuple[int, int]]) -> str:
    p, q, i = cov["provider_model"], cov["provider_or_pending"], cov["investor_model"]
    return f"| {name} | {p[1]} | {pct(*p)} | {pct(*q)} | {pct(*i)} |"


HEADER = (
    "| {what} | cases | provider model known | known or not yet chosen/named "
    "| investor model known |\n|---|---|---|---|---|"
)


def report(cases: list[Case], labels: dict, runs: int) -> list[str]:
    """The measurements as Markdown lines (printed, and the RESULTS.md section with --write)."""
    out: list[str] = []
    cov = coverage(cases)
    by_source = coverage(cases, source_of)
    out.append(HEADER.format(what="source"))
    for name in [*sorted(k for k in by_source if k != "all"), "all"]:
        out.append(_row(name, by_source[name]))
    out.append("")
    out.append(HEADER.format(what="country"))
    order = sorted((k for k in cov if k != "all"), key=lambda k: -cov[k]["provider_model"][1])
    shown = [*order[:8], *(c for c in ("DK", "SE", "FI") if c in order[8:])]
    for country in [*shown, "all"]:
        out.append(_row(country, cov[country]))
    rest = [c for c in order if c not in shown]
    if rest:
        out.append(f"\n(other countries: {', '.join(rest)})")

    total = by_source["all"]
    for name, label in (
        ("provider_model", "strictly known"),
        ("provider_or_pending", "known or not yet chosen/named"),
    ):
        known, n = total[name]
        met = "met" if n and known / n >= GOAL else "not met"
        out.append(
            f"\nGoal (provider model for >= 97% of all cases), {label}: {pct(known, n)}, {met}."
        )

    pending = [c for c in cases if c.provider_not_yet_selected]
    stages = Counter(
        (c.provider_selection.development_stage if c.provider_selection else None) or "not given"
        for c in pending
    )
    methods = Counter(m for c in pending for m in (c.provider_selection or _NONE).methods)
    out.append(
        f"\nNot yet chosen or named: {len(pending)} cases (by source: "
        f"{dict(Counter(source_of(c) for c in pending).most_common())}); their stage of "
        f"development: {dict(stages.most_common())}; selection the record names: "
        f"{dict(methods.most_common()) or 'none'}."
    )

    full = accuracy(cases, labels, default_overrides())
    bare = accuracy(cases, labels, Overrides(cases={}, organisations={}))
    out.append("\n| accuracy on the labelled sample | provider | investor |")
    out.append("|---|---|---|")
    out.append(f"| full rules | {pct(*full['provider_model'])} | {pct(*full['investor_model'])} |")
    out.append(
        f"| without organisation overrides | {pct(*bare['provider_model'])} "
        f"| {pct(*bare['investor_model'])} |"
    )

    for field in FIELDS:
        rules = Counter(rule_of(getattr(c, f"{field}_basis")) for c in cases)
        models = Counter(getattr(c, field) for c in cases)
        out.append(
            f"\n{field}: {dict(models.most_common())}; decided by: {dict(rules.most_common())}"
        )

    details = Counter(k for c in cases for k in c.provider_detail)
    with_detail = sum(1 for c in cases if c.provider_detail)
    nordic = [c for c in cases if set(c.countries) & {"DK", "SE", "FI"}]
    nd = Counter(k for c in nordic for k in c.provider_detail)
    unknown = Counter(source_of(c) for c in cases if c.provider_model == "unknown")
    out.append(
        f"\nProvider detail known for {pct(with_detail, len(cases))} cases; kinds (a case "
        f"counts under each of its providers' kinds): {dict(details.most_common())}. "
        f"Nordic cases ({len(nordic)}): {dict(nd.most_common())}. Provider model unknown, "
        f"by source: {dict(unknown.most_common())}."
    )

    check = curated.check()
    unverified = check.unverified
    out.append(
        f"\nCurated corpus: {len(check.files)} files, {len(check.problems)} problems "
        f"(facts without a source included), {len(unverified)} unverified facts "
        f"in {len({u.file for u in unverified})} files."
    )

    timings = []
    bare_cases = [c.model_copy(update=BARE) for c in cases]
    for _ in range(runs):
        start = time.perf_counter()
        for case in bare_cases:
            apply_models(case)
        timings.append(time.perf_counter() - start)
    per_case = statistics.median(timings) / len(bare_cases) * 1e6
    out.append(f"\nSettling both models: median {per_case:.0f} µs per case over {runs} runs.")
    return out


_NONE = ProviderSelection()

INTRO = """\
`bench/bench_provider_models.py --write` imports the INDIGO CSV export (projects and
`pipeline.csv`) and the curated corpus into a temporary store with the real importers, and
measures the provider/investor models the store settles (`corpus/provider_models.py`,
`corpus/model_overrides.yaml`). Run of {date}, {n} cases.

Two provider counts, so nobody is misled: **strictly known** (a provider model other than
`unknown`) and **known or not yet chosen/named**: a project still in design (INDIGO
pipeline, all "State of Development: Current") whose record names no service provider
keeps `provider_model: unknown` (the API's codelist) but is marked
`provider_not_yet_selected`, with a basis giving its stage of development and what the
record says of the selection (request for proposals, direct contracting, provider-led
deal), e.g. "not yet selected or named: project in design, no service provider named
(INDIGO pipeline, stage: Early stage); to be chosen by a request for proposals". The case
page shows it as "Endnu ikke valgt eller oplyst (projekt under udformning)" / "Not yet
chosen or named (project in design)". A pipeline record whose domestic government is a
service provider counts a public provider (rule); the rest of the pipeline's known models
are case entries in `model_overrides.yaml` quoting the record. The strict count is the one
to quote as "known".

Investor models of pipeline projects stay `unknown`: the record's "Proposed financing
instruments" (debt, equity, guarantee, grant) say what form the money takes, not who
puts it up (a grant may come from a foundation or a government, debt from a bank or a
development finance institution), so they are no basis for public / philanthropic /
commercial.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", nargs="?", type=Path, default=DEFAULT_EXPORT)
    parser.add_argument("--runs", type=int, default=5, help="timing runs (median reported)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()

    cases = load_cases(args.export)
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    lines = report(cases, labels, args.runs)
    print(f"cases: {len(cases)}\n")
    print("\n".join(lines))
    if args.write:
        intro = INTRO.format(date=datetime.date.today().strftime("%-d %B %Y"), n=len(cases))
        replace_section(
            ROOT / "bench" / "RESULTS.md", "Provider models", intro + "\n" + "\n".join(lines)
        )


if __name__ == "__main__":
    main()
