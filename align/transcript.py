"""Read an edited, speaker-labelled transcript into turns, paragraphs and tokens.

A token is one whitespace-separated piece of the text as written (``"U.S.",``), so that every word of the
file can be accounted for. Text inside square brackets (``[laughs]``, ``[Covid-19 pandemic]``) is an editorial
note: it is kept for the captions but never matched against speech. A ``[`` that no ``]`` closes within its
paragraph (a typo) opens no note, so it never hides the speech after it; it and a stray ``]`` are named, with
their line and column, in ``Transcript.warnings`` (see ``note_spans``). Control characters are removed and
bidirectional overrides closed word by word (``safe_text``), so no word or name can drive a terminal or
reverse the captions after it.

This module holds the data model, the plain style (``Name:`` labels at line starts) and the reading of files;
the other styles (Otter, Rev, WebVTT, SRT, Word, Markdown, ...) are in ``align.formats``.

>>> t = parse_transcript("ANA LOPEZ: Hello [laughs] there.\\n\\nMore from Ana.\\nBOB: Hi.")
>>> [(turn.speaker, turn.line) for turn in t.turns]
[('Ana Lopez', 1), ('Bob', 4)]
>>> [(tok.text, tok.line, tok.is_note) for tok in t.tokens]
[('Hello', 1, False), ('[laughs]', 1, True), ('there.', 1, False), ('More', 3, False), ('from', 3, False), ('Ana.', 3, False), ('Hi.', 4, False)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

from align.errors import TranscriptError

__all__ = ["Token", "Paragraph", "Turn", "Transcript", "Block", "build_transcript", "parse_transcript",
           "read_transcript", "transcript_from_bytes", "display_name", "split_label", "decode_text", "decode_lines",
           "note_spans", "strip_controls", "close_bidi", "safe_text", "check_size_for_audio"]

MAX_TRANSCRIPT_BYTES = 20_000_000  # a three-hour episode's transcript is about 200 kB
NO_WORDS = "the transcript has no words to align"
MAX_TOKENS = 1_000_000  # a three-hour episode has about 30,000 words; this bounds the memory a transcript takes
MAX_NOTE_TOKENS = 30  # a note longer than this is more likely an unclosed "[" than a note
MAX_LISTED = 5  # problems named one by one in a warning; the rest are counted
WORDS_PER_SECOND = 10.0  # over twice the fastest sustained speech (an auctioneer: about 4-6 words a second)
PAGE_TEXT_WORDS = 5000  # the web page, show notes and comments pasted around a transcript


@dataclass(frozen=True)
class Token:
    """One whitespace-separated piece of transcript text, as written."""

    index: int
    text: str
    line: int  # 1-based line of the file
    paragraph: int  # index into Transcript.paragraphs
    turn: int  # index into Transcript.turns
    is_note: bool = False  # inside [brackets]: shown, never matched against speech


@dataclass(frozen=True)
class Paragraph:
    """A block of text (a line; a cue of a subtitle file); its tokens are ``Transcript.tokens[start:stop]``."""

    index: int
    line: int
    turn: int
    start: int
    stop: int
    time: float | None = None  # seconds, where the transcript gives a time for it (never trusted over the audio)


@dataclass(frozen=True)
class Turn:
    """What one speaker says until the next label. ``speaker`` is None for text before any label (and for an
    unnamed speaker, such as a broadcast transcript's bare ``>>``)."""

    index: int
    speaker: str | None
    label: str | None  # the label as written
    line: int
    time: float | None = None  # seconds, where the transcript gives a time for it


@dataclass
class Transcript:
    turns: list[Turn] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    format: str = "plain"  # the style it was read as (see align.formats.FORMATS)
    warnings: list[str] = field(default_factory=list)  # one line each, for the user (the library never prints)

    @property
    def speakers(self) -> list[str]:
        """Speaker names in order of first appearance.

        >>> parse_transcript("A: x\\nB: y\\nA: z").speakers
        ['A', 'B']
        """
        seen: list[str] = []
        for turn in self.turns:
            if turn.speaker is not None and turn.speaker not in seen:
                seen.append(turn.speaker)
        return seen

    def speaker_of(self, token: Token) -> str | None:
        return self.turns[token.turn].speaker

    def refs(self) -> list[str | None]:
        """Per token, a reference that survives edits elsewhere in the file: ``"LINE:N"``, its 1-based line and its
        1-based place among that line's words (after the speaker label; notes not counted); None for a note.

        >>> parse_transcript("ANA: Hi [laughs] there.\\nBOB: Yes.").refs()
        ['1:1', None, '1:2', '2:1']
        """
        counts: dict[int, int] = {}
        refs: list[str | None] = []
        for token in self.tokens:
            if token.is_note:
                refs.append(None)
                continue
            counts[token.line] = counts.get(token.line, 0) + 1
            refs.append(f"{token.line}:{counts[token.line]}")
        return refs


@dataclass(frozen=True)
class Block:
    """What a reader finds: a paragraph of text, possibly opening a new turn.

    ``text`` may hold several lines (a subtitle cue); its n-th line is line ``line + n`` of the file.
    """

    line: int
    text: str = ""
    label: str | None = None  # a speaker label as written: opens a turn
    new_turn: bool = False  # opens a turn even without a label (an unnamed speaker)
    continues: bool = False  # goes on with the paragraph before (a subtitle cue in the middle of a sentence)
    time: float | None = None


def build_transcript(blocks: Iterable[Block], keep_speaker_case: bool = False, format: str = "plain",
                     source: list[str] | None = None) -> Transcript:
    """Turns, paragraphs and tokens from a reader's blocks. Raises TranscriptError if there are no words.

    Control characters and terminal escape sequences are removed from the text and the speaker labels, and a
    bidirectional embedding, override or isolate left open is closed at the end of its token or name (see
    ``safe_text``). Notes follow ``note_spans`` within each block; an unbalanced bracket is warned about in
    ``Transcript.warnings`` with its line and column (in ``source``, the file's lines, where given).

    >>> t = build_transcript([Block(1, "page text"), Block(3, "Hi [waves]\\nthere", label="ANA", time=2.0),
    ...                       Block(7, "and more.", continues=True)])
    >>> [(turn.speaker, turn.time) for turn in t.turns]
    [(None, None), ('Ana', 2.0)]
    >>> [(tok.text, tok.line) for tok in t.tokens]
    [('page', 1), ('text', 1), ('Hi', 3), ('[waves]', 3), ('there', 4), ('and', 7), ('more.', 7)]
    >>> [(p.line, p.start, p.stop) for p in t.paragraphs]
    [(1, 0, 2), (3, 2, 7)]
    """
    transcript = Transcript(format=format)
    turn: Turn | None = None
    problems: list[tuple[int, int, str]] = []  # (line, column, bracket)
    unbalanced = 0
    for block in blocks:
        if block.label is not None or block.new_turn or turn is None:
            label = safe_text(block.label).strip() if block.label is not None else None
            speaker = close_bidi(display_name(label, keep_speaker_case)) if label else None
            turn = Turn(len(transcript.turns), speaker or None, label or None, block.line, block.time)
            transcript.turns.append(turn)
        start = len(transcript.tokens)
        paragraph = len(transcript.paragraphs)
        extend = bool(block.continues and block.label is None and not block.new_turn and transcript.paragraphs
                      and transcript.paragraphs[-1].turn == turn.index)
        if extend:
            paragraph -= 1
        text = strip_controls(block.text)
        bidi = _BIDI_RE.search(text) is not None
        lines = text.split("\n")
        pieces: list[str] = []
        offsets: list[int] = []  # the line of the block each piece is on
        for offset, line in enumerate(lines):
            words = line.split()
            pieces += words
            offsets += [offset] * len(words)
        spans, unclosed, stray = note_spans(pieces)
        flags = [False] * len(pieces)
        for first, stop in spans:
            flags[first:stop] = [True] * (stop - first)
        for piece, is_note, offset in zip(pieces, flags, offsets):
            piece = close_bidi(piece) if bidi else piece
            if piece:  # a stray bidirectional closer alone is no word
                transcript.tokens.append(Token(len(transcript.tokens), piece, block.line + offset, paragraph,
                                               turn.index, is_note))
        for k, bracket in sorted([(k, "[") for k in unclosed] + [(k, "]") for k in stray]):
            unbalanced += 1
            if len(problems) < MAX_LISTED:
                line_text = lines[offsets[k]]
                nth = sum(1 for m in range(k) if offsets[m] == offsets[k])
                number = block.line + offsets[k]
                column = _column(line_text, nth, bracket, source[number - 1] if source and number <= len(source)
                                 else None)
                problems.append((number, column, bracket))
        if len(transcript.tokens) > MAX_TOKENS:
            raise TranscriptError(f"the transcript holds over {MAX_TOKENS:,} words, too many to be the transcript "
                                  "of an episode (three hours of speech is about 30,000)")
        if extend:
            transcript.paragraphs[-1] = replace(transcript.paragraphs[-1], stop=len(transcript.tokens))
        elif len(transcript.tokens) > start:
            transcript.paragraphs.append(Paragraph(paragraph, transcript.tokens[start].line, turn.index, start,
                                                   len(transcript.tokens), block.time))
    if not any(not tok.is_note for tok in transcript.tokens):
        raise TranscriptError(NO_WORDS)
    transcript.warnings += _bracket_warnings(problems, unbalanced)
    return transcript


def note_spans(pieces: list[str], limit: int = MAX_NOTE_TOKENS) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Where the editorial notes are among a paragraph's pieces: ``(spans, unclosed, stray)``.

    A note opens at a piece holding ``[`` and ends at the piece where its brackets balance again, within
    ``limit`` pieces of the same paragraph (a line; a subtitle cue). A ``[`` not closed so opens no note: its
    piece and the pieces after it are words to align (a typo never swallows the rest of a turn), and its index
    is in ``unclosed``. A piece with ``]`` outside any note is a word, its index in ``stray``. Linear in the
    number of pieces.

    >>> note_spans("so [laughs] the [Covid-19 pandemic] was [a [nested] note]".split())
    ([(1, 2), (3, 5), (6, 9)], [], [])
    >>> note_spans("a [typo and [laughs] more words] then x]".split(), limit=3)
    ([(3, 4)], [1], [5, 7])
    """
    n = len(pieces)
    if not any("[" in piece or "]" in piece for piece in pieces):
        return [], [], []
    depth = [0]  # depth[k]: brackets open before piece k
    for piece in pieces:
        depth.append(depth[-1] + (piece.count("[") - piece.count("]") if "[" in piece or "]" in piece else 0))
    closing = [n + 1] * (n + 1)  # closing[k]: the first j > k with depth[j] <= depth[k]
    stack: list[int] = []
    for j in range(n, -1, -1):
        while stack and depth[stack[-1]] > depth[j]:
            stack.pop()
        closing[j] = stack[-1] if stack else n + 1
        stack.append(j)
    spans: list[tuple[int, int]] = []
    unclosed: list[int] = []
    stray: list[int] = []
    k = 0
    while k < n:
        if "[" in pieces[k]:
            stop = closing[k]
            if stop <= n and stop - k <= limit:
                spans.append((k, stop))
                k = stop
                continue
            unclosed.append(k)
        elif "]" in pieces[k]:
            stray.append(k)
        k += 1
    return spans, unclosed, stray


def _column(line: str, nth: int, bracket: str, source: str | None) -> int:
    """The 1-based column of ``bracket`` in the ``nth`` piece of a block's line, counted in the file's line
    ``source`` where the block's line is found in it (a reader removed a label or markup before it)."""
    match = None
    for k, match in enumerate(re.finditer(r"\S+", line)):
        if k == nth:
            break
    if match is None:
        return 1
    column = match.start() + match.group().find(bracket)
    if source is not None:
        source = strip_controls(clean_line(source))
        shift = source.find(line.strip())
        if shift >= 0:
            column += shift - (len(line) - len(line.lstrip()))
        elif (found := source.find(match.group())) >= 0:
            column = found + match.group().find(bracket)
    return column + 1


def _bracket_warnings(problems: list[tuple[int, int, str]], total: int) -> list[str]:
    """One line for each of the first unbalanced brackets, and one counting the rest."""
    warnings = []
    for line, column, bracket in problems:
        if bracket == "[":
            warnings.append(f"line {line}, column {column}: '[' has no ']' within {MAX_NOTE_TOKENS} words of its "
                            "paragraph, so it opens no note: the words after it are aligned as speech")
        else:
            warnings.append(f"line {line}, column {column}: ']' closes no '[', so it is read as part of a word")
    if total > len(problems):
        warnings.append(f"... and {total - len(problems)} more unbalanced brackets")
    return warnings


# Terminal escape sequences (CSI, and OSC ended by BEL or ST), then the C0 and C1 control characters but the
# whitespace ones that split words (tab, line feed, vertical tab, form feed, carriage return).
_ESCAPE_RE = re.compile(r"(?:\x1b\[|\x9b)[0-?]{0,32}[ -/]{0,8}[@-~]|\x1b\][^\x07\x1b\n]{0,256}(?:\x07|\x1b\\)")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
            "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}


def strip_controls(text: str) -> str:
    """Text without terminal escape sequences or control characters (C0, DEL, C1); tab, line feed, vertical
    tab, form feed and carriage return, which separate words, are kept.

    >>> strip_controls("a\\x00b \\x1b[31mred\\x1b[0m \\x1b]0;title\\x07ok\\x85\\tend\\n")
    'ab red ok\\tend\\n'
    """
    if not _CONTROL_RE.search(text):
        return text
    return _CONTROL_RE.sub("", _ESCAPE_RE.sub("", text))


def close_bidi(text: str) -> str:
    """Text whose bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) end within
    it: one left open is closed at its end (U+202C PDF, U+2069 PDI), a closer that closes nothing is dropped,
    so a right-to-left override in one word or name never reverses the text after it.

    >>> close_bidi("\\u202eevil") == "\\u202eevil\\u202c", close_bidi("a\\u2069b\\u2067c") == "ab\\u2067c\\u2069"
    (True, True)
    """
    if not _BIDI_RE.search(text):
        return text
    out: list[str] = []
    open_: list[str] = []  # the closers owed, innermost last
    for ch in text:
        if ch in _OPENERS:
            open_.append(_OPENERS[ch])
        elif ch == "\u202c":  # PDF: closes an embedding or override, never an isolate
            if not open_ or open_[-1] != ch:
                continue
            open_.pop()
        elif ch == "\u2069":  # PDI: closes its isolate and what is open inside it
            if ch not in open_:
                continue
            while open_.pop() != ch:
                out.append("\u202c")
        out.append(ch)
    return "".join(out + open_[::-1])


def safe_text(text: str) -> str:
    """``close_bidi(strip_controls(text))``: text that cannot drive a terminal or a player's layout.

    >>> safe_text("\\u202eAna\\x1b[2J") == "\\u202eAna\\u202c"
    True
    """
    return close_bidi(strip_controls(text))


def check_size_for_audio(transcript: Transcript, seconds: float) -> None:
    """Raise TranscriptError when the transcript holds more words (tokens, notes included) than ``seconds`` of
    audio could carry: ``WORDS_PER_SECOND`` a second, over twice the fastest sustained speech, plus
    ``PAGE_TEXT_WORDS`` of page text around the transcript (show notes, links, comments). A real transcript,
    page text and all, stays far below it; refusing the rest bounds the work of aligning and captioning.

    >>> t = parse_transcript("A: " + "word " * 6000)
    >>> check_size_for_audio(t, 100.0)
    >>> try:
    ...     check_size_for_audio(t, 50.0)
    ... except TranscriptError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    the transcript has 6000 words, more than 50 s of audio can hold (at most 5500: 10 a second and 5000 of page
    text); is it this episode's transcript?
    """
    if seconds == float("inf"):
        return
    seconds = seconds if seconds > 0 else 0.0  # NaN too
    limit = int(WORDS_PER_SECOND * seconds) + PAGE_TEXT_WORDS
    words = len(transcript.tokens)
    if words > limit:
        raise TranscriptError(f"the transcript has {words} words, more than {seconds:.0f} s of audio can hold "
                              f"(at most {limit}: {WORDS_PER_SECOND:g} a second and {PAGE_TEXT_WORDS} of page "
                              "text); is it this episode's transcript?")


# A label: one to five name words, each capitalised (or a particle such as "de"), then a colon.
_LABEL_RE = re.compile(r"^\s*(?P<label>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-&]+){0,4})[ \t]*:(?:[ \t]+(?P<text>.*))?$")
_PARTICLES = {"de", "da", "del", "della", "van", "von", "der", "den", "la", "le", "du", "di", "bin", "al", "el", "y"}
_MAX_LABEL_CHARS = 40


def _is_name(label: str, numbers: bool = False) -> bool:
    """Whether a line prefix looks like a speaker name rather than a sentence ending in a colon. With
    ``numbers``, words after the first may be numbers (``Speaker 2``), as in formats whose labels are certain.

    >>> _is_name("BENJAMIN NORTON"), _is_name("Maria de la Cruz"), _is_name("Follow us"), _is_name("Note")
    (True, True, False, True)
    >>> _is_name("Speaker 2"), _is_name("Speaker 2", numbers=True), _is_name("2 Speaker", numbers=True)
    (False, True, False)
    """
    words = label.split()
    if len(label) > _MAX_LABEL_CHARS or not words or label.lower().startswith(("http", "www")):
        return False
    for k, word in enumerate(words):
        if word[0].isupper():
            continue
        if k > 0 and (word.lower() in _PARTICLES or word == "&" or (numbers and word.isdigit())):
            continue
        return False
    return True


def split_label(line: str, numbers: bool = False) -> tuple[str, str] | None:
    """``(label, text)`` when a line opens with a speaker label (``NAME:``, ``Name:``), else None (``numbers``:
    see ``_is_name``).

    >>> split_label("ANA LOPEZ: Hello."), split_label("Here is the list: one, two."), split_label("BOB:")
    (('ANA LOPEZ', 'Hello.'), None, ('BOB', ''))
    """
    match = _LABEL_RE.match(line)
    if match and _is_name(match.group("label"), numbers):
        return match.group("label").strip(), match.group("text") or ""
    return None


def display_name(label: str, keep_case: bool = False) -> str:
    """The speaker name as shown in captions: title case unless asked otherwise, and no characters that
    WebVTT forbids in a voice name.

    >>> display_name("BENJAMIN NORTON"), display_name("McKAY & <SON>"), display_name("DJ Shadow", keep_case=True)
    ('Benjamin Norton', 'Mckay and Son', 'DJ Shadow')
    """
    words = label.replace("&", " & ").replace("<", " ").replace(">", " ").split()
    if not keep_case:
        words = [_title(word) for word in words]
    return " ".join("and" if word == "&" else word for word in words)


def _title(word: str) -> str:
    if word.lower() in _PARTICLES:
        return word.lower()
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def source_lines(text: str) -> list[str]:
    """The lines of a transcript (CRLF, CR or LF ends; a byte-order mark dropped), numbered from 1 by position.

    >>> source_lines("\\ufeffa\\r\\nb\\rc")
    ['a', 'b', 'c']
    """
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def clean_line(line: str) -> str:
    """A line with non-breaking spaces and tabs made plain spaces (so labels are found after them).

    >>> clean_line("ANA\\u00a0LOPEZ:\\tHi")
    'ANA LOPEZ: Hi'
    """
    return line.replace("\u00a0", " ").replace("\u202f", " ").replace("\t", " ").replace("\ufeff", "")


def plain_blocks(text: str) -> list[Block]:
    """The plain style: every non-blank line is a paragraph; ``Name:`` at its start opens a turn."""
    blocks = []
    for number, raw_line in enumerate(source_lines(text), start=1):
        line = clean_line(raw_line)
        if not line.strip():
            continue
        labelled = split_label(line)
        if labelled:
            blocks.append(Block(number, labelled[1], label=labelled[0]))
        else:
            blocks.append(Block(number, line))
    return blocks


def parse_transcript(text: str, keep_speaker_case: bool = False) -> Transcript:
    """Parse transcript text in the plain style. Lines that start with ``Name:`` open a turn; other lines
    continue the last turn; text before the first label belongs to no speaker.

    >>> t = parse_transcript("just words, no labels")
    >>> t.turns[0].speaker is None, [tok.text for tok in t.tokens]
    (True, ['just', 'words,', 'no', 'labels'])
    """
    return build_transcript(plain_blocks(text), keep_speaker_case, source=source_lines(text))


def read_transcript(path: str | Path, keep_speaker_case: bool = False, format: str = "auto") -> Transcript:
    """Read a transcript file in any style of ``align.formats.FORMATS`` (``auto``: detected from the content),
    in UTF-8, UTF-16 or Windows-1252 (with a warning in ``Transcript.warnings``)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise TranscriptError(f"{path}: is a directory, not a transcript file")
        if path.exists() and not path.is_file():
            raise TranscriptError(f"{path}: is not a regular file (a pipe or a device?); give a transcript file")
        if path.exists() and path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise TranscriptError(f"{path}: is {path.stat().st_size / 1e6:.0f} MB, too large to be a transcript")
        data = path.read_bytes()
    except FileNotFoundError:
        raise TranscriptError(f"{path}: no such transcript file") from None
    except IsADirectoryError:
        raise TranscriptError(f"{path}: is a directory, not a transcript file") from None
    except OSError as error:
        raise TranscriptError(f"{path}: cannot read the transcript ({error.strerror or error})") from None
    return transcript_from_bytes(data, path, keep_speaker_case, format)


def transcript_from_bytes(data: bytes, name: str | Path = "transcript", keep_speaker_case: bool = False,
                          format: str = "auto") -> Transcript:
    """Decode and parse a transcript file's content; ``name`` (its path) appears in messages and its extension
    helps detection. Returns a Transcript or raises TranscriptError.

    >>> transcript_from_bytes(b"WEBVTT\\n\\n00:01.000 --> 00:02.000\\n<v Ana>Hi.</v>\\n").speakers
    ['Ana']
    """
    from align import formats

    return formats.parse_bytes(data, Path(name), keep_speaker_case, format)


_AUDIO_MAGIC = (b"ID3", b"RIFF", b"fLaC", b"OggS", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\x1aE\xdf\xa3")


def decode_text(data: bytes, path: str | Path = "transcript") -> str:
    """Decode transcript bytes, refusing binary files such as audio.

    >>> decode_text("caf\\u00e9".encode("utf-8"))
    'café'
    """
    return decode_lines(data, path)[0]


def decode(data: bytes, path: str | Path = "transcript") -> tuple[str, str]:
    """``(text, encoding)``: see ``decode_lines``.

    >>> decode("caf\\u00e9".encode("cp1252"))
    ('café', 'cp1252')
    >>> decode("hi".encode("utf-16-le"))
    ('hi', 'utf-16')
    """
    return decode_lines(data, path)[:2]


_LINE_END_RE = re.compile(rb"\r\n|\r|\n")
_BINARY_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f]")  # as a binary file has, text seldom


def decode_lines(data: bytes, path: str | Path = "transcript") -> tuple[str, str, list[int]]:
    """``(text, encoding, lines)``: UTF-8 (a byte-order mark dropped), UTF-16 (with a byte-order mark, or without
    one when every other byte is zero), or else line by line: a line that is valid UTF-8 is read as UTF-8, one
    that is not as Windows-1252, and ``lines`` numbers those (from 1, as ``source_lines`` does). ``encoding`` is
    ``cp1252`` when no line needed UTF-8, else ``utf-8`` or ``utf-16``. Binary data raises TranscriptError.

    >>> decode_lines("caf\\u00e9\\nna\\u00efve\\n".encode() + "r\\u00e9sum\\u00e9".encode("cp1252"))
    ('café\\nnaïve\\nrésumé', 'utf-8', [3])
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", []
        except UnicodeDecodeError:
            raise TranscriptError(f"{path}: is not a text transcript (broken UTF-16)") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith(_AUDIO_MAGIC) or data[4:8] == b"ftyp":
        raise TranscriptError(f"{path}: is an audio file, not a text transcript "
                              "(the order is: align AUDIO TRANSCRIPT)")
    head = data[:4096]
    if b"\x00" in head:
        for encoding, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
            others = head[0::2] if encoding == "utf-16-le" else head[1::2]
            if len(data) % 2 == 0 and zeros.count(0) > 0.4 * len(zeros) and others.count(0) < 0.02 * len(others):
                try:
                    return data.decode(encoding), "utf-16", []
                except UnicodeDecodeError:
                    break
        raise TranscriptError(f"{path}: is a binary file, not a text transcript")
    try:
        text, encoding, broken = data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        text, encoding, broken = _decode_by_line(data)
    if len(_BINARY_RE.findall(text)) > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
        raise TranscriptError(f"{path}: is not a text transcript (it holds binary data)")
    return text, encoding, broken


def _decode_by_line(data: bytes) -> tuple[str, str, list[int]]:
    """Each line as UTF-8 where it is valid UTF-8, else as Windows-1252 (one stray byte spoils one line)."""
    pieces = _LINE_END_RE.split(data)
    ends = _LINE_END_RE.findall(data)
    out: list[str] = []
    broken: list[int] = []
    utf8 = False
    for number, line in enumerate(pieces, start=1):
        try:
            out.append(line.decode("utf-8"))
            utf8 = utf8 or not line.isascii()
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
            broken.append(number)
        if number <= len(ends):
            out.append(ends[number - 1].decode("ascii"))
    return "".join(out), "utf-8" if utf8 else "cp1252", broken
