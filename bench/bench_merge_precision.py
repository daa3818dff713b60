"""How often would the cross-source matcher join two *different* INDIGO projects?

Every INDIGO project is distinct, so any pair of projects in one country with start years
that the matcher accepts and a name score at or above the threshold is a merge the
matcher would get wrong if a scraped record looked like one of them. Also reports the
pairs in the near-miss band (what a run report would ask a person to settle) and how long
scoring takes.

Run: `.venv/bin/python bench/bench_merge_precision.py [EXPORT_DIR]`.
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.match import NEAR_BAND, THRESHOLD, _date_factor, name_similarity  # noqa: E402

DEFAULT = ROOT / ".." / "shared" / "data" / "indigo" / "csv"


def load(folder: Path) -> list[tuple[str, str, set[str], int | None, list[str]]]:
    countries: dict[str, set[str]] = defaultdict(set)
    with open(folder / "projects_delivery_locations.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["Location - Country - (Value)"]:
                countries[row["Project ID"]].add(row["Location - Country - (Value)"])
    out = []
    with open(folder / "projects.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            year = row["Dates - Start date of service provision - (Value)"][:4]
            out.append(
                (
                    row["ID"],
                    row["Impact Bond Name - (Value)"],
                    countries[row["ID"]],
                    int(year) if year.isdigit() else None,
                    [a.strip() for a in row["Alternative Names - (Value)"].split(",") if a.strip()],
                )
            )
    return out


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    projects = load(folder)
    timings, wrong, near, pairs = [], [], 0, 0
    for _ in range(3):
        start = time.perf_counter()
        wrong, near, pairs = [], 0, 0
        for i, (a_id, a_name, a_cc, a_year, _) in enumerate(projects):
            for b_id, b_name, b_cc, b_year, _ in projects[i + 1 :]:
                if a_cc and b_cc and not a_cc & b_cc:
                    continue
                pairs += 1
                score = name_similarity(a_name, b_name) * _date_factor(a_year, b_year)
                if score >= THRESHOLD:
                    wrong.append((round(score, 3), a_id, a_name, b_id, b_name))
                elif score >= THRESHOLD - NEAR_BAND:
                    near += 1
        timings.append(time.perf_counter() - start)
    print(f"projects: {len(projects)}, same-country pairs scored: {pairs}")
    print(f"pairs at or above the threshold {THRESHOLD} (would be wrong merges): {len(wrong)}")
    print(f"pairs in the near-miss band: {near}")
    per_pair_us = statistics.median(timings) / max(pairs, 1) * 1e6
    median = statistics.median(timings)
    print(f"median time over 3 runs: {median:.2f} s ({per_pair_us:.1f} µs/pair)")
    # The other side: one project under two names (INDIGO's own alternative names).
    variants = [(n, alt) for _, n, _, _, alts in projects for alt in alts]
    joined = sum(name_similarity(n, alt) >= THRESHOLD for n, alt in variants)
    close = sum(name_similarity(n, alt) >= THRESHOLD - NEAR_BAND for n, alt in variants)
    print(
        f"name/alternative-name pairs of one project: {len(variants)}; merged: {joined}, "
        f"merged or near miss: {close}"
    )
    for item in sorted(wrong, reverse=True)[:15]:
        print("  ", item)


if __name__ == "__main__":
    main()
