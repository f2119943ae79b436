"""Group aligned words into caption cues that follow subtitle practice.

A new cue starts at every speaker change and after a long pause. Within such a block, cue boundaries are
chosen by dynamic programming over the words: every cue must fit ``max_lines`` lines of ``max_chars`` and
``max_duration`` seconds; among the layouts that fit, the one with the cheapest breaks wins (sentence ends
are free, clause punctuation cheap, breaks before conjunctions and prepositions dearer, breaks inside a
phrase such as after an article dearest), with a small cost per cue so cues are not needlessly short.

>>> words = [CaptionWord(i, w, i * 0.4, i * 0.4 + 0.3, "Ann") for i, w in enumerate("Hi there. How are you?".split())]
>>> [(c.speaker, c.lines, c.start, c.end) for c in make_cues(words)]
[('Ann', ['Hi there. How are you?'], 0.0, 1.9)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CaptionStyle", "CaptionWord", "Cue", "make_cues", "caption_words", "STYLES"]


@dataclass(frozen=True)
class CaptionStyle:
    max_chars: int = 42
    max_lines: int = 2
    max_duration: float = 7.0
    min_duration: float = 0.83
    max_cps: float = 20.0
    min_gap: float = 0.08  # about two frames between cues that do not touch
    pause: float = 1.5  # a longer silence always ends a cue
    linger: float = 0.5  # how long a cue may stay up after its last word, to be read


STYLES = {
    "default": CaptionStyle(),
    "podcasting2": CaptionStyle(max_chars=65, max_lines=1),
}


@dataclass(frozen=True)
class CaptionWord:
    """One shown word: a transcript token with its time, or a note shown beside its neighbours."""

    token: int
    text: str
    start: float
    end: float
    speaker: str | None
    paragraph: int = 0


@dataclass
class Cue:
    start: float
    end: float
    speaker: str | None
    lines: list[str]
    words: list[CaptionWord] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def caption_words(alignment) -> list[CaptionWord]:
    """The words to show, in transcript order: every token spoken in the audio, and every note placed
    beside the spoken word before it in its paragraph (or after it, at a paragraph's start)."""
    transcript = alignment.transcript
    tokens = transcript.tokens
    shown: list[CaptionWord] = []
    pending_notes: list[int] = []
    for timing in alignment.timings:
        token = tokens[timing.token]
        if timing.status == "note":
            if shown and shown[-1].paragraph == token.paragraph:
                last = shown[-1]
                shown.append(CaptionWord(token.index, token.text, last.end, last.end, last.speaker, token.paragraph))
            else:
                pending_notes.append(token.index)
            continue
        if timing.start is None:
            continue
        speaker = transcript.speaker_of(token)
        for note in pending_notes:
            if tokens[note].paragraph == token.paragraph:
                shown.append(CaptionWord(note, tokens[note].text, timing.start, timing.start, speaker,
                                         token.paragraph))
        pending_notes.clear()
        shown.append(CaptionWord(token.index, token.text, timing.start, max(timing.start, timing.end), speaker,
                                 token.paragraph))
    return shown


_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:–—][\"'”’)\]]*$|^[–—-]+$")
_BEFORE_BREAK = {  # a break before these words is natural
    "and", "but", "or", "nor", "so", "yet", "because", "although", "though", "while", "whereas", "if", "when",
    "which", "who", "whom", "whose", "that", "where", "until", "unless", "since", "after", "before", "to",
    "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "through", "over", "under",
    "between", "against", "without", "during", "like"}
_NO_BREAK_AFTER = {  # a break after these words splits a phrase
    "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "its", "our", "their",
    "i", "we", "you", "he", "she", "they", "it", "mr.", "mrs.", "ms.", "dr.", "very", "more", "most", "not",
    "no", "to", "of", "in", "on", "at", "for", "with", "from", "by", "and", "or", "but", "is", "are", "was",
    "were", "be", "will", "would", "can", "could", "should", "have", "has", "had", "do", "does", "did"}


def break_cost(left: str, right: str | None) -> float:
    """What it costs to end a line or cue between two words (``right`` None: the block ends here).

    >>> break_cost("done.", "Then"), break_cost("well,", "I"), break_cost("go", "and"), break_cost("the", "man")
    (0.0, 1.0, 2.5, 8.0)
    """
    if right is None or _SENTENCE_END.search(left):
        return 0.0
    if _CLAUSE_END.search(left):
        return 1.0
    plain_left = left.lower().strip("\"'“”‘’([")
    cost = 5.0
    if right.lower().strip("\"'“”‘’([") in _BEFORE_BREAK:
        cost = 2.5
    if plain_left in _NO_BREAK_AFTER:
        cost += 3.0
    if left[:1].isupper() and right[:1].isupper() and plain_left not in _NO_BREAK_AFTER:
        cost += 3.0  # a first and a last name
    if re.search(r"\d$", left) and not _CLAUSE_END.search(left):
        cost += 3.0  # a number and its unit
    if right.startswith("["):
        cost += 2.0  # a note stays with the words before it
    return cost


def _layout(texts: list[str], max_chars: int, max_lines: int) -> list[str] | None:
    """Best split of words into at most max_lines lines of at most max_chars, or None if none fits."""
    line = " ".join(texts)
    if len(line) <= max_chars:
        return [line]
    if max_lines < 2:
        return None
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(texts)):
        first = " ".join(texts[:k])
        if len(first) > max_chars:
            break
        rest = _layout(texts[k:], max_chars, max_lines - 1)
        if rest is None:
            continue
        cost = break_cost(texts[k - 1], texts[k]) + abs(len(first) - len(rest[0])) / max_chars
        if best is None or cost < best[0]:
            best = (cost, [first] + rest)
    return best[1] if best else None


def _split_long_words(words: list[CaptionWord], max_chars: int) -> list[CaptionWord]:
    """A single word longer than a line (a URL) is cut into line-sized pieces sharing its time."""
    out: list[CaptionWord] = []
    for w in words:
        if len(w.text) <= max_chars:
            out.append(w)
            continue
        pieces = [w.text[k:k + max_chars] for k in range(0, len(w.text), max_chars)]
        step = (w.end - w.start) / len(pieces)
        for k, piece in enumerate(pieces):
            out.append(CaptionWord(w.token, piece, w.start + k * step, w.start + (k + 1) * step, w.speaker,
                                   w.paragraph))
    return out


def _blocks(words: list[CaptionWord], style: CaptionStyle) -> list[list[CaptionWord]]:
    blocks: list[list[CaptionWord]] = []
    for w in words:
        if blocks and w.speaker == blocks[-1][-1].speaker and w.start - blocks[-1][-1].end <= style.pause:
            blocks[-1].append(w)
        else:
            blocks.append([w])
    return blocks


CUE_COST = 3.0


def _segment(block: list[CaptionWord], style: CaptionStyle) -> list[tuple[int, int, list[str]]]:
    """Cheapest split of one block into cues: (first, stop, lines) for each."""
    n = len(block)
    texts = [w.text for w in block]
    best = [0.0] + [float("inf")] * n
    choice: list[tuple[int, list[str]] | None] = [None] * (n + 1)
    max_words = style.max_chars * style.max_lines // 2 + 1
    for j in range(1, n + 1):
        right = texts[j] if j < n else None
        end_cost = break_cost(texts[j - 1], right) if right is not None else 0.0
        if right is not None and block[j].paragraph != block[j - 1].paragraph:
            end_cost = 0.0
        for i in range(j - 1, max(-1, j - 1 - max_words), -1):
            if best[i] == float("inf"):
                continue
            duration = block[j - 1].end - block[i].start
            if duration > style.max_duration and i < j - 1:
                break
            lines = _layout(texts[i:j], style.max_chars, style.max_lines)
            if lines is None:
                if i < j - 1:
                    break
                lines = [texts[i]]
            chars = sum(len(line) for line in lines)
            cost = best[i] + end_cost + CUE_COST
            if duration < style.min_duration:
                cost += 1.0
            cps = chars / max(duration + style.linger, 0.3)
            if cps > style.max_cps:
                cost += (cps - style.max_cps) * 0.3
            if len(lines) > 1:
                cost += 0.5
            if cost < best[j]:
                best[j] = cost
                choice[j] = (i, lines)
    cues = []
    j = n
    while j > 0:
        i, lines = choice[j]
        cues.append((i, j, lines))
        j = i
    return cues[::-1]


def make_cues(words: list[CaptionWord], style: CaptionStyle = CaptionStyle()) -> list[Cue]:
    """Cues for the shown words, timed to the speech and held a little longer where there is time to read."""
    words = _split_long_words(words, style.max_chars)
    cues: list[Cue] = []
    for block in _blocks(words, style):
        for i, j, lines in _segment(block, style):
            part = block[i:j]
            start = part[0].start
            end = min(max(w.end for w in part), start + style.max_duration)
            cues.append(Cue(round(start, 3), round(end, 3), part[0].speaker, lines, part))
    _time_cues(cues, words, style)
    return cues


def _time_cues(cues: list[Cue], words: list[CaptionWord], style: CaptionStyle) -> None:
    """Hold each cue for reading time (minimum duration, reading speed) into the silence after it, never
    past the next cue; leave either no gap or at least ``min_gap`` between cues; keep starts increasing."""
    for k, cue in enumerate(cues):
        next_start = cues[k + 1].start if k + 1 < len(cues) else float("inf")
        chars = len(cue.text.replace("\n", " "))
        wanted = max(style.min_duration, chars / style.max_cps)
        limit = min(cue.end + style.linger, cue.start + style.max_duration)
        end = min(max(cue.end, cue.start + wanted), limit)
        if end > next_start - style.min_gap:
            end = next_start if next_start - cue.end < style.min_gap else max(cue.end, next_start - style.min_gap)
            end = min(end, next_start)
        if end <= cue.start:
            end = cue.start + 0.001 if next_start == float("inf") else min(cue.start + 0.001, next_start)
        cue.end = round(end, 3)
    for k in range(1, len(cues)):
        if cues[k].start < cues[k - 1].end:
            cues[k].start = cues[k - 1].end
            if cues[k].end <= cues[k].start:
                cues[k].end = round(cues[k].start + 0.001, 3)
