"""The confidence stage: evidence per word, the fitted model it feeds, and the worth-a-listen list built on it."""
import json

import numpy as np
import pytest

from align.aligner import WordTiming as W
from align.confidence import FEATURES, FLAG_BELOW, MODEL, Model, evidence, on_time_probability
from align.report import build_report


def test_the_shipped_models_read_the_evidence_they_were_fitted_on():
    from align.confidence import FAST_MODEL, UNREFINED_MODEL

    assert MODEL.features == FEATURES and MODEL.trees and 0.5 <= FLAG_BELOW < 1
    for model in (MODEL, UNREFINED_MODEL, FAST_MODEL):
        assert Model.from_json(model.to_json()) == model and model.flag_below == FLAG_BELOW
    with pytest.raises(ValueError):
        Model.from_json(json.dumps({**json.loads(MODEL.to_json()), "features": ["other"]}))


SPEECH = np.tile([60.0] * 30 + [20.0] * 10, 20)  # levels of 8 s of speech: 0.3 s words, 0.1 s pauses


def _words(n, pace=0.4):
    return [W(k, "matched", round(k * pace, 3), round(k * pace + 0.3, 3), 0.95) for k in range(n)]


def test_evidence_has_a_row_per_token_and_none_for_words_not_spoken():
    before = _words(5) + [W(5, "not_in_audio"), W(6, "note")]
    rows = evidence(before, before, ["hmm"] * 5 + ["", ""], ["a", "word", "or", "two,", "then", "cut", "[laughs]"],
                    [], [], SPEECH)
    assert rows.shape == (7, len(FEATURES))
    assert not np.isnan(rows[:5]).any() and np.isnan(rows[5:]).all()
    named = dict(zip(FEATURES, rows[4]))
    assert named["after_punctuation"] == 1 and named["near_text_not_in_audio"] == 0.5
    assert np.isnan(on_time_probability(rows)[5:]).all()


def test_a_word_put_early_reads_its_own_sound_going_on_after_the_end_it_was_given():
    words = _words(4)
    early = W(2, "matched", 0.7, 0.8, 0.95)  # the third word, said at 0.8-1.1 s, put on the pause before it
    rows = evidence(words, words[:2] + [early, words[3]], ["hmm"] * 4, ["we", "met", "a", "friend"], [], [], SPEECH)
    named = [dict(zip(FEATURES, row)) for row in rows]
    assert named[2]["after_level"] > 0.9 and named[2]["end_fall"] < -0.5  # speech right after its end
    assert named[1]["after_level"] < 0.5 and named[1]["end_fall"] > 0.5  # a word that ends where its sound does
    assert named[1]["lead_in_level"] > 0.5 and named[0]["lead_in_level"] == 0.0


def test_a_word_placed_far_from_its_recognised_time_between_guesses_is_less_sure():
    before = _words(12)
    how = ["hmm"] * 12
    for k in (5, 6, 7):  # a run misheard, that the HMM missed, laid out 1.5 s from where it was heard
        before[k] = W(k, "misheard", before[k].start, before[k].end, 0.3)
        how[k] = "spread"
    after = [W(k, t.status, t.start + 1.5, t.end + 1.5, t.confidence) if how[k] == "spread" else t
             for k, t in enumerate(before)]
    texts = "we met at the harbour and then sailed home after the storm".split()
    p = on_time_probability(evidence(before, after, how, texts, [], [], SPEECH))
    assert min(p[5:8]) < FLAG_BELOW < min(np.r_[p[:4], p[9:]])


def test_the_report_lists_the_least_sure_stretches_first():
    from align.aligner import Alignment
    from align.transcript import parse_transcript

    transcript = parse_transcript("A: one two three four five six")
    timings = [W(0, "matched", 0.0, 0.3, 0.99), W(1, "matched", 0.4, 0.7, 0.6), W(2, "matched", 2.0, 2.3, 0.2),
               W(3, "matched", 2.4, 2.7, 0.5), W(4, "matched", 5.0, 5.3, 0.99), W(5, "matched", 6.0, 6.3, 0.1)]
    low = build_report(Alignment(transcript, [], timings))["low_confidence"]
    assert [e["text"] for e in low] == ["six", "three", "four", "two"]
    assert all(e["confidence"] < FLAG_BELOW for e in low)


def test_the_list_holds_at_most_the_least_sure_share_of_the_words_and_the_review_page_shows_the_same():
    from align.aligner import Alignment
    from align.pipeline import Result
    from align.report import MOST_WORTH_A_LISTEN
    from align.review import review_html
    from align.transcript import parse_transcript

    transcript = parse_transcript("A: " + " ".join(f"word{k}" for k in range(200)))
    unsure = {k: 0.3 + k / 1000 for k in range(0, 200, 10)}  # 20 words under the threshold, 10% of them
    timings = [W(k, "matched", k * 0.4, k * 0.4 + 0.3, unsure.get(k, 0.99)) for k in range(200)]
    alignment = Alignment(transcript, [], timings)
    report = build_report(alignment)
    listed = sorted(e["text"] for e in report["low_confidence"])
    assert len(listed) == int(MOST_WORTH_A_LISTEN * 200) < len(unsure)
    assert listed == sorted(f"word{k}" for k in sorted(unsure, key=unsure.get)[:len(listed)])
    page = review_html(Result(transcript, alignment, [], report), "ep.mp3", "WEBVTT\n")
    assert page.count("worth a listen:") == len(listed)
