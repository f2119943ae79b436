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
