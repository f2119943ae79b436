"""Forced alignment of known words against a stretch of audio, with Whisper's cross-attention.

CTranslate2's ``Whisper.align`` (through faster-whisper's ``find_alignment``) teacher-forces the given text
through the decoder and aligns its tokens to 20 ms audio frames by dynamic time warping. The probability it
gives each token says how well the text fits the audio: words that were said score high, text that is not
in the audio (a paragraph cut in the edit) scores near zero. The aligner uses it to decide doubtful passages
and to time words the recogniser skipped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from align.audio import SAMPLE_RATE, as_float
from align.cache import WindowMemo

__all__ = ["TimedWord", "AcousticAligner", "LoadsLazily", "token_starts"]

WINDOW = 28.0  # seconds of audio per alignment call (Whisper sees 30 s at most)
MAX_TOKENS = 200  # text tokens per call (Whisper's decoder holds 448 positions)


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    probability: float


def token_starts(alignments, count: int, end: float) -> np.ndarray:
    """The first cross-attention frame of each of ``count`` tokens and of the end after them: where the token index
    advances along the warping path (``alignments``: its (token, frame) pairs); a token the path skips starts with
    the next, and ``end`` stands in for a missing end.

    >>> token_starts([(0, 0), (0, 1), (2, 3), (3, 5)], 3, 9).tolist()
    [0.0, 3.0, 3.0, 5.0]
    """
    starts = np.full(count + 1, np.nan)
    for text_index, time_index in alignments:
        if text_index <= count and np.isnan(starts[text_index]):
            starts[text_index] = time_index
    starts[-1] = end if np.isnan(starts[-1]) else starts[-1]
    for k in range(count - 1, -1, -1):
        if np.isnan(starts[k]):
            starts[k] = starts[k + 1]
    return starts


class LoadsLazily:
    """A model and samples given as callables that load them, loaded on first use (a run whose windows are all in
    the memo loads neither)."""

    _model: object
    _samples: object

    @property
    def model(self):
        if callable(self._model) and not hasattr(self._model, "transcribe"):
            self._model = self._model()
        return self._model

    @property
    def samples(self) -> np.ndarray:
        if callable(self._samples):
            self._samples = self._samples()
        return self._samples


class AcousticAligner(LoadsLazily):
    """Aligns words to audio windows of one episode with one loaded Whisper model."""

    def __init__(self, model, samples, language: str | None = "en", memo: WindowMemo | None = None,
                 model_identity: str = ""):
        """``model`` and ``samples`` may be callables that load them, called only when a window is not in
        ``memo`` (the store of earlier runs' results)."""
        self._model = model
        self._samples = samples
        self.language = language or "en"
        self.memo = memo or WindowMemo(None)
        self.identity = model_identity
        self.calls = 0
        self._encoded: tuple | None = None  # ((lo, hi), encoder output, frames) of the last stretch encoded

    def align(self, words: list[str], lo: float, hi: float) -> list[TimedWord]:
        """Times and fit of each word, said in order somewhere within [lo, hi] seconds."""
        key = ("whisper", self.identity, words, round(lo, 3), round(hi, 3))
        found = self.memo.get(key, list[tuple[float, float, float]])
        if found is None or len(found) != len(words):  # not aligned yet, or a damaged memo
            found = [[w.start, w.end, w.probability] for w in self._align(words, lo, hi)]
            self.memo.put(key, found)
        return [TimedWord(*w) for w in found]

    def _align(self, words: list[str], lo: float, hi: float) -> list[TimedWord]:
        lo, hi = max(0.0, lo), min(len(self.samples) / SAMPLE_RATE, hi)
        if not words:
            return []
        if hi - lo <= 0.05:
            return [TimedWord(lo, lo, 0.0) for _ in words]
        if hi - lo <= WINDOW and (self._token_count(words) <= MAX_TOKENS or len(words) == 1):
            return self._align_window([w[:MAX_TOKENS] for w in words], lo, hi)
        if hi - lo <= WINDOW:  # too many words for one call: halve them, and the time in proportion
            half = len(words) // 2
            share = sum(len(w) + 1 for w in words[:half]) / sum(len(w) + 1 for w in words)
            middle = lo + (hi - lo) * share
            return self.align(words[:half], lo, middle) + self.align(words[half:], middle, hi)
        # longer than one window: share the words among windows by their length
        pieces = int(np.ceil((hi - lo) / WINDOW))
        weights = np.cumsum([len(w) + 1 for w in words])
        out: list[TimedWord] = []
        first = 0
        for k in range(pieces):
            stop = len(words) if k == pieces - 1 else int(np.searchsorted(weights, weights[-1] * (k + 1) / pieces))
            a, b = lo + (hi - lo) * k / pieces, lo + (hi - lo) * (k + 1) / pieces
            out += self._align(words[first:stop], a, b) if stop > first else []
            first = stop
        return out

    def _token_count(self, words: list[str]) -> int:
        return sum(len(word) for word in words) // 3 + len(words)  # a generous estimate, no tokenizer needed

    def _align_window(self, words: list[str], lo: float, hi: float) -> list[TimedWord]:
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        self.calls += 1
        if not hasattr(self, "tokenizer"):
            self.tokenizer = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe",
                                       language=self.language)
        if self._encoded is None or self._encoded[0] != (lo, hi):  # the same stretch is often asked about twice
            clip = as_float(self.samples[int(lo * SAMPLE_RATE):int(hi * SAMPLE_RATE)])
            features = self.model.feature_extractor(clip)
            self._encoded = ((lo, hi), self.model.encode(pad_or_trim(features)), min(features.shape[-1], 3000))
        encoded, frames = self._encoded[1], self._encoded[2]
        tokens: list[int] = []
        owner: list[int] = []
        for k, word in enumerate(words):
            ids = self.tokenizer.encode(" " + word)
            tokens += ids
            owner += [k] * len(ids)
        if not tokens:
            return [TimedWord(lo, lo, 0.0) for _ in words]
        result = self.model.model.align(encoded, self.tokenizer.sot_sequence, [tokens], frames,
                                        median_filter_width=7)[0]
        probabilities = np.asarray(result.text_token_probs, dtype=float)
        token_start = token_starts(result.alignments, len(tokens), frames)
        per_second = self.model.tokens_per_second  # 50 a second
        out = []
        for k in range(len(words)):
            idx = [i for i, o in enumerate(owner) if o == k]
            if not idx:
                out.append(TimedWord(lo, lo, 0.0))
                continue
            start = float(lo + token_start[idx[0]] / per_second)
            end = float(lo + token_start[idx[-1] + 1] / per_second)
            out.append(TimedWord(round(start, 3), round(max(start, end), 3),
                                 round(float(probabilities[idx].mean()), 3)))
        return out
