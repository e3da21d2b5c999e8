"""What a typed query means, whatever it holds: words, "quoted phrases" and -excluded words.

Nothing the visitor types reaches the database's query syntax as syntax: every word
is quoted, so ``AND``, ``NEAR``, ``*`` or an unbalanced ``"`` are plain text (an
unbalanced quote runs to the end). Words are what FTS5's ``unicode61`` tokenizer
and PostgreSQL's ``simple`` parser both call words: runs of letters and digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: A query longer than this is cut: nobody types more, and each word costs a lookup.
MAX_QUERY_CHARS = 200
#: Terms beyond this many are ignored.
MAX_TERMS = 12

_WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'(-?)"([^"]*)(?:"|$)|(\S+)')


@dataclass(frozen=True)
class Term:
    #: One word, or the words of a phrase, in order; never empty.
    words: tuple[str, ...]
    #: ``-word``: results must not hold it.
    excluded: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query; ``terms`` is empty when nothing searchable was typed."""

    text: str
    terms: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        """True when there is nothing to look for (no word that is not excluded)."""
        return not any(not t.excluded for t in self.terms)

    @property
    def words(self) -> frozenset[str]:
        """The folded words the results are marked with (the excluded ones are absent)."""
        return frozenset(fold(w) for t in self.terms if not t.excluded for w in t.words)

    def fts5(self) -> str:
        """The query in FTS5 syntax: quoted phrases joined by AND, exclusions by NOT."""
        wanted = " AND ".join(_quoted(t) for t in self.terms if not t.excluded)
        unwanted = "".join(f" NOT {_quoted(t)}" for t in self.terms if t.excluded)
        return wanted + unwanted

    def websearch(self) -> str:
        """The query for PostgreSQL's ``websearch_to_tsquery``: each term quoted, so that
        ``or`` stays a word."""
        return " ".join(("-" if t.excluded else "") + _quoted(t) for t in self.terms)


def parse_query(text: str) -> SearchQuery:
    """Read what a visitor typed into terms; never fails."""
    text = " ".join(text[:MAX_QUERY_CHARS].split())
    terms: list[Term] = []
    for match in _PIECE.finditer(text):
        minus, phrase, bare = match.groups()
        excluded = bool(minus) or (bare is not None and bare.startswith("-"))
        words = tuple(_WORD.findall(phrase if phrase is not None else bare))
        if not words:
            continue
        # A bare "e-mail" or "don't" is a phrase: both indexes split it into words too.
        terms.append(Term(words, excluded))
        if len(terms) == MAX_TERMS:
            break
    return SearchQuery(text, tuple(terms))


def fold(word: str) -> str:
    """A word as the index compares it: case folded, diacritics removed (``remove_diacritics``)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _quoted(term: Term) -> str:
    # Words hold only letters and digits, so no quote can end the string early.
    return '"' + " ".join(term.words) + '"'
