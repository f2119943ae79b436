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
