"""align --fast: the transcript forced through the decoder window by window (align/forced.py), with the real
tiny.en model on the harbour fixture (page text, a cut paragraph and an ad read), and its parts alone."""
import json
import re
import statistics

import numpy as np
import pytest

from align.aligner import RecognisedWord
from align.cli import run
from align.forced import ForcedOptions, _accepted, _last_said, _said_run, forced_recognise
from align.pipeline import Options, align_episode
from align.recognition import cache_dir
from helpers import start_errors


def norm(text):
    return re.sub(r"[^0-9a-z]+", "", text.lower())


@pytest.fixture(scope="module")
def fast(harbour):
    return align_episode(harbour["audio"], harbour["transcript"], Options(fast=True))


def test_every_spoken_word_is_captioned_in_order(fast, harbour):
    spoken = [norm(w["text"]) for w in harbour["truth"]["words"] if w.get("why") not in ("cut", "cruft")]
    shown = [norm(w.text) for cue in fast.cues for w in cue.words]
    assert [w for w in shown if w] == [w for w in spoken if w]


def test_cut_text_and_page_text_are_reported_not_captioned(fast, harbour):
    cut = " ".join(w["text"] for w in harbour["truth"]["words"] if w.get("why") == "cut")
    shown = " ".join(c.text.replace("\n", " ") for c in fast.cues)
    assert cut and cut not in shown
    reported = " ".join(p["text"] for p in fast.report["not_in_audio"])
    assert cut in reported and "Comments are closed." in reported


def test_no_cue_over_the_ad_and_the_ad_is_reported(fast, harbour):
    (ad_start, ad_end), = harbour["truth"]["unscripted_audio"]
    assert not any(c.start < ad_end - 0.5 and c.end > ad_start + 0.5 for c in fast.cues)
    assert any(s["start"] < ad_end and s["end"] > ad_start for s in fast.report["not_in_transcript"])


def test_word_starts_are_near_the_truth(fast, harbour):
    errors = start_errors(fast, harbour["truth"]["words"])
    print(f"fast: median {statistics.median(errors):.3f} s, over 1 s {sum(e > 1.0 for e in errors)} of {len(errors)}")
    assert statistics.median(errors) <= 0.15
    assert sum(e > 1.0 for e in errors) <= 0.02 * len(errors)


def test_a_rerun_computes_no_window_again(harbour, tmp_path, monkeypatch):
    out = tmp_path / "ep.json"
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "--fast", "-o", str(out), "-q"]) == 0
    first = json.loads(out.read_text())
    import align.forced

    calls = []
    real = align.forced.forced_recognise

    def counting(*args, **kwargs):
        words, computed = real(*args, **kwargs)
        calls.append(computed)
        return words, computed

    monkeypatch.setattr("align.pipeline.forced_recognise", counting)
    preloads = []  # the same words again: the model is not even loaded on the side
    monkeypatch.setattr("align.pipeline._Episode._load_quietly", lambda self: preloads.append(1))
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "--fast", "-o", str(out), "-q"]) == 0
    assert calls == [0] and preloads == []
    assert json.loads(out.read_text())["segments"] == first["segments"]


def test_a_window_accepts_words_until_the_text_stops_fitting():
    options = ForcedOptions()
    said = [(k, k + 0.5, 0.9) for k in range(6)]
    assert _accepted(said, 30.0, False, options, whole=True) == (6, "window")
    squeezed = said[:2] + [(2, 2, 0.9), (2, 2, 0.8), (2, 2, 0.01), (2, 2, 0.7)] + said[2:]
    assert _accepted(squeezed, 30.0, False, options, whole=True) == (2, "bad")
    # the last two words absorb the rest of the window: they wait for the next one
    assert _accepted(said, 30.0, False, options, whole=False) == (4, "window")
    # a word that does not fit, stretched over an ad the text lacks: audio the text lacks follows the word before
    over_ad = said[:2] + [(2, 9, 0.01), (9, 9.5, 0.9)] + said[2:]
    assert _accepted(over_ad, 30.0, False, options, whole=True) == (2, "long")


def test_heard_words_resume_the_text_after_an_ad():
    heard = [RecognisedWord(w, k, k + 0.4, 0.9) for k, w in
             enumerate("buy the sea salt soap today and we went down to the harbour".split())]
    text = [(w,) for w in "and then we went down to the harbour at dawn".split()]
    assert _last_said(heard, text, 0) == (12, 7)
    assert _last_said(heard[:6], text, 0) is None


def test_a_short_run_heard_far_ahead_in_the_text_is_a_chance_match_where_the_words_after_it_do_not_go_on():
    """Free decoding in noise heard "the United States" where the text says it only 250 words on: the text is
    resumed after the words heard after it, which go on with the text where it is."""
    words = ("also the governments of cuba venezuela nicaragua together these countries represent over two hundred "
             "million people i should also mention mention that there are reports that the president")
    text = [(w,) for w in (words + " x" * 250 + " the united states has a clear policy").split()]
    heard = [RecognisedWord(w, k, k + 0.4, 0.9) for k, w in enumerate(
        "also the government of cuba venezuela or nicaragua the united states country britain so much to hungry "
        "life million people i shall not mention mention that the reports that really didnt".split())]
    h, q = _last_said(heard, text, 0)
    assert (heard[h - 2].text, heard[h].text) == ("mention", "that") and q == 21
    # the same run with the window ending soon after it: the text may resume there after a cut
    assert _last_said(heard[:12], text, 0)[1] > 250


def test_a_short_run_far_ahead_at_the_window_end_is_decided_by_the_words_heard_after_it():
    """Speech cut from the text says "latin america and the caribbean", which the text says 120 words on. Heard
    at the end of a window, nothing tells a chance match from the text resuming after a cut: the run is "far",
    and the window is decoded again from it. There the text heard at its own place after the cut speech wins; a
    shorter run followed by words that do not go on with the text is a chance match even alone in its window."""
    text = [(w,) for w in ("the leaders met for two days " + "x " * 120 + "latin america and the caribbean will "
                           "decide its own future").split()]
    heard = [RecognisedWord(w, k, k + 0.4, 0.9) for k, w in
             enumerate("so we spoke with them of latin america and the caribbean".split())]
    g, h, q, far = _said_run(heard, text, 0)
    assert (heard[g].text, heard[h].text, q, far) == ("latin", "caribbean", 130, True)
    again = heard[g:] + [RecognisedWord(w, 20 + k, 20.4 + k, 0.9) for k, w in
                         enumerate("and then the leaders met for two days".split())]
    assert _said_run(again, text, 0)[2:] == (5, False)
    lone = [RecognisedWord(w, k, k + 0.4, 0.9) for k, w in
            enumerate("we said the caribbean will decide and many other things about trade and debt".split())]
    assert _said_run(lone, text, 0) is None


def test_a_fix_to_the_transcript_reads_the_kept_samples_and_encodings(harbour, tmp_path, monkeypatch):
    from faster_whisper import WhisperModel

    import align.forced

    transcript = tmp_path / "ep.txt"
    transcript.write_text(harbour["transcript"].read_text())
    out, cold = tmp_path / "ep.json", tmp_path / "cold.json"
    assert run([str(harbour["audio"]), str(transcript), "--fast", "-o", str(out), "-q"]) == 0
    assert list(cache_dir().glob("samples-*.npy")) and list(cache_dir().glob("encoded-*/*.npy"))
    text = transcript.read_text()
    transcript.write_text(text.replace("quiet job", "calm job", 1))
    assert text != transcript.read_text()
    assert run([str(harbour["audio"]), str(transcript), "--fast", "-o", str(cold), "-q", "--no-cache"]) == 0

    def no_decoding(path):
        raise AssertionError("the audio was decoded again")

    encoded, computed = [], []
    real_encode, real_forced = WhisperModel.encode, align.forced.forced_recognise

    def counting_forced(*args, **kwargs):
        words, count = real_forced(*args, **kwargs)
        computed.append(count)
        return words, count

    monkeypatch.setattr("align.pipeline.load_audio", no_decoding)
    monkeypatch.setattr(WhisperModel, "encode", lambda self, features: encoded.append(1) or real_encode(self, features))
    monkeypatch.setattr("align.pipeline.forced_recognise", counting_forced)
    preloads = []  # the words changed: the model loads on a thread while the caches are read
    monkeypatch.setattr("align.pipeline._Episode._load_quietly", lambda self: preloads.append(1))
    assert run([str(harbour["audio"]), str(transcript), "--fast", "-o", str(out), "-q"]) == 0
    assert preloads == [1]
    segments = json.loads(out.read_text())["segments"]
    assert any(s["body"] == "calm" for s in segments)
    # the windows the fix changed were decoded again, the first of them from its kept encoding; and the result
    # is what a cold run of the fixed transcript writes
    assert computed[0] >= 1 and len(encoded) < computed[0]
    assert segments == json.loads(cold.read_text())["segments"]


def test_batch_fast_writes_what_the_single_command_writes(harbour, tmp_path):
    import shutil

    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    shutil.copy(harbour["audio"], source / "ep.mp3")
    shutil.copy(harbour["transcript"], source / "ep.txt")
    assert run(["batch", str(source), "-o", str(out), "--fast", "-q"]) == 0
    single = tmp_path / "single.vtt"
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "--fast", "-o", str(single), "-q"]) == 0
    assert (out / "ep.vtt").read_text() == single.read_text()


def test_no_forced_word_starts_before_the_audio(monkeypatch):
    # cross-attention starts the first word at the window's start; the -0.1 s offset must not take it below zero
    monkeypatch.setattr("align.forced._Windows.force",
                        lambda self, start, words: [(start + k * 0.5, start + k * 0.5 + 0.4, 0.9)
                                                    for k in range(len(words))])
    monkeypatch.setattr("align.forced._Windows.free", lambda self, start: [])
    words, _ = forced_recognise(None, np.zeros(16000 * 4, dtype=np.int16), ["one", "two", "three"])
    assert [w.text for w in words] == ["one", "two", "three"]
    assert words[0].start == 0.0 and all(w.start >= 0.0 for w in words)


def test_forced_words_that_free_decoding_hears_as_later_text_are_taken_back(monkeypatch):
    # a paragraph cut from the audio begins as the next one does: the forced pass fits its first words onto the next
    # paragraph's speech before it stops fitting; free decoding of the window hears the next paragraph there
    cut = "so this is the sick corpus i probably sound quite different".split()
    said = "alright so this is the sick corpus hopefully the levels are okay thanks".split()
    fits = {0, 1, 2, 3, 4, 5, 6}  # "hello" and the cut paragraph's first six words
    monkeypatch.setattr("align.forced._Windows.force",
                        lambda self, start, words: [(start + k, start + k + 0.8, 0.9 if k in fits else 0.01)
                                                    for k in range(len(words))])
    heard = [RecognisedWord("hello", 0.0, 0.5, 0.9)] + [RecognisedWord(w, 0.8 + k * 0.5, 1.2 + k * 0.5, 0.9)
                                                        for k, w in enumerate(said)]
    monkeypatch.setattr("align.forced._Windows.free", lambda self, start: heard)
    words, _ = forced_recognise(None, np.zeros(16000 * 9, dtype=np.int16), ["hello"] + cut + said)
    assert [w.text for w in words] == ["hello"] + said
    assert [w.start for w in words[1:]] == [w.start for w in heard[1:]]
