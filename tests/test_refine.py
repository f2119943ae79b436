"""Word-time refinement with PocketSphinx on the fixture episode."""
import statistics

import pytest

from align.aligner import align_words
from align.audio import load_audio
from align.cache import WindowMemo
from align.pipeline import Options, _Episode
from align.refine import refine_times
from align.transcript import read_transcript


@pytest.fixture(scope="module")
def first_alignment(harbour):
    episode = _Episode(harbour["audio"], Options(), None)
    words, _ = episode.recognise()
    transcript = read_transcript(harbour["transcript"])
    return align_words(transcript, words, verifier=episode.verify), load_audio(harbour["audio"])


def start_errors(timings, transcript, truth):
    offset = len(transcript.tokens) - len(truth)
    return [abs(timings[offset + k].start - w["start"]) for k, w in enumerate(truth)
            if w["start"] is not None and timings[offset + k].start is not None]


def test_refinement_brings_word_starts_closer(first_alignment, harbour):
    alignment, samples = first_alignment
    refined, stats = refine_times(alignment, samples)
    truth = harbour["truth"]["words"]
    before = statistics.median(start_errors(alignment.timings, alignment.transcript, truth))
    after = statistics.median(start_errors(refined, alignment.transcript, truth))
    spoken = [w for w in truth if w["start"] is not None]
    assert stats.words_moved > 0.4 * len(spoken)
    assert after < before and after <= 0.06


def test_every_token_keeps_its_status_and_order(first_alignment):
    alignment, samples = first_alignment
    refined, _ = refine_times(alignment, samples)
    assert [t.status for t in refined] == [t.status for t in alignment.timings]
    assert [t.start is None for t in refined] == [t.start is None for t in alignment.timings]
    assert all(t.end >= t.start for t in refined if t.start is not None)


def test_other_languages_are_left_alone_and_say_so(first_alignment):
    alignment, samples = first_alignment
    refined, stats = refine_times(alignment, samples, language="de")
    assert refined == alignment.timings
    assert "no refinement model" in stats.note


def test_a_rerun_reuses_the_windows_without_decoding(first_alignment, tmp_path):
    alignment, samples = first_alignment
    memo = WindowMemo(tmp_path / "w.json")
    first, _ = refine_times(alignment, samples, memo=memo)
    memo.save()

    def no_audio():
        raise AssertionError("decoded the audio again")

    again, _ = refine_times(alignment, no_audio, memo=WindowMemo(tmp_path / "w.json"))
    assert again == first


def test_a_memo_written_under_other_settings_is_not_read(first_alignment, tmp_path, monkeypatch):
    from align import refine

    alignment, samples = first_alignment
    memo = WindowMemo(tmp_path / "w.json")
    refine_times(alignment, samples, memo=memo)
    memo.save()
    monkeypatch.setattr(refine, "ALIGN_SETTINGS", refine.ALIGN_SETTINGS + ["measuring another setting"])
    decoded = []

    def audio():
        decoded.append(True)
        return samples

    refine_times(alignment, audio, memo=WindowMemo(tmp_path / "w.json"))
    assert decoded


def test_worker_processes_give_the_same_times(first_alignment):
    alignment, samples = first_alignment
    alone, alone_stats = refine_times(alignment, samples)
    shared, shared_stats = refine_times(alignment, samples, workers=2, min_parallel=1)
    assert shared == alone
    assert shared_stats == alone_stats


def test_a_daemonic_process_refines_alone(first_alignment, monkeypatch):
    """Dask's and multiprocessing's pool workers may not start processes: refinement then runs in-process."""
    import multiprocessing

    from align import refine

    alignment, samples = first_alignment
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)

    def no_processes(next_round, *rest):
        raise AssertionError("started processes")

    monkeypatch.setattr(refine, "align_in_processes", no_processes)
    refined, _ = refine_times(alignment, samples, workers=2, min_parallel=1)
    assert refined == refine_times(alignment, samples)[0]


def test_a_windows_times_do_not_depend_on_the_windows_before_it(harbour):
    """PocketSphinx's noise estimate is made anew for each window: workers and reruns give the same times."""
    from align.hmm import align_clip, new_decoder, warm_up_samples

    samples = load_audio(harbour["audio"])

    def clip(lo: float, hi: float):
        return samples[int(lo * 16000) - warm_up_samples(lo):int(hi * 16000)]

    words = "harbour lights today i".split()
    fresh = align_clip(new_decoder({}), words, clip(1.7, 4.62), 1.7)
    used = new_decoder({})
    for lo, hi, said in ((20.0, 24.0, ["it", "is"]), (33.0, 37.0, ["it", "is"]), (1.7, 4.62, words)):
        align_clip(used, said, clip(lo, hi), lo)  # other speech, the ad read, this window itself
    assert align_clip(used, words, clip(1.7, 4.62), 1.7) == fresh
    assert [w for w, _, _ in fresh] == words


def test_a_window_with_digital_silence_that_does_not_align_whole_is_aligned_again_with_more_noise(harbour):
    """Gated pauses (exact zeros) with one step of noise in them leave PocketSphinx short of a window's last words;
    with a quiet room's noise floor in them (RETRY_DITHER) the window aligns whole."""
    from align.hmm import _align_dithered, _has_digital_silence, align_clip, new_decoder, warm_up_samples

    samples = load_audio(harbour["audio"])
    lo, hi = 0.99, 3.29
    pcm = samples[int(lo * 16000) - warm_up_samples(lo):int(hi * 16000)]
    words = "back to harbour lights".split()
    assert _has_digital_silence(pcm)
    assert len(_align_dithered(new_decoder({}), words, pcm, lo, None, 1)) < len(words)
    assert [w for w, _, _ in align_clip(new_decoder({}), words, pcm, lo)] == words


def test_a_word_after_a_pause_starts_where_the_sound_rises():
    """For voices the HMM does not fit: the first word after a pause starts at the onset, within 10 ms."""
    import numpy as np

    from align.aligner import WordTiming
    from align.retime import onset_in, start_at_onsets

    rng = np.random.default_rng(0)
    samples = (rng.normal(0, 30, 16000 * 3)).astype(np.int16)  # quiet room noise
    samples[int(1.2 * 16000):int(1.8 * 16000)] += (3000 * np.sin(np.arange(9600) / 5)).astype(np.int16)
    timings = [WordTiming(0, "matched", 0.1, 0.5), WordTiming(1, "matched", 1.33, 1.7),
               WordTiming(2, "matched", 1.72, 1.8)]
    moved = start_at_onsets(timings, [0, 1, 2], {1, 2},
                             lambda lo, hi, start: onset_in(samples[int(lo * 16000):int(hi * 16000)], lo, start))
    assert moved == 1 and abs(timings[1].start - 1.2) <= 0.01 and timings[1].end == 1.7
    assert timings[2].start == 1.72  # no pause before it: left alone


def test_unsure_runs_are_laid_out_between_their_placed_neighbours():
    """A run the HMM missed, that the recogniser did not hear as written, is spread in order across the time
    between the placed words either side; a run heard as written, in order, keeps its times, and so does a run
    across a long gap or across unscripted speech (an ad may lie there)."""
    from align.aligner import WordTiming as W
    from align.retime import MAX_SPREAD, spread_unsure_runs

    texts = ["so", "coups", "to", "try", "now", "then", "we", "go", "here"]
    timings = [W(0, "matched", 1.0, 1.4), W(1, "misheard", 2.6, 2.8), W(2, "matched", 2.8, 2.9),
               W(3, "interpolated", 2.9, 2.9), W(4, "matched", 3.0, 3.3),  # out of place: spread over 1.4-3.0
               W(5, "matched", 3.5, 3.7), W(6, "matched", 3.7, 3.9), W(7, "matched", 4.0, 4.2)]  # as heard
    assert spread_unsure_runs(timings, {0, 4, 7}, texts, []) == 1
    starts = [t.start for t in timings[1:4]]
    assert starts == sorted(starts) and starts[0] == 1.4 and timings[3].end == 3.0
    assert [(t.start, t.end) for t in timings[5:7]] == [(3.5, 3.7), (3.7, 3.9)]

    far = [W(0, "matched", 1.0, 1.4), W(1, "forced", 1.5, 1.5), W(2, "matched", 1.5 + MAX_SPREAD, 5.0)]
    assert spread_unsure_runs(far, {0, 2}, texts, []) == 0 and far[1].start == 1.5
    near = [W(0, "matched", 1.0, 1.4), W(1, "forced", 1.5, 1.5), W(2, "matched", 3.0, 3.3)]
    assert spread_unsure_runs(near, {0, 2}, texts, [(2.0, 2.8)]) == 0 and near[1].start == 1.5


def test_a_piece_that_fails_alone_is_aligned_again_with_its_neighbours():
    """The last three words fail in the whole window and alone (their clip holds the end of the word before
    them); aligned with that word and nothing to take from it, they are placed, and it keeps its time."""
    from align.aligner import WordTiming
    from align.refine import RefineStats, _settle_all

    timings = [WordTiming(k, "matched", 1.0 + 0.5 * k, 1.3 + 0.5 * k) for k in range(6)]
    words = [f"w{k}" for k in range(6)]
    heard = {k: (f"w{k}", 0.95 + 0.5 * k, 1.25 + 0.5 * k) for k in range(6)}
    asked = []

    def window(part, neighbours="none"):
        used = ([part[0] - 1] if neighbours == "both" else []) + part
        said = [(1 if neighbours == "both" and n == 0 else 0, [words[k]]) for n, k in enumerate(used)]
        return ("test", 1, [words[k] for k in used], 0.0, 9.0), said, 0.0, 9.0, used

    def lookup(key, lo, hi):
        said = key[2]
        asked.append(said)
        if said == words:
            return [heard[k] for k in range(3)]  # fails at w3
        if said[0] == "w3":
            return []
        return [heard[int(w[1])] for w in said]

    refined: set[int] = set()
    _settle_all([list(range(6))], window, lookup, timings, refined, RefineStats(), lambda g: "A", None)
    assert asked[-2:] == [words[3:], words[2:]]
    assert refined == set(range(6))
    assert [t.start for t in timings] == [heard[k][1] for k in range(6)]


def test_a_voice_is_judged_on_its_words_once_not_on_each_piece_tried():
    """Seed-clean's en-029 voice: its first stretch placed, its next one failing whole and in every piece, its
    later ones placed again. Counted once a word, half the words tried are placed and the voice is kept; counting
    each piece's words again (each failed piece adds its words to those tried) gave it up after its second stretch."""
    from align.aligner import WordTiming
    from align.refine import TRIAL_WORDS, RefineStats, _settle_all

    size = TRIAL_WORDS // 2
    timings = [WordTiming(k, "matched", 1.0 + 0.5 * k, 1.3 + 0.5 * k) for k in range(4 * size)]
    words = [f"w{k}" for k in range(4 * size)]
    groups = [list(range(g * size, (g + 1) * size)) for g in range(4)]

    def window(part, neighbours="none"):
        used = ([part[0] - 1] if neighbours == "both" and part[0] else []) + part
        said = [(1 if neighbours == "both" and n == 0 and part[0] else 0, [words[k]]) for n, k in enumerate(used)]
        return ("test", 1, [words[k] for k in used], 0.0, 99.0), said, 0.0, 99.0, used

    def lookup(key, lo, hi):  # the second stretch's words are never found
        return [] if any(size <= int(w[1:]) < 2 * size for w in key[2]) else \
            [(w, timings[int(w[1:])].start - 0.05, timings[int(w[1:])].end - 0.05) for w in key[2]]

    refined: set[int] = set()
    given_up: set = set()
    _settle_all(groups, window, lookup, timings, refined, RefineStats(), lambda g: "A", None, None, given_up)
    assert given_up == set()
    assert refined == set(range(size)) | set(range(2 * size, 4 * size))


def test_a_word_said_again_in_the_pause_after_it_is_found_there(harbour):
    """A false start the recogniser missed: "Harbour, Harbour" (the fixture's own speech, repeated) is found
    where it is said again, and a different word in the pause ("Harbour, lighthouse") is not taken for it."""
    import numpy as np

    from align.repeats import said_again

    samples = load_audio(harbour["audio"])
    harbour_word = samples[int(2.143 * 16000):int(2.522 * 16000)]
    lighthouse = samples[int(5.231 * 16000):int(5.745 * 16000)]
    pause = samples[int(1.6 * 16000):int(1.8 * 16000)]
    split = len(harbour_word) / 16000
    again = said_again(np.concatenate([harbour_word, pause, harbour_word, pause]), split)
    assert again is not None and abs(again[0] - (split + 0.2)) <= 0.03 and abs(again[1] - (2 * split + 0.2)) <= 0.05
    assert said_again(np.concatenate([harbour_word, pause, lighthouse, pause]), split) is None


def test_the_hmm_is_asked_for_a_second_saying_and_the_later_one_is_taken(monkeypatch):
    """``hmm.said_twice`` gives the grammar "w ( w | nothing ) next" to the decoder (words with an apostrophe under
    an alias) and takes the later of two sayings; one saying, or the next word said like it, is none."""
    from align import hmm

    class Decoder:
        words = {"don't": "D OW N T", "that": "DH AE T", "so": "S OW"}

        def lookup_word(self, word):
            return self.words.get(word)

        def add_word(self, word, phones, update):
            self.words[word] = phones

        def add_jsgf_string(self, name, grammar):
            self.grammar = grammar

    heard: list = []
    monkeypatch.setattr(hmm, "align_clip", lambda decoder, words, pcm, offset, search=None: list(heard))
    decoder = Decoder()
    heard[:] = [("donQt", 1.0, 1.2), ("donQt", 1.5, 1.7), ("so", 1.7, 1.9)]
    assert hmm.said_twice(decoder, ["don't"], "so", None, 0.0) == [1.5, 1.7]
    assert "donQt ( /1e-10/ donQt | /1/ <NULL> ) so;" in decoder.grammar and decoder.words["donQt"] == "D OW N T"
    heard[:] = [("donQt", 1.5, 1.7), ("so", 1.7, 1.9)]
    assert hmm.said_twice(decoder, ["don't"], "so", None, 0.0) is None
    heard[:] = [("that", 1.0, 1.2), ("that", 1.5, 1.7)]  # "that that": the second is the next word
    assert hmm.said_twice(decoder, ["that"], "that", None, 0.0) is None


def test_a_word_never_starts_before_the_word_its_speaker_says_before_it():
    """A word timed before its speaker's previous word starts with it; another speaker's word may start first
    (crosstalk), and a word set by ear stays where it was set."""
    from align.aligner import WordTiming as W
    from align.retime import keep_order
    from align.transcript import parse_transcript

    transcript = parse_transcript("ANN: One two.\nBOB: Three four five.")
    timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 0.8, 1.5),  # "two" early: starts with "one"
               W(2, "matched", 1.2, 1.6),  # Bob talks over Ann: kept
               W(3, "matched", 2.0, 2.2), W(4, "matched", 1.9, 2.4)]  # "five" early but set by ear: kept
    ordered, moved = keep_order(timings, transcript, fixed={4})
    assert moved == 1
    assert [(t.start, t.end) for t in ordered] == [(1.0, 1.3), (1.0, 1.5), (1.2, 1.6), (2.0, 2.2), (1.9, 2.4)]
    assert [t.token for t in ordered] == [0, 1, 2, 3, 4]


def test_a_voice_the_hmm_does_not_fit_meets_the_forced_times_halfway(monkeypatch):
    # the recogniser's times of such a voice and a forced pass's are independent: each word starts at their mean,
    # unless they are a second or more apart (one of them is lost)
    import numpy as np

    from align.aligner import RecognisedWord
    from align.transcript import parse_transcript

    transcript = parse_transcript("A: one two three four")
    recognised = [RecognisedWord(w, 1.0 + k, 1.4 + k, 0.9) for k, w in enumerate(["one", "two", "three", "four"])]
    timings = align_words(transcript, recognised).timings
    forced = [RecognisedWord(w, s, s + 0.3, 0.9) for w, s in zip(["one", "two", "three", "four"], [1.2, 2.0, 6.0, 4.0])]
    episode = _Episode(np.zeros(16000 * 8, dtype=np.int16), Options(cache=False), None)
    monkeypatch.setattr(episode, "forced", lambda transcript: (forced, False))
    out, count = episode.forced_times(transcript, timings, [0, 1, 2])
    assert [t.start for t in out] == [1.1, 2.0, 3.0, 4.0] and count == 2


def test_a_stretch_cut_in_running_speech_is_aligned_with_the_words_either_side():
    """A stretch cut at MAX_WORDS with no pause: its window holds the word before it too (aligned, not taken), so
    that the HMM need not give that word's end to the stretch's first word; after a pause it does not."""
    from types import SimpleNamespace

    from align.aligner import WordTiming as W
    from align.refine import MAX_PAUSE, MAX_WORDS, _Plan
    from align.transcript import parse_transcript

    count = MAX_WORDS + 5
    transcript = parse_transcript("ANN: " + " ".join(["harbour", "light"] * count) + ".")

    def plan(pause_before_second: float):
        timings = [W(k, "matched", 1.0 + 0.3 * k + (pause_before_second if k >= MAX_WORDS else 0.0),
                     1.25 + 0.3 * k + (pause_before_second if k >= MAX_WORDS else 0.0))
                   for k in range(len(transcript.tokens))]
        return _Plan(SimpleNamespace(transcript=transcript, timings=timings, words=[], unclaimed=[]))

    running = plan(0.0)
    second = running.groups[1]
    assert second[0] == MAX_WORDS
    key, said, lo, hi, used = running.window(second, "touching")
    assert used[0] == MAX_WORDS - 1 and said[0][0] == len(said[0][1])  # the word before: aligned, not taken
    assert lo < running.first_times[MAX_WORDS - 1].start
    paused = plan(MAX_PAUSE + 0.5)
    assert paused.window(paused.groups[1], "touching")[4][0] == MAX_WORDS


def test_a_run_the_hmm_missed_is_aligned_again_between_the_words_it_placed():
    """Words 1-3 kept the recogniser's times, 0.6 s early: aligned again in a clip from word 0's refined start to
    word 4's end, they take the HMM's times. A short word the second look would start 0.5 s earlier than it was
    (the first saying of "the, the") leaves its run as it was, and so does a clip that lacks one of its words."""
    from types import SimpleNamespace as NS

    from align.aligner import WordTiming as W
    from align.refine import _look_again

    texts = ["we", "met", "the", "harbour", "master", "at", "the", "dock", "today"]
    true = [2.0, 2.4, 2.8, 3.0, 3.5, 5.0, 5.3, 5.6, 6.0]
    timings = [W(k, "matched", round(t - (0.6 if k in (1, 2, 3) else 0.0), 3),
                 round(t + 0.3 - (0.6 if k in (1, 2, 3) else 0.0), 3)) for k, t in enumerate(true)]
    timings[6] = W(6, "matched", 5.8, 5.9)  # "the" at 5.8: the HMM would put it at 5.3
    plan = NS(speaker_of=lambda part: "A", text=lambda k: texts[k], dictionary=NS(words=lambda text: [text]),
              repeats=NS(said=lambda part, words: [(0, w) for w in words]))
    asked = []

    def aligned(key, lo, hi):
        asked.append((key[2], lo, hi))
        found = [(w, true[texts.index(w, 5 if lo > 4 else 0)], true[texts.index(w, 5 if lo > 4 else 0)] + 0.3)
                 for w in key[2]]
        return [f for f in found if f[0] != "dock"] if key[2][-1] == "today" else found

    audio = NS(in_workers=lambda windows, shape: None, aligned=aligned)
    placed = _look_again(plan, audio, timings, {0, 4, 5, 7, 8}, set())
    assert placed == {1, 2, 3}
    assert [timings[k].start for k in (1, 2, 3)] == [2.4, 2.8, 3.0]
    assert asked[0] == (["we", "met", "the", "harbour", "master"], 1.95, 3.85)
    assert timings[6].start == 5.8  # "the" would start 0.5 s earlier: left as it was

    timings[6] = W(6, "matched", 5.3, 5.6)
    timings[7] = W(7, "matched", 5.9, 6.0)
    assert _look_again(plan, audio, timings, {0, 1, 2, 3, 4, 5, 6, 8}, set()) == set()  # "dock" not found
    assert timings[7].start == 5.9
