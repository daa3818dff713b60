"""Settings: one table of CASEBANK_* variables, unknown ones refused, values checked."""

from __future__ import annotations

import pytest

from corpus.errors import InvalidInput
from corpus.settings import SETTINGS, Settings


def test_unknown_casebank_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBANK_BASEURL", "https://casebank.example.dk")
    with pytest.raises(InvalidInput, match="unknown setting CASEBANK_BASEURL.*CASEBANK_BASE_URL"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("https://casebank.example.dk/", "https://casebank.example.dk"),
     ("http://localhost:8000/sub", "http://localhost:8000/sub"), ("", "")],
)  # fmt: skip
def test_base_url_is_read_and_normalised(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("CASEBANK_BASE_URL", value)
    settings = Settings.from_env()
    assert settings.base_url == expected
    assert settings.absolute("/cases/x") == (expected + "/cases/x" if expected else "/cases/x")


@pytest.mark.parametrize("value", ["casebank.example.dk", "ftp://x.example", "https://x/?a=1"])
def test_bad_base_url_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CASEBANK_BASE_URL", value)
    with pytest.raises(InvalidInput, match="CASEBANK_BASE_URL"):
        Settings.from_env()


def test_numbers_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBANK_WORKERS", "two")
    with pytest.raises(InvalidInput, match="CASEBANK_WORKERS='two' is not a number"):
        Settings.from_env()
    monkeypatch.setenv("CASEBANK_WORKERS", "3")
    monkeypatch.setenv("CASEBANK_INGEST_MAX_AGE", "0")
    with pytest.raises(InvalidInput, match="CASEBANK_INGEST_MAX_AGE='0' must be above 0"):
        Settings.from_env()
    monkeypatch.setenv("CASEBANK_INGEST_MAX_AGE", "6")
    settings = Settings.from_env()
    assert settings.workers == 3 and settings.ingest_max_age == 6.0


def test_every_settings_field_is_in_the_table() -> None:
    fields = {s.field for s in SETTINGS if s.field}
    assert fields <= set(Settings.__dataclass_fields__)
    assert {"data_dir", "base_url", "workers"} <= fields
