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

    def word(text, start, end):
        return SimpleNamespace(word=" " + text, start=start, end=end, probability=0.9)

    class StretchingPipeline:
        def __init__(self, model):
            pass

        def transcribe(self, audio, **kwargs):
            return iter([SimpleNamespace(words=[word("hello", 0.5, 0.9), word("world", 1.0, 7.0)], end=7.0)]), None

    class ClipModel:  # the sequential decoder, given the clip from 1.0 s: times are the clip's own
        def transcribe(self, samples, **kwargs):
            return iter([SimpleNamespace(words=[word("ad", 0.2, 0.6), word("world", 4.6, 5.0)], end=5.0)]), None

    monkeypatch.setattr("faster_whisper.BatchedInferencePipeline", StretchingPipeline)
    words = recognise(ClipModel(), np.zeros(16000 * 8, np.float32))
    assert [(w.text, w.start, w.end) for w in words] == [("hello", 0.5, 0.9), ("ad", 1.2, 1.6), ("world", 5.6, 6.0)]


def test_long_audio_is_recognised_two_pieces_at_once(monkeypatch):
    """A model with two workers recognises two pieces of the audio at once; the words come in the audio's order,
    each piece's times offset by its start, and progress sums the seconds done in every piece."""
    import threading

    from align.recognition import recognise

    def word(text, start, end):
        return SimpleNamespace(word=" " + text, start=start, end=end, probability=0.9)

    both_started = threading.Barrier(2, timeout=10)  # each piece waits for the other: they run at once
    used = []

    class PiecePipeline:
        def __init__(self, model):
            used.append(model)

        def transcribe(self, audio, **kwargs):
            both_started.wait()
            seconds = len(audio) / 16000
            return iter([SimpleNamespace(words=[word("one", 0.5, 0.9), word("two", 1.0, 1.4)], end=1.4),
                         SimpleNamespace(words=[word("three", 2.0, 2.4)], end=seconds)]), None

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
