"""Refine word times with PocketSphinx forced alignment, in windows anchored by the fuzzy alignment.

Whisper's word times are coarse (20 ms frames from cross-attention) and run late. PocketSphinx's HMM
aligner works on 10 ms frames with an acoustic model of English phones. The fuzzy alignment already knows
roughly where every spoken word is, so each stretch of speech is aligned on its own short window of audio:
a failure stays local and nothing drifts after a passage cut from the audio. Between the words, silence and
noise are optional, and a word the recogniser heard said twice where the text has it once is aligned twice (the
token takes the later). A window that does not hold its words as written (a filler the editor removed, a word
misheard into the wrong place) is aligned again in smaller pieces, and a piece of a few words that fails alone
once more with the words either side of it (its clip holds their speech too); words the pronouncing dictionary lacks
get a pronunciation from simple spelling rules. A refined time replaces the old one only when it is close
to it. A short run of words still unplaced between two placed ones is aligned once more, in a clip bounded by
those two's refined times (``_look_again``). Words the aligner cannot place keep the recogniser's time, less the
recogniser's lateness measured on this episode's refined words. A voice the HMM's acoustic model does not fit
(under 20% of its first 60 words placed) is not aligned further; its words that follow a pause start where the sound
rises out of the pause. The words the HMM did not place in such a voice, or in one it placed under FORCED_BELOW of,
are then timed by a forced pass too (``align.pipeline``).

Each window is aligned on its own: PocketSphinx's noise estimate is made anew from the two seconds before it,
so a window's times do not depend on the windows aligned before it, and worker processes can align the
windows of a round (every stretch whole, then the pieces of those that did not fit) in any order.

Hesitations ("um", "uh") are optional fillers between any two words. (A grammar with optional "um"/"uh"
between words was measured before: no more accurate, three times slower; fillers cost about 13% more time.)

This module plans the windows (``_Plan``), keeps what the audio tells of them in the memo (``_Audio``), and settles
the HMM's times (``_settle_all``, ``_take``); ``align.hmm`` holds PocketSphinx itself (the dictionary, the decoder,
one clip aligned, the worker processes) and ``align.retime`` the steps after it.

Languages other than English have no model here: ``refine_times`` then returns the times unchanged and says so.
"""
from __future__ import annotations

import bisect
import re
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from align import repeats as repeats_in_sound
from align.audio import SAMPLE_RATE, as_int16
from align.cache import WindowMemo
from align.forced import rise_after_quiet
from align.hmm import (ALIGN_SETTINGS, TWICE_SETTINGS, Dictionary, align_clip, align_in_processes, available, fold,
                       may_start_processes, said_twice, said_twice_in_worker, warm_up_samples)
from align.normalise import similarity, spoken_units
from align.retime import (FILLER_WORDS, ONSET_RISE, ONSET_SEARCH, PAUSE_RISE, PAUSE_WITHIN, QUIET_RUN, drop_crossed,
                          fit_between_refined, last_rise_after_quiet, lateness, onset_in, spread_unsure_runs,
                          start_after_own_pause, start_at_onsets, take_later_sayings, unplaced_runs)

__all__ = ["RefineStats", "refine_times"]

MAX_WORDS = 30  # words per aligned stretch
MAX_PAUSE = 0.8  # a longer pause ends a stretch
# a pause of at most MAX_BRIDGE seconds that holds a recognised word no token took, sounding (SOUNDS_LIKE) like a
# token near it that was not heard as written, does not end a stretch (_heard_in_gaps); taken once, not tuned
MAX_BRIDGE = 2.0
SOUNDS_LIKE = 0.7  # align.normalise.similarity
MARGIN = 0.5  # seconds of audio either side of a stretch
REACH = 0.25  # seconds a window reaches at most past the midpoint between its edge word and the next word spoken
MAX_SHIFT = 0.6  # a refined start further than this from the first estimate (or past its end) is distrusted
# a second look at the runs of words the HMM missed, between words it placed (``_look_again``), taken on the 27
# public and fit episodes (a3e8bd5): 30 words to within 250 ms, 2 the other way; without SHORT_EARLIER 35 and 10
LOOK_AGAIN_WORDS = 6  # words in a run at most
LOOK_AGAIN_SPAN = 6.0  # seconds of clip at most (4 s left a line of four words 0.7 s off in a 5.5 s clip)
LOOK_AGAIN_REACH = 1.0  # seconds a word may move at most (one moved 2.8 s onto the wrong sound)
SHORT_EARLIER = 0.25  # seconds a word of three letters or fewer may start earlier at most
# the unplaced words of a voice whose words the HMM placed under this share of are timed by the forced pass too
# (``align.pipeline``), as those of a voice given up. On the 25 public and fit episodes voices are placed at
# 0.86-0.99, and seed-clean's en-029 voice was at 0.64 until the windows that fall short in digital silence were
# aligned again with more noise (``hmm.RETRY_DITHER``; seed-clean's words are now 98% placed). At 0.9, five more
# voices got the forced pass: 3-15 more words within 250 ms each, for 40-98% more wall (fit-real 5.6 -> 7.9 s,
# fit-recut-4 16.6 -> 32.9 s)
FORCED_BELOW = 0.75
TRIAL_WORDS = 60  # a speaker's words tried before refinement gives up on a voice it places under 20% of
# fewer windows than this are aligned in this process: forking two workers costs about 0.2 s (the 49 s fixture's
# refinement took 1.3 s with them against 2.9 s without, `real`'s 3.3 s against 5.9 s)
PARALLEL_STRETCHES = 2
# which neighbours of a part come into its window, aligned but not taken: none, those it touches, or both
Neighbours = Literal["none", "touching", "both"]


@dataclass
class RefineStats:
    stretches: int = 0
    aligned: int = 0  # pieces aligned whole
    words_moved: int = 0  # words placed by the HMM
    looked_again: int = 0  # of them, placed on a second look, in a clip between words it had placed
    lateness: float = 0.0  # seconds taken off the other words' recogniser times
    onsets: int = 0  # words of voices the HMM does not fit started where the sound rises after a pause
    said_twice: int = 0  # words moved onto a second saying, after a false start the text does not have
    after_pause: int = 0  # words whose sound the HMM took for a pause, started where the sound rises after it
    spread: int = 0  # runs of unplaced words, heard unsure, laid out between the placed words either side
    reordered: int = 0  # words that would start before the word said before them, started with it instead
    forced: int = 0  # unplaced words of voices the HMM fits badly timed by forcing the transcript through the model
    note: str = ""
    # per transcript token, where its final time came from (evidence for align.confidence; not in the report):
    # "hmm" (placed by PocketSphinx, on a second look too), "said again", "onset", "fitted" (moved between refined
    # neighbours), "spread" (laid out in an unsure run), "recogniser" (its time less the lateness), "unfit voice"
    # (unplaced, in a voice given up or placed under FORCED_BELOW: timed by the forced pass too), "" (not spoken)
    how: list[str] = field(default_factory=list, repr=False)
    # the unplaced tokens of voices given up or under FORCED_BELOW that the forced pass times (not those at onsets)
    unfit: set[int] = field(default_factory=set, repr=False)

# The shapes of the memo's values (``align.cache.fits``): a value of another shape (a damaged memo) is not found
WINDOW_SHAPE = list[tuple[str, float, float]]  # a window's (word, start, end) found by PocketSphinx
ONSET_SHAPE = tuple[float | None]  # [where the sound rises] or [None]
# [(start, end, distance, loudness) of the sound in a pause most like the word before it] or [None]
SAID_AGAIN_SHAPE = tuple[tuple[float, float, float, float] | None]
SAID_TWICE_SHAPE = tuple[tuple[float, float] | None]  # [(start, end) of the later saying the HMM hears] or [None]


def _stretches(timings, spoken_index: list[int], bridged: set[int] = frozenset()) -> list[list[int]]:
    """Consecutive spoken tokens in groups broken at pauses and at MAX_WORDS; not at the pauses after the
    positions in ``bridged`` (``_heard_in_gaps``).

    >>> from align.aligner import WordTiming as W
    >>> ts = [W(0, "matched", 0.0, 0.5), W(1, "misheard", 0.5, 1.0), W(2, "matched", 2.0, 2.5)]
    >>> _stretches(ts, [0, 1, 2]), _stretches(ts, [0, 1, 2], {1})
    ([[0, 1], [2]], [[0, 1, 2]])
    """
    groups: list[list[int]] = []
    for n, k in enumerate(spoken_index):
        t = timings[k]
        if groups:
            last = timings[groups[-1][-1]]
            if (t.start - last.end <= MAX_PAUSE or n - 1 in bridged) and len(groups[-1]) < MAX_WORDS \
                    and t.start >= last.start:
                groups[-1].append(k)
                continue
        groups.append([k])
    return groups


def _heard_in_gaps(timings, spoken_index: list[int], texts: list[str], unclaimed: list[tuple[str, float, float]],
                   reach: int = 4) -> set[int]:
    """Positions in ``spoken_index`` whose pause to the next spoken word (at most MAX_BRIDGE) holds a recognised
    word no token took that sounds like a token near it that was not heard as written where it was placed
    (misheard or interpolated, at most ``reach`` words away): the recogniser heard that word in the pause, so
    the words around it are aligned as one stretch and the HMM, not the pause, decides where they go.

    >>> from align.aligner import WordTiming as W
    >>> ts = [W(0, "misheard", 0.0, 0.5), W(1, "matched", 0.5, 1.0), W(2, "matched", 2.0, 2.5)]
    >>> _heard_in_gaps(ts, [0, 1, 2], ["Castro.", "and", "other"], [("castro", 1.2, 1.6)])
    {1}
    >>> _heard_in_gaps(ts, [0, 1, 2], ["Castro.", "and", "other"], [("many", 1.2, 1.6)])
    set()
    """
    bridged: set[int] = set()
    starts = [start for _, start, _ in unclaimed]
    for n in range(len(spoken_index) - 1):
        a, b = timings[spoken_index[n]], timings[spoken_index[n + 1]]
        if not MAX_PAUSE < b.start - a.end <= MAX_BRIDGE:
            continue
        lo, hi = bisect.bisect_left(starts, a.end - 0.05), bisect.bisect_left(starts, b.start)
        heard = [u for text, _, _ in unclaimed[lo:hi] for u in spoken_units(text) if len(u) >= 3]
        if not heard:
            continue
        near = [timings[spoken_index[m]] for m in range(max(0, n - reach + 1), min(len(spoken_index), n + reach + 1))]
        doubtful = [u for t in near if t.status in ("misheard", "interpolated")
                    for u in spoken_units(texts[t.token]) if len(u) >= 3]
        if any(similarity(u, v) >= SOUNDS_LIKE for u in heard for v in doubtful):
            bridged.add(n)
    return bridged


def refine_times(alignment, samples, language: str | None = "en", progress=None, memo: WindowMemo | None = None,
                 workers: int = 1, min_parallel: int = PARALLEL_STRETCHES):
    """A copy of ``alignment.timings`` with word starts and ends refined, and what was done.

    ``samples`` is the 16 kHz audio or a callable that decodes it (only called when a window is not in
    ``memo``, the store of earlier runs' results). With ``workers`` > 1 and at least ``min_parallel`` stretches
    to align, the stretches are first aligned in that many processes (PocketSphinx holds Python's lock, so
    threads would not help); the pass that settles the times then finds them in the memo."""
    stats = RefineStats()
    timings = list(alignment.timings)
    if not available(language):
        stats.note = f"no refinement model for language {language!r}: word times are the recogniser's"
        return timings, stats
    plan = _Plan(alignment)
    audio = _Audio(samples, memo or WindowMemo(None), plan.dictionary, workers)
    asked = _align_in_workers(plan, audio, workers, min_parallel, progress)
    steps = asked + len(plan.groups)

    def settled(g: int) -> None:
        if progress:
            progress("refining word times", asked + g, steps)

    refined: set[int] = set()
    given_up: set = set()
    _settle_all(plan.groups, plan.window, audio.aligned, timings, refined, stats, plan.speaker_of, None, settled,
                given_up)
    drop_crossed(timings, alignment.timings, refined)
    looked_again = _look_again(plan, audio, timings, refined, given_up)
    stats.looked_again = len(looked_again)
    refined |= looked_again
    stats.words_moved = len(refined)
    stats.how = _after_hmm(plan, audio, timings, refined, given_up, stats)
    if progress:
        progress("refining word times", steps, steps)
    return timings, stats


class _Plan:
    """What to align: the spoken words in stretches (``groups``), each word's dictionary words, and the window (memo
    key, words, clip) of any part of a stretch, always from the times before refinement."""

    def __init__(self, alignment):
        self.alignment = alignment
        self.tokens = alignment.transcript.tokens
        self.first_times = timings = alignment.timings
        ends = [t.end for t in timings if t.end is not None]
        self.duration = (max(ends) if ends else 0.0) + 2 * MARGIN
        self.spoken = [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"]
        self.position = {k: n for n, k in enumerate(self.spoken)}
        unclaimed = sorted(((alignment.words[k].text, alignment.words[k].start, alignment.words[k].end)
                            for k in getattr(alignment, "unclaimed", [])), key=lambda w: w[1])
        self.groups = _stretches(timings, self.spoken,
                                 _heard_in_gaps(timings, self.spoken, [t.text for t in self.tokens], unclaimed))
        self.dictionary = Dictionary()
        for k in self.spoken:  # every word looked up before the decoder is made, so it knows the guessed ones
            self.dictionary.words(self.text(k))
        self.repeats = _Repeats(alignment, self.dictionary)

    def text(self, k: int) -> str:
        return self.tokens[self.first_times[k].token].text

    def speaker_of(self, group: list[int]):
        return self.alignment.transcript.speaker_of(self.tokens[self.first_times[group[0]].token])

    def window(self, part: list[int], neighbours: Neighbours = "none"):
        """The memo key, each token's words (``_Repeats.said``), the audio and the tokens of a part's window;
        with ``neighbours`` "both", the tokens either side of it come too, to be aligned but not taken; with
        "touching", those less than MAX_PAUSE from it (a stretch cut at MAX_WORDS: its clip would start in the
        word before it, whose end the HMM would give to its first word)."""
        spoken, first_times = self.spoken, self.first_times
        first, last = self.position[part[0]], self.position[part[-1]]
        before = after = 0  # neighbours either side, aligned but not taken
        if neighbours != "none":
            before, after = min(1, first), min(1, len(spoken) - 1 - last)
            if neighbours == "touching":
                before = before if before and first_times[part[0]].start - first_times[spoken[first - 1]].end \
                    < MAX_PAUSE else 0
                after = after if after and first_times[spoken[last + 1]].start - first_times[part[-1]].end \
                    < MAX_PAUSE else 0
            part = spoken[first - before:first] + part + spoken[last + 1:last + 1 + after]
            first, last = first - before, last + after
        said = self.repeats.said(part, [self.dictionary.words(self.text(k)) for k in part])
        said = [(len(ws), ws) if n < before or n >= len(said) - after else (lead, ws)
                for n, (lead, ws) in enumerate(said)]
        flat = [w for _, ws in said for w in ws]
        # from the times before refinement (a neighbour's may have changed): the same window in every pass
        lo, hi = _clip_bounds(first_times[part[0]], first_times[part[-1]],
                              first_times[spoken[first - 1]] if first else None,
                              first_times[spoken[last + 1]] if last + 1 < len(spoken) else None, self.duration)
        return ("pocketsphinx", 9, flat, round(lo, 3), round(hi, 3), ALIGN_SETTINGS), said, lo, hi, part

    def unknown_windows(self, lookup) -> tuple[list[tuple[tuple, float, float]], bool]:
        """The windows that settling would align next, and whether more wait on them: a dry run on a copy of
        the times, with ``lookup`` (the memo) only."""
        missing: list[tuple[tuple, float, float]] = []
        held = _settle_all(self.groups, self.window, lookup, list(self.first_times), set(), RefineStats(),
                           self.speaker_of, missing)
        unique = {(tuple(key[2]), lo, hi): (key, lo, hi) for key, lo, hi in missing}  # two stretches, one window
        return list(unique.values()), held


class _Audio:
    """The episode's audio and what the HMM and the sound tell of it, each result kept in the memo under a key
    that names what it depends on: a window's alignment, where the sound rises, whether a word is said again."""

    def __init__(self, samples, memo: WindowMemo, dictionary: Dictionary, workers: int):
        self.samples = samples
        self.memo = memo
        self.dictionary = dictionary
        self.workers = workers
        self._samples = None
        self._decoder = None  # made on the first window that is not in the memo

    def clip(self, lo: float, hi: float, warm_up: bool = True) -> np.ndarray:
        """16-bit samples of one window, after the warm-up before it (converted per window: no second copy of a
        long episode)."""
        if self._samples is None:
            self._samples = self.samples() if callable(self.samples) else self.samples
        lead = warm_up_samples(lo) if warm_up else 0
        return as_int16(self._samples[int(lo * SAMPLE_RATE) - lead:int(hi * SAMPLE_RATE)])

    def decoder(self):
        if self._decoder is None:
            self._decoder = self.dictionary.decoder()
        return self._decoder

    def known(self, key, lo, hi):
        return self.memo.get(key, WINDOW_SHAPE)

    def aligned(self, key, lo, hi):
        found = self.memo.get(key, WINDOW_SHAPE)
        if found is None:
            found = align_clip(self.decoder(), key[2], self.clip(lo, hi), lo)
            self.memo.put(key, found)
        return found

    def onset(self, lo: float, hi: float, start: float) -> float | None:
        key = ("onset", 1, round(lo, 3), round(hi, 3), round(start, 3), [ONSET_RISE, ONSET_SEARCH])
        found = self.memo.get(key, ONSET_SHAPE)
        if found is None:
            found = [onset_in(self.clip(lo, hi, warm_up=False), lo, start)]
            self.memo.put(key, found)
        return found[0]

    def sound_after_pause(self, lo: float, hi: float) -> float | None:
        key = ("sound after pause", 1, round(lo, 3), round(hi, 3), PAUSE_RISE, PAUSE_WITHIN)
        found = self.memo.get(key, ONSET_SHAPE)
        if found is None:
            rise = rise_after_quiet(self.clip(lo, hi, warm_up=False), PAUSE_RISE, PAUSE_WITHIN)
            found = [None if rise is None else round(lo + rise - 0.01, 3)]
            self.memo.put(key, found)
        return found[0]

    def rise_after_pause(self, lo: float, hi: float, in_noise: bool = False) -> float | None:
        key = ("last rise after quiet", 2, round(lo, 3), round(hi, 3), PAUSE_RISE, QUIET_RUN, in_noise)
        found = self.memo.get(key, ONSET_SHAPE)
        if found is None:
            rise = last_rise_after_quiet(self.clip(lo, hi, warm_up=False), rise_db=None if in_noise else PAUSE_RISE)
            found = [None if rise is None else round(lo + rise - 0.01, 3)]
            self.memo.put(key, found)
        return found[0]

    def said_again(self, lo: float, split: float, hi: float) -> repeats_in_sound.Pause | None:
        """The sound in the pause from ``split`` to ``hi`` most like the word from ``lo`` to ``split``
        (``repeats.compare_pause``, times from the episode's start)."""
        key = ("said again", 2, round(lo, 3), round(split, 3), round(hi, 3), repeats_in_sound.SETTINGS)
        found = self.memo.get(key, SAID_AGAIN_SHAPE)
        if found is None:
            pause = repeats_in_sound.compare_pause(self.clip(lo, hi, warm_up=False), split - lo)
            found = [None if pause is None else [round(v, 4) for v in pause]]
            self.memo.put(key, found)
        if found[0] is None:
            return None
        start, end, distance, loudness = found[0]
        return repeats_in_sound.Pause(round(lo + start, 3), round(lo + end, 3), distance, loudness)

    def in_workers(self, windows: list[tuple[tuple, float, float]], shape, work=None) -> None:
        """Into the memo, the windows (key, start, end) it lacks a value of ``shape`` for, from worker processes
        doing ``work`` (``hmm.align_in_processes``) where there are eight or more; the others, and any a failed
        pool left, are done here when asked for."""
        todo = list({str(key): (key, lo, hi) for key, lo, hi in windows if self.memo.get(key, shape) is None}.values())
        if self.workers >= 2 and len(todo) >= 8 and may_start_processes():
            rounds = iter([todo])
            try:
                for key, found in align_in_processes(lambda: next(rounds, []), self.clip, self.dictionary.guessed,
                                                     self.workers, work=work):
                    self.memo.put(key, found)
            except (OSError, RuntimeError, BrokenProcessPool):
                pass

    def said_twice(self, windows: list[tuple[tuple, float, float]]) -> list[tuple[float, float] | None]:
        """For each check (memo key, clip start, end) whether a word is said twice before the next
        (``hmm.said_twice``): the later saying's (start, end), or None; the checks not in the memo run in the
        workers where there are many."""
        self.in_workers(windows, SAID_TWICE_SHAPE, said_twice_in_worker)
        out = []
        for key, lo, hi in windows:
            found = self.memo.get(key, SAID_TWICE_SHAPE)
            if found is None:
                found = [said_twice(self.decoder(), key[2][0], "".join(key[2][1]), self.clip(lo, hi), lo)]
                self.memo.put(key, found)
            out.append(None if found[0] is None else tuple(found[0]))
        return out


def _align_in_workers(plan: _Plan, audio: _Audio, workers: int, min_parallel: int, progress) -> int:
    """Align in worker processes the windows the settling pass will ask for, round after round, into the memo:
    first every stretch whole (a few for each voice on trial), then the pieces of those that did not fit and the
    stretches of the voices that passed. Returns how many windows were asked of the workers."""
    if workers < 2 or not may_start_processes():
        return 0
    first, held = plan.unknown_windows(audio.known)
    if (len(plan.groups) if held else len(first)) < min_parallel:
        return 0
    rounds = iter([(first, held)])
    asked = [0, 0]  # for progress: windows asked so far, and in the latest round (the next is rarely larger)

    def next_round() -> list[tuple[tuple, float, float]]:
        todo, held = next(rounds, None) or plan.unknown_windows(audio.known)
        todo = todo if held or len(todo) >= min(min_parallel, 8) else []
        asked[0] += len(todo)
        asked[1] = len(todo)
        return todo

    try:
        for done, (key, found) in enumerate(align_in_processes(next_round, audio.clip, plan.dictionary.guessed,
                                                               workers)):
            audio.memo.put(key, found)
            if progress:
                progress("refining word times", done, sum(asked) + len(plan.groups))
    except (OSError, RuntimeError, BrokenProcessPool):  # no processes to be had, or one died: settled in this one
        pass
    return asked[0]


def _look_again(plan: _Plan, audio: _Audio, timings, refined: set[int], given_up: set) -> set[int]:
    """Align again each run of at most LOOK_AGAIN_WORDS words the HMM did not place, between two words it did, in a
    clip from the first of those two's start to the second's end (at most LOOK_AGAIN_SPAN): the windows that missed
    them were clipped from the recogniser's times, which are off where it heard a word badly or not at all. A run
    is taken whole, where the clip holds all of its words and both placed ones, each within LOOK_AGAIN_REACH of where
    it was (the HMM's times are trusted anywhere in the clip otherwise), and no word of three letters or fewer
    starts more than SHORT_EARLIER earlier than it did (the HMM gives such a word the first saying of a repeat:
    "the, the"). Not in a voice the HMM was given up on. Returns the words placed."""
    runs = []
    for last, run, after in unplaced_runs(timings, refined):
        if last is None or after is None or len(run) > LOOK_AGAIN_WORDS or plan.speaker_of(run) in given_up:
            continue
        lo, hi = round(timings[last].start - 0.05, 3), round(timings[after].end + 0.05, 3)
        if not 0 < hi - lo <= LOOK_AGAIN_SPAN:
            continue
        part = [last] + run + [after]
        said = plan.repeats.said(part, [plan.dictionary.words(plan.text(k)) for k in part])
        runs.append((run, part, said, ("pocketsphinx", 9, [w for _, ws in said for w in ws], lo, hi, ALIGN_SETTINGS)))
    audio.in_workers([(key, key[3], key[4]) for *_, key in runs], WINDOW_SHAPE)
    placed: set[int] = set()
    for run, part, said, key in runs:
        found = audio.aligned(key, key[3], key[4])
        trial, got = list(timings), set()
        for k in run:  # anywhere in the clip (``_take`` keeps a word near where it was)
            trial[k] = replace(trial[k], start=key[3], end=key[4])
        _take(part, said, found, trial, got, complete=len(found) == len(key[2]))
        if not got.issuperset(part) or any(
                abs(trial[k].start - timings[k].start) > LOOK_AGAIN_REACH
                or (trial[k].start < timings[k].start - SHORT_EARLIER and sum(c.isalnum() for c in plan.text(k)) <= 3)
                for k in run):
            continue
        for k in run:
            timings[k] = trial[k]
        placed.update(run)
    return placed


def _after_hmm(plan: _Plan, audio: _Audio, timings, refined: set[int], given_up: set, stats: RefineStats) -> list[str]:
    """The steps after the HMM (``align.retime``), in order, on ``timings``; per token, where its time came from
    (``RefineStats.how``)."""
    spoken, first_times = plan.spoken, plan.first_times
    unscripted = plan.alignment.unscripted_spans
    texts = [plan.tokens[t.token].text for t in timings]

    def moved_by(step) -> tuple[object, set[int]]:
        """Run a step that moves words in ``timings``; its result and the spoken words it moved."""
        before = list(timings)
        result = step()
        return result, {k for k in spoken if timings[k] != before[k]}

    def twice_window(a: int, b: int):
        """The memo key and clip of the check whether word ``a`` is said twice before word ``b``."""
        first = plan.dictionary.words(plan.text(a))
        then = plan.dictionary.words(plan.text(b))[:1]
        lo, hi = max(0.0, timings[a].start - 0.15), timings[b].end + 0.1
        return ("said twice", 1, [first, then], round(lo, 3), round(hi, 3), TWICE_SETTINGS), lo, hi

    stats.said_twice, said_twice_moved = moved_by(lambda: take_later_sayings(
        timings, spoken, refined, plan.speaker_of,
        lambda a, b: audio.said_again(timings[a].start, timings[a].end, timings[b].start), unscripted,
        lambda pairs: audio.said_twice([twice_window(a, b) for a, b in pairs]), texts, plan.repeats.fillers))
    stats.lateness = lateness(first_times, timings, refined)
    heard = plan.alignment.unclaimed_spans
    stats.after_pause = start_after_own_pause(timings, spoken, refined - said_twice_moved, texts,
                                              audio.rise_after_pause, plan.speaker_of, heard)
    for k, t in enumerate(timings):  # what the HMM could not place keeps the recogniser's time, less its lateness
        if k not in refined and t.start is not None and t.status in ("matched", "misheard", "forced"):
            start = round(max(0.0, t.start - stats.lateness), 3)
            timings[k] = replace(t, start=start, end=max(start, round(t.end - stats.lateness, 3)))
    unfit = {k for k in spoken if plan.speaker_of([k]) in given_up}
    stats.unfit = (unfit | _in_voices_placed_under(FORCED_BELOW, plan, spoken, refined)) - refined
    how = ["unfit voice" if k in unfit else "said again" if k in said_twice_moved else "hmm" if k in refined
           else "recogniser" if k in plan.position else "" for k in range(len(timings))]

    def label(moved: set[int], how_now: str) -> None:
        for k in moved:
            how[k] = how_now

    stats.onsets, moved = moved_by(lambda: start_at_onsets(timings, spoken, unfit, audio.onset) if unfit else 0)
    label(moved, "onset")
    label(moved_by(lambda: fit_between_refined(timings, refined))[1], "fitted")
    stats.spread, moved = moved_by(lambda: spread_unsure_runs(timings, refined | unfit, texts, unscripted,
                                                              audio.sound_after_pause, heard))
    label(moved, "spread")
    stats.unfit -= {k for k in spoken if how[k] == "onset"}  # started at a sound onset: precise where right
    for k in stats.unfit:  # timed by the forced pass (align.pipeline)
        how[k] = "unfit voice"
    return how


def _in_voices_placed_under(share: float, plan: _Plan, spoken: list[int], refined: set[int]) -> set[int]:
    """The spoken tokens of the voices of TRIAL_WORDS words or more whose words the HMM placed under ``share`` of
    (a voice of fewer is not judged, as none is given up on fewer)."""
    voices: dict[object, list[int]] = {}
    for k in spoken:
        voices.setdefault(plan.speaker_of([k]), []).append(k)
    return {k for words in voices.values() if len(words) >= TRIAL_WORDS
            and sum(k in refined for k in words) < share * len(words) for k in words}


def _clip_bounds(first, last, before, after, duration: float) -> tuple[float, float]:
    """Where the clip of a window from word ``first`` to word ``last`` starts and ends: MARGIN either side, but
    at most REACH past the midpoint between an edge word and the spoken word beside it (``before``, ``after``;
    None at the episode's ends). A clip that ended inside the next word's speech made the HMM squeeze that
    speech into the window's last words or fail the window; measured on `real`, check-b and rebuilt seed-noisy
    among reaches of 0, 0.1 and 0.25 s, checked on the other six episodes (bench/README.md).

    >>> from types import SimpleNamespace as W
    >>> _clip_bounds(W(start=10.0, end=10.4), W(start=12.0, end=12.3), W(start=9.0, end=9.9),
    ...              W(start=12.4, end=12.8), 60.0)
    (9.7, 12.6)
    >>> _clip_bounds(W(start=0.2, end=0.5), W(start=0.2, end=0.5), None, W(start=3.0, end=3.2), 60.0)
    (0.0, 1.0)
    """
    lo = max(0.0, first.start - MARGIN)
    hi = min(duration, last.end + MARGIN)
    if before is not None and before.end is not None and before.end > lo:
        lo = max(lo, min(first.start, (before.end + first.start) / 2 - REACH))
    if after is not None and after.start is not None and after.start < hi:
        hi = min(hi, max(last.end, (last.end + after.start) / 2 + REACH))
    return round(lo, 3), round(hi, 3)


def _settle_all(groups, window, lookup, timings, refined: set[int], stats: RefineStats, speaker_of,
                missing: list | None, settled=None, given_up: set | None = None) -> bool:
    """Settle every stretch's words: align its window whole, then what did not fit in smaller pieces.

    ``lookup(key, lo, hi)`` gives PocketSphinx's result for a window, or None where it is not known yet: those
    windows go to ``missing`` (a dry run, to align them in parallel) and the pieces that depend on them wait.
    A dry run asks for no more of a speaker's windows than tell whether the voice fits the HMM, while it is on
    trial or has under 30% of its words placed (near the 20% at which it is given up, so that the windows of a
    voice given up later are not aligned for nothing); returns whether it held any back."""
    tried: dict[object, list[int]] = {}  # speaker -> [words tried, words placed]
    waiting: dict[object, int] = {}  # speaker -> words in windows not known yet
    held = False
    for g, group in enumerate(groups):
        if settled:
            settled(g)
        stats.stretches += 1
        speaker = speaker_of(group)
        record = tried.setdefault(speaker, [0, 0])
        if record[0] >= TRIAL_WORDS and record[1] < 0.2 * record[0]:
            if given_up is not None:
                given_up.add(speaker)
            continue  # the HMM's acoustic model does not fit this voice: keep the recogniser's times
        doubtful = record[0] < TRIAL_WORDS or record[1] < 0.3 * record[0]  # on trial, or near giving up
        if doubtful and waiting.get(speaker, 0) >= TRIAL_WORDS:
            held = True  # a dry run: whether this voice fits is told by the windows already asked for
            continue
        pending: list[tuple[list[int], Neighbours]] = [(group, "touching")]
        while pending:
            part, neighbours = pending.pop()
            key, said, lo, hi, used = window(part, neighbours)
            flat = key[2]
            if not flat:
                continue
            found = lookup(key, lo, hi)
            if found is None:
                missing.append((key, lo, hi))
                waiting[speaker] = waiting.get(speaker, 0) + len(part)
                continue
            done = _take(used, said, found, timings, refined, complete=len(found) == len(flat))
            if neighbours == "both":  # a retry of a piece: its neighbours' words are not its own
                continue
            done = min(len(part), max(0, done - used.index(part[0])))  # of the part's own words
            if part is group:  # a stretch's words count once towards the trial, however many pieces follow
                record[0] += len(part)
            record[1] += done
            if done == len(part):
                stats.aligned += 1
            elif len(part) - done >= 2:
                # the clip did not hold the rest as written: align what is left in two smaller pieces
                rest = part[done:]
                middle = len(rest) // 2
                pending += [(rest[middle:], "none"), (rest[:middle], "none")] if len(rest) >= 4 else [(rest, "none")]
                if len(rest) < 4 and done == 0:
                    pending[-1] = (rest, "both")  # the clip may hold the neighbours' speech: align them too
    return held


class _Repeats:
    """Words said twice in the audio and once in the text ("don't even, even want"), where the recogniser heard
    both, and fillers the text drops ("I mean"): what no token took is aligned as words of its own, so that the HMM
    neither gives its sound to the next word nor fails the window. Only repeats and fillers are taken: every word
    that no token took made every episode less accurate (the words the gap filling timed from the acoustic checks
    are among them)."""

    def __init__(self, alignment, dictionary: Dictionary):
        entries = dictionary.entries
        heard = []
        for k in getattr(alignment, "unclaimed", []):
            word = alignment.words[k]
            spoken = re.findall(r"[a-z']+", fold(word.text))
            if spoken and all(w in entries for w in spoken):
                heard.append((word.start, spoken))
        heard.sort(key=lambda h: h[0])
        self.fillers = [start for start, words in heard if all(w in FILLER_WORDS for w in words)]
        self.starts = [h[0] for h in heard]
        self.words = [h[1] for h in heard]
        self.timings = alignment.timings

    def said(self, part: list[int], said: list[list[str]]) -> list[tuple[int, list[str]]]:
        """Each token's words after the repeat heard before it: (how many words are the repeat, words). A word
        heard again right after a token is taken as the token's false start: the token is the later one.

        >>> from types import SimpleNamespace as NS
        >>> from align.aligner import RecognisedWord as R, WordTiming as W
        >>> a = NS(unclaimed=[2], words=[R("don't", 0.0, 0.3), R("even", 0.3, 0.5), R("even,", 0.7, 0.9),
        ...        R("want", 1.0, 1.3)], timings=[W(0, "matched", 0.0, 0.3), W(1, "matched", 0.3, 0.5),
        ...        W(2, "matched", 1.0, 1.3)])
        >>> _Repeats(a, Dictionary()).said([0, 1, 2], [["don't"], ["even"], ["want"]])
        [(0, ["don't"]), (1, ['even', 'even']), (0, ['want'])]
        >>> b = NS(unclaimed=[1, 2], words=[R("about", 0.0, 0.3), R("I", 0.4, 0.5), R("mean,", 0.5, 0.7),
        ...        R("health", 0.8, 1.1)], timings=[W(0, "matched", 0.0, 0.3), W(1, "matched", 0.8, 1.1)])
        >>> _Repeats(b, Dictionary()).said([0, 1], [["about"], ["health"]])  # a filler the text dropped
        [(0, ['about']), (2, ['i', 'mean', 'health'])]
        >>> c = NS(unclaimed=[1, 2, 4], words=[R("about", 0.0, 0.3), R("I", 0.4, 0.5), R("mean,", 0.5, 0.7),
        ...        R("even", 0.8, 1.0), R("even,", 1.1, 1.3), R("want", 1.4, 1.6)], timings=[W(0, "matched", 0.0, 0.3),
        ...        W(1, "matched", 0.8, 1.0), W(2, "matched", 1.4, 1.6)])
        >>> _Repeats(c, Dictionary()).said([0, 1, 2], [["about"], ["even"], ["want"]])  # the filler stays before both
        [(0, ['about']), (3, ['i', 'mean', 'even', 'even']), (0, ['want'])]
        """
        out: list[tuple[int, list[str]]] = []
        for n, (k, words) in enumerate(zip(part, said)):
            between: list[str] = []
            if n and self.starts:
                lo = bisect.bisect_right(self.starts, self.timings[part[n - 1]].start)
                hi = bisect.bisect_left(self.starts, self.timings[k].start)
                between = [w for ws in self.words[lo:hi] for w in ws]
            if between and out and between == out[-1][1][out[-1][0]:]:  # "even, even": the token before, again
                lead, before = out[-1]
                out[-1] = (lead + len(between), before[:lead] + between + before[lead:])
                between = []
            elif between != words and not all(w in FILLER_WORDS for w in between):
                between = []
            out.append((len(between), between + words))
        return out


def _take(part: list[int], said: list[tuple[int, list[str]]], found, timings, refined: set[int],
          complete: bool) -> int:
    """Give the part's words the times PocketSphinx found, in order; returns how many words were settled.
    ``said`` holds each token's words, after the repeat heard before it (``_Repeats.said``).

    From an incomplete alignment (the clip ended before the text did) the last two words found are not
    trusted: the aligner squeezes them to make the text fit."""
    segments = iter(tuple(f) for f in found)
    segment = next(segments, None)
    settled = 0
    placed: list[tuple[int, float, float]] = []
    for k, (lead, ws) in zip(part, said):
        times = []
        for w in ws:
            if segment is not None and segment[0] == w:
                times.append(segment)
                segment = next(segments, None)
        if ws and len(times) != len(ws):
            break
        if len(ws) > lead:
            placed.append((k, times[lead][1], times[-1][2]))
        settled += 1
    if not complete:
        keep = max(0, len(placed) - 2)
        settled = min(settled, part.index(placed[keep - 1][0]) + 1) if keep else 0
        placed = placed[:keep]
    for k, start, end in placed:
        old = timings[k]
        start, end = round(start, 3), round(end, 3)
        # the recogniser stretches a word after a pause back over the pause: anywhere in its span is close
        if old.start - MAX_SHIFT <= start <= max(old.start + MAX_SHIFT, old.end):
            timings[k] = replace(old, start=start, end=max(start, end))
            refined.add(k)
    return settled
