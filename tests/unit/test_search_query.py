"""What a typed search means: every word quoted, nothing read as the index's own syntax."""

from __future__ import annotations

import pytest

from aggregator.search.query import MAX_QUERY_CHARS, MAX_TERMS, Term, fold, parse_query


@pytest.mark.parametrize(
    ("typed", "fts5", "websearch"),
    [
        ("marmalade", '"marmalade"', '"marmalade"'),
        ("Bitter  marmalade", '"Bitter" AND "marmalade"', '"Bitter" "marmalade"'),
        ('"seville oranges" jam', '"seville oranges" AND "jam"', '"seville oranges" "jam"'),
        ("jam -toast", '"jam" NOT "toast"', '"jam" -"toast"'),
        ('jam -"burnt toast"', '"jam" NOT "burnt toast"', '"jam" -"burnt toast"'),
        # Operators of FTS5 and websearch_to_tsquery are words like any other.
        ("AND", '"AND"', '"AND"'),
        ("jam OR toast", '"jam" AND "OR" AND "toast"', '"jam" "OR" "toast"'),
        ("NEAR(jam toast)", '"NEAR jam" AND "toast"', '"NEAR jam" "toast"'),
        ("jam*", '"jam"', '"jam"'),
        ("title:jam", '"title jam"', '"title jam"'),
        # An unbalanced quote runs to the end of the query.
        ('"unbalanced', '"unbalanced"', '"unbalanced"'),
        ('jam "on toast', '"jam" AND "on toast"', '"jam" "on toast"'),
        # A word with a hyphen or an apostrophe is a phrase: the indexes split it too.
        ("e-mail", '"e mail"', '"e mail"'),
        ("don't", '"don t"', '"don t"'),
        ("<script>alert(1)</script>", '"script alert 1 script"', '"script alert 1 script"'),
        ("café Ωmega", '"café" AND "Ωmega"', '"café" "Ωmega"'),
    ],
)
def test_a_query_becomes_quoted_terms(typed: str, fts5: str, websearch: str) -> None:
    query = parse_query(typed)
    assert not query.empty
    assert query.fts5() == fts5
    assert query.websearch() == websearch


@pytest.mark.parametrize("typed", ["", "   ", '"', '""', "-", "*", "()", "---", "-jam", "_"])
def test_nothing_to_look_for_is_an_empty_query(typed: str) -> None:
    assert parse_query(typed).empty


def test_excluded_words_are_not_marked() -> None:
    query = parse_query('Jam "Seville Oranges" -toast')
    assert query.terms[2] == Term(("toast",), excluded=True)
    assert query.words == {"jam", "seville", "oranges"}


def test_a_very_long_query_is_cut() -> None:
    query = parse_query("jam " * 1000)
    assert len(query.text) <= MAX_QUERY_CHARS
    assert len(query.terms) == MAX_TERMS


def test_words_fold_as_the_index_compares_them() -> None:
    assert fold("Café") == fold("cafe") == "cafe"
    assert fold("STRASSE") == fold("Straße") == "strasse"
