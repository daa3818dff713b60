"""The curated case files as an ingest source (`casebank ingest corpus`).

Each valid file becomes a `Case` item of source "corpus"; a file with problems becomes a
`Reject` naming the file and every problem, so the other files are still imported and
the record the broken file stood for keeps its last good version. The source is complete:
a case whose file was deleted is removed from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from corpus.curated import read_files
from corpus.model import Provenance
from ingest.context import SourceContext
from ingest.runner import Item, Reject, record_id_of

SOURCE = "corpus"
#: The files are the whole source: a case whose file is gone is removed (see ingest.job).
COMPLETE = True


def items(ctx: SourceContext) -> Iterator[Item]:
    """The source as the job runs it: the files of option `folder` (default: packaged)."""
    folder = ctx.option("folder")
    return read(Path(folder) if folder else None)


def read(folder: Path | None = None) -> Iterator[Item]:
    """Cases and rejects from the curated files of `folder` (default: the packaged corpus)."""
    for f in read_files(folder):
        if not f.ok or f.case is None:
            reason = "; ".join(
                f"{p.field}: {p.message}" if p.field else p.message for p in f.problems
            )
            yield Reject(where=f.path.name, reason=reason, record_id=f.record_key)
            continue
        case = f.case
        rid = record_id_of(case)
        yield case.model_copy(
            update={"provenance": [Provenance(source=SOURCE, record_id=rid, url=None)]}
        )
