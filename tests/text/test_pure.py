"""The pure parts: language, sentences, sentiment labels, urgency rules, search syntax."""

from __future__ import annotations

import pytest

from heedback.text.analysis import analyse_texts, language_of
from heedback.text.language import detect_language
from heedback.text.recommendation import recommendation_of
from heedback.text.search import fts5_query
from heedback.text.sentiment import label_of, split_sentences, vader, vader_sentiment
from heedback.text.themes import TfidfSpace, keyword_pattern, spherical_kmeans, tokens
from heedback.text.urgency import urgency_flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The room was clean and the staff were very friendly.", "en"),
        ("La chambre était propre et le personnel très aimable.", "fr"),
        ("Das Zimmer war sauber und das Personal sehr freundlich.", "de"),
        ("La habitación estaba limpia y el personal muy amable.", "es"),
        ("De kamer was schoon en het personeel niet vriendelijk.", "nl"),
        ("Номер был чистым, персонал очень приветливый.", "ru"),
        ("部屋はとてもきれいでした。", "ja"),
        ("房间很干净", "zh"),
        ("Ok", "und"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_a_short_text_takes_the_hint_or_its_english_sentiment_words():
    assert detect_language("Parfait!", hint="fr-FR") == "fr"
    assert language_of("Great stay") == "en"
    assert language_of("Qwxj") == "und"


def test_split_sentences_gives_offsets_without_blanks():
    text = "Lovely staff.  The room was dirty!\nWould come back?"
    spans = split_sentences(text)
    assert [text[start:end] for start, end in spans] == [
        "Lovely staff.",
        "The room was dirty!",
        "Would come back?",
    ]


def test_sentiment_per_sentence_and_mixed_label():
    result = vader_sentiment("The staff were wonderful. The room was filthy and disgusting.")
    assert [sentence.score > 0 for sentence in result.sentences] == [True, False]
    assert result.label == "mixed"
    assert label_of(0.6, [0.6]) == "positive"
    assert label_of(-0.3, [-0.3]) == "negative"
    assert label_of(0.0, [0.0]) == "neutral"


def test_a_language_vader_does_not_read_is_not_analysed():
    (french,) = analyse_texts([("La chambre était sale et le personnel désagréable.", "")])
    assert (french.language, french.status, french.sentiment) == ("fr", "not_analysed", None)


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Never again. Worst hotel ever.", ["never_again"]),
        ("I will never fly with them again.", ["never_again"]),
        ("I am cancelling my membership today.", ["leaving"]),
        ("I'll be posting this on TripAdvisor and Facebook.", ["public"]),
        ("My lawyer will be in touch.", ["legal"]),
        ("I will report this to the CAA.", ["legal"]),
        ("Two of us got food poisoning from the buffet.", ["safety"]),
        ("The waiter was openly racist towards my husband.", ["discrimination"]),
        ("The manager shouted at me in front of everyone.", ["discrimination"]),
        ("We sat in the emergency exit row, lots of legroom.", []),
        ("Lovely stay, we will come again.", []),
        # Rules added from reviews outside the labelled sample: negation … use … again.
        ("We shall not be staying at this hotel again.", ["never_again"]),
        ("I doubt I will ever book with them again!", ["never_again"]),
        ("It will be a long time before we visit this place again.", ["never_again"]),
        ("Avoid Grand Hotel like the plague.", ["never_again"]),
        ("I am now looking for an alternative hotel chain.", ["leaving"]),
        ("I would not hesitate to stay here again.", []),
        ("The breakfast was not great. Staying here again would be fine.", []),
        ("Try the window seat to avoid the draught.", []),
    ],
)
def test_urgency_rules(text, reasons):
    assert [flag.reason for flag in urgency_flags(text)] == reasons


def test_urgency_flag_points_at_the_phrase():
    text = "Fine room. Never again though."
    (flag,) = urgency_flags(text)
    assert text[flag.start : flag.end] == "Never again"


def test_fts5_query_quotes_words_and_phrases():
    assert fts5_query('parking "front desk" NEAR(') == '"parking" "front desk" "NEAR"'
    assert fts5_query('" * ') == ""


def test_tfidf_and_kmeans_separate_two_topics():
    topics = ["parking car expensive", "breakfast eggs coffee", "noise street music", "wifi slow"]
    documents = [tokens(topic) for topic in topics for _ in range(10)]
    space = TfidfSpace.learn(documents)
    labels, centres = spherical_kmeans(space.vectors(documents), 4)
    groups = [set(labels[start : start + 10].tolist()) for start in range(0, 40, 10)]
    assert all(len(group) == 1 for group in groups)
    assert len(set.union(*groups)) == 4
    assert centres.shape == (4, len(space.vocabulary))


def test_keyword_pattern_matches_whole_words():
    pattern = keyword_pattern(["car park", "wifi"])
    assert pattern.search("The car park was full")
    assert not pattern.search("wifiless")
    assert keyword_pattern([]) is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("I would highly recommend this airline.", 1),
        ("Highly recommended!", 1),
        ("I would not hesitate to recommend them.", 1),
        ("I can't recommend this lounge highly enough.", 1),
        ("We will definitely fly with them again.", 1),
        ("I would not recommend this airline.", -1),
        ("Not recommended.", -1),
        ("I cannot recommend them.", -1),
        ("Never again.", -1),
        ("Never ever will I fly with them again.", -1),
        ("Avoid this lounge.", -1),
        ("Not worth the money.", -1),
        ("We won't fly with them.", -1),
        ("I recommend you book early.", 0),
        ("I recommend the airline improve its seats.", 0),
        ("Arrive early to avoid the queues.", 0),
        ("The staff were friendly.", 0),
    ],
)
def test_explicit_recommendation_statements(sentence, expected):
    assert recommendation_of(sentence) == expected


def test_a_recommendation_statement_scores_the_sentence_plainly():
    # VADER alone: "Never again." 0.0 and the "not hesitate" sentence below zero.
    assert vader().compound("Never again.") == 0.0
    assert vader().compound("I would not hesitate to recommend them.") < 0
    result = vader_sentiment("Never again. I would not hesitate to recommend the crew.")
    assert [sentence.score for sentence in result.sentences] == [-1.0, 1.0]
    assert result.score == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "VADER is smart, handsome, and funny!",
        "The food was kind of good, but the staff were NOT friendly!!",
        "no good",
        "I don't like it :(",
        "  lol :) ",
        "It was the bomb",
        "never so good",
        "at least ok",
        "without doubt the best",
        "Great 😀 stay",
        "The room was not at all bad, but it could be better???",
        "KIND OF bad",
        "not the least bit good",
        "The seats are narrow and the legroom is the worst I have had.",
        "",
    ],
)
def test_the_product_analyser_gives_vaders_own_scores(text):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    expected = SentimentIntensityAnalyzer().polarity_scores(text)
    assert vader().polarity_scores(text) == expected
    assert vader().compound(text) == expected["compound"]
