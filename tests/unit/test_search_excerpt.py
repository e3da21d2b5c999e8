"""A result's excerpt: the text around the first word looked for, the words marked, escaped."""

from __future__ import annotations

from markupsafe import Markup

from aggregator.search.excerpt import highlight

WORDS = frozenset({"marmalade", "cafe"})


def test_the_words_are_marked_whatever_their_case_and_accents() -> None:
    text = "Marmalade at the Café, and more marmalade."
    assert highlight(text, WORDS) == (
        "<mark>Marmalade</mark> at the <mark>Café</mark>, and more <mark>marmalade</mark>."
    )


def test_only_whole_words_are_marked() -> None:
    assert highlight("marmalades and premarmalade", WORDS) == "marmalades and premarmalade"


def test_the_text_is_escaped_and_the_result_is_markup() -> None:
    text = 'A <script>alert("marmalade")</script> & <b>more</b>'
    marked = highlight(text, WORDS)
    assert isinstance(marked, Markup)
    assert marked == (
        "A &lt;script&gt;alert(&#34;<mark>marmalade</mark>&#34;)&lt;/script&gt; "
        "&amp; &lt;b&gt;more&lt;/b&gt;"
    )


def test_a_word_far_into_the_text_is_shown_with_its_context() -> None:
    text = "Filler words here. " * 40 + "Then the marmalade, bitter and bright. " + "More. " * 40
    marked = highlight(text, WORDS, limit=120)
    assert marked.startswith("…") and marked.endswith("…")
    assert "the <mark>marmalade</mark>, bitter and bright." in marked
    assert len(Markup(marked).striptags()) <= 120 + 2


def test_without_a_match_the_excerpt_is_the_start_of_the_text() -> None:
    text = "Plain words. " * 50
    marked = highlight(text, WORDS, limit=60)
    assert marked.startswith("Plain words.") and marked.endswith("…")
    assert "<mark>" not in marked


def test_a_short_text_is_shown_whole() -> None:
    assert highlight("  Short   text  ", WORDS) == "Short text"
