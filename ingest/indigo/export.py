"""The one reader of INDIGO's CSV exports: a folder, a .zip file or the bytes of a zip.

The data store writes each export as one zip of CSV files, one per data type: the
record file (`projects.csv`, `organisations.csv`, `funds.csv`, `pipelines.csv`) and one
`<records>_<list>.csv` per list inside a record, always, even when it only has its header
(INDIGO-Initiative/database-app, `indigo/files.py`,
`_update_public_archive_files_file_per_data_type_csv_in_zip_for_records`). So a file that
is missing means a broken export, never an empty list.

What it refuses (`SourceError`, nothing read further):
- a file that is not a regular file (a FIFO, a device) or a link leading outside the
  export folder, checked before it is opened (opening a FIFO would wait for ever);
- a file or zip member larger than `max_bytes`, or a line longer than `max_line`;
- a header without the columns the caller needs, a CSV it cannot parse.

Rows are streamed (the csv module over a text stream), with the physical line each
starts on; a row with bytes that are not UTF-8 or the wrong number of cells comes back
as a `BadRow` with why, so the caller can reject that row alone. `max_rows` bounds the
rows of one file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from corpus.errors import SourceError

#: Largest file (or zip member, uncompressed) read: the real export's largest is ~0.4 MB.
MAX_BYTES = 64_000_000
#: Longest physical line: a cell of a few pages of text is far below it.
MAX_LINE = 1_000_000
#: Most data rows of one file (the real export has ~3,000 in its longest list file).
MAX_ROWS = 200_000

_BAD_BYTES = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Row:
    """One data row: its file, the line it starts on and its cells by header."""

    file: str
    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        """`file:line`, for messages."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be trusted; `cells` holds what could be split (for its id)."""

    file: str
    line: int
    cells: dict[str, str]
    reason: str

    @property
    def where(self) -> str:
        """`file:line`, for messages."""
        return f"{self.file}:{self.line}"


class _Bounded(io.RawIOBase):
    """A binary stream that fails once more than `limit` bytes were read from it."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw, self.limit, self.name, self.size = raw, limit, name, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self.raw.read(len(buffer))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise SourceError(f"{self.name}: cannot be read ({exc})") from exc
        self.size += len(data)
        if self.size > self.limit:
            raise SourceError(f"{self.name}: larger than {self.limit} bytes; not read")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class Export:
    """The CSV files of one export; `rows(name, required)` streams one of them.

    `source` is a folder (or a file inside it, standing for the folder), a .zip file, or
    the bytes of a zip (a download); `label` names it in messages.
    """

    def __init__(
        self,
        source: Path | str | bytes,
        *,
        label: str | None = None,
        max_bytes: int = MAX_BYTES,
        max_line: int = MAX_LINE,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self.max_bytes, self.max_line, self.max_rows = max_bytes, max_line, max_rows
        self._folder: Path | None = None
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        if isinstance(source, bytes):
            self.label = label or "the downloaded zip"
            self._open_zip(io.BytesIO(source))
            return
        path = Path(source)
        self.label = label or str(path)
        if path.is_file() and path.suffix.lower() == ".csv":
            path = path.parent
        if path.is_dir():
            self._folder = path
        elif not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        else:
            self._check_regular(path, None)  # the zip named by the caller may be a link
            self._open_zip(path)

    def _open_zip(self, file: Path | IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"{self.label}: not a readable zip file ({exc})") from exc
        # Shallowest first, so a copy in a subfolder never shadows the export's own file.
        infos = sorted(
            (i for i in self._zip.infolist() if i.filename.lower().endswith(".csv")),
            key=lambda i: (i.filename.count("/"), i.filename),
        )
        for info in infos:
            self._members.setdefault(PurePosixPath(info.filename).name, info)

    def close(self) -> None:
        """Close the zip, if one is open."""
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Export:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def names(self) -> set[str]:
        """Names of the CSV files the export holds."""
        if self._folder is not None:
            return {p.name for p in self._folder.glob("*.csv")}
        return set(self._members)

    def has(self, name: str) -> bool:
        """Whether the export holds `name`."""
        return name in self.names

    def missing(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """Which of `names` the export does not hold."""
        present = self.names
        return [n for n in names if n not in present]

    # -- opening one file, safely --------------------------------------------------------

    def _check_regular(self, path: Path, inside: Path | None) -> Path:
        """The real path of `path` when it is a regular file (within `inside`, if given);
        else SourceError."""
        real = path.resolve()
        if inside is not None and path.is_symlink() and not real.is_relative_to(inside.resolve()):
            raise SourceError(
                f"{path}: a link to {real}, outside the export; only the export's own "
                "files are read"
            )
        try:
            info = os.stat(real)
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "not a regular file"
            )
            raise SourceError(f"{path}: {kind}, not a regular file; not read")
        if info.st_size > self.max_bytes:
            raise SourceError(f"{path}: {info.st_size} bytes, over the {self.max_bytes} limit")
        return real

    def _open(self, name: str) -> IO[bytes]:
        if self._folder is not None:
            path = self._folder / name
            real = self._check_regular(path, self._folder)
            # O_NONBLOCK: were the file swapped for a FIFO since the check, open returns
            # at once instead of waiting for a writer; fstat below then refuses it.
            try:
                fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK)
            except OSError as exc:
                raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise SourceError(f"{path}: not a regular file; not read")
            return _Bounded(os.fdopen(fd, "rb"), self.max_bytes, str(path))  # type: ignore[return-value]
        info = self._members[name]
        where = f"{self.label}:{info.filename}"
        if stat.S_ISLNK(info.external_attr >> 16):
            raise SourceError(f"{where}: a symbolic link inside the zip; not read")
        if info.file_size > self.max_bytes:
            raise SourceError(f"{where}: {info.file_size} bytes, over the {self.max_bytes} limit")
        assert self._zip is not None
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:
            raise SourceError(f"{where}: cannot be read from the zip ({exc})") from exc
        # The member's declared size may lie: the stream is bounded as it is read.
        return _Bounded(raw, self.max_bytes, where)  # type: ignore[return-value]

    def _lines(self, text: IO[str], name: str) -> Iterator[str]:
        number = 0
        while True:
            line = text.readline(self.max_line + 1)
            if not line:
                return
            number += 1
            if len(line) > self.max_line:
                raise SourceError(
                    f"{name}:{number}: a line longer than {self.max_line} characters; "
                    "not an INDIGO export"
                )
            yield line

    # -- rows ----------------------------------------------------------------------------

    def header(self, name: str) -> list[str]:
        """The header of `name` (stripped cells)."""
        for item in self.rows(name, header_only=True):
            return list(item.cells)
        return []

    def rows(
        self,
        name: str,
        required: tuple[str, ...] = (),
        *,
        header_only: bool = False,
        max_rows: int | None = None,
    ) -> Iterator[Row | BadRow]:
        """Stream the data rows of `name`; blank lines are skipped.

        Raises SourceError when the file is missing, unsafe, too big, has no header with
        the `required` columns, cannot be parsed as CSV, or has more than `max_rows` rows
        (default: the export's `max_rows`).
        """
        max_rows = max_rows or self.max_rows
        if not self.has(name):
            raise SourceError(f"{self.label}: {name} not found in the export")
        with self._open(name) as raw:
            # surrogateescape keeps undecodable bytes visible per cell, so only the rows
            # that hold them are rejected instead of the whole file.
            text = io.TextIOWrapper(
                io.BufferedReader(raw),  # type: ignore[arg-type]
                encoding="utf-8-sig",
                errors="surrogateescape",
                newline="",
            )
            reader = csv.reader(self._lines(text, name))
            try:
                header = [h.strip() for h in next(reader, [])]
            except csv.Error as exc:
                raise SourceError(f"{name}:1: cannot read the header ({exc})") from exc
            missing = [c for c in required if c not in header]
            if missing:
                raise SourceError(
                    f"{name}: required column {', '.join(repr(c) for c in missing)} missing "
                    f"(the file has {len(header)} columns); is this the INDIGO CSV export?"
                )
            if header_only:
                yield Row(name, 1, dict.fromkeys(header, ""))
                return
            line, count = reader.line_num, 0
            while True:
                start = line + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise SourceError(f"{name}:{start}: broken CSV ({exc})") from exc
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                count += 1
                if count > max_rows:
                    raise SourceError(f"{name}: more than {max_rows} rows; not an INDIGO export")
                by_header = dict(zip(header, cells, strict=False))
                bad = next((h for h, c in by_header.items() if _BAD_BYTES.search(c)), None)
                if bad is not None:
                    byte = _BAD_BYTES.search(by_header[bad]).group()  # type: ignore[union-attr]
                    yield BadRow(
                        name,
                        start,
                        by_header,
                        f"not valid UTF-8 (byte 0x{ord(byte) - 0xDC00:02X} in column {bad!r}); "
                        "save the file as UTF-8",
                    )
                elif len(cells) != len(header):
                    yield BadRow(
                        name,
                        start,
                        by_header,
                        f"has {len(cells)} cells, the header has {len(header)} columns",
                    )
                else:
                    yield Row(name, start, by_header)
