"""Read an edited, speaker-labelled transcript into turns, paragraphs and tokens.

A token is one whitespace-separated piece of the text as written (``"U.S.",``), so that every word of the
file can be accounted for. Text inside square brackets (``[laughs]``, ``[Covid-19]``) is an editorial note:
it is kept for the captions but never matched against speech.

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
           "read_transcript", "transcript_from_bytes", "display_name", "split_label", "decode_text"]

MAX_TRANSCRIPT_BYTES = 20_000_000  # a three-hour episode's transcript is about 200 kB


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


def build_transcript(blocks: Iterable[Block], keep_speaker_case: bool = False, format: str = "plain") -> Transcript:
    """Turns, paragraphs and tokens from a reader's blocks. Raises TranscriptError if there are no words.

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
    in_note = False
    for block in blocks:
        if block.label is not None or block.new_turn or turn is None:
            label = block.label.strip() if block.label is not None else None
            speaker = display_name(label, keep_speaker_case) if label else None
            turn = Turn(len(transcript.turns), speaker or None, label or None, block.line, block.time)
            transcript.turns.append(turn)
            in_note = False
        start = len(transcript.tokens)
        paragraph = len(transcript.paragraphs)
        extend = bool(block.continues and block.label is None and not block.new_turn and transcript.paragraphs
                      and transcript.paragraphs[-1].turn == turn.index)
        if extend:
            paragraph -= 1
        for offset, line in enumerate(block.text.split("\n")):
            pieces = line.split()
            flags, in_note = _note_flags(pieces, in_note)
            for piece, is_note in zip(pieces, flags):
                transcript.tokens.append(Token(len(transcript.tokens), piece, block.line + offset, paragraph,
                                               turn.index, is_note))
        if extend:
            transcript.paragraphs[-1] = replace(transcript.paragraphs[-1], stop=len(transcript.tokens))
        elif len(transcript.tokens) > start:
            transcript.paragraphs.append(Paragraph(paragraph, transcript.tokens[start].line, turn.index, start,
                                                   len(transcript.tokens), block.time))
    if not any(not tok.is_note for tok in transcript.tokens):
        raise TranscriptError("the transcript has no words to align")
    return transcript


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


def _note_flags(pieces: list[str], inside: bool) -> tuple[list[bool], bool]:
    """Which pieces lie within [brackets]; a bracket may open on one piece and close on a later one."""
    flags = []
    for piece in pieces:
        opens, closes = "[" in piece, "]" in piece
        flags.append(inside or opens)
        if opens and not closes:
            inside = True
        elif closes:
            inside = False
    return flags, inside


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
    return build_transcript(plain_blocks(text), keep_speaker_case)


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
    return decode(data, path)[0]


def decode(data: bytes, path: str | Path = "transcript") -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (a byte-order mark dropped), UTF-16 (with a byte-order mark, or without one
    when every other byte is zero), or else Windows-1252. Binary data raises TranscriptError.

    >>> decode("caf\\u00e9".encode("cp1252"))
    ('café', 'cp1252')
    >>> decode("hi".encode("utf-16-le"))
    ('hi', 'utf-16')
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
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
                    return data.decode(encoding), "utf-16"
                except UnicodeDecodeError:
                    break
        raise TranscriptError(f"{path}: is a binary file, not a text transcript")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
        raise TranscriptError(f"{path}: is not a text transcript (it holds binary data)")
    return text, encoding
