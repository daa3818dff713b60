"""The schedule loop of `casebank schedule`: run the ingest job every interval, for ever.

Kept apart from the job (`ingest.job` runs sources; this module only decides when): the
loop calls `run_once` start to start every interval, logs a run that fails or finds the
lock held, and goes on; Ctrl-C ends it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from corpus.errors import InvalidInput, LockHeld

log = logging.getLogger("casebank.ingest")

_EVERY = re.compile(r"^\s*(\d+)\s*([smhd])\s*$", re.I)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """Seconds in an interval like `30m`, `6h`, `24h` or `1d`; InvalidInput otherwise."""
    m = _EVERY.match(text or "")
    if not m or int(m.group(1)) == 0:
        raise InvalidInput(
            f"--every {text!r}: expected a positive number with a unit s, m, h or d (e.g. 24h)"
        )
    return int(m.group(1)) * _UNIT[m.group(2).lower()]


def run_every(
    seconds: float,
    run_once: Callable[[], Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    runs: int | None = None,
) -> None:
    """Call `run_once` every `seconds` (start to start) until interrupted, or `runs` times.

    A run that raises is logged and the loop goes on; KeyboardInterrupt ends the loop and
    propagates so the caller can exit cleanly.
    """
    done = 0
    while runs is None or done < runs:
        started = clock()
        try:
            run_once()
        except LockHeld as exc:
            log.warning("run skipped: %s", exc)
        except Exception:
            log.exception("ingest run failed; trying again at the next interval")
        done += 1
        if runs is not None and done >= runs:
            return
        sleep(max(0.0, seconds - (clock() - started)))
