"""How likely each word's time is right: a calibrated probability that the word starts within 250 ms of where it
is said, from evidence the pipeline already has.

The recogniser's word probability says how sure Whisper was of what it heard, not whether the word is where it
was put; alone it predicts timing errors poorly. The evidence here is mostly about the time itself: how the word
was placed (matched to a recognised word, misheard, found by checking the audio, placed between neighbours),
whether PocketSphinx's HMM placed it or it kept the recogniser's time, how far the HMM moved it (two independent
estimates that disagree), whether it sits next to an edit (text not in the audio, speech not in the text,
recognised words no transcript word took), the pauses and overlaps with its neighbours, its duration against
its length, and the sound at its start, just after its end and in the pauses beside it (speech where no word is,
quiet where one is, a word's own sound going on after the end it was given).
Small boosted decision trees combine them (``confidence_model.json`` beside this module, with
``confidence_model_unrefined.json`` for --no-refine and ``confidence_model_fast.json`` for --fast, written by
``bench/fit_confidence.py`` from episodes made with other seeds than the public ones; ``bench/README.md`` says
which): a logistic model of the same evidence found a third fewer of the words that are off.

>>> from align.aligner import WordTiming as W
>>> before = [W(0, "matched", 1.0, 1.3, 0.9), W(1, "misheard", 1.4, 1.6, 0.2), W(2, "not_in_audio")]
>>> after = [W(0, "matched", 1.02, 1.3, 0.9), W(1, "misheard", 2.9, 3.1, 0.2), W(2, "not_in_audio")]
>>> rows = evidence(before, after, ["hmm", "recogniser", ""], ["Hello", "there", "gone"], [], [], np.full(400, 60.0))
>>> p = on_time_probability(rows)
>>> bool(p[0] > p[1]), bool(p[2] != p[2])   # the word far from its recognised time is less sure; not spoken: NaN
(True, True)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Sequence

import numpy as np

from align.aligner import time_to_say

__all__ = ["FEATURES", "evidence", "on_time_probability", "Model", "MODEL", "UNREFINED_MODEL", "FAST_MODEL",
           "FLAG_BELOW"]

# the columns of ``evidence``, in order; a constant term is added by the model
FEATURES = (
    "misheard", "forced", "interpolated",  # how the aligner found it (matched is the baseline)
    "recogniser_probability",
    "said_again", "onset", "fitted", "spread", "kept_recogniser_time",  # how its time was set (HMM: baseline)
    "unfit_voice",  # unplaced, in a voice the HMM fits badly: the recogniser's time and a forced pass's averaged
    "unrefined",  # the recogniser's time, refinement not asked for (--no-refine)
    "shift",  # log(1 + |refined start - aligned start| / 0.1 s): two estimates that disagree
    "neighbour_shift",  # the same against the neighbours' shifts: a word moved alone
    "near_text_not_in_audio",  # 1 / (1 + tokens to the nearest token not in the audio)
    "near_unscripted",  # exp(-seconds to the nearest speech the transcript lacks)
    "near_unclaimed",  # exp(-seconds to the nearest recognised word no transcript word took)
    "gap_before", "gap_after",  # seconds of pause to the spoken neighbours, in [-1, 2] (negative: overlap)
    "duration",  # log of its duration over what its letters take to say
    "matched_run",  # log(1 + matched words in a row around it)
    "unplaced_run",  # log(1 + words in a row around it whose time the HMM missed, at most 10)
    "after_punctuation",  # the word before it ends a clause (where a speaker pauses, hesitates, restarts)
    "before_punctuation",  # it ends a clause itself
    "short",  # 1 / its letters: short words are the ones a filler or a neighbour swallows
    # the sound, in levels from 0 at the episode's quietest tenth of 10 ms frames to 1 at its loudest twentieth:
    "start_level",  # over its first 80 ms
    "pre_level",  # over the 100 ms before it: speech just before a start the HMM put late
    "rise_at_start",  # its first 50 ms less the 50 ms before
    "word_level",  # over the whole word
    "head_quiet",  # the share of its first 0.3 s under a quarter: a word put in a pause
    "loud_before", "loud_after",  # seconds over a half in the pauses before and after it: speech no word holds
    "lead_in_level",  # over the 0.3 s before it: a word put after its own start, or the sound of a filler
    "after_level",  # over the 150 ms after its end: its sound going on (a word put early, on a repeat's first saying)
    "end_fall",  # its last 50 ms less the 50 ms after: a word that ends where its sound ends
)
SOUND_COLUMNS = 10  # the last ten

LOCAL_MISSES = ("recogniser", "fitted", "spread")  # how a word the HMM missed got its time
CLAUSE_ENDS = (".", ",", ";", ":", "?", "!", "-", "—")

def _run_lengths(flags: Sequence[bool]) -> list[int]:
    """For each position, the length of the run of True around it (0 where False).

    >>> _run_lengths([True, True, False, True])
    [2, 2, 0, 1]
    """
    lengths = [0] * len(flags)
    k = 0
    while k < len(flags):
        if not flags[k]:
            k += 1
            continue
        end = k
        while end < len(flags) and flags[end]:
            end += 1
        lengths[k:end] = [end - k] * (end - k)
        k = end
    return lengths


def _nearest_distance(points: Sequence[float], at: float) -> float:
    """Distance from ``at`` to the nearest of sorted ``points`` (infinity when there are none)."""
    import bisect

    i = bisect.bisect_left(points, at)
    return min((abs(points[j] - at) for j in (i - 1, i) if 0 <= j < len(points)), default=math.inf)


def evidence(before, after, how: Sequence[str], texts: Sequence[str], unscripted: Sequence[tuple[float, float]],
             unclaimed: Sequence[tuple[float, float]], levels: np.ndarray) -> np.ndarray:
    """One row of ``FEATURES`` per transcript token (NaN rows for tokens that are not spoken words).

    ``before``: the aligner's timings; ``after``: the refined ones (the same list without refinement);
    ``how``: per token, where the refined time came from (``RefineStats.how``; "unrefined" without refinement);
    ``texts``: the tokens as written; ``unscripted`` and ``unclaimed``: (start, end) of speech the transcript lacks
    and of recognised words that no token took; ``levels``: the episode's ``align.audio.frame_levels``."""
    n = len(after)
    rows = np.full((n, len(FEATURES)), np.nan)
    spoken = [k for k in range(n) if after[k].start is not None and after[k].status != "note"]
    if not spoken:
        return rows
    cut_at = [k for k in range(n) if after[k].status == "not_in_audio"]
    unclaimed_mid = sorted((a + b) / 2 for a, b in unclaimed)
    matched_run = _run_lengths([after[k].status == "matched" for k in spoken])
    # runs of words the HMM missed among those it placed (not a voice it does not fit at all), at most 10
    unplaced_run = [min(10, n) for n in _run_lengths([how[k] in LOCAL_MISSES for k in spoken])]
    shifts = [(after[k].start - before[k].start) if before[k].start is not None else 0.0 for k in spoken]
    for n_k, k in enumerate(spoken):
        a, b = after[k], before[k]
        prev = after[spoken[n_k - 1]] if n_k else None
        nxt = after[spoken[n_k + 1]] if n_k + 1 < len(spoken) else None
        around = [shifts[j] for j in (n_k - 1, n_k + 1) if 0 <= j < len(spoken)]
        near_cut = _nearest_distance(cut_at, k)
        near_un = min((max(0.0, s - a.start, a.start - e) for s, e in unscripted), default=math.inf)
        letters = sum(ch.isalnum() for ch in texts[k]) or 1
        rows[k] = (
            a.status == "misheard", a.status == "forced", a.status == "interpolated",
            b.confidence,
            how[k] == "said again", how[k] == "onset", how[k] == "fitted", how[k] == "spread",
            how[k] == "recogniser", how[k] == "unfit voice", how[k] == "unrefined",
            math.log1p(abs(shifts[n_k]) / 0.1),
            math.log1p(min(abs(shifts[n_k] - s) for s in around) / 0.1) if around else 0.0,
            1.0 / (1.0 + near_cut),
            math.exp(-near_un),
            math.exp(-_nearest_distance(unclaimed_mid, a.start)),
            min(2.0, max(-1.0, a.start - prev.end)) if prev is not None and prev.end is not None else 2.0,
            min(2.0, max(-1.0, nxt.start - a.end)) if nxt is not None and a.end is not None else 2.0,
            math.log((max(0.0, (a.end or a.start) - a.start) + 0.02) / time_to_say(letters)),
            math.log1p(matched_run[n_k]),
            math.log1p(unplaced_run[n_k]),
            n_k > 0 and texts[spoken[n_k - 1]].rstrip("\"'”’)]").endswith(CLAUSE_ENDS),
            texts[k].rstrip("\"'”’)]").endswith(CLAUSE_ENDS),
            1.0 / letters,
            *[0.0] * SOUND_COLUMNS,
        )
    at = [after[k] for k in spoken]
    starts = np.array([t.start for t in at])
    ends = np.maximum(np.array([t.end if t.end is not None else t.start for t in at]), starts + 0.02)
    edges = [t.end if t.end is not None else np.nan for t in at]
    rows[spoken, len(FEATURES) - SOUND_COLUMNS:] = _Sound(levels).columns(
        starts, ends, np.array([np.nan] + edges[:-1]), np.r_[starts[1:], np.nan])
    return rows


class _Sound:
    """The episode's frame levels scaled from 0 at its quietest tenth to 1 at its loudest twentieth, read around
    words: the columns of ``FEATURES`` from ``start_level`` on, for all the words at once.

    >>> levels = np.r_[np.full(100, 20.0), np.full(100, 80.0)]   # a second of quiet, then a second of speech
    >>> _Sound(levels).columns(np.array([1.0]), np.array([1.5]), np.array([0.6]), np.array([1.8])).round(2).tolist()
    [[1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.3, 0.0, 1.0, 0.0]]
    """

    def __init__(self, levels: np.ndarray):
        floor, top = (np.percentile(levels, (10, 95)) if len(levels) else (0.0, 1.0))
        scaled = np.clip((np.asarray(levels, dtype=np.float64) - floor) / max(1e-6, top - floor), 0.0, 1.0)
        # running sums, so that every stretch is read in constant time
        self.level, self.quiet, self.loud = (np.concatenate([[0.0], np.cumsum(column)])
                                             for column in (scaled, scaled < 0.25, scaled > 0.5))

    def _mean(self, sums: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """The mean of a column's frames from ``lo`` to ``hi`` seconds (at least the frame at ``lo``)."""
        n = len(sums) - 1
        if not n:
            return np.zeros(len(lo))
        first = np.clip(np.rint(lo * 100), 0, n - 1).astype(int)
        last = np.minimum(n, np.maximum(first + 1, np.rint(hi * 100))).astype(int)
        return (sums[last] - sums[first]) / (last - first)

    def _pause(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Seconds over a half between ``lo`` and ``hi`` (0 for no pause of 50 ms or more; NaN: no neighbour)."""
        n = len(self.loud) - 1
        pause = ~np.isnan(lo) & ~np.isnan(hi) & (np.nan_to_num(hi) - np.nan_to_num(lo) >= 0.05)
        first = np.clip(np.rint(np.nan_to_num(lo) * 100), 0, n).astype(int)
        last = np.clip(np.rint(np.nan_to_num(hi) * 100), first, n).astype(int)
        return np.where(pause, (self.loud[last] - self.loud[first]) * 0.01, 0.0)

    def columns(self, starts: np.ndarray, ends: np.ndarray, before_ends: np.ndarray, after_starts: np.ndarray
                ) -> np.ndarray:
        """The sound's columns for words from ``starts`` to ``ends`` whose spoken neighbours end at ``before_ends``
        and start at ``after_starts`` (NaN: none)."""
        level = self.level
        ahead = np.where(starts > 0.05, self._mean(level, starts - 0.05, starts), 0.0)
        return np.column_stack([
            self._mean(level, starts, starts + 0.08),
            np.where(starts > 0.1, self._mean(level, starts - 0.1, starts), 0.0),
            self._mean(level, starts, starts + 0.05) - ahead,
            self._mean(level, starts, ends),
            self._mean(self.quiet, starts, np.minimum(ends, starts + 0.3)),
            self._pause(before_ends, starts), self._pause(ends, after_starts),
            np.where(starts > 0.0, self._mean(level, np.maximum(0.0, starts - 0.3), starts), 0.0),
            self._mean(level, ends, ends + 0.15),
            self._mean(level, np.maximum(0.0, ends - 0.05), ends) - self._mean(level, ends, ends + 0.05)])


@dataclass(frozen=True)
class Model:
    """Boosted depth-2 trees on ``FEATURES``: the log-odds of a word being on time is ``base`` plus
    ``rate`` times the sum of each tree's leaf. A tree is ``(feature, threshold, left, right)``, a side
    ``(feature, threshold, value at or under, value over)``; a feature index of -1 splits nothing.

    >>> m = Model(FEATURES, base=2.0, rate=1.0, trees=(((0, 0.5, (-1, 0.0, 0.0, 0.0), (-1, 0.0, -4.0, -4.0)),)),
    ...           flag_below=0.5)
    >>> [round(float(p), 3) for p in m.probability(np.array([[0.0] * len(FEATURES), [1.0] * len(FEATURES)]))]
    [0.881, 0.119]
    """

    features: tuple[str, ...]
    base: float
    rate: float
    trees: tuple
    flag_below: float  # a word less likely than this to be on time is worth a listen
    fitted_on: tuple[str, ...] = ()

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """The probability that each row's word starts within 250 ms of where it is said (NaN for NaN rows)."""
        p = 1.0 / (1.0 + np.exp(-np.clip(self.log_odds(rows), -30, 30)))
        return np.where(np.isnan(rows).any(axis=1), np.nan, p)

    def log_odds(self, rows: np.ndarray) -> np.ndarray:
        logit = np.full(len(rows), self.base)
        for feature, threshold, *sides in self.trees:
            under = rows[:, feature] <= threshold
            for side, mask in zip(sides, (under, ~under)):
                inner, cut, low, high = side
                leaf = np.full(len(rows), low) if inner < 0 else np.where(rows[:, inner] <= cut, low, high)
                logit += self.rate * np.where(mask, leaf, 0.0)
        return logit

    def to_json(self) -> str:
        """The model as ``confidence_model.json`` holds it: one tree a line."""
        head = json.dumps({"features": list(self.features), "base": self.base, "rate": self.rate,
                           "flag_below": self.flag_below, "fitted_on": list(self.fitted_on)})
        trees = ",\n".join(json.dumps([f, t, list(a), list(b)]) for f, t, a, b in self.trees)
        return head[:-1] + ', "trees": [\n' + trees + "\n]}\n"

    @classmethod
    def from_json(cls, text: str) -> "Model":
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError("the confidence model was fitted on other evidence than align.confidence.FEATURES")
        trees = tuple((int(f), float(t), tuple(a), tuple(b)) for f, t, a, b in data["trees"])
        return cls(FEATURES, float(data["base"]), float(data["rate"]), trees, float(data["flag_below"]),
                   tuple(data.get("fitted_on", ())))


def _shipped(name: str) -> Model:
    return Model.from_json(resources.files("align").joinpath(name).read_text(encoding="utf-8"))


# one model for each mode: fitted on both at once, the trees went mostly to --no-refine's ten times as many errors
# (pooled average precision on the check episodes in the default mode 0.24, fitted on its own 0.30)
MODEL = _shipped("confidence_model.json")  # the default mode: refined times
UNREFINED_MODEL = _shipped("confidence_model_unrefined.json")  # --no-refine: the recogniser's times
FAST_MODEL = _shipped("confidence_model_fast.json")  # --fast: the transcript forced through the speech model
FLAG_BELOW = MODEL.flag_below  # every model flags under it


def on_time_probability(rows: np.ndarray, model: Model | None = None) -> np.ndarray:
    """The probability that each row's word starts within 250 ms of where it is said (NaN for NaN rows), from
    ``model`` or, where None, the shipped model of the rows' mode (their ``unrefined`` evidence; --fast, whose rows
    are unrefined too, names FAST_MODEL)."""
    if model is not None:
        return model.probability(rows)
    unrefined = rows[:, FEATURES.index("unrefined")] == 1  # all of a run's words or none: each row read once
    p = MODEL.probability(rows) if not unrefined.all() else np.full(len(rows), np.nan)
    if unrefined.any():
        p[unrefined] = UNREFINED_MODEL.probability(rows[unrefined])
    return p
