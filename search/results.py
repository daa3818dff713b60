"""Typed search results: what `SearchService` returns and `/api/search` documents.

A `Hit` is one case in a result list; its `snippet` is a `Snippet` (which part of the
case, the text, and the character spans of the words that matched), so the pages show a
translated label and `<mark>` the spans without parsing a string back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from corpus.model import FundRef

SnippetKind = Literal[
    "title", "names", "challenge", "intervention", "target", "outcomes", "summary", "who"
]


class Snippet(BaseModel):
    """A passage of a case that shows why it matched.

    `highlights` are `[start, end)` character offsets into `text` of the query's words and
    of their glossary translations, in order and never overlapping.
    """

    kind: SnippetKind = Field(description="Which part of the case the text comes from.")
    text: str
    lang: str | None = Field(None, description="Language of the text where known (da, en).")
    highlights: list[tuple[int, int]] = Field(default_factory=list)

    def segments(self) -> list[tuple[str, bool]]:
        """The text as `(piece, highlighted)` pairs, for templates that `<mark>` pieces."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for start, end in self.highlights:
            if start > pos:
                out.append((self.text[pos:start], False))
            out.append((self.text[start:end], True))
            pos = end
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out


class Hit(BaseModel):
    """One case in a result list."""

    id: str
    title: str
    countries: list[str]
    sector: str | None = None
    stage: str
    provider_model: str
    investor_model: str
    instrument: str
    start_year: int | None = None
    score: float = Field(description="Ranking score (0 when browsing without a query).")
    match: bool = Field(
        description="Whether the case passes the relevance bar; false marks the closest "
        "weak answers shown when few or no cases match well."
    )
    snippet: Snippet | None = Field(None, description="Only a case without any text has none.")
    external_ids: dict[str, str] = Field(default_factory=dict)
    outcome_funds: list[FundRef] = Field(default_factory=list)
    alt_names: list[str] = Field(default_factory=list)


class FacetValue(BaseModel):
    """One value of a facet and how many of the matched cases have it."""

    value: str
    count: int
    label: str | None = Field(None, description="Display name where the value is an id (funds).")


class Understood(BaseModel):
    """Words of the query that the glossary knows (Danish, Swedish or Finnish terms of
    the field, acronyms) and the English terms they were searched as."""

    typed: str = Field(description="The words as the query has them.")
    terms: list[str] = Field(
        description="The English terms searched for them (a compound's parts give one each)."
    )


class SearchResponse(BaseModel):
    """A page of results, with the counts and facets of the whole result."""

    query: str
    total: int = Field(description="Cases in the result (matches and the closest others).")
    matched: int = Field(description="Cases of the result that pass the relevance bar.")
    semantic: bool = Field(
        True,
        description="False while the semantic index is missing or being built: the "
        "results then come from the keyword index alone.",
    )
    results: list[Hit]
    facets: dict[str, list[FacetValue]]
    understood: list[Understood] = Field(
        default_factory=list,
        description="The query's Danish, Swedish and Finnish terms and acronyms that the "
        "glossary knows, with the English terms of the case texts they were searched as "
        "(empty when there are none: an English query is searched as typed).",
    )


class SimilarResponse(BaseModel):
    """Cases similar to one case."""

    case_id: str
    results: list[Hit]
