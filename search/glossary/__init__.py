"""The Nordic social-policy glossary: Danish, Swedish and Finnish terms of the field
and the field's acronyms, mapped to the English vocabulary the case texts use.

The data lives beside this module as YAML (one file per policy domain). Each entry is
one English concept with its Danish, Swedish and Finnish equivalents, inflected forms
and compound parts included, and the acronyms that stand for it. A query is expanded
at search time: `load_glossary().expand(query)` finds the glossary forms in the query
and returns their English equivalents, the query with those parts rendered in English
(the text that is embedded) and extra terms for the lexical index.

Form syntax inside the YAML lists (kept small so the files stay readable):

- `anbringelse`: a word (or phrase of words); it matches the same normalised token,
  and, when it is at least `COMPOUND_MIN` characters long, also as a part of a longer
  word (`hjemløshed` inside `ungdomshjemløsheden`), which is how Nordic compounds form.
- `asunnottom*`: a stem; it matches every word that begins with it (Finnish and
  Danish inflection), and as a compound part like a word.
- `=ældre`: exact only; never matched inside a longer word (`ældre` must not match
  inside `forældre`), except as the head of a compound after a known part
  (`=behandling` of `stressbehandling`).
- `==institution`: exact only, and never a compound's head either: the head's sense
  depends on what it follows (`uddannelsesinstitution` is a school, not residential
  care; Swedish `familjebanden` family ties, not gangs).
- `^gæld`: this word as written and nothing else: exact only, never a compound's head,
  and no Snowball stem, lemma or Finnish weak grade meets it, for a word whose stem is
  another word's (Danish `gælder`, applies, stems as `gæld`, debt; `plejer`, usually, as
  `pleje`, care). Its other inflections are listed beside it.

Acronyms (`acronyms:`) match a whole token; ones that are also ordinary words
(`ACT`) match only when written in capitals.

Rules that spare the files from listing every form: a phrase also matches by its
content words with up to `MAX_GAP` function words of the query between them; every
Finnish form also matches its weak-grade stem (`weak_grade`: hoito -> hoidon); Danish,
Swedish and Finnish words and phrases also match by their Snowball stems (`snowball`:
langvarige hjemløse -> langvarigt hjemløse) and by the stems of their dictionary
lemmas (`lemmas`: Finnish kunnissa -> kunta, sijaishuollossa -> sijaishuolto, whose
inflections no stem rule meets); a compound the files do not list is split
into the forms it is made of (hjemløshedsforebyggelse -> homelessness + prevention),
a first part the glossary knows nothing of stays a word of the query (fotboll of
fotbollsresultat), and a form English writes too is the Nordic one inside a compound
(stress of stressbehandling, so the query is translated). The translated query renders
the Nordic function words between matches in English, names each concept once and
drops function words left dangling.
The English side is written from the corpus's own wording (`python -m
search.glossary.vocabulary` lists its frequent terms and which are covered);
`bench/bench_glossary_matching.py` measures how the rules meet forms the files lack.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import simplemma
import snowballstemmer
import yaml
from platformdirs import user_cache_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from simplemma import Lemmatizer
from simplemma.strategies import DictionaryLookupStrategy
from simplemma.strategies.dictionaries import TrieDictionaryFactory

from corpus.yaml_keys import UniqueKeys

__all__ = [
    "COMPOUND_MIN",
    "LANGS",
    "Concept",
    "Expansion",
    "Glossary",
    "GlossaryError",
    "Match",
    "Problem",
    "check",
    "load_glossary",
    "normalise",
]

GLOSSARY_DIR = Path(__file__).parent
LANGS = ("da", "sv", "fi")
# A form shorter than this is matched only as a whole word: shorter parts of Nordic
# words are too often accidental (Danish `hjem` in `hjemmeside`).
COMPOUND_MIN = 5
# A stem shorter than this would swallow unrelated words.
STEM_MIN = 4
# A lemma is a whole word: a short one still names one word (`työ`, `apu`).
LEMMA_MIN = 3
# Letters a lemma shares with the start of its word (see `stem_keys`).
LEMMA_HEAD = 3
#: Function words of a query skipped in a row while a phrase is matched by its content
#: words ("er i" in "hverken er i job eller uddannelse").
MAX_GAP = 2
#: Parts of a compound looked up on either side of the form found in it, in depth.
MAX_COMPOUND_DEPTH = 1
# Linking letters between compound parts: Danish/Swedish -s- and -e- at the end of the
# first part (Finnish genitive -n too), or left at the start of the rest after it.
LINKS_END = ("s", "e", "n")
LINKS_START = ("s", "e")
# Prefixes that negate the word they come before (Danish utryg, Swedish otrygg, Finnish
# epävarma): short, but a word's part all the same.
NEGATIONS = frozenset({"u", "o", "epa"})


_SNOWBALL = {"da": "danish", "sv": "swedish", "fi": "finnish"}


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, snowballstemmer.stemmer]:
    return {lang: snowballstemmer.stemmer(name) for lang, name in _SNOWBALL.items()}


def snowball(words: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """The Snowball stems of case-folded words of one Nordic language: the inflections
    of a form meet (Danish `ensomme`, `ensomhed`, `ensom` -> `ensom`). Letters are not
    folded: Swedish `stöd` (support) must not meet Danish `stod` (stood)."""
    stemmer = _stemmers()[lang]
    return tuple(stemmer.stemWord(w) for w in words)


#: Where simplemma's dictionaries are kept as MARISA tries: built from the package's
#: own data once per machine (about 20 s and 700 MB), then loaded in well under a second
#: and about 30 MB in memory (the plain dictionaries: 10 s and 500 MB in every process).
LEMMA_CACHE = Path(user_cache_dir("casebank")) / f"simplemma-{simplemma.__version__}"


def _lemma_dictionaries() -> TrieDictionaryFactory:
    return TrieDictionaryFactory(disk_cache_dir=str(LEMMA_CACHE))


def lemma_dictionaries_ready() -> bool:
    """Whether this machine has the lemma tries already (`prepare_lemmas`)."""
    return all((LEMMA_CACHE / f"{lang}.dic").is_file() for lang in LANGS)


def prepare_lemmas() -> None:
    """Build the lemma tries now when this machine has none yet, so that no search waits
    for them (`casebank serve` calls it; `make setup` builds them by compiling the
    glossary); a quick load otherwise."""
    factory = _lemma_dictionaries()
    for lang in LANGS:
        factory.get_dictionary(lang)


@lru_cache(maxsize=1)
def _lemmatizer() -> Lemmatizer:
    # Dictionary look-up only: simplemma's guessing strategies cut an unknown compound
    # down to a lemma of its own, which hid the compound's parts from the splitting rule
    # (Finnish compounds with both parts found: 0.91 -> 0.84).
    return Lemmatizer(lemmatization_strategy=DictionaryLookupStrategy(_lemma_dictionaries()))


def lemmas(words: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """The dictionary lemmas (simplemma) of case-folded words of one Nordic language, a
    word it does not list kept as it is: inflections that share no Snowball stem meet
    (Finnish `kunnissa`, `kunnille` -> `kunta`; Danish `børnene` -> `barn`)."""
    lemmatizer = _lemmatizer()
    return tuple(lemmatizer.lemmatize(w, lang=lang).casefold() for w in words)


#: Marks a language's table of lemma stems (`da~`) beside its table of stems (`da`).
LEMMA_TABLE = "~"


def stem_keys(words: tuple[str, ...], lang: str, use_lemmas: bool = True) -> dict[str, tuple]:
    """The keys a word or phrase of one Nordic language is matched by: its Snowball
    stems (under `lang`) and, with `use_lemmas`, the Snowball stems of its lemmas (under
    `lang + LEMMA_TABLE`, a table of their own, so a lemma never decides what the stems
    decided)."""
    keys = {lang: snowball(words, lang)}
    if use_lemmas:
        # A lemma that does not begin as its word does is another word's, not an
        # inflection's: a suppletive one (`bedre` -> `god`, `ældre` -> `gammel`) or a
        # homograph's (Swedish `vuxna`, adults, read as `växa`, grow).
        found = tuple(
            lem if lem[:LEMMA_HEAD] == w[:LEMMA_HEAD] else w
            for w, lem in zip(words, lemmas(words, lang), strict=True)
        )
        # A stem too short to match by (`uhri` -> `uhr`) leaves the lemma itself, which
        # is a word: `uhrit` meets `uhri`, Swedish `lärarna` meets `lärare`.
        stems = snowball(found, lang)
        keys[lang + LEMMA_TABLE] = tuple(
            s if len(s) >= STEM_MIN else w for w, s in zip(found, stems, strict=True)
        )
    return keys


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "ü": "u", "é": "e"})
_TOKEN = re.compile(r"\w+", re.UNICODE)


def normalise(text: str) -> str:
    """Case-fold and fold Nordic letters so `Hjemløse` and `hjemlose` meet."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Common function words per language: never lexical evidence of a query, passed over
# between the words of a phrase, and a form equal to one of them is a mistake in the
# data (it would map every sentence to a concept). The articles, conjunctions and
# prepositions, the auxiliary and modal verbs (a lemma dictionary reads Swedish `ska` as
# the verb `skola`, the spelling of school), and the pronouns, question words and
# adverbs a caseworker's question is made of ("hur kan vi förebygga ...", "hvordan
# hjælper vi ..."): left in, each was a part of the query that no case text covers.
# Not the ones English writes as words of their own (`end`, `man`, `min`): the lists
# hold for every query, English ones too.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _wordset(
        "a an and are as at be but by for from has have in into is it not of on or "
        "than that the their they this to was were which who with without "
        "how what why where when we our us i you your can could should would do does "
        "there these those its them"
    ),
    "da": _wordset(
        "af alle at de dem den der det efter eller en er et for fra har hos i ikke "
        "ind med men mod når og om op over på sig som til ud under ved være "
        "skal skulle kan kunne vil ville må bør bliver blive blev "
        "jeg du han hun vi os jer mig dig mit mine din dit dine vores jeres deres "
        "hans hendes hvad hvem hvor hvordan hvorfor hvilke hvilken hvilket hvis så "
        "også her nu da denne dette disse noget nogle nogen have havde været"
    ),
    "sv": _wordset(
        "av de den det efter eller en ett för från har hos i inte med men mot när "
        "och om på sig som till under ut vid vara är "
        "ska skall skulle kan kunna kunde vill ville måste bör blir bli blev "
        "att jag du han hon vi ni dem oss mig dig mitt mina din ditt dina vår vårt "
        "våra deras hans hennes dess vad vem var hur varför vilka vilken vilket så "
        "också även här där nu då än denna detta dessa något några någon ha hade varit"
    ),
    "fi": _wordset(
        "ei ja jos kanssa kuin mutta on ovat se sekä tai tämä että joka jotka myös vai olla oli "
        "oleva olevat olevia olevien olevan voi voivat pitää täytyy "
        "minä sinä hän me te he meidän teidän heidän minun sinun hänen mikä mitä mitkä "
        "miten miksi missä kuka ketkä joita jonka joiden joissa johon ne niiden sen sitä "
        "nämä tätä näiden vielä jo nyt kun niin kuten voimme voisimme emme ette eivät"
    ),
}
# The function words of the translated query in English: a query such as "job til
# tidligere soldater" is embedded as "job for ... veterans", not half Danish. Only words
# that are function words in Danish, Swedish or Finnish and not English words
# themselves; an empty translation drops the word (Finnish "olevat", "being"). Danish and
# Swedish "i" stays: as "in" it cost the own set's Danish 0.01.
_FUNCTION_EN: dict[str, str] = {
    "og": "and", "och": "and", "ja": "and", "seka": "and", "samt": "and",
    "eller": "or", "tai": "or", "af": "of", "av": "of", "til": "for", "till": "for",
    "med": "with", "uden": "without", "utan": "without", "pa": "in", "fra": "from",
    "fran": "from", "efter": "after", "hos": "at", "mod": "against", "mot": "against",
    "ikke": "not", "inte": "not", "ei": "not", "der": "who", "som": "who", "joka": "who",
    "jotka": "who", "er": "are", "for": "for", "har": "have", "att": "to", "et": "a",
    "ett": "a", "den": "the", "det": "the", "de": "the", "ved": "at", "vid": "at",
    "hverken": "neither", "varken": "neither", "bland": "among", "blandt": "among",
    "kuin": "than", "oleva": "", "olevat": "", "olevia": "", "olevien": "", "olevan": "",
}  # fmt: skip
_ALL_STOP = frozenset(normalise(w) for ws in STOPWORDS.values() for w in ws)
# Acronyms that are also words in one of the languages: only matched in capitals.
_WORDLIKE = _wordset("act aid art cap dib man pip sen sib top") | _ALL_STOP


class GlossaryError(Exception):
    """The glossary files do not validate; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        head = "; ".join(str(p) for p in problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} glossary problem(s): {head}{more}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a glossary file."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class EntryModel(BaseModel):
    """One concept as written in a YAML file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    en: list[str] = Field(min_length=1)
    da: list[str] = []
    sv: list[str] = []
    fi: list[str] = []
    acronyms: list[str] = []
    note: str | None = None

    @field_validator("en", "da", "sv", "fi", "acronyms")
    @classmethod
    def _non_blank(cls, values: list[str]) -> list[str]:
        for v in values:
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"blank form {v!r}")
            if v != v.strip():
                raise ValueError(f"form {v!r} has leading or trailing spaces")
        return values


class FileModel(BaseModel):
    """One YAML file: a policy domain and its entries."""

    model_config = ConfigDict(extra="forbid")

    domain: str
    entries: list[EntryModel]


@dataclass(frozen=True)
class Concept:
    """One English concept: its terms (first is the preferred one) and acronyms."""

    id: str
    domain: str
    english: tuple[str, ...]
    acronyms: tuple[str, ...]

    @property
    def term(self) -> str:
        """The preferred English term."""
        return self.english[0]


@dataclass(frozen=True)
class Match:
    """One glossary form found in a query: the tokens it covers and its concept."""

    concept: Concept
    lang: str  # "da", "sv", "fi", "en" or "acronym"
    form: str
    start: int  # character offsets in the query
    end: int
    #: The first part of the compound the form was found in when the glossary knows
    #: nothing of it (`fotboll` of `fotbollsresultat`): a word of its own in the query.
    modifier: str = ""


@dataclass
class Expansion:
    """What the glossary adds to one query."""

    query: str
    matches: list[Match] = field(default_factory=list)
    english_terms: list[str] = field(default_factory=list)
    translated_query: str = ""
    lexical_terms: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the glossary found anything to add."""
        return bool(self.english_terms)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(normalise(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class _Form:
    words: tuple[str, ...]  # normalised; the last may be a stem
    stem: bool  # last word is a prefix
    exact: bool  # never as a compound part
    lang: str
    raw: str
    folded: tuple[str, ...] = ()  # case-folded, Nordic letters kept (for the stemmers)
    verbatim: bool = False  # `^form`: no stem or lemma meets it either


def _parse_form(raw: str, lang: str) -> _Form:
    verbatim = raw.startswith("^")
    exact = verbatim or raw.startswith("=")
    text = raw.lstrip("=^")
    stem = text.endswith("*")
    if stem:
        text = text[:-1]
    words = tuple(t for t, _, _ in _tokens(text))
    folded = tuple(unicodedata.normalize("NFKC", w).casefold() for w in _TOKEN.findall(text))
    return _Form(words, stem, exact, lang, raw, folded, verbatim)


# The C loader when libyaml is there: the pure-Python one takes most of a second here.
class _YAML_LOADER(UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # noqa: N801
    """The safe loader, refusing a key written twice in one mapping: an entry's second
    `fi:` would silently drop its first list (a concept inserted inside another's lines
    did that)."""


def _read_files(path: Path | None) -> tuple[list[tuple[str, FileModel]], list[Problem]]:
    base = Path(path) if path is not None else GLOSSARY_DIR
    files = sorted(base.glob("*.yaml")) if base.is_dir() else [base]
    models: list[tuple[str, FileModel]] = []
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(str(base), "-", "no glossary files (*.yaml) found"))
    for f in files:
        name = f.name
        try:
            raw = yaml.load(f.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(Problem(name, "-", f"cannot read YAML: {exc}"))
            continue
        try:
            models.append((name, FileModel.model_validate(raw)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err["loc"]
                entry = "-"
                if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
                    entries = raw.get("entries") if isinstance(raw, dict) else None
                    item = entries[loc[1]] if isinstance(entries, list) else None
                    ident = item.get("id") if isinstance(item, dict) else None
                    entry = f"entry {loc[1]}" + (f" ({ident})" if ident else "")
                    loc = loc[2:]
                where = ".".join(str(x) for x in loc) or "file"
                value = err.get("input")
                shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
                problems.append(Problem(name, entry, f"{where}: {err['msg']} (value {shown})"))
    return models, problems


def _build(path: Path | None) -> tuple[Glossary | None, list[Problem]]:
    models, problems = _read_files(path)
    concepts: list[Concept] = []
    forms: list[tuple[_Form, Concept]] = []
    seen_ids: dict[str, str] = {}
    owner: dict[tuple[str, ...], tuple[str, str]] = {}  # normalised form -> (concept id, file)
    for name, fm in models:
        for e in fm.entries:
            where = e.id
            if e.id in seen_ids:
                problems.append(Problem(name, where, f"duplicate id (also in {seen_ids[e.id]})"))
                continue
            seen_ids[e.id] = name
            if not (e.da or e.sv or e.fi or e.acronyms):
                msg = "empty entry: no da/sv/fi form and no acronym"
                problems.append(Problem(name, where, msg))
                continue
            # The English terms are shown and indexed as written, without the form
            # marks (`=gangs` only keeps `gangs` out of Danish `overgangsjob`).
            english = tuple(t.lstrip("=^").removesuffix("*") for t in e.en)
            concept = Concept(e.id, fm.domain, english, tuple(e.acronyms))
            concepts.append(concept)
            for lang in ("en", *LANGS):
                for raw in getattr(e, lang):
                    f = _parse_form(raw, lang)
                    if not f.words:
                        problems.append(Problem(name, where, f"{lang} form {raw!r} has no word"))
                        continue
                    # Forms are folded and matched whatever the query's language, so
                    # a function word of any of the languages is a mistake.
                    if len(f.words) == 1 and f.words[0] in _ALL_STOP:
                        problems.append(
                            Problem(name, where, f"{lang} form {raw!r} is a function word")
                        )
                        continue
                    if f.verbatim and f.stem:
                        # A verbatim form is the word as written; a stem is every word
                        # that begins with it.
                        problems.append(
                            Problem(name, where, f"{lang} form {raw!r} is verbatim and a stem")
                        )
                        continue
                    if f.stem and len(f.words) == 1 and len(f.words[0]) < STEM_MIN:
                        problems.append(
                            Problem(
                                name,
                                where,
                                f"{lang} stem {raw!r} is shorter than {STEM_MIN} letters",
                            )
                        )
                        continue
                    key = (*f.words, "*") if f.stem else f.words
                    prev = owner.get(key)
                    if prev and prev[0] != e.id:
                        problems.append(
                            Problem(
                                name,
                                where,
                                f"{lang} form {raw!r} also maps to {prev[0]} (in {prev[1]})",
                            )
                        )
                        continue
                    owner[key] = (e.id, name)
                    forms.append((f, concept))
            for acr in e.acronyms:
                if not re.fullmatch(r"[A-Za-z0-9]{2,10}", acr):
                    problems.append(Problem(name, where, f"acronym {acr!r} is not one word"))
                    continue
                key = ("acronym", normalise(acr))
                prev = owner.get(key)
                if prev and prev[0] != e.id:
                    problems.append(
                        Problem(name, where, f"acronym {acr!r} also maps to {prev[0]} ({prev[1]})")
                    )
                    continue
                owner[key] = (e.id, name)
    if problems:
        return None, problems
    return Glossary(concepts, forms), []


_VOWELS = frozenset("aeiouy")  # folded: ä -> a, ö -> o
# Finnish consonant gradation, strong -> weak grade: most case endings put the last
# consonant of the stem in the weak grade (hoito -> hoidon, tupakointi -> tupakoinnin,
# elintapa -> elintavoilla, apu -> avun). Clusters that do not alternate (st, sk, sp)
# are absent; k -> nothing is left out (it would make stems too short to be specific).
_GRADATION = (
    ("kk", "k"), ("pp", "p"), ("tt", "t"), ("nk", "ng"), ("mp", "mm"), ("lt", "ll"),
    ("nt", "nn"), ("rt", "rr"), ("ht", "hd"), ("t", "d"), ("p", "v"),
)  # fmt: skip


def weak_grade(word: str, stem: bool) -> str | None:
    """The weak-grade stem of a normalised Finnish form (a stem when `stem`), or None.

    A stem ending in a consonant is graded at its end (`elintap*` -> `elintav`), a word
    (or a stem ending in a vowel) at its last consonant between vowels, keeping the
    vowel after it (`hoito` -> `hoido`); the result is matched as a stem. Only single
    words; None when no consonant alternates.
    """
    if not word.isalpha():
        return None
    if stem and word[-1] not in _VOWELS:
        head, tail = word, ""
    else:
        end = len(word)
        while end and word[end - 1] in _VOWELS:
            end -= 1
        if end == len(word) or end == 0:
            return None  # ends in a consonant (koulutus): no strong grade to weaken
        head, tail = word[:end], word[end : end + 1]
    for strong, weak in _GRADATION:
        if head.endswith(strong):
            before = head[: -len(strong)]
            # The consonant must follow a vowel (single t/p) or be the whole cluster.
            if not before or before[-1] not in _VOWELS:
                continue
            graded = before + weak + tail
            return graded if len(graded) >= STEM_MIN + 1 else None
    return None


class Glossary:
    """The compiled glossary: lookup tables built once, then `expand` per query."""

    def __init__(
        self,
        concepts: list[Concept],
        forms: list[tuple[_Form, Concept]],
        use_snowball: bool = True,
        split_compounds: bool = True,
        use_lemmas: bool = True,
    ):
        """`use_snowball`, `use_lemmas` and `split_compounds` switch the rules for
        unlisted forms off (bench/bench_glossary_matching.py measures what each adds;
        the lemmas are matched through their stems, so they need `use_snowball`)."""
        self.split_compounds = split_compounds
        self.use_lemmas = use_snowball and use_lemmas
        #: The written forms with their concepts, as compiled.
        self.forms = forms
        self.concepts: dict[str, Concept] = {c.id: c for c in concepts}
        # word -> (concept, lang, raw); stems by their text; phrases by their leading words
        self._words: dict[str, tuple[Concept, str, str]] = {}
        self._stems: dict[str, tuple[Concept, str, str]] = {}
        self._parts: dict[str, tuple[Concept, str, str]] = {}  # compound parts (words + stems)
        # A part's Nordic form when English writes it the same (`stress`, `diabetes`).
        self._nordic_parts: dict[tuple[str, str], tuple[Concept, str, str]] = {}
        self._phrases: dict[tuple[str, ...], list[tuple[str, bool, Concept, str, str]]] = {}
        # Phrases by their content words alone: a query says "hverken er i job eller
        # uddannelse" where the form says "hverken i job eller uddannelse", so function
        # words on either side are skipped when a phrase is matched this way.
        self._gapped: dict[tuple[str, ...], list[tuple[str, bool, Concept, str, str]]] = {}
        self._acronyms: dict[str, tuple[Concept, bool]] = {}
        # Words and phrases by the Snowball stems of their words, per language: a query
        # word in another inflection than the ones written meets its form (Danish
        # `langvarige hjemløse` the form `langvarigt hjemløse`). A stem key that forms
        # of two concepts share is ambiguous and left out (None).
        self._snow: dict[tuple[str, ...], tuple[Concept, str, str] | None] = {}
        graded: list[tuple[str, tuple[Concept, str, str]]] = []
        for f, c in forms:
            hit = (c, f.lang, f.raw)
            if (
                use_snowball
                and f.lang in LANGS
                and not (f.stem or f.verbatim)
                and len(f.folded) == len(f.words)
            ):
                for table, stems in stem_keys(f.folded, f.lang, self.use_lemmas).items():
                    key = (table, *stems)
                    shortest = LEMMA_MIN if table.endswith(LEMMA_TABLE) else STEM_MIN
                    if len(key[-1]) >= shortest:
                        prev = self._snow.get(key, hit)
                        self._snow[key] = hit if prev is not None and prev[0] is c else None
            if len(f.words) > 1:
                head = f.words[:-1]
                self._phrases.setdefault(head, []).append((f.words[-1], f.stem, *hit))
                content = tuple(w for w in f.words if w not in _ALL_STOP)
                # The last word must stay (a stem is matched on it); one content word
                # alone is not a phrase any more.
                if len(content) >= 2 and content[-1] == f.words[-1]:
                    entry = (content[-1], f.stem, *hit)
                    self._gapped.setdefault(content[:-1], []).append(entry)
                continue
            w = f.words[0]
            (self._stems if f.stem else self._words).setdefault(w, hit)
            if not f.exact and len(w) >= COMPOUND_MIN:
                self._parts.setdefault(w, hit)
                if f.lang in LANGS:
                    self._nordic_parts.setdefault((w, c.id), hit)
            if f.lang == "fi" and not f.exact:
                weak = weak_grade(w, f.stem)
                if weak:
                    graded.append((weak, hit))
        # Weak grades after every written form: a form written by hand keeps its concept.
        for weak, hit in graded:
            self._stems.setdefault(weak, hit)
            if len(weak) >= COMPOUND_MIN:
                self._parts.setdefault(weak, hit)
        for c in concepts:
            for acr in c.acronyms:
                low = normalise(acr)
                self._acronyms[low] = (c, low in _WORDLIKE or low in self._words)
        self._max_stem = max((len(s) for s in self._stems), default=0)
        self._max_part = max((len(s) for s in self._parts), default=0)
        self._max_head = max((len(h) for h in self._phrases), default=0)
        self._max_gapped = max((len(h) for h in self._gapped), default=0)
        self._max_snow = max((len(k) - 1 for k in self._snow), default=0)

    def __len__(self) -> int:
        return len(self.concepts)

    # -- matching ----------------------------------------------------------------------

    def _word(
        self, tok: str, stems: dict[str, str], inside: bool = False
    ) -> tuple[tuple[Concept, str, str], int, int] | None:
        """A concept for one normalised token (`stems`: its keys per table of
        `stem_keys`): exact, then by a written stem, then by Snowball stem (of the word,
        then of its lemma), then as a compound part;
        with the span of the token that the form covers. `inside`: the token is part of
        a longer word, where exact-only forms (`=behandling`) do not match."""
        hit = self._words.get(tok)
        if hit and not (inside and hit[2].startswith(("=", "^"))):
            return hit, 0, len(tok)
        for k in range(min(len(tok), self._max_stem), STEM_MIN - 1, -1):
            hit = self._stems.get(tok[:k])
            if hit and not (inside and hit[2].startswith(("=", "^"))):
                return hit, 0, k
        for lang, stem in stems.items():
            hit = self._snow.get((lang, stem))
            if hit:
                return hit, 0, len(tok)
        # Compound parts: the longest part found anywhere in the word wins, so
        # `ungdomshjemløshed` maps through `hjemløshed` rather than a shorter part.
        n = len(tok)
        for length in range(min(n, self._max_part), COMPOUND_MIN - 1, -1):
            for i in range(0, n - length + 1):
                hit = self._parts.get(tok[i : i + length])
                if hit:
                    return hit, i, i + length
        return None

    def _compound(
        self, tok: str, stems: dict[str, str], depth: int = 0
    ) -> tuple[list[tuple[Concept, str, str]], str]:
        """The concepts of one token, left to right: the form `_word` finds and, in what
        is left of a compound on either side (a linking -s-/-e- or Finnish genitive -n
        dropped), the forms found there (`hjemløshedsforebyggelse`: homelessness +
        prevention; `päihdekuntoutus`: substance misuse + rehabilitation). Second: the
        compound's first part when it names nothing the glossary knows and is a word's
        length (`fotboll` of `fotbollsresultat`: football results are not outcomes
        alone, so the part stays a word of the query), else ""."""
        found = self._word(tok, stems, inside=depth > 0)
        if found is None:
            return [], ""
        hit, a, b = found
        if hit[1] == "en" and len(tok) - (b - a) >= COMPOUND_MIN:
            # A form inside a longer word beside a word's length of rest is part of a
            # Nordic compound (`stress` of `stressbehandling`), not English typed: where
            # a Nordic language writes the form too it counts as that one, so the query
            # is translated (`stressful` keeps its English `stress`).
            hit = self._nordic_parts.get((tok[a:b], hit[0].id), hit)
        if depth >= MAX_COMPOUND_DEPTH or not self.split_compounds:
            return [hit], ""
        before, after = tok[:a], tok[b:]
        if 0 < len(before) < COMPOUND_MIN and before not in NEGATIONS and before not in self._words:
            # A form behind a few letters that are no word (nor a negation, `utryg`) is
            # not a compound's part: `eksport` is not sport, `bekræfte` not kræft
            # (cancer), `retfærdighed` not færdighed (skills).
            return [], ""
        # The rest as it is, then without its linking letter.
        unlinked = before[:-1] if before.endswith(LINKS_END) else ""
        left = self._rest(before, depth, unlinked)
        right = self._rest(after, depth, after[1:] if after.startswith(LINKS_START) else "", True)
        modifier = unlinked if len(unlinked) >= COMPOUND_MIN else before
        unknown = modifier if not left and len(modifier) >= COMPOUND_MIN else ""
        seen: set[str] = set()
        hits = [h for h in (*left, hit, *right) if not (h[0].id in seen or seen.add(h[0].id))]
        return hits, unknown

    def _rest(
        self, rest: str, depth: int, unlinked: str, last: bool = False
    ) -> list[tuple[Concept, str, str]]:
        """The concepts of what is left of a compound beside a form (or of that rest
        without its linking letter), [] when it is too short or names none. The `last`
        part of a compound may be an exact-only form when it is all of that rest: the
        head of `stressbehandling` is `=behandling` (treatment), which alone in a word
        it must not be found in (`behandlingsforløb`), and a first part the glossary
        does not know never leads to it (`sagsbehandling`, case handling)."""
        for piece in (rest, unlinked):
            exact = self._words.get(piece) if last else None
            head = exact and exact[2].startswith("=") and not exact[2].startswith("==")
            if head and len(piece) >= COMPOUND_MIN:
                return [exact]
            if len(piece) >= COMPOUND_MIN and not piece.isdigit():
                found, _ = self._compound(piece, {}, depth + 1)
                if found:
                    return found
        return []

    def _phrase(self, toks: list[str], i: int) -> tuple[int, tuple[Concept, str, str]] | None:
        """The longest phrase starting at token i: (number of tokens, hit)."""
        for n in range(min(self._max_head, len(toks) - i - 1), 0, -1):
            cands = self._phrases.get(tuple(toks[i : i + n]))
            if not cands:
                continue
            last = toks[i + n]
            for word, stem, c, lang, raw in cands:
                if last == word or (stem and last.startswith(word)):
                    return n + 1, (c, lang, raw)
        return None

    def _gapped_phrase(
        self, toks: list[str], i: int
    ) -> tuple[int, tuple[Concept, str, str]] | None:
        """The longest phrase by content words starting at token i, function words of
        the query skipped (at most `MAX_GAP` in a row): (number of tokens, hit)."""
        if toks[i] in _ALL_STOP:
            return None
        pos = [i]
        j = i + 1
        while len(pos) <= self._max_gapped and j < len(toks):
            gap = 0
            while j < len(toks) and toks[j] in _ALL_STOP and gap < MAX_GAP:
                j, gap = j + 1, gap + 1
            if j >= len(toks) or toks[j] in _ALL_STOP:
                break
            pos.append(j)
            j += 1
        content = [toks[p] for p in pos]
        for n in range(min(self._max_gapped, len(content) - 1), 0, -1):
            cands = self._gapped.get(tuple(content[:n]))
            if not cands:
                continue
            last = content[n]
            for word, stem, c, lang, raw in cands:
                if last == word or (stem and last.startswith(word)):
                    return pos[n] - i + 1, (c, lang, raw)
        return None

    def _snow_phrase(
        self, stems: dict[str, list[str]], i: int
    ) -> tuple[int, tuple[Concept, str, str]] | None:
        """The longest phrase starting at token i whose words have the Snowball stems
        (or lemma stems) of a written phrase's words, same language: (number of tokens,
        hit)."""
        for n in range(min(self._max_snow, len(next(iter(stems.values()))) - i), 1, -1):
            for lang, row in stems.items():
                hit = self._snow.get((lang, *row[i : i + n]))
                if hit:
                    return n, hit
        return None

    def find(self, query: str) -> list[Match]:
        """Every glossary form in the query, left to right, longest first, no overlaps."""
        toks = _tokens(query)
        words = [t for t, _, _ in toks]
        folded = tuple(unicodedata.normalize("NFKC", query[a:b]).casefold() for _, a, b in toks)
        # Every language's stems, then every language's lemma stems: where the stems
        # match, they decide as before the lemmas came in.
        keyed = [stem_keys(folded, lang, self.use_lemmas) for lang in LANGS]
        stems = {t: list(v) for k in keyed for t, v in k.items() if not t.endswith(LEMMA_TABLE)}
        stems |= {t: list(v) for k in keyed for t, v in k.items() if t.endswith(LEMMA_TABLE)}
        # A function word of the query is never met by its lemma (Swedish `ska` is the
        # verb `skola`); the forms' keys keep theirs.
        for table, row in stems.items():
            if table.endswith(LEMMA_TABLE):
                row[:] = ["" if w in _ALL_STOP else x for w, x in zip(words, row, strict=True)]
        out: list[Match] = []
        i = 0
        while i < len(toks):
            tok, start, end = toks[i]
            # An acronym written in capitals is meant as one (`ACT-team` is ACT).
            acr = self._acronyms.get(tok)
            if acr and query[start:end].isupper():
                out.append(Match(acr[0], "acronym", query[start:end], start, end))
                i += 1
                continue
            ph = self._phrase(words, i) if self._max_head else None
            gapped = self._gapped_phrase(words, i) if self._max_gapped else None
            if gapped and (not ph or gapped[0] > ph[0]):
                ph = gapped
            snow = self._snow_phrase(stems, i) if self._max_snow > 1 else None
            if snow and (not ph or snow[0] > ph[0]):
                ph = snow
            if ph:
                n, (c, lang, raw) = ph
                out.append(Match(c, lang, raw, start, toks[i + n - 1][2]))
                i += n
                continue
            if acr:
                c, caps_only = acr
                original = query[start:end]
                if not caps_only or original.isupper():
                    out.append(Match(c, "acronym", original, start, end))
                    i += 1
                    continue
            if not tok.isdigit():
                hits, modifier = self._compound(tok, {la: row[i] for la, row in stems.items()})
                for n, (c, lang, raw) in enumerate(hits):
                    out.append(Match(c, lang, raw, start, end, modifier if n == 0 else ""))
            i += 1
        return out

    def expand(self, query: str) -> Expansion:
        """The glossary's additions to one query (see `Expansion`)."""
        return _expand(self, query)


def _english_gap(text: str) -> str:
    """The text between two glossary matches with its Nordic function words in English."""

    def word(m: re.Match[str]) -> str:
        return _FUNCTION_EN.get(normalise(m.group()), m.group())

    return re.sub(r"\s+", " ", _TOKEN.sub(word, text))


_EN_FUNCTION = frozenset(w for w in _FUNCTION_EN.values() if w) | STOPWORDS["en"]


def _only_function_words(text: str) -> bool:
    """Whether the text (in English) has no word but function words: left dangling at
    the end of a translation or before a concept said once already, it is dropped."""
    return all(normalise(w) in _EN_FUNCTION for w in _TOKEN.findall(text))


def _expand(g: Glossary, query: str) -> Expansion:
    matches = g.find(query)
    exp = Expansion(query=query, matches=matches)
    seen: set[str] = set()
    lexical: list[str] = []
    pieces: list[str] = []
    rendered: set[str] = set()
    pos = 0
    for m in matches:
        c = m.concept
        foreign = m.lang != "en"
        if foreign and c.id not in seen:
            seen.add(c.id)
            exp.english_terms.append(c.term)
            for t in (*c.english, *c.acronyms):
                if t not in lexical:
                    lexical.append(t)
        # Foreign words are replaced by the English term; an acronym keeps its letters
        # and gains its expansion, since the case texts use both; English words stay
        # as typed. The parts of one compound are said one after the other.
        gap = " " if m.start < pos else _english_gap(query[pos : m.start])
        if m.lang == "acronym":
            said = query[m.start : m.end]
            named = c.id in rendered or normalise(c.term) == normalise(said)
            extra = "" if named else f" ({c.term})"
            rendered.add(c.id)
            pieces.append(gap + said + extra)
        elif foreign:
            # A concept named twice ("huostaanotetut lapset sijaishuollossa", or an
            # acronym beside its words: "IPS job med støtte") is said once: the English
            # query would otherwise repeat it.
            said = c.term if c.id not in rendered else ""
            rendered.add(c.id)
            if m.modifier:
                said = f"{m.modifier} {said}".strip()
            if not said:
                # The function words before a concept said once already go with it.
                gap = " " if _only_function_words(gap) else gap
            pieces.append(gap + said)
        elif m.start >= pos:
            if c.id in rendered:
                # Its concept is said already: "angst og depression" is not "depression
                # and depression" (Danish `angst` renders the concept's term).
                pieces.append(" " if _only_function_words(gap) else gap)
            else:
                pieces.append(gap + query[m.start : m.end])
                rendered.add(c.id)
        pos = m.end
    tail = _english_gap(query[pos:])
    pieces.append("" if _only_function_words(tail) else tail)
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    exp.translated_query = text if exp.english_terms else query
    exp.lexical_terms = lexical
    return exp


@lru_cache(maxsize=4)
def _load(path: str | None) -> Glossary:
    g, problems = _build(Path(path) if path else None)
    if problems:
        raise GlossaryError(problems)
    assert g is not None
    return g


def load_glossary(path: Path | str | None = None) -> Glossary:
    """The glossary shipped beside this module (or the files at `path`), compiled once.

    Raises `GlossaryError` listing every problem when a file does not validate.
    """
    return _load(str(path) if path is not None else None)


def check(path: Path | str | None = None) -> list[Problem]:
    """Every problem in the glossary files (empty when they are sound)."""
    _, problems = _build(Path(path) if path is not None else None)
    return problems
