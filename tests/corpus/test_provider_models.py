"""Provider and investor model rules: single rules, precedence, the overrides file, and
accuracy on the hand-labelled INDIGO sample in provider_labels.yaml."""

from pathlib import Path

import pytest
import yaml

from corpus.errors import SourceError
from corpus.model import Case, Party
from corpus.provider_models import (
    OVERRIDES_PATH,
    Overrides,
    apply_models,
    infer_investor_model,
    infer_provider_detail,
    infer_provider_model,
)

NO_OVERRIDES = Overrides(cases={}, organisations={})


def case(*parties: Party, **kw) -> Case:
    return Case(id=kw.pop("id", "c1"), title="A case", parties=list(parties), **kw)


def provider(name: str, **kw) -> Party:
    return Party(name=name, role="service_provider", **kw)


def investor(name: str, **kw) -> Party:
    return Party(name=name, role="investor", **kw)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Aarhus Kommune", "public"),
        ("Københavns Kommune", "public"),
        ("Norrköpings kommun", "public"),
        ("Helsingin kaupunki", "public"),
        ("Central and North West London NHS Foundation Trust", "public"),
        ("Jefferson County Human Services", "public"),
        ("Fonden Mental Sundhed", "nonprofit"),
        ("Foreningen Grønlandske Børn", "nonprofit"),
        ("Stiftelsen Stadsmissionen", "nonprofit"),
        ("Nuorten Ystävät ry", "nonprofit"),
        ("Suomen Mielenterveysseura säätiö", "nonprofit"),
        ("Ripplez CIC", "nonprofit"),
        ("Sacred Heart Mission Inc.", "nonprofit"),
        ("Teach First Germany gGmbH", "nonprofit"),
        ("Improving Health Ltd", "forprofit"),
        ("SundInvest ApS", "forprofit"),
        ("Falck Danmark A/S", "forprofit"),
        ("Headsted Oy", "forprofit"),
        ("Samhall AB", "forprofit"),
        ("Functional Family Therapy LLC", "forprofit"),
    ],
)
def test_provider_name_cues(name, expected):
    model, basis = infer_provider_model(case(provider(name)), NO_OVERRIDES)
    assert (model, basis) == (expected, f"name of {name}")


def test_english_words_are_not_read_as_company_suffixes():
    # "as" and "ab" are Norwegian/Swedish company suffixes only in capitals.
    model, _ = infer_provider_model(case(provider("Known as a friend")), NO_OVERRIDES)
    assert model == "unknown"


def test_a_danish_municipality_delivering_itself_is_public():
    c = apply_models(
        case(provider("Aarhus Municipality"), investor("Den Sociale Investeringsfond")),
    )
    assert c.provider_model == "public"
    assert c.provider_model_basis == "name of Aarhus Municipality"
    # The state fund's name says "fund"; the overrides file knows it is the Danish state's.
    assert c.investor_model == "public"
    assert c.investor_model_basis.startswith("override of Den Sociale Investeringsfond")


def test_tuba_like_ngo_is_nonprofit_by_type_or_by_override():
    by_type = case(provider("Some Youth Counselling", org_type="nonprofit"))
    assert infer_provider_model(by_type, NO_OVERRIDES) == (
        "nonprofit",
        "type of Some Youth Counselling",
    )
    # TUBA's INDIGO record has no type and its name no cue: the overrides file decides.
    model, basis = infer_provider_model(case(provider("Tuba Danmark")))
    assert model == "nonprofit"
    assert basis.startswith("override of Tuba Danmark: ")


def test_type_beats_name_and_role_category_counts_when_type_is_missing():
    typed = case(provider("ALLCHILD Limited", org_type="nonprofit"))
    assert infer_provider_model(typed, NO_OVERRIDES)[0] == "nonprofit"
    by_category = case(provider("Cromwood Housing", role_detail="For-profit"))
    assert infer_provider_model(by_category, NO_OVERRIDES) == (
        "forprofit",
        "role category of Cromwood Housing",
    )


def test_two_kinds_of_provider_give_mixed():
    model, basis = infer_provider_model(
        case(provider("St Pauls Community Trust"), provider("Merlin Venture Ltd")),
        NO_OVERRIDES,
    )
    assert model == "mixed"
    assert basis.startswith("several kinds (forprofit, nonprofit): ")
    assert "name of Merlin Venture Ltd" in basis


def test_no_information_gives_unknown():
    assert infer_provider_model(case(), NO_OVERRIDES)[0] == "unknown"
    c = apply_models(case(provider("Zyx"), investor("Qwv")), NO_OVERRIDES)
    assert (c.provider_model, c.investor_model) == ("unknown", "unknown")
    assert c.provider_model_basis == "no party with a known type or telling name"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Rabobank Foundation", "philanthropic"),
        ("Children's Investment Fund Foundation", "philanthropic"),
        ("Novo Nordisk Fonden", "philanthropic"),
        ("Big Society Capital", "commercial"),
        ("Deutsche Bank", "commercial"),
        ("European Investment Fund (EIF)", "public"),
        ("Inter-American Development Bank", "public"),
    ],
)
def test_investor_name_cues(name, expected):
    assert infer_investor_model(case(investor(name)), NO_OVERRIDES)[0] == expected


def test_investor_role_categories_from_indigo():
    c = case(
        investor("A", role_detail="Foundation/Philanthropist"),
        investor("B", role_detail="Impact Investor "),
    )
    assert infer_investor_model(c, NO_OVERRIDES)[0] == "mixed"
    hnwi = case(investor("C", role_detail="High Net Worth Individual/Family Office/Private Bank"))
    assert infer_investor_model(hnwi, NO_OVERRIDES)[0] == "commercial"


def test_case_override_wins_over_rules_by_case_or_indigo_id():
    overrides = Overrides(
        cases={"indigo-poj-9999": {"provider_model": "mixed", "reason": "two sectors deliver"}},
        organisations={},
    )
    c = case(provider("Helsingin kaupunki"), id="fi-x", external_ids={"indigo": "INDIGO-POJ-9999"})
    out = apply_models(c, overrides)
    assert (out.provider_model, out.provider_model_basis) == (
        "mixed",
        "override: two sectors deliver",
    )
    # The investor model is not in the override entry, so the rules still decide it.
    assert out.investor_model_basis == "no party with a known type or telling name"


def test_organisation_override_matches_id_or_name():
    overrides = Overrides(
        cases={},
        organisations={"indigo-org-0001": {"kind": "company", "reason": "a company"}},
    )
    c = case(provider("Some Trust", organisation_id="INDIGO-ORG-0001"))
    assert infer_provider_model(c, overrides) == (
        "forprofit",
        "override of Some Trust: a company",
    )


def test_curated_value_wins_over_overrides_and_rules():
    overrides = Overrides(
        cases={"c1": {"provider_model": "public", "reason": "x"}}, organisations={}
    )
    curated = case(provider("Acme Ltd"), provider_model="nonprofit", provider_model_basis="curated")
    out = apply_models(curated, overrides)
    assert (out.provider_model, out.provider_model_basis) == ("nonprofit", "curated")
    unexplained = case(provider_model="public")
    assert apply_models(unexplained, NO_OVERRIDES).provider_model_basis == "curated"


def test_overrides_file_ships_valid(tmp_path):
    loaded = Overrides.load(OVERRIDES_PATH)
    assert loaded.organisations, "the shipped overrides file has organisation entries"
    bad = tmp_path / "o.yaml"
    bad.write_text("organisations:\n  Foo:\n    kind: charity\n    reason: r\n")
    with pytest.raises(SourceError, match=r"o.yaml: organisations.Foo: kind must be one of"):
        Overrides.load(bad)
    bad.write_text("cases:\n  x:\n    provider_model: public\n")
    with pytest.raises(SourceError, match=r"cases.x: needs a mapping with a 'reason'"):
        Overrides.load(bad)
    bad.write_text(
        "organisations:\n  Foo Ltd:\n    kind: company\n    reason: r\n"
        "  foo  ltd (UK):\n    kind: company\n    reason: r\n"
    )
    with pytest.raises(SourceError, match=r"listed twice"):
        Overrides.load(bad)
    # The same key written twice: YAML alone would keep the second entry without a word.
    bad.write_text(
        "cases:\n  x:\n    provider_model: public\n    reason: r\n"
        "  x:\n    provider_model: nonprofit\n    reason: s\n"
    )
    with pytest.raises(SourceError, match=r"o.yaml: .*'x' is given twice"):
        Overrides.load(bad)
    bad.write_text("cases: [\n")
    with pytest.raises(SourceError, match=r"cannot read .*o.yaml"):
        Overrides.load(bad)
    bad.write_text("cases:\n  x:\n    investor_model: rich\n    reason: r\n")
    with pytest.raises(SourceError, match=r"cases.x: investor_model must be one of"):
        Overrides.load(bad)


LABELS = Path(__file__).with_name("provider_labels.yaml")


def test_label_sample_is_large_enough_and_well_formed():
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    judged = [k for k, v in labels.items() if v["provider_model"] is not None]
    assert len(labels) >= 40 and len(judged) >= 40
    for key, entry in labels.items():
        assert key.startswith("INDIGO-POJ-"), key
        assert entry["reason"].strip(), key


def test_accuracy_on_the_hand_labelled_indigo_sample(indigo_csv_dir, tmp_path):
    """Import the real INDIGO export into a real store and compare with the labels."""
    from corpus.store import Store
    from ingest.indigo.csv_export import read_export
    from ingest.runner import run_source

    store = Store(tmp_path / "s.db")
    run_source(store, "indigo", read_export(indigo_csv_dir), complete=True)
    labels = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    cases = {c.external_ids.get("indigo"): c for c in store.iter_cases()}
    store.close()
    misses = []
    for indigo_id, label in labels.items():
        case = cases[indigo_id]
        for field in ("provider_model", "investor_model"):
            if label[field] is None:
                continue
            if getattr(case, field) != label[field]:
                misses.append((indigo_id, field, getattr(case, field), label[field]))
    for field in ("provider_model", "investor_model"):
        n = sum(1 for v in labels.values() if v[field] is not None)
        wrong = sum(1 for m in misses if m[1] == field)
        assert (n - wrong) / n >= 0.9, f"{field} accuracy {(n - wrong) / n:.2f}: {misses}"
    # Coverage goal on the whole export, as the store settles it.
    known = sum(c.provider_model != "unknown" for c in cases.values())
    assert known / len(cases) >= 0.9, f"provider model known for {known}/{len(cases)}"


# -- provider detail: the kinds the provider model groups ------------------------------------


@pytest.mark.parametrize(
    ("party", "expected"),
    [
        (provider("Aarhus Kommune"), "municipal_team"),
        (provider("Norrköpings kommun"), "municipal_team"),
        (provider("Helsingin kaupunki"), "municipal_team"),
        (provider("Essex County Council"), "municipal_team"),
        (provider("Region Midtjylland"), "regional_body"),
        (provider("Pirkanmaan hyvinvointialue"), "regional_body"),
        (provider("Ministry of Justice"), "state_body"),
        (provider("TUBA", org_type="nonprofit"), "ngo"),
        (provider("Bikubenfonden"), "ngo"),
        (provider("Foodcycle CIC"), "social_enterprise"),
        (provider("Works Ltd", role_detail="Social enterprise"), "social_enterprise"),
        (provider("Memox ApS"), "company"),
    ],
)
def test_provider_detail_keeps_kinds_apart(party, expected):
    kinds, basis = infer_provider_detail(case(party), NO_OVERRIDES)
    assert kinds == [expected]
    assert basis.startswith(f"{expected}: {party.name} (")


def test_provider_detail_lists_each_kind_once_in_a_fixed_order_with_its_basis():
    c = case(
        provider("Team Nystart, Norrköpings kommun"),
        provider("Red Cross"),
        provider("Aarhus Kommune"),
    )
    kinds, basis = infer_provider_detail(c, NO_OVERRIDES)
    assert kinds == ["municipal_team", "ngo"]
    assert basis == (
        "municipal_team: Team Nystart, Norrköpings kommun (name); ngo: Red Cross (name); "
        "municipal_team: Aarhus Kommune (name)"
    )


def test_an_organisation_entry_can_name_a_municipal_company():
    overrides = Overrides(
        cases={},
        organisations={
            "aarhus vand": {"kind": "company", "detail": "municipal_company", "reason": "owned"}
        },
    )
    settled = apply_models(case(provider("Aarhus Vand")), overrides)
    assert settled.provider_model == "forprofit"
    assert settled.provider_detail == ["municipal_company"]
    assert settled.provider_detail_basis == "municipal_company: Aarhus Vand (override)"


def test_a_curated_model_still_gets_its_detail_and_a_case_entry_can_give_one():
    curated = case(provider("Aarhus Kommune"), provider_model="public")
    settled = apply_models(curated, NO_OVERRIDES)
    assert (settled.provider_model, settled.provider_model_basis) == ("public", "curated")
    assert settled.provider_detail == ["municipal_team"]

    overrides = Overrides(
        cases={
            "indigo-pl-0001": {
                "provider_model": "public",
                "provider_detail": ["regional_body"],
                "reason": "the record says the district teams deliver",
            }
        },
        organisations={},
    )
    pipeline = Case(
        id="indigo-pl-0001", title="P", external_ids={"indigo_pipeline": "INDIGO-PL-0001"}
    )
    settled = apply_models(pipeline, overrides)
    assert settled.provider_model == "public"
    assert settled.provider_detail == ["regional_body"]
    assert settled.provider_detail_basis == "override: the record says the district teams deliver"


def test_a_bad_detail_in_the_overrides_file_is_named(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text(
        "organisations:\n  X:\n    kind: company\n    detail: town_hall\n    reason: r\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="organisations.X: detail must be one of"):
        Overrides.load(path)
    path.write_text(
        "cases:\n  c1:\n    provider_model: public\n    provider_detail: [x]\n    reason: r\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceError, match="cases.c1: provider_detail must be among"):
        Overrides.load(path)


def test_the_curated_nordic_cases_keep_the_municipal_team_and_the_ngo_apart():
    """Aarhus delivers its youth Housing First itself; TUBA (an NGO) delivers in Brøndby."""
    from corpus import curated

    cases = {c.id: apply_models(c) for c in curated.check().cases}
    aarhus = cases["dk-aarhus-housing-first-most-vulnerable-youth"]
    assert (aarhus.provider_model, aarhus.provider_detail) == ("public", ["municipal_team"])
    assert aarhus.provider_detail_basis.startswith("municipal_team: Aarhus Municipality (")
    tuba = cases["dk-broendby-tuba"]
    assert (tuba.provider_model, tuba.provider_detail) == ("nonprofit", ["ngo"])
    memox = cases["dk-vejle-family-treatment-memox"]
    assert memox.provider_detail == ["company"]
