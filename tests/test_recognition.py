"""The recognition cache, with a stand-in model (no speech model needed)."""
from types import SimpleNamespace

import numpy as np

from align.recognition import RecognitionOptions, cache_dir, cached_recognise

SEQUENTIAL = RecognitionOptions(batched=False)


class FakeModel:
    calls = 0

    def transcribe(self, samples, **kwargs):
        FakeModel.calls += 1
        words = [SimpleNamespace(word=" hello", start=0.5, end=0.9, probability=0.9),
                 SimpleNamespace(word=" world", start=1.0, end=1.4, probability=0.8)]
        return iter([SimpleNamespace(words=words, end=1.4)]), None


def heard(text, start, end):
    return SimpleNamespace(word=" " + text, start=start, end=end, probability=0.9)


def batch_hearing(*words):
    """A stand-in for faster-whisper's BatchedInferencePipeline that hears ``words`` in any audio."""
    class Pipeline:
        def __init__(self, model):
            pass

        def transcribe(self, audio, **kwargs):
            return iter([SimpleNamespace(words=list(words), end=words[-1].end)]), None

    return Pipeline


def run(digest="d1", use_cache=True):
    return cached_recognise(FakeModel, lambda: np.zeros(32000, np.float32), digest, "fake", SEQUENTIAL, use_cache)


def test_second_run_comes_from_the_cache():
    FakeModel.calls = 0
    words, cached = run("a")
    again, cached_again = run("a")
    assert (cached, cached_again) == (False, True)
    assert again == words and FakeModel.calls == 1
    assert [w.text for w in words] == ["hello", "world"]


def test_a_corrupt_entry_is_ignored_and_rebuilt():
    run("b")
    for path in cache_dir().glob("*.json"):
        path.write_text("{ not json")
    FakeModel.calls = 0
    words, cached = run("b")
    assert not cached and FakeModel.calls == 1 and len(words) == 2
    assert run("b")[1]


def test_no_cache_neither_reads_nor_writes():
    before = set(cache_dir().glob("*.json")) if cache_dir().exists() else set()
    FakeModel.calls = 0
    run("c", use_cache=False)
    run("c", use_cache=False)
    assert FakeModel.calls == 2
    after = set(cache_dir().glob("*.json")) if cache_dir().exists() else set()
    assert after == before


def test_a_word_stretched_over_skipped_speech_is_recognised_again(monkeypatch):
    """Batched decoding now and then skips a stretch of speech (an ad in another voice) and stretches the next
    word over it: that span is recognised again on its own, and the words heard there replace the long word."""
    from align.recognition import recognise

    class ClipModel:  # the sequential decoder, given the clip from 1.0 s: times are the clip's own
        def transcribe(self, samples, **kwargs):
            return iter([SimpleNamespace(words=[heard("ad", 0.2, 0.6), heard("world", 4.6, 5.0)], end=5.0)]), None

    monkeypatch.setattr("faster_whisper.BatchedInferencePipeline",
                        batch_hearing(heard("hello", 0.5, 0.9), heard("world", 1.0, 7.0)))
    words = recognise(ClipModel(), np.zeros(16000 * 8, np.float32))
    assert [(w.text, w.start, w.end) for w in words] == [("hello", 0.5, 0.9), ("ad", 1.2, 1.6), ("world", 5.6, 6.0)]


def test_long_audio_is_recognised_two_pieces_at_once(monkeypatch):
    """A model with two workers recognises two pieces of the audio at once; the words come in the audio's order,
    each piece's times offset by its start, and progress sums the seconds done in every piece."""
    import threading

    from align.recognition import recognise

    both_started = threading.Barrier(2, timeout=10)  # each piece waits for the other: they run at once
    used = []

    class PiecePipeline:
        def __init__(self, model):
            used.append(model)

        def transcribe(self, audio, **kwargs):
            both_started.wait()
            seconds = len(audio) / 16000
            return iter([SimpleNamespace(words=[heard("one", 0.5, 0.9), heard("two", 1.0, 1.4)], end=1.4),
                         SimpleNamespace(words=[heard("three", 2.0, 2.4)], end=seconds)]), None

    piece_model = SimpleNamespace(model=SimpleNamespace(num_workers=2, device="cpu"))
    monkeypatch.setattr("faster_whisper.BatchedInferencePipeline", PiecePipeline)
    monkeypatch.setattr("align.recognition.pieces", lambda samples: [(0.0, 3.0), (3.0, 6.0)])
    monkeypatch.setattr("align.recognition.HOLE", 10.0)  # no holes to recognise again
    seen = []
    words = recognise(SimpleNamespace(), np.zeros(16000 * 6, np.float32), piece_model=lambda: piece_model,
                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [(w.text, w.start) for w in words] == [("one", 0.5), ("two", 1.0), ("three", 2.0),
                                                  ("one", 3.5), ("two", 4.0), ("three", 5.0)]
    assert used == [piece_model, piece_model]
    assert max(done for stage, done, total in seen) == 6.0 and seen[-1] == ("recognising speech", 6.0, 6.0)


def test_a_shorter_long_word_is_replaced_only_where_its_span_holds_several_words(monkeypatch):
    """A word of 1.5-2.5 s is recognised again too: where that hears four words or more, they replace it (speech
    the batch skipped); where it hears fewer, or words of no length, the word was said slowly and stays, and so
    does a number."""
    from align.recognition import recognise

    class ClipModel:  # the same four words heard in either span, two of them in no time
        def transcribe(self, samples, **kwargs):
            words = [heard("so", 0.1, 0.4), heard("they", 0.4, 0.8), heard("are", 0.8, 0.8), heard("here", 0.9, 1.3)]
            if len(samples) < 16000 * 1.9:  # the first span, 1.8 s: all four take time
                words[2] = heard("are", 0.8, 1.0)
            return iter([SimpleNamespace(words=words, end=1.3)]), None

    monkeypatch.setattr("faster_whisper.BatchedInferencePipeline", batch_hearing(
        heard("the", 0.5, 2.3), heard("last", 3.0, 3.3), heard("slowly", 4.0, 6.0), heard("1823,", 6.5, 8.3)))
    words = recognise(ClipModel(), np.zeros(16000 * 9, np.float32))
    assert [w.text for w in words] == ["so", "they", "are", "here", "last", "slowly", "1823,"]  # a number: said long


def test_a_long_word_of_a_skipped_stretch_decoded_alone_is_recognised_again_too(monkeypatch):
    """A stretch the batch skipped is decoded alone, and that decoding too may stretch a word over speech: the
    word's span is recognised once more."""
    from align.recognition import recognise

    class ClipModel:  # the skipped stretch (0.9-8 s) holds "last" over 2 s; that span, decoded again, four words
        def transcribe(self, samples, **kwargs):
            if len(samples) > 16000 * 3:
                return iter([SimpleNamespace(words=[heard("last", 1.0, 3.0)], end=3.0)]), None
            words = [heard(w, 0.1 + 0.4 * k, 0.4 + 0.4 * k) for k, w in enumerate(("so", "they", "are", "here"))]
            return iter([SimpleNamespace(words=words, end=1.6)]), None

    monkeypatch.setattr("faster_whisper.BatchedInferencePipeline", batch_hearing(heard("hello", 0.5, 0.9)))
    words = recognise(ClipModel(), np.zeros(16000 * 8, np.float32))
    assert [w.text for w in words] == ["hello", "so", "they", "are", "here"]
