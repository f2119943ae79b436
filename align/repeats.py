"""Words said twice in the audio where the text has them once, found by their sound.

A false start ("because, because of") that the recogniser did not hear is one the forced alignment cannot see
either: its hesitations are optional between any two words, so it may put the word on the first saying and take
the second for a hesitation. The second saying sounds like the first. ``said_again`` looks for the word's sound
in the pause after it (cepstra compared by dynamic time warping, the pause's part free to start and end
anywhere); where it is found, the word is the later saying, as an editor who cut the false start meant.

>>> rng = np.random.default_rng(0)
>>> word = np.sin(np.arange(4000) * np.linspace(0.05, 0.4, 4000)) * 3000 * rng.uniform(0.8, 1.2, 4000)
>>> other = rng.normal(0, 3000, 4000)
>>> quiet = rng.normal(0, 10, 3000)
>>> again = said_again(np.concatenate([word, quiet, word, quiet]), len(word) / SAMPLE_RATE)
>>> [round(t, 2) for t in again]
[0.44, 0.69]
>>> said_again(np.concatenate([word, quiet, other, quiet]), len(word) / SAMPLE_RATE) is None
True
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from align.audio import SAMPLE_RATE

__all__ = ["said_again", "compare_pause", "Pause", "MIN_GAP", "REPEAT_DISTANCE", "CHECK_DISTANCE", "CHECK_LOUDNESS"]

MIN_GAP = 0.15  # seconds between a word and the next one, from which the pause may hold the word said again
# The distance under which the pause's sound is the word's again (mean frame distance of the warped path, on
# cepstra normalised over both): set on the rebuilt seed-full, seed-noisy and seed-clean episodes among 1.2-2.0
# (1.4: most words within 100 ms, fewest over 1 s), checked on check-a, check-b, real and the public seed
# episodes; 1.5 since the later sayings' guards (``retime.TOO_LONG``, ``TOO_SHORT``), on the 35 public and fit
# episodes: against 1.4, 10 words to within 250 ms and 1 the other way (1.6: 13 and 3; 1.7: 15 and 6 and a word
# over 1 s; 1.8 and 2.0: 20 and 14, 33 and 31, and 4 more words over 1 s; bench/README.md).
REPEAT_DISTANCE = 1.5
LOUD = 4.0  # natural-log frame energy within this of the pause's loudest frame (17 dB) is speech, not the pause
SETTINGS = [REPEAT_DISTANCE, LOUD]  # part of the memo key of a pause's result (align/refine.py)
# A pause whose sound is further from the word's than REPEAT_DISTANCE but under CHECK_DISTANCE, and whose loudest
# frame is at most CHECK_LOUDNESS (natural log, 8.7 dB) below the word's, may still hold the word said again (a
# saying before a comma sounds unlike the one after it): align/hmm.py asks the HMM. Taken once from the
# distances and loudness of the pauses after words aligned 0.2 s or more early on the fit episodes (a second
# saying: distance 1.5-3.6, loudness -1.5 to +1.1; other pauses: 2.4-9, -9.5 to +0.3), not tuned.
CHECK_DISTANCE = 3.0
CHECK_LOUDNESS = -2.0

FRAME, HOP = 400, 160  # 25 ms frames every 10 ms
_FFT = 512


def _mel_filters(count: int = 26, low: float = 100.0, high: float = 7000.0) -> np.ndarray:
    def to_hz(mel):
        return 700.0 * (10 ** (mel / 2595.0) - 1)

    def to_mel(hz):
        return 2595.0 * np.log10(1 + hz / 700.0)

    edges = np.floor((_FFT + 1) * to_hz(np.linspace(to_mel(low), to_mel(high), count + 2)) / SAMPLE_RATE).astype(int)
    filters = np.zeros((count, _FFT // 2 + 1))
    for k in range(count):
        a, b, c = edges[k], edges[k + 1], edges[k + 2]
        filters[k, a:b] = (np.arange(a, b) - a) / max(1, b - a)
        filters[k, b:c] = (c - np.arange(b, c)) / max(1, c - b)
    return filters


_FILTERS = _mel_filters()
_DCT = np.cos(np.pi / 26 * (np.arange(26)[None, :] + 0.5) * np.arange(1, 13)[:, None])  # cepstra 1-12


def cepstra(pcm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mel cepstra (12 a frame, without the energy term) and log energies of 25 ms frames every 10 ms.

    >>> c, e = cepstra(np.ones(16000, dtype=np.int16))
    >>> c.shape, e.shape
    ((98, 12), (98,))
    """
    x = np.asarray(pcm, dtype=np.float64)
    count = 1 + (len(x) - FRAME) // HOP if len(x) >= FRAME else 0
    if not count:
        return np.zeros((0, 12)), np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:count] * np.hamming(FRAME)
    power = np.abs(np.fft.rfft(frames, _FFT)) ** 2
    return np.log(power @ _FILTERS.T + 1e-3) @ _DCT.T, np.log((frames ** 2).sum(axis=1) + 1.0)


def find_in(template: np.ndarray, search: np.ndarray) -> tuple[float, int, int]:
    """Where ``template``'s frames best match a stretch of ``search``'s: (mean distance along the warped path,
    first frame, frame after the last). Both are normalised by the mean and spread of the two together.

    >>> t = np.array([[0.0], [1.0], [2.0]])
    >>> s = np.array([[5.0], [0.0], [1.0], [1.0], [2.0], [5.0]])
    >>> distance, first, end = find_in(t, s)
    >>> round(distance, 3), first, end
    (0.0, 1, 5)
    """
    both = np.vstack([template, search])
    mean, spread = both.mean(axis=0), both.std(axis=0) + 1e-6
    a, b = (template - mean) / spread, (search - mean) / spread
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    m = cost.shape[1]
    columns = np.arange(m)
    total = np.zeros(m + 1)  # before the first template frame a path may start at any search frame
    origin = np.arange(m + 1)
    for row in cost:
        diagonal_first = total[:-1] <= total[1:]
        entry = row + np.where(diagonal_first, total[:-1], total[1:])
        entry_origin = np.where(diagonal_first, origin[:-1], origin[1:])
        # moves along the search within this row: best over k <= j of entry[k] + row[k+1..j]
        summed = np.cumsum(row)
        lowest = np.minimum.accumulate(entry - summed)
        at = np.maximum.accumulate(np.where(entry - summed <= lowest, columns, 0))
        total = np.concatenate([[np.inf], lowest + summed])
        origin = np.concatenate([[0], entry_origin[at]])
    ends = np.arange(1, m + 1)
    length = len(template) + ends - origin[1:]
    best = int(np.argmin(total[1:] / length))
    return float(total[best + 1] / length[best]), int(origin[best + 1]), best + 1


class Pause(NamedTuple):
    """The sound in a pause most like the word before it: where (seconds from the clip's start), how far it is
    from the word's (``find_in``'s distance) and how loud (its loudest frame's log energy less the word's)."""

    start: float
    end: float
    distance: float
    loudness: float


def said_again(pcm: np.ndarray, split: float) -> tuple[float, float] | None:
    """Where, in the pause of ``pcm`` after ``split`` seconds (the word before it, the pause and nothing else
    placed), the word before the split is said again: (start, end) in seconds from the clip's start, or None.
    """
    pause = compare_pause(pcm, split)
    return None if pause is None or pause.distance >= REPEAT_DISTANCE else (pause.start, pause.end)


def compare_pause(pcm: np.ndarray, split: float) -> Pause | None:
    """The sound in the pause of ``pcm`` after ``split`` seconds most like the word before it (``Pause``), or None
    where the word or the pause is too short to compare."""
    features, energy = cepstra(pcm)
    cut = int(round(split * SAMPLE_RATE / HOP))  # the first frame of the pause
    inside = 1 + (cut * HOP - FRAME) // HOP  # the frames wholly inside the word
    word, pause, loudness = features[: max(0, inside)], features[cut:], energy[cut:]
    if len(word) < 3 or len(pause) < 3:
        return None
    loud = np.flatnonzero(loudness > loudness.max() - LOUD)
    if len(loud) < 3:
        return None
    first_loud = int(loud[0])
    distance, first, end = find_in(word, pause[first_loud:int(loud[-1]) + 1])
    start, end = (cut + first_loud + first) * HOP, (cut + first_loud + end - 1) * HOP + FRAME
    louder = float(loudness.max() - energy[:max(1, inside)].max())
    return Pause(start / SAMPLE_RATE, end / SAMPLE_RATE, distance, louder)
