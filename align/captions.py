"""Group aligned words into caption cues that follow subtitle practice.

A new cue starts at every speaker change and after a pause longer than ``CaptionStyle.pause``. Within such a
block, cue boundaries are chosen by dynamic programming over the words: every cue must fit ``max_lines`` lines
of ``max_chars`` and ``max_duration`` seconds of speech; among the layouts that fit, the cheapest wins. Costs:
each break (sentence end free, clause punctuation cheap, before a conjunction or preposition dearer, inside a
phrase dearest, see ``break_cost``), each cue, unbalanced lines, and above all a reading speed over
``max_cps`` for the time the cue can really stay up (held into the silence after it, never over the next speech).

>>> words = [CaptionWord(i, w, i * 0.4, i * 0.4 + 0.3, "Ann") for i, w in enumerate("Hi there. How are you?".split())]
>>> [(c.speaker, c.lines, c.start, c.end) for c in make_cues(words)]
[('Ann', ['Hi there. How are you?'], 0.0, 1.9)]
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import astuple, dataclass, field, fields

from align.errors import UsageError
from align.transcript import note_spans

__all__ = ["CaptionStyle", "CaptionWord", "Cue", "make_cues", "caption_words", "break_cost", "STYLES"]


@dataclass(frozen=True)
class CaptionStyle:
    """Caption limits and timing, in characters and seconds; invalid values raise ``UsageError``.

    >>> CaptionStyle(max_chars=65, max_lines=1).max_cps
    20.0
    >>> CaptionStyle(max_cps=0)
    Traceback (most recent call last):
    ...
    align.errors.UsageError: --max-cps 0: must be greater than 0
    """

    max_chars: int = 42
    max_lines: int = 2
    max_duration: float = 7.0
    min_duration: float = 0.834  # five sixths of a second (20 frames at 24 fps), in whole milliseconds
    max_cps: float = 20.0
    min_gap: float = 0.08  # about two frames between cues that do not touch
    pause: float = 1.5  # a longer silence always ends a cue
    linger: float = 0.5  # how long a cue may stay up after its last word, to be read
    lead_in: float = 0.25  # how early a cue still too fast to read may appear before its first word
    speaker_prefix: bool = False  # a visible "Name:" at each change of speaker, counted in the line length

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            option = "--" + f.name.replace("_", "-")
            if f.name == "speaker_prefix":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise UsageError(f"{option} {value!r}: must be a finite number")
            if f.name in ("max_chars", "max_lines") and value != int(value):
                raise UsageError(f"{option} {value:g}: must be a whole number")
        if self.max_chars < 10:
            raise UsageError(f"--max-chars {self.max_chars:g}: must be at least 10")
        if self.max_duration < 0.1:
            raise UsageError(f"--max-duration {self.max_duration:g}: must be at least 0.1 (seconds)")
        for name in ("max_lines", "max_cps", "pause"):
            if getattr(self, name) <= 0:
                raise UsageError(f"--{name.replace('_', '-')} {getattr(self, name):g}: must be greater than 0")
        for name in ("min_gap", "min_duration", "linger", "lead_in"):
            if getattr(self, name) < 0:
                raise UsageError(f"--{name.replace('_', '-')} {getattr(self, name):g}: must not be negative")
        if self.min_gap >= self.max_duration:
            raise UsageError(f"--min-gap {self.min_gap:g}: must be shorter than --max-duration "
                             f"{self.max_duration:g}")


STYLES = {
    "default": CaptionStyle(),  # Netflix English / BBC practice: 42 x 2, 0.83-7 s, 20 characters a second
    "podcasting2": CaptionStyle(max_chars=65, max_lines=1),  # the Podcasting 2.0 transcript recommendation
    "bbc": CaptionStyle(max_chars=37, max_cps=16.5),  # BBC: 37 characters a line, 160-180 words a minute
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
    """One caption: its time, its speaker, its lines as shown (``label``, the visible ``Name:``, included)."""

    start: float
    end: float
    speaker: str | None
    lines: list[str]
    words: list[CaptionWord] = field(default_factory=list)
    label: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def body(self) -> str:
        """The cue's words on one line, without the speaker label.

        >>> Cue(0.0, 1.0, "Ann", ["Ann: Hello", "there."], label="Ann:").body
        'Hello there.'
        """
        text = " ".join(self.lines)
        return text[len(self.label) + 1:] if self.label and text.startswith(self.label + " ") else text

    def word_lines(self) -> list[list[CaptionWord]]:
        """The cue's words line by line (the label, if any, is not a word).

        >>> w = [CaptionWord(k, t, k, k + 1, "A") for k, t in enumerate("one two three".split())]
        >>> [[x.text for x in line] for line in Cue(0, 3, "A", ["A: one two", "three"], w, "A:").word_lines()]
        [['one', 'two'], ['three']]
        """
        out, k = [], 0
        for n, line in enumerate(self.lines):
            if n == 0 and self.label:
                line = line[len(self.label):]
            count = len(line.split())
            out.append(self.words[k:k + count])
            k += count
        return out


def caption_words(alignment) -> list[CaptionWord]:
    """The words to show, in transcript order: every token spoken in the audio, and every note placed
    beside the spoken word before it in its paragraph (or after it, at a paragraph's start).

    >>> from align.aligner import RecognisedWord, align_words
    >>> from align.transcript import parse_transcript
    >>> t = parse_transcript("A: so [laughs] yes")
    >>> a = align_words(t, [RecognisedWord("so", 0.0, 0.3), RecognisedWord("yes", 0.5, 0.8)])
    >>> [(w.text, w.start) for w in caption_words(a)]
    [('so', 0.0), ('[laughs]', 0.3), ('yes', 0.5)]
    """
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


# ---------------------------------------------------------------------------------------------- where to break

_CLOSERS = "\"'”’)]"
_SENTENCE_END = re.compile(rf"[.?!…][{re.escape(_CLOSERS)}]*$")
_CLAUSE_END = re.compile(rf"[,;:–—][{re.escape(_CLOSERS)}]*$|^[–—-]+$")
_DASH = re.compile(r"^[–—-]+$")
_ABBREVIATION = re.compile(r"^(?:[a-z]\.){2,}$|^(?:mr|mrs|ms|dr|prof|st|mt|jr|sr|vs|etc|no|approx|gen|gov|sen|rep)\.$")
_TITLES = {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "mt.", "gen.", "gov.", "sen.", "rep.", "mr", "mrs", "ms", "dr"}
_BEFORE_BREAK = {  # conjunctions, prepositions and relative words: a break before them is natural
    "and", "but", "or", "nor", "so", "yet", "because", "although", "though", "while", "whereas", "if", "when",
    "which", "who", "whom", "whose", "that", "where", "until", "unless", "since", "after", "before", "to",
    "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "through", "over", "under", "as",
    "between", "against", "without", "during", "like", "than", "then", "whether", "across", "toward",
    "towards", "within", "among", "upon", "around", "behind", "beyond", "despite", "via", "per"}
_DETERMINERS = {  # they belong to the noun after them: never a break after them
    "a", "an", "the", "this", "these", "those", "my", "your", "his", "her", "its", "our", "their", "every",
    "each", "some", "any", "no", "another", "such", "either", "neither", "both", "all", "whose"}
_PRONOUNS = {"i", "we", "you", "he", "she", "they", "it"}  # subject pronouns: never apart from their verb
_AVOID_AFTER = {  # a line or cue ending on these dangles: avoid, but less than splitting a phrase
    "and", "but", "or", "nor", "so", "yet", "because", "if", "when", "which", "who", "that", "where", "to",
    "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "as", "than", "is", "are", "was",
    "were", "be", "been", "am", "will", "would", "can", "could", "should", "shall", "may", "might", "must",
    "have", "has", "had", "do", "does", "did", "not", "very", "more", "most", "less", "just", "also"}
_NUMBERS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fifteen",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "thousand",
    "million", "billion", "trillion", "dozen", "half"}
_MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"}
_ADJECTIVES = {  # common adjectives the suffix rule below misses
    "good", "bad", "new", "old", "big", "small", "great", "little", "large", "long", "short", "high", "low",
    "young", "important", "different", "same", "whole", "real", "true", "full", "free", "strong", "weak",
    "early", "late", "former", "current", "recent", "major", "main", "entire", "certain", "simple", "special",
    "huge", "best", "better", "worst", "worse", "first", "second", "third", "last", "next", "other", "own",
    "many", "few", "several", "black", "white", "red", "green", "blue", "open", "clear", "hard", "easy",
    "dark", "bright", "wrong", "top", "key", "foreign", "private", "common", "poor", "rich", "wide", "deep",
    "human", "single", "double", "ongoing", "vast", "broad", "fair", "fine", "nice", "cold", "hot"}
_ADJECTIVE_ENDING = re.compile(r"(?:ous|ful|[ts]ive|able|ible|ical|ic|al|ian|less|ish|ary|est|ern|ese)$")
_NUMBER = re.compile(r"^[$€£]?\d[\d,.]*%?$")


def _plain(word: str) -> str:
    return word.lower().strip(_CLOSERS + "\"'“‘([")


def _is_adjective(word: str, plain: str) -> bool:
    """A heuristic: a closed list of common adjectives, then endings (-ous, -ful, -ive, -able, -ic, -al, -ian,
    -ish, -est...) on words of six letters or more, and capitalised nationality words (-an, -ese, -ish)."""
    if plain in _ADJECTIVES:
        return True
    if len(plain) >= 6 and _ADJECTIVE_ENDING.search(plain):
        return True
    return word[:1].isupper() and len(plain) >= 5 and plain.endswith(("an", "ese", "ish"))


def _glued(left: str, right: str) -> bool:
    """True where ``left right`` is a unit that a break must never split: an article or adjective and its
    noun, a first and a last name, a pronoun and its verb, a number and its unit, a title and a name."""
    pl, pr = _plain(left), _plain(right)
    if pl in {"a", "an", "the"} or pl in _TITLES:
        return True
    if pr in _BEFORE_BREAK or not any(ch.isalnum() for ch in pr):
        return False
    if pl in _DETERMINERS or pl in _PRONOUNS:
        return True
    if _NUMBER.match(pl) or pl in _NUMBERS or (pl in _MONTHS and _NUMBER.match(pr)):
        return True
    if re.match(r"^(?:[a-z]\.){2,}$", pl) and right[:1].islower():
        return True  # an abbreviation that modifies the noun after it: U.S. government
    if left[:1].isupper() and right[:1].isupper() and pl not in _AVOID_AFTER and pl not in _BEFORE_BREAK:
        return True  # a name: Ben Norton, Secretary Llorenti, Los Angeles
    return _is_adjective(left, pl) and pl not in _AVOID_AFTER and pl not in _BEFORE_BREAK


def is_sentence_end(left: str, right: str | None) -> bool:
    """Whether a sentence ends after ``left`` (an abbreviation before a small letter does not end one).

    >>> is_sentence_end("done.", "Then"), is_sentence_end("U.S.", "government"), is_sentence_end("Dr.", "Who")
    (True, False, False)
    """
    if not _SENTENCE_END.search(left) or _plain(left) in _TITLES:
        return False
    return right is None or not right[:1].islower()


NEVER = 12.0  # a break that splits a unit
AVOID = 3.0  # a break after a word that leans on the next one
INSIDE_NOTE = 1000.0  # a break inside a note of several words: only where the note is longer than a cue


def break_cost(left: str, right: str | None) -> float:
    """What it costs to end a line or cue between two words (``right`` None: the speech stops here).

    Sentence ends first, then clause punctuation, then before conjunctions and prepositions; never inside
    a unit (see ``_glued``), never before a note in brackets or a dash.

    >>> [break_cost(*pair) for pair in [("done.", "Then"), ("well,", "I"), ("go", "and"), ("go", "home")]]
    [0.0, 1.0, 2.5, 5.0]
    >>> [break_cost(*pair) for pair in [("the", "man"), ("Ben", "Norton"), ("we", "went"), ("8", "km")]]
    [17.0, 17.0, 17.0, 17.0]
    >>> break_cost("funny", "[laughs]") > break_cost("and", "then") > break_cost("then", "and")
    True
    """
    if right is None:
        return 0.0
    if is_sentence_end(left, right):
        return 0.0
    stop = _SENTENCE_END.search(left) and not _ABBREVIATION.match(_plain(left))
    cost = 1.0 if stop or _CLAUSE_END.search(left) else None
    if cost is None:
        pl = _plain(left)
        cost = 2.5 if _plain(right) in _BEFORE_BREAK else 5.0
        if _glued(left, right):
            cost += NEVER
        elif pl in _AVOID_AFTER or pl in _DETERMINERS or pl == "such":
            cost += AVOID
    if right.startswith("[") or _DASH.match(right) or not any(ch.isalnum() for ch in right):
        cost += NEVER  # a note, a dash or a lone mark stays with the word before it
    return cost


# ---------------------------------------------------------------------------------------------- lines

BALANCE = 3.0  # cost of two lines differing by a whole line's length
EXTRA_LINE = 0.5  # cost of each line after the first: one line unless it needs two
ORPHAN = 2.0  # a line of one word under a longer one
SENTENCE_INSIDE = 1.5  # a new sentence begun inside a line that runs on past the line's end


def _layout(texts: list[str], breaks: list[float], sentence: list[bool], max_chars: int,
            max_lines: int) -> tuple[float, list[str]] | None:
    """Cheapest split of words into at most ``max_lines`` lines of at most ``max_chars``, or None.

    ``breaks[k]`` is the cost of a break before word k (``breaks[0]`` unused); ``sentence[k]`` whether a
    sentence ends before word k (``sentence[len(texts)]``: after the last word).
    """
    n = len(texts)
    starts = [0]
    for t in texts:
        starts.append(starts[-1] + len(t) + 1)  # a word and the space after it
    ends = [0]
    for k in range(1, n + 1):
        ends.append(ends[-1] + sentence[k])  # ends[k]: sentence ends after words 0..k-1

    def width(a: int, b: int) -> int:
        return starts[b] - starts[a] - 1

    def runs_on(a: int, b: int) -> bool:
        return ends[b - 1] - ends[a] > 0 and not sentence[b]

    memo: dict[tuple[int, int], tuple[float, list[str]] | None] = {}

    def best(a: int, lines: int) -> tuple[float, list[str]] | None:
        if (a, lines) in memo:
            return memo[a, lines]
        result = None
        if width(a, n) <= max_chars:
            result = (SENTENCE_INSIDE * runs_on(a, n), [" ".join(texts[a:])])
        elif lines > 1:
            for b in range(a + 1, n):
                if width(a, b) > max_chars:
                    break
                rest = best(b, lines - 1)
                if rest is None:
                    continue
                first_width, next_width = width(a, b), len(rest[1][0])
                cost = (breaks[b] + EXTRA_LINE + SENTENCE_INSIDE * runs_on(a, b) + rest[0]
                        + BALANCE * abs(first_width - next_width) / max_chars
                        + ORPHAN * ((b - a == 1) + (len(rest[1]) == 1 and n - b == 1)))
                if result is None or cost < result[0]:
                    result = (cost, [" ".join(texts[a:b])] + rest[1])
        memo[a, lines] = result
        return result

    return best(0, max_lines)


class _Layouts:
    """``_layout`` of a block's words i..j-1 for any i and j, as ``lay(i, j)``: ``(cost, stops)``, the index after
    each line's last word, or None; the same choices, made with less work. Layouts that end at the same word
    share it (``_layout``'s choices depend on the words' places in the block, not on where the cue begins), no
    line's text is built until a cue is chosen, and a break is tried only where both sides can fit: the work
    for each word of a block grows with the square of the words a cue can hold, not with its cube."""

    def __init__(self, texts: list[str], breaks: list[float], sentence: list[bool], max_chars: int,
                 max_lines: int):
        self.breaks, self.sentence, self.max_chars, self.max_lines = breaks, sentence, max_chars, max_lines
        self.starts = [0]
        for t in texts:
            self.starts.append(self.starts[-1] + len(t) + 1)  # a word and the space after it
        self.ends = [0]
        for k in range(1, len(texts) + 1):
            self.ends.append(self.ends[-1] + sentence[k])  # ends[k]: sentence ends after words 0..k-1
        self.end = -1
        self.memo: dict[tuple[int, int], tuple[float, tuple[int, ...]] | None] = {}

    def lay(self, i: int, j: int) -> tuple[float, tuple[int, ...]] | None:
        if j != self.end:
            self.end, self.memo = j, {}
        return self._best(i, self.max_lines)

    def _best(self, a: int, lines: int) -> tuple[float, tuple[int, ...]] | None:
        if (a, lines) in self.memo:
            return self.memo[a, lines]
        starts, ends, sentence, breaks = self.starts, self.ends, self.sentence, self.breaks
        n, max_chars = self.end, self.max_chars
        result = None
        if starts[n] - starts[a] - 1 <= max_chars:
            result = (SENTENCE_INSIDE * (ends[n - 1] - ends[a] > 0 and not sentence[n]), (n,))
        elif lines > 1:
            rest_room = (lines - 1) * (max_chars + 1) - 1  # the most the lines after this one can hold
            last = bisect.bisect_right(starts, starts[a] + 1 + max_chars) - 1  # the first line fits up to here
            for b in range(max(a + 1, bisect.bisect_left(starts, starts[n] - 1 - rest_room)), min(last + 1, n)):
                if lines == 2:  # the rest is one line, and fits (b is past the first place where it could not)
                    rest = (SENTENCE_INSIDE * (ends[n - 1] - ends[b] > 0 and not sentence[n]), (n,))
                else:
                    rest = self._best(b, lines - 1)
                    if rest is None:
                        continue
                stops = rest[1]
                cost = (breaks[b] + EXTRA_LINE + SENTENCE_INSIDE * (ends[b - 1] - ends[a] > 0 and not sentence[b])
                        + rest[0] + BALANCE * abs(2 * starts[b] - starts[a] - starts[stops[0]]) / max_chars
                        + ORPHAN * ((b - a == 1) + (len(stops) == 1 and n - b == 1)))
                if result is None or cost < result[0]:
                    result = (cost, (b,) + stops)
        if lines < self.max_lines:  # asked again by longer layouts ending at the same word
            self.memo[a, lines] = result
        return result


# ---------------------------------------------------------------------------------------------- cues

CUE_COST = 3.0  # each cue: prefer fewer, fuller cues
SLOW_FIXED, SLOW_SLOPE = 6.0, 1.5  # a cue read faster than max_cps: a fixed cost plus per character/s over
SHORT = 2.0  # a cue on screen less than min_duration
LONE = 3.0  # a cue of one word, cut from the words around it


def _sanitise(words: list[CaptionWord], piece: int) -> list[CaptionWord]:
    """Words without inner whitespace (so one word is one shown token) or emptiness; a word longer than
    ``piece`` characters, a line (a URL), is cut into pieces that share its time.

    >>> [w.text for w in _sanitise([CaptionWord(0, "a" * 32, 0.0, 1.0, "A"), CaptionWord(1, "b" * 50, 1, 2, "A")], 42)]
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'bbbbbbbb']
    """
    out: list[CaptionWord] = []
    for w in words:
        text = "\u00a0".join(w.text.split())
        if not text:
            continue
        if len(text) <= piece:
            out.append(w if text == w.text else CaptionWord(w.token, text, w.start, w.end, w.speaker, w.paragraph))
            continue
        out += _cut(CaptionWord(w.token, text, w.start, w.end, w.speaker, w.paragraph), piece, piece)
    return out


def _cut(w: CaptionWord, first: int, piece: int) -> list[CaptionWord]:
    """A word cut into a first piece of ``first`` characters and then pieces of ``piece``, sharing its time."""
    parts = [w.text[:first]] + [w.text[k:k + piece] for k in range(first, len(w.text), piece)]
    step = (w.end - w.start) / len(parts)
    return [CaptionWord(w.token, part, w.start + k * step, w.start + (k + 1) * step, w.speaker, w.paragraph)
            for k, part in enumerate(parts)]


def _fit_after_labels(words: list[CaptionWord], style: CaptionStyle) -> list[CaptionWord]:
    """With one line a cue, the first word after a ``Name:`` label shares the line with it: cut it where it is
    longer than what the label leaves of the line (elsewhere a word is cut only where it is longer than a line).

    >>> style = CaptionStyle(max_chars=20, max_lines=1, speaker_prefix=True)
    >>> [w.text for w in _fit_after_labels([CaptionWord(0, "x" * 20, 0.0, 1.0, "Ann")], style)]
    ['xxxxxxxxxxxxxxx', 'xxxxx']
    """
    out: list[CaptionWord] = []
    previous_speaker = object()
    for first, stop in _blocks(words, style):  # as make_cues labels them
        speaker = words[first].speaker
        head = words[first]
        room = style.max_chars - len(label_for(speaker, style.max_chars)) - 1 if speaker else style.max_chars
        if speaker and speaker != previous_speaker and len(head.text) > room:
            out += _cut(head, room, style.max_chars)
        else:
            out.append(head)
        out += words[first + 1:stop]
        previous_speaker = speaker
    return out


def _blocks(words: list[CaptionWord], style: CaptionStyle) -> list[tuple[int, int]]:
    """(first, stop) of each run of words by one speaker without a pause longer than ``style.pause``."""
    blocks: list[tuple[int, int]] = []
    first, latest = 0, -math.inf
    for k, w in enumerate(words):
        if k and (w.speaker != words[k - 1].speaker or w.start - latest > style.pause):
            blocks.append((first, k))
            first, latest = k, -math.inf
        latest = max(latest, w.end)
    if words:
        blocks.append((first, len(words)))
    return blocks


def label_for(speaker: str, max_chars: int) -> str:
    """The visible speaker label, ``Name:``, shortened to at most half a line.

    >>> label_for("Ann", 42), label_for("Dr. Alexandra Ocasio-Cortez the Third", 42)
    ('Ann:', 'Dr. Alexandra Ocasi…:')
    """
    label = f"{speaker}:"
    if len(label) > max_chars // 2:
        label = speaker[:max_chars // 2 - 2].rstrip() + "…:"
    return label


def _cue_end(start: float, last_end: float, chars: int, limit: float, style: CaptionStyle) -> float:
    """When a cue should leave the screen: held into the silence after its words as long as reading needs
    (up to ``linger`` past the speech, or to ``min_duration``), never past ``limit`` (the next speech),
    touching the next cue when it comes within the hold (no flash of an empty screen), at most
    ``max_duration`` after ``start``."""
    latest = min(max(last_end + style.linger, start + style.min_duration), start + style.max_duration, limit)
    if limit <= min(latest + style.min_gap, start + style.max_duration):
        return limit
    wanted = start + math.ceil(max(style.min_duration, chars / style.max_cps) * 1000 - 1e-6) / 1000
    return min(max(last_end, wanted), latest)


def _paragraph_runs(block: list[CaptionWord]) -> list[tuple[int, int]]:
    """(first, stop) of each run of words from one paragraph: notes are found within a paragraph, as
    ``align.transcript`` finds them."""
    runs, first = [], 0
    for k in range(1, len(block) + 1):
        if k == len(block) or block[k].paragraph != block[k - 1].paragraph:
            runs.append((first, k))
            first = k
    return runs


def _laid_out(words: list[CaptionWord], first: int, stop: int, label: str | None, limits: list[float],
              style: CaptionStyle, memo) -> list[tuple[int, int, list[str]]]:
    """``_segment``'s split of the block, from ``memo`` where it holds the same block laid out the same way."""
    if memo is None:
        return _segment(words, first, stop, label, limits, style)
    block = [(w.token, w.text, w.start, w.end, w.speaker, w.paragraph) for w in words[first:stop]]
    key = ("cues", 1, block, label, limits[first:stop + 1], astuple(style))
    found = memo.get(key, list[tuple[float, float, list[str]]])
    if found is None:
        found = [[i - first, j - first, lines] for i, j, lines in _segment(words, first, stop, label, limits, style)]
        memo.put(key, found)
    return [(first + int(i), first + int(j), lines) for i, j, lines in found]


def _segment(words: list[CaptionWord], first: int, stop: int, label: str | None, limits: list[float],
             style: CaptionStyle) -> list[tuple[int, int, list[str]]]:
    """Cheapest split of words[first:stop] into cues: (first, stop, lines) for each."""
    block = words[first:stop]
    n = len(block)
    texts = [w.text for w in block]
    breaks = [0.0] + [0.0 if block[k].paragraph != block[k - 1].paragraph else break_cost(texts[k - 1], texts[k])
                      for k in range(1, n)] + [0.0]
    sentence = [False] + [breaks[k] == 0.0 for k in range(1, n)] + [True]
    for a, b in _paragraph_runs(block):  # a note of several words ("[of the Americas]") is never split
        for note_first, note_stop in note_spans(texts[a:b])[0]:
            for k in range(a + note_first + 1, a + note_stop):
                breaks[k] += INSIDE_NOTE
    for k in range(1, n):  # a note at a paragraph's start stays with the word after it
        if texts[k - 1].startswith("[") and (k == 1 or block[k - 2].paragraph != block[k - 1].paragraph):
            breaks[k] += NEVER
    best = [0.0] + [math.inf] * n
    choice: list[tuple[int, list[str] | tuple[int, ...]]] = [(0, [])] * (n + 1)
    room = style.max_chars * style.max_lines
    layouts = _Layouts(texts, breaks, sentence, style.max_chars, style.max_lines)
    for j in range(1, n + 1):
        limit = limits[first + j]
        last_end = -math.inf
        chars = -1
        for i in range(j - 1, -1, -1):
            last_end = max(last_end, block[i].end)
            chars += len(texts[i]) + 1
            lead = len(label) + 1 if label and i == 0 else 0
            if i < j - 1 and (chars + lead > room or last_end - block[i].start > style.max_duration):
                break
            if best[i] == math.inf:
                continue
            if lead:
                laid = _layout([label] + texts[i:j], [0.0, 6.0] + breaks[i + 1:j],
                               [False, False] + sentence[i + 1:j + 1], style.max_chars, style.max_lines)
            else:
                laid = layouts.lay(i, j)
            if laid is None:
                continue
            start = block[i].start
            shown = chars + lead
            display = max(_cue_end(start, last_end, shown, limit, style) - start, 1e-3)
            cost = best[i] + breaks[j] + CUE_COST + laid[0]
            cps = shown / display
            if cps > style.max_cps:
                cost += SLOW_FIXED + SLOW_SLOPE * (cps - style.max_cps)
            if display < style.min_duration:
                cost += SHORT
            if j - i == 1 and n > 1:
                cost += LONE
            if cost < best[j]:
                best[j] = cost
                choice[j] = (i, laid[1])
    cues = []
    j = n
    while j > 0:
        i, lines = choice[j]
        if isinstance(lines, tuple):  # the stops of the lines
            lines = [" ".join(texts[a:b]) for a, b in zip((i,) + lines, lines)]
        cues.append((first + i, first + j, lines))
        j = i
    return cues[::-1]


def make_cues(words: list[CaptionWord], style: CaptionStyle = CaptionStyle(),
              avoid: list[tuple[float, float]] = (), memo=None) -> list[Cue]:
    """Cues for the shown words: each starts with its first word, ends when its speech and reading time
    are over, and holds one speaker. ``style.speaker_prefix`` adds a visible ``Name:`` at each change of
    speaker, within the line length. A cue is not held into any of the ``avoid`` spans (speech the transcript
    lacks: an ad); one left too short starts earlier instead. ``memo`` (an align.cache.WindowMemo) keeps each
    block's layout, so that a run after a transcript fix lays out only the blocks it changed.

    >>> ws = [CaptionWord(k, t, k * 0.3, k * 0.3 + 0.25, s) for k, (t, s) in enumerate(
    ...       [("Hello", "Ann"), ("Bob.", "Ann"), ("Hi", "Bob"), ("Ann.", "Bob")])]
    >>> [(c.lines, c.start, c.end) for c in make_cues(ws, CaptionStyle(speaker_prefix=True))]
    [(['Ann: Hello Bob.'], 0.0, 0.6), (['Bob: Hi Ann.'], 0.6, 1.434)]
    """
    words = _sanitise(words, style.max_chars)  # a word is cut only where it is longer than a line
    if style.speaker_prefix and style.max_lines == 1:
        words = _fit_after_labels(words, style)
    # the next speech after each word: the earliest start among the next few words (times can cross a little)
    limits = [min((w.start for w in words[k:k + 3]), default=math.inf) for k in range(len(words) + 1)]
    cues: list[Cue] = []
    previous_speaker = object()
    for first, stop in _blocks(words, style):
        speaker = words[first].speaker
        label = label_for(speaker, style.max_chars) if style.speaker_prefix and speaker and \
            speaker != previous_speaker else None
        previous_speaker = speaker
        for i, j, lines in _laid_out(words, first, stop, label, limits, style, memo):
            part = words[i:j]
            chars = len(" ".join(lines))
            end = _cue_end(part[0].start, max(w.end for w in part), chars, limits[j], style)
            cues.append(Cue(part[0].start, end, speaker, lines, part, label if i == first else None))
    _lead_in(cues, style)
    _settle(cues, style)
    _clear_of(cues, avoid, style)
    _start_earlier_if_short(cues, avoid, style)
    return cues


def _start_earlier_if_short(cues: list[Cue], avoid: list[tuple[float, float]], style: CaptionStyle) -> None:
    """A cue still shorter than ``min_duration`` (the next cue follows at once, so it cannot be held longer)
    appears earlier, into the silence before it: never over the cue before (nor within ``min_gap`` of it) or
    over one of the ``avoid`` spans. Where the cue before touches it, that one ends earlier, as far as its own
    ``min_duration``, its reading time and ``linger`` after its last word's start allow (its last word stretched
    over the pause).

    >>> a, b = Cue(0.0, 1.0, "A", ["Hi."]), Cue(9.86, 10.57, "A", ["Well I believe"])
    >>> c = Cue(10.57, 14.0, "A", ["that the people have written one"])
    >>> _start_earlier_if_short([a, b, c], [(2.0, 9.0)], CaptionStyle()); b.start, b.end
    (9.736, 10.57)
    >>> said = [CaptionWord(0, "country.", 7.5, 9.86, "B")]
    >>> a, b = Cue(6.0, 9.86, "B", ["country."], said), Cue(9.86, 10.57, "A", ["Well I believe"])
    >>> _start_earlier_if_short([a, b, c], [], CaptionStyle()); a.end, b.start
    (9.656, 9.736)
    """
    wanted = min(style.min_duration, style.max_duration)
    for k, cue in enumerate(cues):
        if cue.end - cue.start >= wanted - 1e-9:
            continue
        if k and cues[k - 1].end >= cue.start - 1e-9 and cues[k - 1].words:
            before = cues[k - 1]
            reading = len(" ".join(before.lines)) / style.max_cps
            keeps = math.ceil(max(before.start + max(wanted, reading), max(w.start for w in before.words)
                                  + style.linger) * 1000 - 1e-6) / 1000
            end = max(keeps, math.ceil((cue.end - wanted - style.min_gap) * 1000 - 1e-6) / 1000)
            if end + style.min_gap < cue.start - 1e-9:  # only where this cue can then start earlier
                before.end = end
        floor = math.ceil((cues[k - 1].end + style.min_gap) * 1000 - 1e-6) / 1000 if k else 0.0
        floor = max([floor] + [hi for lo, hi in avoid if hi <= cue.start + 1e-9])
        start = max(floor, math.ceil((cue.end - wanted) * 1000 - 1e-6) / 1000)
        cue.start = min(cue.start, start)


def _clear_of(cues: list[Cue], avoid: list[tuple[float, float]], style: CaptionStyle) -> None:
    """End each cue held into one of the ``avoid`` spans where the span starts (not before its last word has begun:
    a word's end may stretch over the pause before an ad); a cue left shorter than ``min_duration`` starts earlier, by
    ``lead_in`` at most, where the cue before leaves room.

    >>> said = [CaptionWord(0, "Thanks.", 3.0, 3.3, "A")]
    >>> a, b = Cue(0.0, 1.0, "A", ["Hi."]), Cue(3.0, 3.834, "A", ["Thanks."], said)
    >>> _clear_of([a, b], [(3.4, 9.0)], CaptionStyle()); b.start, b.end
    (2.75, 3.4)
    """
    for k, cue in enumerate(cues):
        said_from = max((w.start for w in cue.words), default=cue.start) + 0.1  # the last word is under way by then
        cut = False
        for lo, hi in avoid:
            if cue.start < lo < cue.end:
                cue.end, cut = max(lo, min(said_from, cue.end)), True  # never later than it was
        if cut and k + 1 < len(cues):  # nor over the next cue (its words may start right there)
            cue.end = max(round(cue.start + 0.001, 3), min(cue.end, cues[k + 1].start))
        wanted = cue.end - min(style.min_duration, style.max_duration)
        if cut and wanted < cue.start:  # a subtitler's lead-in, as far as the cue before and ``lead_in`` allow
            room = math.ceil((cues[k - 1].end + style.min_gap) * 1000 - 1e-6) / 1000 if k else 0.0
            first = min((w.start for w in cue.words), default=cue.start)
            cue.start = min(cue.start, max(room, first - style.lead_in, math.floor(wanted * 1000) / 1000))


def _lead_in(cues: list[Cue], style: CaptionStyle) -> None:
    """A cue that reads faster than ``max_cps`` even when held into the silence after it appears a little
    before its first word (a subtitler's lead-in): as early as reading needs, at most ``lead_in``, never
    over the cue before it or within ``min_gap`` of it, never longer than ``max_duration``.

    >>> fast = Cue(2.0, 3.0, "Ann", ["Twenty-one characters"])
    >>> _lead_in([Cue(0.0, 1.5, "Ann", ["Hi."]), fast], CaptionStyle())
    >>> fast.start
    1.95
    """
    previous_end = -math.inf
    for cue in cues:
        short = len(" ".join(cue.lines)) / style.max_cps - (cue.end - cue.start)
        # the gap in whole milliseconds, rounded up as ``_settle`` rounds it, or it would close the gap
        after_gap = math.ceil((previous_end + style.min_gap) * 1000 - 1e-6) / 1000 if previous_end > -math.inf else 0.0
        earliest = max(after_gap, cue.start - style.lead_in, cue.end - style.max_duration)
        if short > 0 and earliest < cue.start:
            cue.start = max(earliest, math.floor((cue.start - short) * 1000 + 1e-6) / 1000)
        previous_end = max(previous_end, cue.end)


def _settle(cues: list[Cue], style: CaptionStyle) -> None:
    """Whole milliseconds; starts never decrease and cues never overlap (a start moves only where the
    words' own times cross); every cue lasts at least 1 ms and at most ``max_duration``; a gap between
    cues is 0 or at least ``min_gap``."""
    max_ms = int(style.max_duration * 1000)
    gap_ms = math.ceil(style.min_gap * 1000 - 1e-6)
    previous_end = -math.inf
    for cue in cues:
        start = max(round(cue.start * 1000), previous_end)
        end = min(max(round(cue.end * 1000), start + 1), start + max_ms)
        cue.start, cue.end = start, end
        previous_end = end
    for cue, after in zip(cues, cues[1:]):
        if 0 < after.start - cue.end < gap_ms:
            cue.end = after.start if after.start - cue.start <= max_ms else after.start - gap_ms
    _lengthen_short(cues, min(max_ms, math.ceil(style.min_duration * 1000 - 1e-6)), gap_ms, max_ms)
    for cue in cues:
        cue.start, cue.end = cue.start / 1000, cue.end / 1000


def _lengthen_short(cues: list[Cue], min_ms: int, gap_ms: int, max_ms: int) -> None:
    """Hold each cue shorter than ``min_ms`` (milliseconds, as ``_settle`` holds them) into the silence after it:
    up to touching the next cue (or the next cue's speech, where word times cross), or to ``gap_ms`` before it,
    never past ``max_ms`` in all.

    >>> a, b, c = Cue(0, 500, "A", ["Yes."]), Cue(700, 900, "B", ["No,"]), Cue(2000, 3000, "B", ["not at all."])
    >>> _lengthen_short([a, b, c], 834, 80, 7000); a.end, b.end
    (700, 1534)
    """
    for k, cue in enumerate(cues):
        wanted = cue.start + min_ms
        if cue.end >= wanted:
            continue
        if k + 1 == len(cues):
            cue.end = wanted
            continue
        following = cues[k + 1]
        after = min([following.start] + [round(w.start * 1000) for w in following.words])
        touch = wanted >= after - gap_ms and after == following.start and after - cue.start <= max_ms
        cue.end = max(cue.end, after if touch else min(wanted, after - gap_ms))
