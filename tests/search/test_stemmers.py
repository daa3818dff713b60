"""The Snowball stemmers' C build (PyStemmer), which snowballstemmer uses when it is
installed, stems exactly as the pure-Python one the glossary rules were measured with."""

from __future__ import annotations

import importlib

import pytest
import snowballstemmer
import Stemmer

from search.glossary import _SNOWBALL, load_glossary


def test_the_c_build_is_the_one_in_use() -> None:
    """PyStemmer is a dependency for speed (a query's expansion 0.6 -> 0.26 ms); without
    it snowballstemmer silently falls back to pure Python."""
    assert snowballstemmer.stemmer is Stemmer.Stemmer


@pytest.mark.parametrize("lang", sorted(_SNOWBALL))
def test_every_glossary_word_has_the_pure_python_stem(lang: str) -> None:
    name = _SNOWBALL[lang]
    module = importlib.import_module(f"snowballstemmer.{name}_stemmer")
    pure = getattr(module, f"{name.capitalize()}Stemmer")()
    fast = Stemmer.Stemmer(name)
    words = {w for form, _ in load_glossary().forms if form.lang == lang for w in form.folded}
    assert len(words) > 200
    differ = [w for w in sorted(words) if fast.stemWord(w) != pure.stemWord(w)]
    assert differ == []
