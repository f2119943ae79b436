"""The transcript words the recogniser did not hear as written, decided run by run (a stage of
``align.aligner.align_words``, after the pairing): said, and timed from what was heard between their neighbours or
by checking the passage against the audio, or not in the audio; and the first words of a sentence kept with the
rest of it across speech the transcript lacks.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import replace

from align.aligner import (FASTEST_UNIT, FILLERS, FIT_PROBABILITY, LONG_GAP_UNITS, MIN_TIMING_FIT, PARAGRAPH_FIT,
                           SECONDS_PER_UNIT, SLOW_UNIT, UnscriptedSpan, Verifier, WordTiming, _Unit, time_to_say)
from align.transcript import Transcript

__all__ = ["fill_gaps", "fits", "sentences_resume_after"]


def fill_gaps(transcript: Transcript, timings: list[WordTiming | None], t_units: list[_Unit],
               r_units: list[_Unit], claimed: list[bool], verifier: Verifier | None) -> None:
    """Decide each run of unpaired tokens: spoken (times from what was heard there) or not in the audio."""
    gaps = _Gaps(transcript.tokens, timings, t_units, r_units, claimed, verifier)
    members: dict[int, list[int]] = {}  # each paragraph's words (not its notes)
    for t in transcript.tokens:
        if not t.is_note:
            members.setdefault(t.paragraph, []).append(t.index)
    for run in _unpaired_runs(timings):
        gaps.decide(run, _pieces(transcript.tokens, run, members))


def _unpaired_runs(timings: list[WordTiming | None]) -> list[list[int]]:
    """Runs of consecutive tokens without a time (notes between them do not break a run)."""
    runs: list[list[int]] = []
    k = 0
    while k < len(timings):
        if timings[k] is not None:
            k += 1
            continue
        run = [k]
        k += 1
        while k < len(timings) and (timings[k] is None or timings[k].status == "note"):
            if timings[k] is None:
                run.append(k)
            k += 1
        runs.append(run)
    return runs


def _pieces(tokens, run: list[int], members: dict[int, list[int]]) -> list[tuple[list[int], bool]]:
    """Split a run into the part of a paragraph it starts in, the whole paragraphs it covers, and the part of a
    paragraph it ends in; True marks whole paragraphs (possibly cut from the audio as a passage). ``members``:
    each paragraph's words (not its notes)."""
    inside = set(run)

    def whole(paragraph: int) -> bool:
        return all(i in inside for i in members.get(paragraph, ()))

    pieces: list[tuple[list[int], bool]] = []
    for i in run:
        w = whole(tokens[i].paragraph) if not pieces or tokens[pieces[-1][0][-1]].paragraph != tokens[i].paragraph \
            else pieces[-1][1]
        if pieces and pieces[-1][1] == w and (w or tokens[pieces[-1][0][-1]].paragraph == tokens[i].paragraph):
            pieces[-1][0].append(i)
        else:
            pieces.append(([i], w))
    return pieces


class _Gaps:
    def __init__(self, tokens, timings, t_units, r_units, claimed, verifier):
        self.tokens, self.timings, self.r_units = tokens, timings, r_units
        self.claimed, self.verifier = claimed, verifier
        self.units_of: dict[int, list[str]] = {}
        for u in t_units:
            self.units_of.setdefault(u.owner, []).append(u.text)
        self.starts = [u.start for u in r_units]

    def decide(self, run: list[int], pieces: list[tuple[list[int], bool]]) -> None:
        """Judge a run piece by piece (whole paragraphs may be cut from the audio; parts of paragraphs were
        said), then time the spoken tokens together."""
        tokens, timings, r_units = self.tokens, self.timings, self.r_units
        before = next((timings[j] for j in range(run[0] - 1, -1, -1)
                       if timings[j] is not None and timings[j].start is not None), None)
        after = next((timings[j] for j in range(run[-1] + 1, len(tokens))
                      if timings[j] is not None and timings[j].start is not None), None)
        lo = before.end if before else 0.0
        hi = after.start if after else (r_units[-1].end if r_units else 0.0)
        hi = max(lo, hi)
        units = {i: len(self.units_of.get(i, [])) for i in run}
        a = bisect.bisect_left(self.starts, lo - 1e-6)
        b = bisect.bisect_left(self.starts, hi - 1e-6)
        free = [i for i in range(a, b) if not self.claimed[i] and r_units[i].text not in FILLERS]
        any_whole = any(whole for _, whole in pieces)
        long = sum(units.values()) >= LONG_GAP_UNITS

        fit_of: dict[int, float] = {}
        room = hi - lo
        if all(whole and room < FASTEST_UNIT * sum(units[i] for i in piece) for piece, whole in pieces):
            for i in run:  # whole paragraphs, none of which fits the gap even spoken at the fastest: not said
                timings[i] = WordTiming(i, "not_in_audio")
            return
        if self.verifier is not None and (long or any_whole):
            timed = self.verifier([tokens[i].text for i in run], lo - 0.5, hi + 0.5)
            fit_of = {i: t[2] for i, t in zip(run, timed)}
        spoken: list[int] = []
        for piece, whole in pieces:
            piece_units = sum(units[i] for i in piece)
            if not whole or piece_units == 0:
                spoken += piece
                continue
            can_fit = hi - lo >= FASTEST_UNIT * piece_units
            if self.verifier is not None:
                fit = sum(fit_of[i] for i in piece) / len(piece)
                said = can_fit and fit >= PARAGRAPH_FIT
            else:
                heard = _best_heard([u for i in piece for u in self.units_of.get(i, [])],
                                    _groups(free, r_units), r_units)
                busy = sum(r_units[i].end - r_units[i].start for i in free)
                said = can_fit and bool(heard or (before is not None and after is not None and
                                                  hi - lo - busy >= SECONDS_PER_UNIT * piece_units))
            if said:
                spoken += piece
            else:
                for i in piece:
                    timings[i] = WordTiming(i, "not_in_audio")
        if spoken:
            self._time(spoken, lo, hi, free, timed if len(spoken) == len(run) and fit_of else None)

    def _time(self, run: list[int], lo: float, hi: float, free: list[int], timed: list | None) -> None:
        tokens, timings, r_units = self.tokens, self.timings, self.r_units
        run_units = [u for i in run for u in self.units_of.get(i, [])]
        if not run_units:  # tokens of punctuation only: shown with their neighbour
            for i in run:
                timings[i] = WordTiming(i, "interpolated", lo, lo, 0.0)
            return
        long = len(run_units) >= LONG_GAP_UNITS
        if long and self.verifier is not None:
            if self._time_around_unrelated(run, lo, hi, free, "".join(run_units)):
                return
            if timed is None:
                timed = self.verifier([tokens[i].text for i in run], lo - 0.5, hi + 0.5)
            fit = sum(t[2] for t in timed) / max(1, len(timed))
            if fit >= MIN_TIMING_FIT:
                for i, (start, end, probability) in zip(run, timed):
                    timings[i] = WordTiming(i, "forced", start, end, round(probability * fit, 3))
                for i in free:
                    self.claimed[i] = True
                return
        heard = _best_heard(run_units, _groups(free, r_units), r_units)
        if heard:
            span = (r_units[heard[0]].start, r_units[heard[-1]].end)
        elif long:
            span = (lo, hi)
        elif 0 < (cut := _after_sentence_end([tokens[i].text for i in run])) < len(run):
            # a sentence ends inside the run: its words go with the neighbour before, the rest with the one after
            # (unheard speech on both sides of an ad, say)
            _spread(run[:cut], tokens, timings, *_quiet_span(lo, hi, _takes(tokens, run[:cut]), starts_paragraph=False))
            _spread(run[cut:], tokens, timings, *_quiet_span(lo, hi, _takes(tokens, run[cut:]), starts_paragraph=True))
            return
        else:
            first_of_paragraph = tokens[run[0]].index == _first_of_line(tokens, run[0])
            span = _quiet_span(lo, hi, _takes(tokens, run), starts_paragraph=first_of_paragraph)
        _spread(run, tokens, timings, span[0], max(span))
        for i in heard:
            self.claimed[i] = True

    def _really_heard(self, group: list[int]) -> bool:
        """Whether recognised speech is in the audio as heard, and not the recogniser's invention (Whisper
        sometimes repeats earlier text over speech it cannot make out): the audio must fit the words."""
        units = [self.r_units[i] for i in group]
        return fits(self.verifier, [u.text for u in units], units[0].start, units[-1].end)

    def _time_around_unrelated(self, run: list[int], lo: float, hi: float, free: list[int], written: str) -> bool:
        """Where the gap also holds speech unlike the run (an ad read between two turns), place the run's
        turns and paragraphs in the stretches around it that fit them best. False if there is no such speech."""
        tokens, r_units = self.tokens, self.r_units
        unrelated = [g for g in _groups(free, r_units)
                     if len(g) >= 5 and _char_similarity(written, "".join(r_units[i].text for i in g)) < 0.35
                     and self._really_heard(g)]
        if not unrelated:
            return False
        windows, start = [], lo
        for g in unrelated:
            windows.append((start, r_units[g[0]].start))
            start = r_units[g[-1]].end
        windows.append((start, hi))
        windows = [(a, b) for a, b in windows if b - a > 0.3]
        pieces: list[list[int]] = []
        for i in run:
            if pieces and tokens[pieces[-1][-1]].paragraph == tokens[i].paragraph:
                pieces[-1].append(i)
            else:
                pieces.append([i])
        units = [sum(len(self.units_of.get(i, [])) for i in piece) for piece in pieces]
        if not windows:  # between two turns (where ads go) the turns' ends were misheard into it; else the run
            # is all misheard and the "unrelated" speech is the run itself
            windows = _edge_windows(lo, hi, units) if tokens[run[0]].turn != tokens[run[-1]].turn else [(lo, hi)]
        if FASTEST_UNIT * sum(units) > sum(b - a for a, b in windows):
            return False  # the run cannot be said around that speech: the "unrelated" speech is the run misheard
        # monotonic assignment of pieces to windows that maximises the summed fit, each piece where it fits in time
        fit = [[float("-inf")] * len(windows) for _ in pieces]
        for p, piece in enumerate(pieces):
            for w, (a, b) in enumerate(windows):
                if FASTEST_UNIT * units[p] <= b - a:
                    timed = self.verifier([tokens[i].text for i in piece], a - 0.3, b + 0.3)
                    fit[p][w] = sum(t[2] for t in timed) / max(1, len(timed)) * len(piece)
        best = [[float("-inf")] * len(windows) for _ in pieces]
        back = [[0] * len(windows) for _ in pieces]
        for p in range(len(pieces)):
            for w in range(len(windows)):
                prior, arg = (0.0, w) if p == 0 else max((best[p - 1][v], v) for v in range(w + 1))
                best[p][w], back[p][w] = prior + fit[p][w], arg
        w = max(range(len(windows)), key=lambda v: best[-1][v])
        if best[-1][w] == float("-inf"):
            return False
        chosen = [0] * len(pieces)
        for p in range(len(pieces) - 1, -1, -1):
            chosen[p] = w
            w = back[p][w]
        placed: list[tuple[float, float]] = []  # the first and last start of the words placed in each window
        for w, (a, b) in enumerate(windows):
            members = [i for p, piece in enumerate(pieces) if chosen[p] == w for i in piece]
            if not members:
                continue
            timed = self.verifier([tokens[i].text for i in members], a - 0.3, b + 0.3)
            window_fit = sum(t[2] for t in timed) / max(1, len(timed))
            for i, (start, end, probability) in zip(members, timed):
                self.timings[i] = WordTiming(i, "forced", start, end, round(probability * window_fit, 3))
            placed.append((min(t[0] for t in timed), max(t[0] for t in timed) + 0.1))
        # speech heard where the run's words were placed is those words misheard, not speech the text lacks: a
        # turn's last words heard as "a certain 15-year-ling prison" before an ad read are not part of the ad
        taken = {i for g in unrelated for i in g if not any(a <= r_units[i].start <= b for a, b in placed)}
        for i in free:
            if i not in taken:
                self.claimed[i] = True
        return True


def _edge_windows(lo: float, hi: float, units: list[int]) -> list[tuple[float, float]]:
    """Where to say a run's pieces when speech unlike them fills the whole gap between its neighbours and the run
    spans two turns: the turns' ends were misheard into that speech, so the first piece is said just after the
    neighbour before, the last just before the neighbour after, each in the time a slow speaker takes.

    >>> _edge_windows(10.0, 30.0, [8, 3])
    [(10.0, 13.5), (28.5, 30.0)]
    >>> _edge_windows(10.0, 12.0, [8, 3])  # no room to tell the ends apart
    [(10.0, 12.0)]
    """
    if len(units) < 2:
        return [(lo, hi)]
    first, last = lo + SLOW_UNIT * units[0] + 0.3, hi - SLOW_UNIT * units[-1] - 0.3
    return [(lo, round(first, 3)), (round(last, 3), hi)] if first <= last else [(lo, hi)]


def _is_passage(tokens, run: list[int]) -> bool:
    """Whether a run of tokens is whole sentences: it starts a paragraph or follows a sentence end, and it
    ends a paragraph or ends a sentence."""
    first, last = run[0], run[-1]
    starts = first == 0 or tokens[first - 1].paragraph != tokens[first].paragraph or bool(
        _SENTENCE_END.search(tokens[first - 1].text))
    ends = last + 1 >= len(tokens) or tokens[last + 1].paragraph != tokens[last].paragraph or bool(
        _SENTENCE_END.search(tokens[last].text))
    return starts and ends


_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")


def _first_of_line(tokens, i: int) -> int:
    while i > 0 and tokens[i - 1].line == tokens[i].line:
        i -= 1
    return i


def _groups(free: list[int], r_units: list[_Unit], pause: float = 1.0) -> list[list[int]]:
    groups: list[list[int]] = []
    for i in free:
        if groups and (i == groups[-1][-1] + 1 or r_units[i].start - r_units[groups[-1][-1]].end < pause):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _best_heard(run_units: list[str], groups: list[list[int]], r_units: list[_Unit]) -> list[int]:
    """The stretch of unclaimed recognised speech that sounds most like the run, if any does.

    A short run takes any nearby speech of about its length; a long one only speech that resembles it in
    spelling (a misheard name), never an unrelated ad read.
    """
    if not groups:
        return []
    written = "".join(run_units)
    best: list[int] = []
    best_score = 0.0
    for first in range(min(len(groups), 12)):
        heard_units: list[int] = []
        for group in groups[first:first + 6]:
            heard_units = heard_units + group
            if len(heard_units) > 2.5 * len(run_units) + 2:
                break
            said = "".join(r_units[i].text for i in heard_units)
            score = _char_similarity(written, said)
            if score > best_score:
                best, best_score = heard_units, score
    short = len(run_units) < LONG_GAP_UNITS
    return best if best_score >= (0.25 if short else 0.45) else []


def _char_similarity(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _takes(tokens, run: list[int]) -> float:
    """About how long the run's words take to say: 0.35 s a word, or by their letters where that is longer.

    >>> from align.transcript import Token
    >>> _takes([Token(0, "of", 1, 0, 0), Token(1, "Secretary", 1, 0, 0), Token(2, "Llorenti,", 1, 0, 0)], [0])
    0.35
    >>> _takes([Token(0, "of", 1, 0, 0), Token(1, "Secretary", 1, 0, 0), Token(2, "Llorenti,", 1, 0, 0)], [1, 2])
    1.29
    """
    return round(max(0.35 * len(run), sum(time_to_say(sum(c.isalnum() for c in tokens[i].text)) for i in run)), 3)


def _quiet_span(lo: float, hi: float, seconds: float, starts_paragraph: bool) -> tuple[float, float]:
    """Where a few words that nobody heard most likely were: next to the neighbour they belong with."""
    length = min(hi - lo, seconds)
    return (hi - length, hi) if starts_paragraph else (lo, lo + length)


def _after_sentence_end(texts: list[str]) -> int:
    """How many of the words come before the last sentence end among them (0 where none ends one).

    >>> _after_sentence_end(["government?", "As", "I"]), _after_sentence_end(["as", "I", "said."])
    (1, 3)
    """
    ends = [k + 1 for k, text in enumerate(texts) if text.rstrip("\"'”’)»").endswith((".", "?", "!"))]
    return ends[-1] if ends else 0


def _spread(run: list[int], tokens, timings: list[WordTiming | None], lo: float, hi: float) -> None:
    """Share [lo, hi] among the run's tokens by their length."""
    lengths = [len(tokens[i].text) + 1 for i in run]
    total = sum(lengths)
    t = lo
    for i, length in zip(run, lengths):
        d = (hi - lo) * length / total
        timings[i] = WordTiming(i, "interpolated", round(t, 3), round(t + d, 3), 0.0)
        t += d


def fits(verifier: Verifier, words: list[str], lo: float, hi: float) -> bool:
    timed = verifier(words, lo - 0.2, hi + 0.2)
    return sum(t[2] for t in timed) / max(1, len(timed)) >= FIT_PROBABILITY


OPENING_GAP = 3.0  # seconds (see _stretched_openings_resume); taken once, not tuned
WEAK = 0.5  # recogniser probability under which a matched word is a weak claim (see sentences_resume_after)


def sentences_resume_after(transcript: Transcript, timings: list[WordTiming], unscripted: list[UnscriptedSpan],
                            most: int = 3) -> None:
    """Move the first words of a sentence from before speech the transcript lacks to after it, where the rest of
    the sentence is said: at most ``most`` words, each only weakly placed (interpolated, misheard, or matched to a
    word the recogniser was unsure of), after a sentence end and in the paragraph that goes on after the span.
    The recogniser that skips an ad (or hears it in pieces) puts the next sentence's first words at the ad's
    start; a sentence is not cut in two by an ad. They are laid out just before the sentence's next word.

    >>> from align.transcript import parse_transcript
    >>> t = parse_transcript("A: Serve us right.\\n\\nB: If your life was a horse.")
    >>> ts = [WordTiming(k, "matched", s, s + 0.2, 0.9) for k, s in enumerate([0.0, 0.3, 0.6])]
    >>> ts += [WordTiming(3, "matched", 1.0, 1.02, 0.2), WordTiming(4, "interpolated", 1.02, 1.2)]
    >>> ts += [WordTiming(k, "matched", s, s + 0.2, 0.9) for k, s in zip(range(5, 9), [9.0, 9.3, 9.6, 9.8])]
    >>> sentences_resume_after(t, ts, [UnscriptedSpan(1.1, 8.0, "an ad")])
    >>> [(t.start, t.end) for t in ts[3:6]]
    [(8.4, 8.7), (8.7, 9.0), (9.0, 9.2)]
    >>> ts[3:5] = [WordTiming(3, "matched", 1.0, 1.02, 0.2), WordTiming(4, "interpolated", 1.02, 1.2)]
    >>> sentences_resume_after(t, ts, [UnscriptedSpan(1.1, 9.2, "an ad ending after the next word")])
    >>> [(t.start, t.end) for t in ts[3:6]]   # still in order
    [(8.9, 8.95), (8.95, 9.0), (9.0, 9.2)]
    """
    spoken = [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"]
    tokens = transcript.tokens
    for span in unscripted:
        after = next((n for n, k in enumerate(spoken) if timings[k].start >= span.end - 0.5), None)
        if not after:
            continue
        run: list[int] = []
        n = after - 1
        while n >= 0 and len(run) <= most and timings[spoken[n]].start < span.start + 0.5:
            k = spoken[n]
            if _SENTENCE_END.search(tokens[timings[k].token].text):
                break
            run.insert(0, k)
            n -= 1
        nxt = timings[spoken[after]]
        if not run or len(run) > most or n < 0 or not _SENTENCE_END.search(tokens[timings[spoken[n]].token].text):
            continue
        if any(tokens[timings[k].token].paragraph != tokens[nxt.token].paragraph for k in run):
            continue
        if any(timings[k].status == "matched" and timings[k].confidence >= WEAK for k in run):
            continue
        # 0.05 s a word at least: the span may end a little after the next word starts
        _lay_out_before(timings, run, nxt.start, min(0.3, max(0.05, (nxt.start - span.end) / len(run))))
    _stretched_openings_resume(tokens, timings, spoken, most)


def _lay_out_before(timings: list[WordTiming], run: list[int], before: float, step: float) -> None:
    """Give the words of ``run`` ``step`` seconds each, in order, ending where the word after them starts."""
    for m, k in enumerate(run):
        start = round(before - step * (len(run) - m), 3)
        timings[k] = replace(timings[k], start=start, end=round(start + step, 3))


def _stretched_openings_resume(tokens, timings: list[WordTiming], spoken: list[int], most: int) -> None:
    """The same for a sentence's first words (at most ``most``, forced or interpolated) stretched from where the
    sentence before ends over a gap of OPENING_GAP seconds or more to the sentence's next word: the audio had no
    clear place for them there (an ad the recogniser heard as text, claimed in part), and a sentence is not
    cut in two by a long pause after its first word.

    >>> from align.transcript import parse_transcript
    >>> t = parse_transcript("A: And U.S. hegemony?\\n\\nB: Yes, first of all.")
    >>> ts = [WordTiming(k, "matched", s, s + 0.3, 0.9) for k, s in enumerate([0.0, 0.4, 0.8])]
    >>> ts += [WordTiming(3, "forced", 1.2, 10.1, 0.2)] + [WordTiming(k, "matched", s, s + 0.3, 0.9)
    ...                                                    for k, s in zip(range(4, 7), [10.0, 10.3, 10.6])]
    >>> _stretched_openings_resume(t.tokens, ts, list(range(7)), 3)
    >>> (ts[3].start, ts[3].end)
    (9.7, 10.0)
    """
    def opening(k: int) -> bool:  # a weakly placed word that does not end its sentence
        return timings[k].status in ("forced", "interpolated") and not _SENTENCE_END.search(
            tokens[timings[k].token].text)

    for n in range(1, len(spoken)):
        if not _SENTENCE_END.search(tokens[timings[spoken[n - 1]].token].text):
            continue
        run = []
        while n + len(run) < len(spoken) and len(run) <= most and opening(spoken[n + len(run)]):
            run.append(spoken[n + len(run)])
        if not run or len(run) > most or n + len(run) >= len(spoken):
            continue
        nxt = timings[spoken[n + len(run)]]
        first, last = timings[run[0]], timings[run[-1]]
        if (nxt.start - first.start < OPENING_GAP or (last.end or last.start) < nxt.start - 0.5
                or any(tokens[timings[k].token].paragraph != tokens[nxt.token].paragraph for k in run)):
            continue
        _lay_out_before(timings, run, nxt.start, 0.3)
