"""What INDIGO pipeline records say about their service providers, read from the CSV and
the API shape alike, and settled through a real store on the real pipeline.csv.

The API keys (`misc4.role_domestic_government.service_provider`,
`misc5.service_providers_identified_selected.{request_for_proposals, direct_contracting,
provider_led_development, other}`) are those of the INDIGO data standard's
`schema/pipeline.json` (INDIGO-Initiative/indigo-data-standard), found with the search tool;
the CSV labels are the real export's column names.
"""

from __future__ import annotations

from collections import Counter

from corpus.model import Case
from corpus.store import Store
from ingest.indigo import pipeline
from ingest.runner import run_source

SEL = "Service providers identified and selected - "


def _row(**cells: str) -> dict[str, str]:
    return {"ID": "INDIGO-PL-9001", "Project Name - (Value)": "Sanitation RBF", **cells}


def test_csv_columns_give_the_provider_selection():
    row = _row(
        **{
            "Stage of Development - (Value)": "Late stage",
            "Role of the domestic government - Service provider - (Value)": "No",
            SEL + "Request-for-proposals - (Value)": "Yes",
            SEL + "Direct contracting by outcome funder/investor/intermediary - (Value)": "No",
            SEL + "Provider-led deal development - (Value)": "Yes",
            SEL + "Other - (Value)": "An open call follows the feasibility study",
        }
    )
    case = pipeline.pipeline_to_case("INDIGO-PL-9001", pipeline.row_to_data(row)).case
    sel = case.provider_selection
    assert sel.development_stage == "Late stage"
    assert sel.government_provides is False
    assert sel.methods == ["request_for_proposals", "provider_led"]
    assert sel.other == "An open call follows the feasibility study"
    assert case.parties == []  # the record names no organisation: none is made up


def test_blank_or_placeholder_cells_say_nothing():
    row = _row(
        **{
            "Role of the domestic government - Service provider - (Value)": "",
            SEL + "Other - (Value)": "N/A ",
        }
    )
    case = pipeline.pipeline_to_case("INDIGO-PL-9001", pipeline.row_to_data(row)).case
    assert case.provider_selection is None


def test_the_api_shape_gives_the_same_selection():
    wrap = lambda v: {"value": v}  # noqa: E731
    data = {
        "name": wrap("Sanitation RBF"),
        "stage_development": {"stage": wrap("Late stage")},
        "misc4": {"role_domestic_government": {"service_provider": wrap("Yes")}},
        "misc5": {
            "service_providers_identified_selected": {
                "request_for_proposals": wrap("No"),
                "direct_contracting": wrap("Yes"),
                "provider_led_development": wrap("No"),
                "other": wrap("No"),
            }
        },
    }
    from_api = pipeline.pipeline_to_case("INDIGO-PL-9001", data).case.provider_selection
    row = _row(
        **{
            "Stage of Development - (Value)": "Late stage",
            "Role of the domestic government - Service provider - (Value)": "Yes",
            SEL + "Request-for-proposals - (Value)": "No",
            SEL + "Direct contracting by outcome funder/investor/intermediary - (Value)": "Yes",
            SEL + "Provider-led deal development - (Value)": "No",
            SEL + "Other - (Value)": "No",
        }
    )
    from_csv = pipeline.pipeline_to_case("INDIGO-PL-9001", pipeline.row_to_data(row)).case
    assert from_api == from_csv.provider_selection
    assert from_api.government_provides is True and from_api.methods == ["direct_contracting"]


def test_real_pipeline_every_project_is_known_or_pending_with_its_basis(indigo_csv_dir, tmp_path):
    store = Store(tmp_path / "casebank.db")
    try:
        run_source(store, pipeline.SOURCE, pipeline.read_csv(indigo_csv_dir), complete=True)
        cases: list[Case] = list(store.iter_cases())
    finally:
        store.close()
    states = Counter(
        "pending"
        if c.provider_not_yet_selected
        else ("known" if c.provider_model != "unknown" else "unknown")
        for c in cases
    )
    # Every record that names no provider is marked pending; the rest are known.
    assert states["unknown"] == 0
    assert states["known"] >= 14 and states["pending"] >= 100
    for c in cases:
        assert c.provider_model_basis, c.id
        if c.provider_not_yet_selected:
            assert c.provider_model == "unknown"
            assert c.provider_model_basis.startswith("not yet selected or named: project in design")
            assert "stage: " in c.provider_model_basis
            assert not c.parties_by_role("service_provider")
    # The export's own figures: 4 records say the domestic government delivers.
    gov = [c for c in cases if c.provider_selection and c.provider_selection.government_provides]
    assert len(gov) == 4 and all(c.provider_model == "public" for c in gov)
