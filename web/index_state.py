"""What the site says about its search index: health's file check and the build banner.

The build runs in another process (`casebank serve` starts it); it reports progress in
the index folder's BUILDING.json, read here for `/api/health` and for the banner every
page shows while it runs ("Søgeindekset bygges: 40 %").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from corpus.settings import Settings
from search import index_files

_lock = threading.Lock()
#: The last file check, by the index's fingerprint: a check reads every file (a few MB),
#: a fingerprint is a few `stat` calls.
_checked: dict[str, tuple[tuple, dict[str, Any]]] = {}


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


def with_index_state(health: Callable[[], dict[str, Any]], settings: Settings) -> dict[str, Any]:
    """The report of `health()` with the files' state (naming a corrupt file) and the
    build's progress: the service's `problems` of a kind the file check or the build
    explains better are replaced by theirs ("corrupt" naming the file, "building" with
    its share).

    The build is looked at before the service reports: a build that ends in between
    has then either shown as building, or published its index before the service
    looked (which then loads it). Looked at after, a build ending in between left the
    service's "no index yet: run `casebank index`", wrong advice for a moment."""
    build = build_state(settings)
    report = dict(health())
    problems = list(report.get("problems", []))
    state = files_state(settings)
    if state["state"] == "corrupt":
        report["status"] = "degraded"
        report["index_file"] = state["file"]
        # The service may only know "no index" or that loading failed; the file check
        # names the bad file, so its message replaces theirs.
        problems = [p for p in problems if p["kind"] not in ("no_index", "corrupt")]
        problems.insert(0, {"kind": "corrupt", "message": state["message"]})
    if build is not None:
        report["build"] = build
        # "No index: run `casebank index`" is wrong advice while one is being built.
        problems = [p for p in problems if p["kind"] != "no_index"]
        problems.insert(
            0,
            {
                "kind": "building",
                "message": f"the search index is being built: {build['percent']} % "
                "(search works by keywords until it is ready)",
            },
        )
    if problems:
        report["problems"] = problems
        report["message"] = "; ".join(p["message"] for p in problems)
    return report
