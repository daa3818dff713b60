"""Merging a case's source records: one outcome metric, place and source per fact."""

from __future__ import annotations

from corpus.merge import merge_records, url_key
from corpus.model import Case, Link, Money, OutcomeMetric, Place


def _pair(curated: dict, indigo: dict) -> Case:
    return merge_records(
        "c",
        [
            ("indigo", Case(id="c", title="INDIGO title", **indigo)),
            ("corpus", Case(id="c", title="Curated title", **curated)),
        ],
    )


def test_a_curated_metric_and_its_indigo_copy_are_one_metric() -> None:
    case = _pair(
        {
            "outcome_metrics": [
                OutcomeMetric(
                    id="m1",
                    definition="Participant in paid work for 13 weeks",
                    definition_i18n={"da": "Deltager i lønnet arbejde i 13 uger"},
                    source_refs=["dsi"],
                ),
                OutcomeMetric(definition="Stable housing after one year", source_refs=["dsi"]),
            ]
        },
        {
            "outcome_metrics": [
                OutcomeMetric(
                    id="m1", definition="Job outcome", price=Money(currency="DKK", amount=5)
                ),
                OutcomeMetric(
                    definition="Stable housing after one year.",
                    target="Stable housing after one year.",
                    validation_method="Municipal register",
                ),
                OutcomeMetric(definition="Participant in paid work for 26 weeks"),
            ]
        },
    )
    metrics = case.outcome_metrics
    # INDIGO's 26-week metric is not one of the curated outcomes: the curated list is the
    # record (the INDIGO record keeps it).
    assert [m.definition for m in metrics] == [
        "Participant in paid work for 13 weeks",
        "Stable housing after one year",
    ]
    assert metrics[0].price.amount == 5 and metrics[0].definition_i18n["da"]
    assert metrics[1].validation_method == "Municipal register"
    assert metrics[1].target is None  # INDIGO repeated the definition as its target


def test_a_lower_source_gives_the_metrics_when_the_best_has_none() -> None:
    case = _pair({}, {"outcome_metrics": [OutcomeMetric(definition="Housed at 6 months")]})
    assert [m.definition for m in case.outcome_metrics] == ["Housed at 6 months"]


def test_alike_metrics_of_one_source_stay_apart() -> None:
    case = merge_records(
        "c",
        [
            (
                "indigo",
                Case(
                    id="c",
                    title="T",
                    outcome_metrics=[
                        OutcomeMetric(definition="Entered employment (any job)"),
                        OutcomeMetric(definition="Entered employment (full-time job)"),
                        OutcomeMetric(definition="Entered employment (any job)"),
                    ],
                ),
            )
        ],
    )
    assert len(case.outcome_metrics) == 2


def test_places_and_sources_are_kept_once() -> None:
    case = _pair(
        {
            "places": [Place(name="Aarhus", country="DK")],
            "sources": [Link(url="https://www.dsi.dk/case/", title="DSI")],
        },
        {
            "places": [
                Place(name="Aarhus Municipality", country="DK", lat=56.16, lng=10.2),
                Place(name="Aarhus", country="SE"),
            ],
            "sources": [Link(url="http://dsi.dk/case"), Link(url="https://dsi.dk/other")],
        },
    )
    assert [(p.name, p.country, p.lat) for p in case.places] == [
        ("Aarhus", "DK", 56.16),
        ("Aarhus", "SE", None),
    ]
    assert [s.url for s in case.sources] == ["https://www.dsi.dk/case/", "https://dsi.dk/other"]
    # A name that ends in the place's country is the same place.
    case = _pair(
        {"places": [Place(name="Holbæk Municipality", country="DK")]},
        {"places": [Place(name="Holbæk Municipality, Denmark", country="DK", lat=55.67)]},
    )
    assert [(p.name, p.lat) for p in case.places] == [("Holbæk Municipality", 55.67)]
    # A described place's names in other languages survive the merge from either copy.
    case = _pair(
        {
            "places": [
                Place(name="Finland (nationwide)", country="FI", name_i18n={"da": "hele landet"})
            ]
        },
        {"places": [Place(name="Finland (nationwide)", country="FI", lat=61.9, lng=25.7)]},
    )
    assert [(p.name_i18n, p.lat) for p in case.places] == [({"da": "hele landet"}, 61.9)]
    # So is a name with its ASCII spelling beside it; other parentheses say more.
    case = _pair(
        {"places": [Place(name="Brøndby Kommune", country="DK")]},
        {
            "places": [
                Place(name="Brøndby (Broendby)", country="DK", lat=55.65),
                Place(name="Helsinki (Vuosaari and Mellunkylä)", country="FI"),
                Place(name="Helsinki", country="FI"),
                Place(admin_area="Uusimaa", country="FI"),  # no name: an area only
            ]
        },
    )
    assert [(p.name, p.lat) for p in case.places] == [
        ("Brøndby Kommune", 55.65),
        ("Helsinki (Vuosaari and Mellunkylä)", None),
        ("Helsinki", None),
        (None, None),
    ]
    assert url_key("HTTPS://www.Example.org/a/") == url_key("http://example.org/a")
