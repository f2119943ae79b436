"""Map every transcript token onto the recognised words: a time, or "not in audio".

The transcript and the recognised words are both broken into spoken units (``normalise.spoken_units``).
Units are aligned globally and monotonically in two steps that keep the work near-linear:

1. anchors: runs of ``ANCHOR_LENGTH`` units that occur exactly once on each side, reduced to the longest chain
   that is in order on both sides, less short runs that sit between unheard text and unscripted speech
   (``_without_displaced``);
2. between consecutive anchors, a dynamic-programming alignment with affine gap costs (Gotoh), which prefers
   a few long gaps (a paragraph cut from the audio, an ad read) over many scattered chance matches, and pairs a
   misheard word with what was heard in its place.

Tokens whose units found no partner lie in gaps. A short gap is speech the recogniser missed or misheard:
its tokens get times from their neighbours and the unclaimed speech between them. A long gap is text that is
not in the audio (a cut paragraph, page text around the interview) unless the audio holds unclaimed time
enough to have said it. Recognised speech that no token claims is reported as not in the transcript.

>>> from align.transcript import parse_transcript
>>> words = [RecognisedWord(w, s, s + 0.3) for s, w in zip(range(6), "so today we look at 1823".split())]
>>> a = align_words(parse_transcript("A: So today we look at eighteen twenty-three."), words)
>>> [(t.status, t.start) for t in a.timings]
[('matched', 0), ('matched', 1), ('matched', 2), ('matched', 3), ('matched', 4), ('matched', 5), ('matched', 5.126)]
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Callable, Literal

from align.normalise import repeats_itself, similarity, spoken_units
from align.transcript import Transcript

__all__ = ["RecognisedWord", "WordTiming", "UnscriptedSpan", "Alignment", "align_words"]

Status = Literal["matched", "misheard", "forced", "interpolated", "not_in_audio", "note"]
# verifier(words, lo, hi) -> [(start, end, probability)] for words said in order within [lo, hi] seconds
Verifier = Callable[[list[str], float, float], list]


@dataclass(frozen=True)
class RecognisedWord:
    """A word as the speech recogniser heard it, with its time in seconds."""

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class WordTiming:
    """Where one transcript token was spoken. ``start``/``end`` are None when it is not in the audio
    (or is a note)."""

    token: int
    status: Status
    start: float | None = None
    end: float | None = None
    confidence: float = 0.0


@dataclass(frozen=True)
class UnscriptedSpan:
    """Recognised speech that the transcript lacks (an ad read, a remark cut from the text)."""

    start: float
    end: float
    heard: str


@dataclass
class Alignment:
    transcript: Transcript
    words: list[RecognisedWord]
    timings: list[WordTiming]  # one per transcript token, in transcript order
    unscripted: list[UnscriptedSpan] = field(default_factory=list)
    unclaimed: list[int] = field(default_factory=list)  # recognised words no token took (repeats, fillers, ads)

    @property
    def spoken(self) -> list[WordTiming]:
        return [t for t in self.timings if t.start is not None]

    @property
    def unscripted_spans(self) -> list[tuple[float, float]]:
        """(start, end) of each span of speech the transcript lacks."""
        return [(u.start, u.end) for u in self.unscripted]

    @property
    def unclaimed_spans(self) -> list[tuple[float, float]]:
        """(start, end) of each recognised word that no transcript word took."""
        return [(self.words[k].start, self.words[k].end) for k in self.unclaimed]


# Scores of the unit alignment. A run of up to about four misheard units is paired (each pair costs
# MISMATCH); longer runs become gaps. An island of fewer than three matching units inside a gap is not
# worth the two extra gap openings it costs, so chance matches of "of the" do not split a cut paragraph.
MATCH = 2.0
MISMATCH = -1.5
GAP_OPEN = -3.0
GAP_EXTEND = -0.1
CONTINUE = 0.05  # of two equal alignments, prefer the one whose matches run on without breaks
FUZZY_MIN = 0.7  # similarity from which two different units count as the same word misspelt
ANCHOR_LENGTH = 4
# A recognised word less likely than WEAK_PROBABILITY matches for WEAK_MATCH of MATCH: Whisper, lost in noise or
# music, runs on with words of the text it guessed ("a lot more than a hundred million" over "Nayib Bukele, is
# reportedly not attending", at probabilities of 0.01-0.07), and such a run outweighed the words it did hear
# ("not attending") after it: 13 words went 1.6-5.5 s early. Taken once, not tuned.
WEAK_PROBABILITY = 0.1
WEAK_MATCH = 0.5
# a recognised word under this probability is not paired with a transcript word it does not match: the free
# decoding of --fast, sampling at a raised temperature after the interview's last word, heard "You" (0.002) where
# the page's "Click to comment" follows, and the pair captioned it; taken once, not tuned
NO_GUESS = 0.01
MAX_CELLS = 250_000  # largest window aligned by dynamic programming in one piece
LONG_GAP_UNITS = 6  # an unmatched run of this many units or more may be text that is not in the audio
SECONDS_PER_UNIT = 0.25  # a generous lower bound on speaking time, to tell skipped speech from cut text
FASTEST_UNIT = 0.1  # no one says a unit faster: text that cannot fit in the time between its neighbours
SLOW_UNIT = 0.4  # a slow speaker's time per unit: room enough for a piece placed from one end of a gap
FIT_PROBABILITY = 0.3  # mean token probability from which a forced-aligned passage counts as said
# ... and from which a whole paragraph that the recogniser did not hear as written counts as said. Fitted on the
# public episodes (said: 0.27 and up, cut or page text: 0.15 and below), checked on two others made with
# other voices, seeds and cuts (said: 0.23 and up, cut: 0.17 and below); see bench/README.md.
PARAGRAPH_FIT = 0.2
MIN_TIMING_FIT = 0.12  # below this, forced-alignment times of a said run are no better than spreading
FILLERS = {"um", "uh", "er", "erm", "ah", "hmm", "mm", "mhm", "uhm"}
# A heard filler the text lacks (the editor took it out) is passed over at SKIP_FILLER, a third of a gap's opening:
# on fit-recut "right, like, of all countries, so, of the continent" was heard "right like a mall country so a
# mall continent", and the gap each filler opened made the aligner pair "of all" with the second "a mall" and leave
# "countries" a second early of where it was said. Word fillers count only alone ("like", "so"); taken once.
SKIPPED_FILLERS = FILLERS | {"like", "so"}
SKIP_FILLER = -1.0
# words so common that a recogniser hearing noise or another passage produces them by chance: matched alone
# among mishearings, they say nothing about where the transcript is
COMMON = {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "he", "i", "in", "is", "it", "of", "on",
          "or", "so", "that", "the", "this", "to", "was", "we", "you"}


def time_to_say(letters: int) -> float:
    """About how long a word of ``letters`` letters takes to say, with the pause after it: 0.07 s a letter and
    0.05 s (the truth of seed-full, real and fit-page: 0.058-0.075 s a letter).

    >>> round(time_to_say(9), 2)
    0.68
    """
    return 0.07 * letters + 0.05


@dataclass(frozen=True)
class _Unit:
    text: str
    owner: int  # transcript token index, or recognised word index
    start: float = 0.0
    end: float = 0.0


def _transcript_units(transcript: Transcript) -> list[_Unit]:
    units = []
    for token in transcript.tokens:
        if not token.is_note:
            units += [_Unit(u, token.index) for u in spoken_units(token.text)]
    return units


def _recognised_units(words: list[RecognisedWord]) -> list[_Unit]:
    """Units of the recognised words; a word that says several units shares its time among them by length."""
    units = []
    for k, word in enumerate(words):
        parts = spoken_units(word.text)
        total = sum(len(p) for p in parts) or 1
        t = word.start
        for p in parts:
            d = (word.end - word.start) * len(p) / total
            units.append(_Unit(p, k, t, t + d))
            t += d
    return units


def _unique_grams(texts: list[str], lo: int, hi: int, n: int) -> dict[tuple[str, ...], int]:
    seen: dict[tuple[str, ...], int] = {}
    for i in range(lo, hi - n + 1):
        gram = tuple(texts[i:i + n])
        seen[gram] = -1 if gram in seen else i
    return {g: i for g, i in seen.items() if i >= 0}


def _longest_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of (t, r) pairs, sorted by t, whose r also increase (patience sorting)."""
    pairs.sort()
    tails: list[int] = []  # r of the last pair of the best chain of each length
    tail_at: list[int] = []
    back: list[int] = []
    for k, (_, r) in enumerate(pairs):
        pos = bisect.bisect_left(tails, r)
        if pos == len(tails):
            tails.append(r)
            tail_at.append(k)
        else:
            tails[pos] = r
            tail_at[pos] = k
        back.append(tail_at[pos - 1] if pos else -1)
    chain = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = back[k]
    return chain[::-1]


SHIFTED = 4  # units unmatched on one side before an anchor and on the other side after it: a displaced anchor


def _opposite_leftovers(lead: int, trail: int) -> bool:
    """Whether a run has ``SHIFTED`` or more units of text left over on one side and of speech on the other
    (``lead``, ``trail``: text minus speech before and after it).

    >>> _opposite_leftovers(8, -8), _opposite_leftovers(8, 8), _opposite_leftovers(8, -2)
    (True, False, False)
    """
    return min(abs(lead), abs(trail)) >= SHIFTED and lead * trail < 0


def _without_displaced(anchors: list[tuple[int, int]], n: int, t0: int, t1: int, r0: int,
                       r1: int) -> list[tuple[int, int]]:
    """The anchors less those of a short run (under two anchors long) that lies between text the recogniser
    did not hear on one side and speech the text lacks on the other: a phrase said once in the audio where the
    transcript has it twice ("that are going ... the ones that are not going" heard as "that are not going"),
    or heard in place of a longer one. The dynamic alignment of the stretch around such a run, which weighs
    every pairing, decides it instead. Where that stretch is too large to align in one piece, the run stays.

    Units 0-3 match, 4-11 of the text are not heard, 12-15 are heard at 4-7 and are followed by speech the text
    lacks (8-15), 16-19 match:

    >>> _without_displaced([(0, 0), (12, 4), (16, 16)], 4, 0, 20, 0, 20)
    [(0, 0), (16, 16)]
    """
    if len(anchors) < 2:
        return anchors
    runs: list[list[tuple[int, int]]] = []  # anchors on one diagonal that overlap or touch
    for ta, ra in anchors:
        if runs and ta - ra == runs[-1][-1][0] - runs[-1][-1][1] and ta <= runs[-1][-1][0] + n:
            runs[-1].append((ta, ra))
        else:
            runs.append([(ta, ra)])
    kept: list[tuple[int, int]] = []
    for k, run in enumerate(runs):
        before = runs[k - 1][-1] if k else None
        after = runs[k + 1][0] if k + 1 < len(runs) else None
        bt, br = (before[0] + n, before[1] + n) if before else (t0, r0)
        at, ar = after if after else (t1, r1)
        first, last = run[0], run[-1]
        lead = (first[0] - bt) - (first[1] - br)  # text (+) or speech (-) left over before the run
        trail = (at - last[0] - n) - (ar - last[1] - n)  # ... and after it
        displaced = len(run) < 2 and _opposite_leftovers(lead, trail) and (at - bt) * (ar - br) <= MAX_CELLS
        if not displaced:
            kept += run
    return kept


_FILLER_PASSED = 3  # in ``_UnitAligner._dynamic``'s back pointers: a heard filler passed over, the state unchanged


class _UnitAligner:
    def __init__(self, t_texts: list[str], r_texts: list[str], r_weak: list[bool] | None = None):
        self.t = t_texts
        self.r = r_texts
        self.weak = r_weak or [False] * len(r_texts)  # recognised units whose match counts WEAK_MATCH of one
        self.pairs: dict[int, int] = {}  # transcript unit -> recognised unit
        self._scores: dict[tuple[str, str], float] = {}

    def score(self, a: str, b: str) -> float:
        if a == b:
            return MATCH
        key = (a, b)
        cached = self._scores.get(key)
        if cached is None:
            cached = MISMATCH
            if min(len(a), len(b)) >= 3 and abs(len(a) - len(b)) <= 3:
                sim = similarity(a, b)
                if sim >= FUZZY_MIN:
                    cached = MATCH * sim
            self._scores[key] = cached
        return cached

    def align(self, t0: int, t1: int, r0: int, r1: int, gram: int = ANCHOR_LENGTH) -> None:
        """Align transcript units [t0, t1) with recognised units [r0, r1)."""
        if t0 >= t1 or r0 >= r1:
            return
        if (t1 - t0) * (r1 - r0) <= MAX_CELLS and gram < ANCHOR_LENGTH:
            self._dynamic(t0, t1, r0, r1)
            return
        anchors: list[tuple[int, int]] = []
        n = gram
        while not anchors and n >= 2:
            tg = _unique_grams(self.t, t0, t1, n)
            rg = _unique_grams(self.r, r0, r1, n)
            anchors = _longest_chain([(i, rg[g]) for g, i in tg.items() if g in rg])
            if not anchors:
                n -= 1
        anchors = _without_displaced(anchors, n, t0, t1, r0, r1)
        if not anchors:
            if (t1 - t0) * (r1 - r0) <= MAX_CELLS:
                self._dynamic(t0, t1, r0, r1)
            else:  # no landmarks in a huge window: split it where the two sides are proportionally alike
                tm, rm = (t0 + t1) // 2, r0 + (r1 - r0) * ((t1 - t0) // 2) // (t1 - t0)
                self.align(t0, tm, r0, rm, 2)
                self.align(tm, t1, rm, r1, 2)
            return
        prev_t, prev_r = t0, r0
        for ta, ra in anchors:
            if ta < prev_t or ra < prev_r:
                continue  # overlaps the previous anchor's run
            self.align(prev_t, ta, prev_r, ra, n - 1)
            for k in range(n):
                self.pairs[ta + k] = ra + k
            prev_t, prev_r = ta + n, ra + n
        self.align(prev_t, t1, prev_r, r1, n - 1)

    def _dynamic(self, t0: int, t1: int, r0: int, r1: int) -> None:
        """Gotoh alignment of a window; states: 0 pair, 1 transcript unit unpaired, 2 recognised unit unpaired."""
        n, m = t1 - t0, r1 - r0
        neg = float("-inf")
        width = m + 1
        pair = [neg] * ((n + 1) * width)
        gap_t = [neg] * ((n + 1) * width)
        gap_r = [neg] * ((n + 1) * width)
        back = bytearray((n + 1) * width * 3)
        pair[0] = 0.0
        t, r, score, weak = self.t, self.r, self.score, self.weak
        filler = [r[r0 + j - 1] in SKIPPED_FILLERS if j else False for j in range(m + 1)]
        tables = (pair, gap_t, gap_r)
        for i in range(n + 1):
            row = i * width
            up = row - width
            for j in range(m + 1):
                c = row + j
                if i and j:
                    d = up + j - 1
                    best, state = pair[d] + CONTINUE, 0
                    if gap_t[d] > best:
                        best, state = gap_t[d], 1
                    if gap_r[d] > best:
                        best, state = gap_r[d], 2
                    gain = score(t[t0 + i - 1], r[r0 + j - 1])
                    pair[c] = best + (gain * WEAK_MATCH if gain > 0 and weak[r0 + j - 1] else gain)
                    back[c * 3] = state
                if i:
                    u = up + j
                    best, state = pair[u] + GAP_OPEN, 0
                    if gap_t[u] + GAP_EXTEND > best:
                        best, state = gap_t[u] + GAP_EXTEND, 1
                    if gap_r[u] + GAP_OPEN > best:
                        best, state = gap_r[u] + GAP_OPEN, 2
                    gap_t[c] = best
                    back[c * 3 + 1] = state
                if j:
                    left = c - 1
                    best, state = pair[left] + GAP_OPEN, 0
                    if gap_r[left] + GAP_EXTEND > best:
                        best, state = gap_r[left] + GAP_EXTEND, 2
                    if gap_t[left] + GAP_OPEN > best:
                        best, state = gap_t[left] + GAP_OPEN, 1
                    gap_r[c] = best
                    back[c * 3 + 2] = state
                    if filler[j]:  # a heard filler passed over: every state carries on past it
                        for s, table in enumerate(tables):
                            if table[left] + SKIP_FILLER > table[c]:
                                table[c] = table[left] + SKIP_FILLER
                                back[c * 3 + s] = _FILLER_PASSED
        end = n * width + m
        state = max(range(3), key=lambda s: tables[s][end])
        i, j = n, m
        while i or j:
            c = i * width + j
            previous = back[c * 3 + state]
            if previous == _FILLER_PASSED:
                j -= 1
                continue
            if state == 0:
                if score(t[t0 + i - 1], r[r0 + j - 1]) > 0:
                    self.pairs[t0 + i - 1] = r0 + j - 1
                else:
                    self.pairs[t0 + i - 1] = -(r0 + j - 1) - 1  # paired, but heard differently
                i, j = i - 1, j - 1
            elif state == 1:
                i -= 1
            else:
                j -= 1
            state = previous


def align_words(transcript: Transcript, words: list[RecognisedWord], verifier: Verifier | None = None) -> Alignment:
    """Align a parsed transcript with recognised words. Every token gets a WordTiming.

    ``verifier`` (see ``acoustic.AcousticAligner.align``) decides passages the recogniser did not hear as
    written: said (and then timed by it) or not in the audio. Without it, the time between the neighbours
    and what the recogniser heard there decide.
    """
    from align.gaps import fill_gaps, fits, sentences_resume_after  # the stage after this one (it imports this)

    t_units = _transcript_units(transcript)
    r_units = _recognised_units(words)
    aligner = _UnitAligner([u.text for u in t_units], [u.text for u in r_units],
                           [words[u.owner].probability < WEAK_PROBABILITY for u in r_units])
    aligner.align(0, len(t_units), 0, len(r_units))
    for ti in [ti for ti, ri in aligner.pairs.items() if ri < 0 and words[r_units[-ri - 1].owner].probability
               < NO_GUESS]:  # a word heard differently, and heard at all only by a guess, says nothing
        del aligner.pairs[ti]
    _unpair_guesses_at_long_gaps(aligner.pairs, aligner.t, aligner.r)
    _unpair_displaced_islands(aligner.pairs)
    paragraph_of = [transcript.tokens[u.owner].paragraph for u in t_units]
    _keep_paragraphs_whole(aligner.pairs, aligner.t, aligner.r, paragraph_of)
    _unpair_guesses_past_the_ends(aligner.pairs, paragraph_of)
    _take_repeats_not_misheard(aligner.pairs, aligner.t, aligner.r, [u.owner for u in t_units])

    # per token: the recognised units its units were paired with (exactly or as a mishearing)
    matched: dict[int, list[int]] = {}
    misheard: dict[int, list[int]] = {}
    _drop_sparse_paragraphs(transcript, t_units, aligner.pairs)
    claimed = [False] * len(r_units)
    for ti, ri in aligner.pairs.items():
        owner = t_units[ti].owner
        if ri >= 0:
            matched.setdefault(owner, []).append(ri)
        else:
            ri = -ri - 1
            misheard.setdefault(owner, []).append(ri)
        claimed[ri] = True

    timings: list[WordTiming | None] = [None] * len(transcript.tokens)
    for token in transcript.tokens:
        if token.is_note:
            timings[token.index] = WordTiming(token.index, "note")
        elif token.index in matched or token.index in misheard:
            rs = sorted(matched.get(token.index, []) + misheard.get(token.index, []))
            status: Status = "matched" if token.index in matched else "misheard"
            confidence = min(words[r_units[r].owner].probability for r in rs)
            if status == "misheard":
                confidence *= 0.5
            timings[token.index] = WordTiming(token.index, status, round(r_units[rs[0]].start, 3),
                                              round(r_units[rs[-1]].end, 3),
                                              round(confidence, 3))

    fill_gaps(transcript, timings, t_units, r_units, claimed, verifier)
    # Whisper's loops over speech it cannot make out are not speech the transcript lacks
    unscripted = [s for s in _unscripted_spans(r_units, claimed, words) if not repeats_itself(s.heard)]
    if verifier is not None:  # Whisper sometimes invents text over speech it cannot make out: keep what the audio fits
        unscripted = [s for s in unscripted if fits(verifier, s.heard.split(), s.start, s.end)]
    taken = {u.owner for u, c in zip(r_units, claimed) if c}
    unclaimed = [k for k in range(len(words)) if k not in taken]
    timings = [t for t in timings if t is not None]
    sentences_resume_after(transcript, timings, unscripted)
    return Alignment(transcript, words, timings, unscripted, unclaimed)


def _unpair_guesses_at_long_gaps(pairs: dict[int, int], t_texts: list[str], r_texts: list[str]) -> None:
    """Drop the guesses (mishearings, units only spelt alike: "they" heard as "the", and ``COMMON`` words) paired
    at the edge of a long stretch of recognised speech that nothing matches (an ad read, or a passage misheard past
    recognition): the alignment cannot tell at which end of the stretch they belong, so the gap filling
    decides, from what was heard at both ends.

    >>> pairs = {0: 0, 1: -2, 2: 12, 3: 13}  # unit 1 paired as heard differently at 1, then 10 units unmatched
    >>> _unpair_guesses_at_long_gaps(pairs, list("wxyz"), list("wq") + ["?"] * 10 + list("yz"))
    >>> sorted(pairs)
    [0, 2, 3]
    >>> pairs = {0: 0, 1: 1, 2: 12, 3: 13}  # the same with unit 1 spelt alike: "they" heard as "the"...
    >>> heard = ["now", "the"] + ["?"] * 10 + ["went", "on"]
    >>> _unpair_guesses_at_long_gaps(pairs, ["now", "they", "went", "on"], heard)
    >>> sorted(pairs)
    [0, 2, 3]
    >>> pairs = {0: 0, 1: 2, 2: 13, 3: 14}  # ... or "the" heard alone, but not "the" heard in "the show"
    >>> heard = ["now", "uh", "the"] + ["?"] * 10 + ["show", "on"]
    >>> _unpair_guesses_at_long_gaps(pairs, ["now", "the", "show", "on"], heard)
    >>> sorted(pairs)
    [0, 2, 3]
    >>> pairs = {0: 0, 1: 1, 2: 12, 3: 13}
    >>> heard = ["the", "show"] + ["?"] * 10 + ["went", "on"]
    >>> _unpair_guesses_at_long_gaps(pairs, ["the", "show", "went", "on"], heard)
    >>> sorted(pairs)
    [0, 1, 2, 3]
    """
    order = sorted(pairs)
    heard = [pairs[t] if pairs[t] >= 0 else -pairs[t] - 1 for t in order]
    exact = [pairs[t] >= 0 and t_texts[t] == r_texts[pairs[t]] for t in order]
    # COMMON words heard as written are guesses unless their run of exact matches holds another word
    guess = [not e for e in exact]
    for k, j in _runs(order, heard, exact):
        if all(t_texts[t] in COMMON for t in order[k:j + 1]):
            guess[k:j + 1] = [True] * (j + 1 - k)
    for k, j in _runs(order, heard, guess):
        skipped_before = heard[k] - (heard[k - 1] if k else -1) - 1
        skipped_after = (heard[j + 1] if j + 1 < len(order) else heard[j] + 1) - heard[j] - 1
        if max(skipped_before, skipped_after) >= LONG_GAP_UNITS:
            for t in order[k:j + 1]:
                del pairs[t]


def _unpair_guesses_past_the_ends(pairs: dict[int, int], paragraph: list[int]) -> None:
    """Drop the mishearings paired after the last matched unit (or before the first) that lie in another paragraph
    than that unit: nothing matched on their far side says the text goes on there, and a paragraph the
    speech does not reach (the page's "Click to comment" after the interview's last words, paired with what free
    decoding made of the silence after them) is left whole, for the gap filling to find said or not in the audio.

    >>> pairs = {0: 0, 1: 1, 2: -3, 3: -4}  # "pleasure, Ben." heard as "pleasure, your men": "Click" is misheard
    >>> _unpair_guesses_past_the_ends(pairs, [0, 0, 0, 1]); pairs
    {0: 0, 1: 1, 2: -3}
    >>> pairs = {0: -1, 1: 1, 2: 2}  # before the first matched unit, in a paragraph of its own
    >>> _unpair_guesses_past_the_ends(pairs, [0, 1, 1]); pairs
    {1: 1, 2: 2}
    """
    matched = [t for t in sorted(pairs) if pairs[t] >= 0]
    if not matched:
        return
    first, last = matched[0], matched[-1]
    for t in [t for t in pairs if pairs[t] < 0 and (t > last and paragraph[t] != paragraph[last]
                                                   or t < first and paragraph[t] != paragraph[first])]:
        del pairs[t]


def _take_repeats_not_misheard(pairs: dict[int, int], t_texts: list[str], r_texts: list[str],
                               owners: list[int]) -> None:
    """A word heard twice in a row ("think, think") whose first saying the text's word took, and whose second a
    mishearing of the next word took ("how you think, think the U.S." for "how you think the U.S."): the word takes
    the later saying, as a repeat does where nothing else takes it (``refine``'s HMM then aligns both sayings), and
    the next word is left to the gap filling. ``owners``: each transcript unit's token (a word of several units is
    not its own repeat).

    >>> pairs = {0: 0, 1: 1, 2: -3, 3: 3}  # "you think the U" heard as "you think think U"
    >>> _take_repeats_not_misheard(pairs, ["you", "think", "the", "u"], ["you", "think", "think", "u"], [0, 1, 2, 3])
    >>> pairs
    {0: 0, 1: 2, 3: 3}
    """
    for ti in sorted(pairs):
        ri = pairs.get(ti)
        if ri is None or ri >= 0 or ti == 0 or owners[ti - 1] == owners[ti]:
            continue
        ri = -ri - 1
        if ri and pairs.get(ti - 1) == ri - 1 and r_texts[ri] == t_texts[ti - 1] == r_texts[ri - 1]:
            pairs[ti - 1] = ri
            del pairs[ti]


def _unpair_displaced_islands(pairs: dict[int, int]) -> None:
    """Drop the pairs of a short run (under ``ANCHOR_LENGTH`` units) that lies between recognised speech nothing
    matches on one side and unheard text on the other: "they organize" paired with a "they have" heard seconds
    after the "they" that was meant, at the end of a passage misheard past recognition. Such a run pulls the
    text after it away from the speech it was heard in; unpaired, the whole passage is timed by the gap filling
    from what was heard between its neighbours.

    >>> pairs = {0: 0, 1: 13, 2: 14, 10: 15}  # 12 units heard after unit 0, then 7 units of text unheard
    >>> _unpair_displaced_islands(pairs); sorted(pairs)
    [0, 10]
    """
    order = sorted(pairs)
    heard = [pairs[t] if pairs[t] >= 0 else -pairs[t] - 1 for t in order]
    for k, j in _runs(order, heard, [True] * len(order)):
        if j - k + 1 >= ANCHOR_LENGTH or k == 0 or j + 1 == len(order):
            continue
        lead = (order[k] - order[k - 1]) - (heard[k] - heard[k - 1])  # text (+) or speech (-) left over before
        trail = (order[j + 1] - order[j]) - (heard[j + 1] - heard[j])  # ... and after the run
        if _opposite_leftovers(lead, trail):
            for t in order[k:j + 1]:
                del pairs[t]


MAX_PULLED = 8  # units at most moved across a gap to rejoin their paragraph (an echo of a few words)
EXTRA_HEARD = 2  # units no text took that may lie between a moved run and the paragraph it rejoins


def _keep_paragraphs_whole(pairs: dict[int, int], t_texts: list[str], r_texts: list[str],
                           paragraph: list[int]) -> None:
    """Move the last (or first) words of a paragraph back to their paragraph's side of a long stretch of speech
    the text lacks, where they were heard there too, word for word. A paragraph cut from the text whose speech
    ends by saying again the last words before it (a speaker coming back to a point) offers those words a
    second place, run on into the next paragraph; taken there they would jump across the cut speech. Adjacent
    text in one paragraph is adjacent speech: the stretch the text lacks falls at the paragraph's boundary.

    >>> heard = ["the", "meeting", "cut", "speech", "of", "many", "more", "units", "the", "meeting", "next"]
    >>> pairs = {0: 0, 1: 9, 2: 10}   # "meeting" paired with its echo at the end of the cut speech
    >>> _keep_paragraphs_whole(pairs, ["the", "meeting", "next"], heard, [0, 0, 1]); pairs
    {0: 0, 1: 1, 2: 10}
    >>> heard = ["end", "next", "words", "cut", "speech", "of", "many", "units", "next", "words", "go"]
    >>> pairs = {0: 0, 1: 1, 2: 2, 3: 10}   # a paragraph's first words paired with a saying before the cut
    >>> _keep_paragraphs_whole(pairs, ["end", "next", "words", "go"], heard, [0, 1, 1, 1]); pairs
    {0: 0, 1: 8, 2: 9, 3: 10}
    >>> heard = ["to", "the", "maliverian", "doctrine", "cut", "speech", "of", "many", "more", "units",
    ...          "malefarian", "doctrine", "and"]   # with a word between misheard both times, left unpaired
    >>> pairs = {0: 0, 1: 1, 3: 11, 4: 12}
    >>> _keep_paragraphs_whole(pairs, ["to", "the", "bolivarian", "doctrine", "and"], heard, [0, 0, 0, 0, 1])
    >>> pairs
    {0: 0, 1: 1, 3: 3, 4: 12}
    >>> heard = ["the", "in", "los", "angeles", "cut", "speech", "of", "many", "more", "units", "los", "angeles",
    ...          "you"]   # "americas" not heard before the cut: the run is heard one unit nearer than expected
    >>> pairs = {0: 0, 3: 10, 4: 11, 5: 12}
    >>> _keep_paragraphs_whole(pairs, ["the", "americas", "in", "los", "angeles", "you"], heard, [0, 0, 0, 0, 0, 1])
    >>> pairs
    {0: 0, 3: 2, 4: 3, 5: 12}
    """
    taken = {r if r >= 0 else -r - 1 for r in pairs.values()}
    order = sorted(pairs)
    for a, b in zip(order, order[1:]):
        ra, rb = pairs[a], pairs[b]
        between = b - a - 1  # text units left unpaired between them: each takes a recognised unit where it moves
        if ra < 0 or rb < 0 or rb - ra - 1 - between < LONG_GAP_UNITS or paragraph[a] != paragraph[b]:
            continue
        # forward: b.. to the end of a's paragraph, paired in a row after the gap, heard right after a too
        run = list(range(b, min(len(paragraph), b + MAX_PULLED + 1)))
        run = run[:next((n for n, t in enumerate(run) if paragraph[t] != paragraph[a]), len(run))]
        if run and (run[-1] + 1 == len(paragraph) or paragraph[run[-1] + 1] != paragraph[a]) and \
                any(_moves(pairs, taken, t_texts, r_texts, run, ra + 1 + between + d)
                    for d in _slack(between, run, t_texts)):
            continue
        # backward: ..a from the start of b's paragraph, paired in a row before the gap, heard right before b too
        run = list(range(max(0, a - MAX_PULLED), a + 1))
        run = run[next((n for n, t in reversed(list(enumerate(run))) if paragraph[t] != paragraph[b]), -1) + 1:]
        if run and (run[0] == 0 or paragraph[run[0] - 1] != paragraph[b]):
            any(_moves(pairs, taken, t_texts, r_texts, run, rb - between - len(run) - d)
                for d in _slack(between, run, t_texts))


def _slack(between: int, run: list[int], t_texts: list[str]) -> list[int]:
    """How far from where it is expected a run moved back to its paragraph may be heard, nearest first: one or
    two of the ``between`` unpaired units may have gone unheard, or a unit or two no text took (a filler) may be
    there. Only a run with a word that is not common may be looked for off its place.

    >>> _slack(5, [0, 1], ["los", "angeles"]), _slack(1, [0, 1], ["los", "angeles"]), _slack(5, [0], ["and"])
    ([0, -1, 1, -2, 2], [0, -1, 1, 2], [0])
    """
    if all(t_texts[t] in COMMON for t in run):
        return [0]
    return sorted(range(-min(between, EXTRA_HEARD), EXTRA_HEARD + 1), key=lambda d: (abs(d), d))


def _moves(pairs: dict[int, int], taken: set[int], t_texts: list[str], r_texts: list[str], run: list[int],
           first: int) -> bool:
    """Pair the units ``run`` with the recognised units from ``first`` on, where each of those is the same word
    and no unit took it; the run's units must be paired now, in a row, each exactly. Returns whether they moved."""
    if first < 0 or any(pairs.get(t, -1) < 0 or pairs[t] != pairs[run[0]] + n for n, t in enumerate(run)):
        return False
    targets = range(first, first + len(run))
    if targets[-1] >= len(r_texts) or any(r in taken or r_texts[r] != t_texts[t] for r, t in zip(targets, run)):
        return False
    for r, t in zip(targets, run):
        taken.discard(pairs[t])
        pairs[t] = r
        taken.add(r)
    return True


def _runs(order: list[int], heard: list[int], member: list[bool]) -> list[tuple[int, int]]:
    """(first, last) positions of each longest run of members in a row on both sides: transcript units
    ``order`` (ascending) paired with recognised units ``heard``.

    >>> _runs([1, 2, 3, 5, 6], [10, 11, 13, 14, 15], [True] * 5)
    [(0, 1), (2, 2), (3, 4)]
    """
    runs: list[tuple[int, int]] = []
    for k in range(len(order)):
        if not member[k]:
            continue
        if runs and runs[-1][1] == k - 1 and order[k] == order[k - 1] + 1 and heard[k] == heard[k - 1] + 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


SPARSE_SHARE = 0.3  # a paragraph with fewer of its units heard as written has only chance matches


def _drop_sparse_paragraphs(transcript: Transcript, t_units: list[_Unit], pairs: dict[int, int]) -> None:
    """Forget the matches of paragraphs that are mostly unmatched ("the", "of the" found by chance in page
    text or a cut paragraph), so the whole paragraph is judged as one passage. A paragraph that holds
    ``ANCHOR_LENGTH`` units heard in a row as written was said, however badly the rest was heard.

    >>> from align.transcript import parse_transcript
    >>> t = parse_transcript("A: one two three four five six seven eight nine ten eleven twelve thirteen fourteen")
    >>> units = _transcript_units(t)
    >>> chance = {0: 0, 5: 9}; _drop_sparse_paragraphs(t, units, chance); chance
    {}
    >>> heard = {0: 0, 1: 1, 2: 2, 3: 3}; _drop_sparse_paragraphs(t, units, heard); sorted(heard)
    [0, 1, 2, 3]
    """
    units: dict[int, list[int]] = {}
    for k, u in enumerate(t_units):
        units.setdefault(transcript.tokens[u.owner].paragraph, []).append(k)
    for members in units.values():
        exact = [k for k in members if pairs.get(k, -1) >= 0]
        if len(members) < 4 or len(exact) >= SPARSE_SHARE * len(members):
            continue
        if any(j - k + 1 >= ANCHOR_LENGTH for k, j in _runs(exact, [pairs[k] for k in exact], [True] * len(exact))):
            continue
        for k in members:
            pairs.pop(k, None)


def _unscripted_spans(r_units: list[_Unit], claimed: list[bool], words: list[RecognisedWord],
                      min_units: int = 5, min_seconds: float = 1.5, max_pause: float = 2.0) -> list[UnscriptedSpan]:
    """Runs of unclaimed recognised speech long enough to be more than a filler or a slip."""
    spans: list[UnscriptedSpan] = []
    run: list[_Unit] = []

    def close() -> None:
        content = [u for u in run if u.text not in FILLERS]
        if len(content) >= min_units and run[-1].end - run[0].start >= min_seconds:
            owners = sorted({u.owner for u in run})
            heard = " ".join(words[o].text.strip() for o in owners)
            spans.append(UnscriptedSpan(round(run[0].start, 3), round(run[-1].end, 3), heard))
        run.clear()

    for unit, taken in zip(r_units, claimed):
        if taken or (run and unit.start - run[-1].end > max_pause):
            close()
        if not taken:
            run.append(unit)
    close()
    return spans
