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


def test_a_stretch_the_batched_decoder_heard_as_a_loop_is_recognised_again(monkeypatch):
    """The batched decoder has no temperature fallback: a chunk whose text repeats itself (gzip ratio over 2.4)
    loses its words, and the stretch is recognised again alone, like a chunk that came back empty."""
    import faster_whisper

    from align.recognition import recognise

    def word(text, start, end):
        return SimpleNamespace(word=" " + text, start=start, end=end, probability=0.9)

    class FakePipeline:
        def __init__(self, model):
            pass

        def transcribe(self, samples, **kwargs):
            before = SimpleNamespace(start=0.0, end=3.0, compression_ratio=1.2, words=[word("hello", 2.5, 2.9)])
            loop = SimpleNamespace(start=3.0, end=6.0, compression_ratio=5.9,
                                   words=[word("the", 3.0 + 0.1 * k, 3.05 + 0.1 * k) for k in range(20)])
            after = SimpleNamespace(start=6.0, end=7.0, compression_ratio=1.0, words=[word("again", 6.5, 6.9)])
            return iter([before, loop, after]), None

    class SequentialModel:
        clips = []

        def transcribe(self, samples, **kwargs):
            SequentialModel.clips.append(len(samples) / 16000)
            return iter([SimpleNamespace(words=[word("world", 0.2, 0.6)], end=0.6)]), None

    monkeypatch.setattr(faster_whisper, "BatchedInferencePipeline", FakePipeline)
    words = recognise(SequentialModel(), np.zeros(16000 * 7, np.float32))
    assert [(w.text, w.start) for w in words] == [("hello", 2.5), ("world", 3.2), ("again", 6.5)]
    assert SequentialModel.clips == [3.0]
