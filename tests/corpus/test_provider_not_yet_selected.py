"""Projects still in design: the domestic government as provider, and "not yet chosen or
named" as a state with its basis, never a guessed provider."""

from corpus.model import Case, Party, ProviderSelection
from corpus.provider_models import Overrides, apply_models, not_yet_selected_basis

NO_OVERRIDES = Overrides(cases={}, organisations={})


def pipeline_case(selection: ProviderSelection | None = None, *parties: Party, **kw) -> Case:
    return Case(
        id=kw.pop("id", "indigo-pl-9001"),
        title="A project in design",
        stage=kw.pop("stage", "pipeline"),
        provider_selection=selection,
        parties=list(parties),
        **kw,
    )


def test_a_design_project_naming_no_provider_is_not_yet_selected_with_its_stage():
    selection = ProviderSelection(
        development_stage="Early stage", methods=["request_for_proposals"]
    )
    settled = apply_models(pipeline_case(selection), NO_OVERRIDES)
    assert settled.provider_model == "unknown"  # the API's codelist is kept
    assert settled.provider_not_yet_selected is True
    assert settled.provider_model_basis == (
        "not yet selected or named: project in design, no service provider named "
        "(INDIGO pipeline, stage: Early stage); to be chosen by a request for proposals"
    )
    # Nothing is invented: no party, no provider detail.
    assert settled.parties == [] and settled.provider_detail == []


def test_the_record_s_own_words_are_quoted_and_a_missing_stage_is_said():
    long = "Service providers not yet selected. " + "The procurement is open. " * 10
    selection = ProviderSelection(methods=["provider_led"], other=long)
    basis = not_yet_selected_basis(pipeline_case(selection))
    assert "stage: not given" in basis and "a provider-led deal" in basis
    assert 'the record says: "Service providers not yet selected.' in basis
    assert basis.endswith('..."') and len(basis) < 400
    assert not_yet_selected_basis(pipeline_case(None)).endswith(
        "(INDIGO pipeline, stage: not given)"
    )


def test_the_domestic_government_as_provider_is_public_not_pending():
    selection = ProviderSelection(development_stage="Late stage", government_provides=True)
    settled = apply_models(pipeline_case(selection), NO_OVERRIDES)
    assert settled.provider_model == "public"
    assert settled.provider_model_basis == (
        "pipeline record: the domestic government is a service provider"
    )
    assert settled.provider_not_yet_selected is False
    # Beside a named NGO it is a mixed model.
    ngo = Party(name="Village Learning Trust", role="service_provider", org_type="nonprofit")
    mixed = apply_models(pipeline_case(selection, ngo), NO_OVERRIDES)
    assert mixed.provider_model == "mixed"


def test_a_named_provider_of_unknown_kind_or_a_contracted_case_is_not_pending():
    named = Party(name="Zyx Qwv", role="service_provider")
    assert apply_models(pipeline_case(None, named), NO_OVERRIDES).provider_not_yet_selected is False
    contracted = apply_models(pipeline_case(None, stage="implementation"), NO_OVERRIDES)
    assert contracted.provider_model == "unknown"
    assert contracted.provider_not_yet_selected is False
    assert contracted.provider_model_basis == "no party with a known type or telling name"


def test_a_case_override_settles_a_pipeline_project_and_clears_the_state():
    overrides = Overrides(
        cases={
            "indigo-pl-9001": {
                "provider_model": "nonprofit",
                "reason": "INDIGO pipeline record: a named charity delivers",
            }
        },
        organisations={},
    )
    pending = apply_models(pipeline_case(None), NO_OVERRIDES)
    assert pending.provider_not_yet_selected is True
    settled = apply_models(pending.model_copy(update={"provider_model": "unknown"}), overrides)
    assert settled.provider_model == "nonprofit"
    assert settled.provider_not_yet_selected is False
    assert settled.provider_model_basis.startswith("override: INDIGO pipeline record")


def test_the_shipped_overrides_keep_sourced_pipeline_providers():
    # Two provider-led pipeline deals whose providers are named in the record's text; their
    # kinds come from public pages cited in the overrides file.
    sanergy = apply_models(pipeline_case(None, id="indigo-pl-0027"))
    soil = apply_models(pipeline_case(None, id="indigo-pl-0028"))
    assert (sanergy.provider_model, sanergy.provider_detail) == ("forprofit", ["social_enterprise"])
    assert (soil.provider_model, soil.provider_detail) == ("nonprofit", ["ngo"])
    assert not sanergy.provider_not_yet_selected and not soil.provider_not_yet_selected
