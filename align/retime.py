"""After the HMM: the steps that time the words it did not place, and that take back or correct what it placed
wrong. Each works on a list of ``WordTiming`` in place (or returns a new one) and says how many words it moved.

- ``drop_crossed``: neighbouring placed words in the wrong order, or too close to hold the words between, go back.
- ``take_later_sayings``: a word said twice (a false start the text lacks) takes the later saying.
- ``start_after_own_pause``: a word whose sound the HMM took for a pause starts where the sound rises after it.
- ``start_at_onsets``: in a voice the HMM does not fit, a word after a pause starts where the sound rises.
- ``fit_between_refined``: a run of unplaced words is moved between its placed neighbours.
- ``spread_unsure_runs``: a run of words whose recognised times are a guess is laid out between them.
- ``keep_order``: a word that would start before its speaker's word before it starts with it.
- ``lateness``: how late the recogniser's starts run in this episode, against the HMM's.
"""
from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Sequence

import numpy as np

from align import repeats as repeats_in_sound
from align.aligner import time_to_say
from align.audio import frame_levels, loud_frames, rise_from

__all__ = ["take_later_sayings", "start_after_own_pause", "last_rise_after_quiet", "drop_crossed", "start_at_onsets",
           "onset_in", "fit_between_refined", "unplaced_runs", "spread_unsure_runs", "keep_order", "fit_run",
           "lateness"]

# words of the fillers an editor drops ("I mean", "you know", "like", "so"): heard between two tokens and taken by
# neither, they are aligned there as words (``align.refine``), and no word is moved onto them as its later saying
FILLER_WORDS = frozenset({"i", "mean", "you", "know", "like", "so", "um", "uh", "er", "hmm"})
FILLER_NEAR = 0.2  # seconds between a later saying's start and a heard filler's that make it the filler
# a lone unplaced word this far from both its placed neighbours floats in a pause: it starts where the sound rises
# after the pause (``spread_unsure_runs``), where it does; taken once
FLOATING = 0.3
MIN_WORD = 0.1  # seconds: the shortest a word is taken to be, where order is restored
# a word stretched over more than STRETCHED + 0.08 s a letter may be said twice (``take_later_sayings``): 0.3 taken
# once; 0.1 since OWN_STRETCH 0.15 (2274546), on the 35 episodes: 9 words to within 250 ms, none the other way
# (0.15: 8 and 0; 0.05: 9 and 4; 0.2: 3 and 0; 0.4: 0 and 3), for 2.4 times as many checks (seed-full 87 -> 206)
STRETCHED = 0.1
# a later saying of a word of LONG_WORD letters or more that lasts under TOO_SHORT of what its letters take to say
# is another word's start ("dictator, [Jea]nine": 0.11 s for 0.61 s; the shortest of the 68 such sayings that were
# right, on the 27 public and fit episodes and 8 of further seeds, took 0.31 of it): the word stays where it is
LONG_WORD, TOO_SHORT = 5, 0.25
# a later saying that lasts over TOO_LONG times the word as placed is another, longer sound after a word said once
# ("with" 0.17 s, then 0.42 s of "the different..."): on the 35 episodes, of the 12 later sayings over 1.2 times
# as long, the 10 over 1.3 had all been right where they were (7 moved beyond 250 ms), the one fixed was 1.24
TOO_LONG = 1.3

def take_later_sayings(timings, spoken: list[int], refined: set[int], speaker_of, said_again,
                        unscripted: list[tuple[float, float]] = (), said_twice=None,
                        texts: list[str] | None = None, fillers_heard: list[float] = ()) -> int:
    """Move each word (placed by the HMM or not) that is said again before the next refined word of its speaker
    onto that later saying: the first was a false start the text does not have. Returns how many moved. A gap
    that holds speech the transcript lacks (``unscripted``: a passage cut from the text, which may end with the
    same words) is no pause.

    ``said_again(a, b)``: the sound in the pause between ``a`` and ``b`` most like ``a`` (``repeats.Pause``), or
    None; under REPEAT_DISTANCE it is the later saying. Where it is only somewhat like it, and loud, and where
    ``a`` is stretched over more than its letters take (``texts``: each token as written), ``said_twice(pairs)``
    asks the HMM: the later saying's (start, end) for each pair, or None. A later saying within FILLER_NEAR of
    the start of a filler word the recogniser heard and no token took (``fillers_heard``, sorted) is that filler
    ("could be, like, established"), not the word again, unless the word is a filler word itself; one of a long
    word far shorter than its letters take to say is the next word's start (LONG_WORD, TOO_SHORT), one far longer
    than the word as placed is another sound (TOO_LONG).

    >>> from align.aligner import WordTiming as W
    >>> from align.repeats import Pause
    >>> timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.9, 2.2), W(2, "matched", 2.25, 2.5)]
    >>> take_later_sayings(timings, [0, 1, 2], {0, 1, 2}, lambda part: "A",
    ...                     lambda a, b: Pause(1.5, 1.8, 1.0, 0.0) if a == 0 else None)
    1
    >>> [(t.start, t.end) for t in timings]
    [(1.5, 1.8), (1.9, 2.2), (2.25, 2.5)]
    >>> timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.9, 2.2), W(2, "matched", 2.25, 2.5)]
    >>> take_later_sayings(timings, [0, 1, 2], {0, 1, 2}, lambda part: "A",
    ...                     lambda a, b: Pause(1.5, 1.8, 2.0, 0.0), (), lambda pairs: [(1.55, 1.8)])
    1
    >>> [(t.start, t.end) for t in timings]
    [(1.55, 1.8), (1.9, 2.2), (2.25, 2.5)]
    >>> timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.9, 2.2), W(2, "matched", 2.25, 2.5)]
    >>> take_later_sayings(timings, [0, 1, 2], {0, 1, 2}, lambda part: "A",  # the recogniser heard "like" at 1.45
    ...                     lambda a, b: Pause(1.5, 1.8, 1.0, 0.0) if a == 0 else None, texts=["be", "so", "on"],
    ...                     fillers_heard=[1.45])
    0
    >>> timings = [W(0, "matched", 1.0, 1.6), W(1, "matched", 1.95, 2.3), W(2, "matched", 2.3, 2.5)]
    >>> take_later_sayings(timings, [0, 1, 2], {0, 1, 2}, lambda part: "A",  # 0.1 s for "dictator,"
    ...                     lambda a, b: Pause(1.8, 1.9, 1.0, 0.0) if a == 0 else None, texts=["dictator,", "Jeanine"])
    0
    """
    def on_filler(a: int, start: float) -> bool:
        if texts is None or _letters(texts[a]) in FILLER_WORDS:
            return False
        i = bisect.bisect_left(fillers_heard, start - FILLER_NEAR)
        return i < len(fillers_heard) and fillers_heard[i] <= start + FILLER_NEAR

    def unlike(a: int, start: float, end: float) -> bool:
        """Whether a later saying of ``a`` from ``start`` to ``end`` lasts too little or too long to be it."""
        if end - start > TOO_LONG * (timings[a].end - timings[a].start):
            return True
        if texts is None:
            return False
        letters = len(_letters(texts[a]))
        return letters >= LONG_WORD and end - start < TOO_SHORT * time_to_say(letters)

    moved = 0
    checks: list[tuple[int, int, float]] = []  # (a, b, where a later saying may start at the earliest)
    for a, b in zip(spoken, spoken[1:]):
        if b not in refined or speaker_of([a]) != speaker_of([b]):  # ``a`` may keep the recogniser's time
            continue
        if any(lo < timings[b].start and hi > timings[a].end for lo, hi in unscripted):
            continue
        if timings[b].start - timings[a].end >= repeats_in_sound.MIN_GAP:
            pause = said_again(a, b)
            if pause is None:
                continue
            if on_filler(a, pause.start):
                continue
            if pause.distance < repeats_in_sound.REPEAT_DISTANCE:
                if unlike(a, pause.start, pause.end):
                    continue
                timings[a] = replace(timings[a], start=pause.start, end=pause.end)
                moved += 1
            elif (pause.distance < repeats_in_sound.CHECK_DISTANCE
                  and pause.loudness > repeats_in_sound.CHECK_LOUDNESS):
                checks.append((a, b, timings[a].end - 0.05))
        elif texts is not None and _stretched(timings[a], texts[a]):
            checks.append((a, b, timings[a].start + 0.2))
    if checks and said_twice is not None:
        for (a, b, earliest), later in zip(checks, said_twice([(a, b) for a, b, _ in checks])):
            if later is None:
                continue
            start, end = later[0], min(later[1], timings[b].start)
            if earliest <= start < end and not on_filler(a, start) and not unlike(a, start, end):
                timings[a] = replace(timings[a], start=start, end=end)
                moved += 1
    return moved


# Words whose own sound the HMM took for a pause, moved to where the sound last rises after QUIET_RUN 10 ms frames of
# quiet (PAUSE_RISE over the quietest tenth) before the next word (``start_after_own_pause``):
# - a word put right at the end of a clause ("Caribbean. It was": FLUSH or less after a word ending in . , ; : ? !)
#   with a pause of PAUSE_AFTER or more after it, where the text has its pause before it: the HMM gave it the tail
#   of the clause's last word (espeak's short "It", "I'm", "and" after a sentence or a comma);
# - a word stretched over more than OWN_STRETCH + 0.08 s a letter ("we, we are", "I mean, about"), whose sound is
#   after a quiet inside that span and at least MIN_LEFT before the next word: a false start or a filler before it.
# Taken from the 25 public and fit episodes (see the commits of these lines): OWN_STRETCH among 0.1-0.3 (0.2), and
# 0.15 since the spelled words' guard (1919b1b), on the 35 episodes: against 0.2, 21 words to within 250 ms and 2
# the other way (0.12: 27 and 7; 0.1: 29 and 17 and 2 more words over 1 s; 0.25: 1 and 14).
FLUSH = 0.03
PAUSE_AFTER = 0.2
OWN_STRETCH = 0.15
MIN_LEFT = 0.05
QUIET_RUN = 10
CLAUSE_ENDS = (".", ",", ";", ":", "?", "!")
CLOSING = "\"'”’)]"


def start_after_own_pause(timings, spoken: list[int], refined: set[int], texts: list[str], rise_after_pause,
                          speaker_of=None, unclaimed: Sequence[tuple[float, float]] = ()) -> int:
    """Move each word the HMM placed before a quiet that holds its own sound to where the sound last rises after the
    quiet (``rise_after_pause(lo, hi, in_noise)``: seconds from the episode's start, or None; ``in_noise``: a rise
    measured against the clip's own range, ``last_rise_after_quiet``): a word flush against the end of the clause
    before it with a pause after it (it then ends where the next word starts; the rise in noise too), or a word
    stretched over a quiet (it keeps its end; a rise of PAUSE_RISE: a lower one moved words of real recordings, whose
    own levels vary that much). The word and the next one both placed by the HMM and said by one speaker
    (``speaker_of([k])``: a turn's gap is no pause of the word's); not a word ending a clause itself (a pause after it
    is its own), not after an abbreviation ("U.S."), not a number or a word with letters spelled out ("ALBA-TCP": its
    letters do not say how long it is), and not where recognised words that no token took (``unclaimed``: their
    spans) lie before the rise: a filler the text lacks, which the HMM gave to the word before it. Returns how many
    moved.

    >>> from align.aligner import WordTiming as W
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "matched", 1.5, 1.6), W(2, "matched", 2.1, 2.4)]
    >>> start_after_own_pause(timings, [0, 1, 2], {0, 1, 2}, ["plan.", "It", "is"], lambda lo, hi, noise: 1.95)
    1
    >>> (timings[1].start, timings[1].end)
    (1.95, 2.1)
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "matched", 1.5, 1.6), W(2, "matched", 2.1, 2.4)]
    >>> start_after_own_pause(timings, [0, 1, 2], {0, 1, 2}, ["U.S.", "hegemony?", "Yes"], lambda lo, hi, noise: 1.95)
    0
    >>> timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.3, 2.0), W(2, "matched", 2.0, 2.4)]
    >>> start_after_own_pause(timings, [0, 1, 2], {0, 1, 2}, ["what", "we", "are"], lambda lo, hi, noise: 1.8)
    1
    >>> (timings[1].start, timings[1].end)
    (1.8, 2.0)
    >>> timings = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.3, 2.0), W(2, "matched", 2.0, 2.4)]
    >>> start_after_own_pause(timings, [0, 1, 2], {0, 1, 2}, ["what", "we", "are"], lambda lo, hi, noise: 1.8,
    ...                       lambda part: "A" if part[0] < 2 else "B")  # the next word is another speaker's
    0
    >>> start_after_own_pause(timings, [0, 1, 2], {0, 1, 2}, ["what", "we", "are"], lambda lo, hi, noise: 1.8,
    ...                       unclaimed=[(1.45, 1.75)])  # "we [I mean] are": the rise is the filler's
    0
    """
    moved = 0
    for p, k, n in zip(spoken, spoken[1:], spoken[2:]):
        word = texts[k].rstrip(CLOSING)
        t, prev, nxt = timings[k], timings[p], timings[n]
        if k not in refined or n not in refined or word.endswith(CLAUSE_ENDS) or t.end is None:
            continue
        if speaker_of is not None and speaker_of([k]) != speaker_of([n]):
            continue
        before = texts[p].rstrip(CLOSING)
        after_clause = (before.endswith(CLAUSE_ENDS) and "." not in before[:-1] and prev.end is not None
                        and t.start - prev.end <= FLUSH and nxt.start - t.end >= PAUSE_AFTER)
        stretched = not _letters_unlike_length(word) and _stretched(t, word, OWN_STRETCH)
        if not (after_clause or stretched):
            continue
        rise = rise_after_pause(t.start, nxt.start + 0.05, after_clause)
        if rise is None or any(t.start < (a + b) / 2 < rise for a, b in unclaimed):
            continue  # the rise may be speech the text lacks, heard inside the word's span ("the [I mean] project")
        if after_clause and t.start < rise < nxt.start:
            timings[k] = replace(t, start=rise, end=nxt.start)
            moved += 1
        elif stretched and t.start + 0.1 < rise <= nxt.start - MIN_LEFT:
            timings[k] = replace(t, start=rise, end=max(t.end, rise + MIN_LEFT))
            moved += 1
    return moved


def _letters_unlike_length(word: str) -> bool:
    """Whether a word's letters do not say how long it takes to say: a number, or capitals spelled one by one.

    >>> _letters_unlike_length("ALBA-TCP"), _letters_unlike_length("2005,"), _letters_unlike_length("Alba")
    (True, True, False)
    """
    return any(ch.isdigit() for ch in word) or any(a.isupper() and b.isupper() for a, b in zip(word, word[1:]))


def last_rise_after_quiet(pcm: np.ndarray, quiet: int = QUIET_RUN, rise_db: float | None = None) -> float | None:
    """Seconds into ``pcm`` where three 10 ms frames in a row are ``rise_db`` over its quietest tenth for the last time
    after ``quiet`` frames with none such, from its fourth frame on; None where there is no such rise. Unless given,
    ``rise_db`` is half the clip's range (its loudest tenth over its quietest), between 6 dB and PAUSE_RISE: under
    noise a word rises less over a pause (seed-noisy, 10 dB SNR: 6.3 dB).

    >>> pcm = np.zeros(8000, dtype=np.int16)
    >>> pcm[:1600] = pcm[4800:] = 8000  # a word's tail, 0.2 s of quiet, a word
    >>> last_rise_after_quiet(pcm), last_rise_after_quiet(pcm, quiet=25)
    (0.3, None)
    """
    level = frame_levels(pcm)
    loud = loud_frames(pcm, _half_range(level) if rise_db is None else rise_db, level)
    frame, last = 3, None
    while frame < len(loud) - quiet:
        if loud[frame:frame + quiet].any():
            frame += 1
            continue
        frame += quiet
        while frame < len(loud) and not loud[frame]:
            frame += 1
        rise = rise_from(loud, frame)
        last = rise if rise is not None else last
    return None if last is None else last / 100


def _half_range(level: np.ndarray) -> float:
    """Half the range of a clip's 10 ms frame levels (loudest tenth over quietest tenth), within 6 dB and PAUSE_RISE.

    >>> pcm = np.zeros(8000, dtype=np.int16)
    >>> pcm[:1600] = pcm[4800:] = 8000
    >>> _half_range(frame_levels(pcm)), _half_range(frame_levels(pcm // 1000 + 3))
    (20.0, 6.0)
    """
    if len(level) < 5:
        return PAUSE_RISE
    return float(np.clip((np.percentile(level, 90) - np.percentile(level, 10)) / 2, 6.0, PAUSE_RISE))


def _letters(text: str) -> str:
    """A token as the filler words are written.

    >>> _letters("Like,")
    'like'
    """
    return "".join(ch for ch in text.lower() if ch.isalpha() or ch == "'")


def _stretched(timing, text: str, allowance: float = STRETCHED) -> bool:
    """Whether a word lasts longer than ``allowance`` plus 0.08 s a letter (over a false start and itself).

    >>> from align.aligner import WordTiming as W
    >>> _stretched(W(0, "matched", 1.0, 1.9), "held"), _stretched(W(0, "matched", 1.0, 1.4), "held")
    (True, False)
    """
    letters = sum(ch.isalnum() for ch in text) or 1
    return timing.end - timing.start > allowance + 0.08 * letters


def drop_crossed(timings, before, refined: set[int]) -> None:
    """Take back the HMM's times of neighbouring refined words that start in the wrong order, and of a refined
    word that starts so soon after the one before it that the spoken words between would have under MIN_WORD
    each.

    Two words in the wrong order were placed by different pieces of a stretch, and the piece that ends at the
    first of them stretched it over the next word's speech; which of the two is wrong cannot be told, so both go
    back to ``before`` (the recogniser's times) and are fitted between their refined neighbours like any word the
    HMM missed. A word too soon after its neighbour was put on that neighbour's sound by a window that began
    there (seed-recut's "or representatives that are": the recogniser heard "or" as "are", the HMM put "are" on
    it and the two words between went into no time, 1-1.4 s early): that word goes back.

    >>> from align.aligner import WordTiming as W
    >>> before = [W(0, "matched", 1.0, 1.2), W(1, "matched", 1.3, 1.3), W(2, "matched", 1.5, 1.6)]
    >>> timings = [W(0, "matched", 0.9, 1.1), W(1, "matched", 1.5, 1.8), W(2, "matched", 1.2, 1.3)]
    >>> refined = {0, 1, 2}
    >>> drop_crossed(timings, before, refined)
    >>> sorted(refined), [t.start for t in timings]
    ([0], [0.9, 1.3, 1.5])
    >>> timings = [W(0, "matched", 0.9, 1.1), W(1, "matched", 1.1, 1.1), W(2, "matched", 0.95, 1.3)]
    >>> refined = {0, 2}
    >>> drop_crossed(timings, before, refined)
    >>> sorted(refined), [t.start for t in timings]
    ([0], [0.9, 1.1, 1.5])
    """
    spoken = np.cumsum([t.start is not None and t.status != "note" for t in timings])
    while True:
        placed = sorted(refined)
        crossed = {k for a, b in zip(placed, placed[1:]) if timings[b].start < timings[a].start for k in (a, b)}
        crossed |= {b for a, b in zip(placed, placed[1:])
                    if timings[b].start < timings[a].start + MIN_WORD * int(spoken[b - 1] - spoken[a])}
        if not crossed:
            return
        for k in crossed:
            refined.discard(k)
            timings[k] = before[k]


ONSET_PAUSE = 0.3  # seconds of pause before a word, for its start to be sought in the sound
ONSET_SEARCH = 0.25  # seconds either side of the recogniser's start where the rise is sought
ONSET_RISE = 12.0  # dB above the pause's floor (its quietest tenth) that three 10 ms frames in a row must reach


def start_at_onsets(timings, spoken: list[int], words: set[int], onset) -> int:
    """Start each of ``words`` that follows a pause where the sound rises out of that pause (``onset(lo, hi,
    start)``, see ``onset_in``); returns how many moved. For voices the HMM does not fit: the recogniser's starts
    scatter by about 0.1 s, and the first word after a pause (where a cue starts) is one an onset shows."""
    moved = 0
    for before, k in zip(spoken, spoken[1:]):
        t, prev = timings[k], timings[before]
        if k not in words or t.start - prev.end < ONSET_PAUSE:
            continue
        start = onset(max(prev.end, t.start - 1.0), t.start + ONSET_SEARCH, t.start)
        if start is not None and start != t.start:
            timings[k] = replace(t, start=start, end=max(start + MIN_WORD, t.end))
            moved += 1
    return moved


def onset_in(pcm: np.ndarray, lo: float, start: float) -> float | None:
    """The time, from ONSET_SEARCH before ``start``, where three 10 ms frames in a row of ``pcm`` (the audio from
    ``lo``) are ONSET_RISE over its quietest tenth; None if there is none."""
    loud = loud_frames(pcm, ONSET_RISE)
    if len(loud) < 10:
        return None
    rise = rise_from(loud, max(0, int((start - ONSET_SEARCH - lo) * 100)))
    return None if rise is None else round(lo + rise / 100, 3)


def fit_between_refined(timings, refined: set[int]) -> None:
    """Move each run of words the HMM did not place between its refined neighbours, so that no word starts
    before the refined word said ahead of it (its end is less sure: a filler it swallowed may lengthen it) or
    ends after the next refined word starts.

    A run that overlaps a neighbour is shifted as a block, by as little as that takes, and squeezed
    into the gap when it is longer than the gap.

    >>> from align.aligner import WordTiming as W
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "matched", 0.9, 1.1), W(2, "matched", 1.1, 1.3),
    ...            W(3, "matched", 2.2, 2.6)]
    >>> fit_between_refined(timings, {0, 3})
    >>> [(t.start, t.end) for t in timings[1:3]]
    [(1.1, 1.3), (1.3, 1.5)]
    """
    for last, run, after in unplaced_runs(timings, refined):
        lo = timings[last].start + MIN_WORD if last is not None else None
        hi = timings[after].start if after is not None else None
        fit_run(timings, run, lo, hi)


def unplaced_runs(timings, placed: set[int]):
    """Each run of spoken words not in ``placed``, as (the placed word before it or None, the run, the placed word
    after it or None).

    >>> from align.aligner import WordTiming as W
    >>> list(unplaced_runs([W(k, "matched", k, k + 0.5) for k in range(5)], {1, 3}))
    [(None, [0], 1), (1, [2], 3), (3, [4], None)]
    """
    run: list[int] = []
    last: int | None = None
    for k in [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"] + [None]:
        if k is not None and k not in placed:
            run.append(k)
            continue
        if run:
            yield last, run, k
        run, last = [], k


PAUSE_RISE = 20.0  # dB over the quietest tenth from which speech resumes after a pause before an unsure run
PAUSE_WITHIN = 25  # 10 ms frames after the word before within which that pause begins
MAX_SPREAD = 3.0  # seconds: a longer gap between two placed words may hold a pause or an ad, not only the run
FOLLOWING = 0.25  # seconds of the next word's sound that may count as a run's, laid after unscripted speech


def spread_unsure_runs(timings, placed: set[int], texts: list[str], unscripted: list[tuple[float, float]],
                        sound_after_pause=None, unclaimed: Sequence[tuple[float, float]] = ()) -> int:
    """Lay each run of unplaced words whose recognised times are unsure across the time between the placed words
    either side of it, each word's share in proportion to its letters (plus two); returns how many runs moved.
    Where the word before is followed by a pause (``sound_after_pause(lo, hi)``: where the sound rises after a
    fifth of a second of quiet that begins within PAUSE_WITHIN of ``lo``, or None), the run is laid out from there.

    Unsure: a word of the run was not heard as written (misheard, forced, interpolated: the recogniser's times
    for it are a guess), or its starts are out of order. A lone word heard as written that floats, FLOATING or more
    from both neighbours ("Cuba, Venezuela, Bolivia": the recogniser squeezed "Venezuela," into the middle of the
    pauses), is laid out from where the sound rises after the pause, where it does; where no pause shows, it starts
    where the word before ends (the recogniser starts such a word late: "In 2005," 0.5-0.7 s on 18 words of the
    public and fit episodes, none made worse), unless recognised words that no token took (``unclaimed``: their
    spans) lie between. A run the aligner put after speech the transcript lacks (an ad read) is laid from where the
    sound rises after the pause that follows that speech, and keeps its times where none does. Other runs across
    unscripted speech, runs at the episode's ends and runs across a gap longer than MAX_SPREAD keep their times.
    ``placed``: the refined words, and those of a voice whose times are the recogniser's by choice (a voice the HMM
    does not fit), which no run may move.

    >>> from align.aligner import WordTiming as W
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "interpolated", 2.4, 2.4), W(2, "forced", 2.4, 2.4),
    ...            W(3, "matched", 2.5, 2.9)]
    >>> spread_unsure_runs(timings, {0, 3}, ["so", "them", "it", "now"], [])
    1
    >>> [(t.start, t.end) for t in timings[1:3]]
    [(1.5, 2.1), (2.1, 2.5)]
    >>> timings[3] = W(3, "matched", 4.0, 4.4)  # a pause after "so": speech resumes at 3.0 s
    >>> spread_unsure_runs(timings, {0, 3}, ["so", "them", "it", "now"], [], lambda lo, hi: 3.0)
    1
    >>> [(t.start, t.end) for t in timings[1:3]]
    [(3.0, 3.6), (3.6, 4.0)]
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "matched", 2.3, 2.32), W(2, "matched", 3.0, 3.4)]
    >>> spread_unsure_runs(timings, {0, 2}, ["Cuba,", "Venezuela,", "Bolivia"], [], lambda lo, hi: 1.8)
    1
    >>> (timings[1].start, timings[1].end)
    (1.8, 3.0)
    >>> timings[1] = W(1, "matched", 2.3, 2.32)  # no pause after "Cuba,": said right after it
    >>> spread_unsure_runs(timings, {0, 2}, ["Cuba,", "Venezuela,", "Bolivia"], [], lambda lo, hi: None)
    1
    >>> (timings[1].start, timings[1].end)
    (1.5, 3.0)
    >>> timings[1] = W(1, "matched", 2.3, 2.32)  # unless the recogniser heard words no token took before it
    >>> spread_unsure_runs(timings, {0, 2}, ["Cuba,", "Venezuela,", "Bolivia"], [], lambda lo, hi: None, [(1.6, 2.0)])
    0
    >>> timings = [W(0, "matched", 1.0, 1.5), W(1, "interpolated", 9.5, 9.8), W(2, "matched", 10.6, 10.9)]
    >>> spread_unsure_runs(timings, {0, 2}, ["government?", "As", "I"], [(1.5, 9.4)], lambda lo, hi: 10.45)
    1
    >>> (timings[1].start, timings[1].end)   # after an ad: from where the speech resumes
    (10.45, 10.6)
    """
    moved = 0
    for last, run, after in unplaced_runs(timings, placed):
        if last is None or after is None:
            continue
        lo, hi = timings[last].end, timings[after].start
        starts = [timings[j].start for j in run]
        across = [b for a, b in unscripted if a < hi and b > lo]
        resumed = bool(across) and max(across) <= min(starts) and max(across) < hi  # laid after speech it lacks
        if resumed:
            lo = max(across)
        unsure = any(timings[j].status != "matched" for j in run) or any(b < a for a, b in zip(starts, starts[1:]))
        floating = (not unsure and len(run) == 1 and starts[0] - lo >= FLOATING
                    and hi - timings[run[0]].end >= FLOATING)
        if (unsure or floating) and 0 < hi - lo <= MAX_SPREAD and not any(a < hi and b > lo for a, b in unscripted):
            # after unscripted speech the next word may follow the run at once: its sound counts as the run's
            after_pause = (sound_after_pause(lo, hi + (FOLLOWING if resumed else 0.0))
                           if sound_after_pause is not None else None)
            if after_pause is not None and hi - after_pause >= MIN_WORD * len(run):
                lo = after_pause
            elif resumed:
                continue
            elif floating and any(lo < (a + b) / 2 < starts[0] for a, b in unclaimed):
                continue  # speech the transcript lacks may fill the time before it
            weights = [2 + max(1, sum(c.isalnum() for c in texts[j])) for j in run]
            total, done = sum(weights), 0
            for j, weight in zip(run, weights):
                start = round(lo + (hi - lo) * done / total, 3)
                done += weight
                timings[j] = replace(timings[j], start=start, end=round(lo + (hi - lo) * done / total, 3))
            moved += 1
    return moved


def keep_order(timings, transcript, fixed: set[int] = frozenset()) -> tuple[list, int]:
    """The timings with each word that would start before the word its speaker says before it started with that
    word instead (its end kept where it is later), and how many were. Such a word kept the recogniser's time less
    the lateness beside a word the HMM placed, or the other way round; on seed-clean the later word was the one
    off in 15 of 17 such pairs. A word of another speaker may start first (people talk over each other), and a
    word in ``fixed`` (set by ear) stays.

    >>> from align.aligner import WordTiming as W
    >>> from align.transcript import parse_transcript
    >>> transcript = parse_transcript("ANN: One two three.")
    >>> timings = [W(0, "matched", 1.0, 1.2), W(1, "matched", 0.9, 1.4), W(2, "matched", 1.5, 1.6)]
    >>> ordered, moved = keep_order(timings, transcript)
    >>> moved, [(t.start, t.end) for t in ordered]
    (1, [(1.0, 1.2), (1.0, 1.4), (1.5, 1.6)])
    """
    timings = list(timings)
    spoken = [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"]
    speaker = {k: transcript.speaker_of(transcript.tokens[timings[k].token]) for k in spoken}
    moved = 0
    for before, k in zip(spoken, spoken[1:]):
        earlier, t = timings[before], timings[k]
        if t.start < earlier.start and speaker[k] == speaker[before] and t.token not in fixed:
            timings[k] = replace(t, start=earlier.start, end=max(earlier.start, t.end))
            moved += 1
    return timings, moved


def fit_run(timings, run: list[int], lo: float | None, hi: float | None) -> None:
    first, end = timings[run[0]].start, max(timings[k].end for k in run)
    shift = 0.0
    if lo is not None and first < lo:
        shift = lo - first
    elif hi is not None and end > hi:
        shift = hi - end
        if lo is not None:
            shift = max(shift, lo - first)
    squeeze = 1.0
    if lo is not None and hi is not None and end + shift > hi:
        squeeze = max(0.0, hi - (first + shift)) / max(1e-3, end - first)
    if shift == 0.0 and squeeze == 1.0:
        return
    base = first + shift
    for k in run:
        t = timings[k]
        start = round(base + (t.start - first) * squeeze, 3)
        timings[k] = replace(t, start=start, end=round(max(start, base + (t.end - first) * squeeze), 3))


def lateness(before, after, refined: set[int]) -> float:
    """How late the recogniser's word starts are in this episode: the median of (recogniser - HMM) over the
    words both placed, measured anew on every run (0 when too few words were refined to tell)."""
    shifts = sorted(before[k].start - after[k].start for k in refined if before[k].status == "matched")
    if len(shifts) < 20:
        return 0.0
    return round(float(max(0.0, min(0.3, shifts[len(shifts) // 2]))), 3)
