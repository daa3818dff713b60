"""What the site says about its search index: health's file check and the build banner.

The build runs in another process (`casebank serve` starts it); it reports progress in
the index folder's BUILDING.json, read here for `/api/health` and for the banner every
page shows while it runs ("Søgeindekset bygges: 40 %").
"""

from __future__ import annotations

import threading
from typing import Any

from corpus.settings import Settings
from search import index_files

_lock = threading.Lock()
#: The last file check, by the index's fingerprint: a check reads every file (a few MB),
#: a fingerprint is a few `stat` calls.
_checked: dict[str, tuple[tuple, dict[str, Any]]] = {}


def _no_index(problem: str) -> bool:
    """A problem that only says no (semantic) index exists yet, with its advice."""
    return "no search index" in problem or "no semantic search index" in problem


def files_state(settings: Settings) -> dict[str, Any]:
    """`index_files.status` of the live generation, checked again only when it changed."""
    key = str(settings.index_dir)
    fp = index_files.fingerprint(settings.index_dir)
    with _lock:
        hit = _checked.get(key)
        if hit and hit[0] == fp:
            return hit[1]
    state = index_files.status(settings.index_dir)
    with _lock:
        _checked[key] = (fp, state)
    return state


def build_state(settings: Settings) -> dict[str, Any] | None:
    """The build under way (`{done, total, percent, seconds}`), or None."""
    return index_files.build_progress(settings.index_dir)


def with_index_state(report: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A health report with the files' state (naming a corrupt file) and the build's progress."""
    report = dict(report)
    problems = [report["message"]] if report.get("message") else []
    state = files_state(settings)
    if state["state"] == "corrupt":
        report["status"] = "degraded"
        report["index_file"] = state["file"]
        # The service may only know "no index"; the file check knows which file is bad.
        problems = [p for p in problems if not _no_index(p) and state["file"] not in p]
        problems.insert(0, state["message"])
    build = build_state(settings)
    if build is not None:
        report["build"] = build
        # "No index: run `casebank index`" is wrong advice while one is being built.
        problems = [p for p in problems if not _no_index(p)]
        problems.insert(
            0,
            f"the search index is being built: {build['percent']} % "
            "(search works by keywords until it is ready)",
        )
    if problems:
        report["message"] = "; ".join(problems)
    return report
