"""Read an edited, speaker-labelled transcript into turns, paragraphs and tokens.

A token is one whitespace-separated piece of the text as written (``"U.S.",``), so that every word of the
file can be accounted for. Text inside square brackets (``[laughs]``, ``[Covid-19]``) is an editorial note:
it is kept for the captions but never matched against speech.

>>> t = parse_transcript("ANA LOPEZ: Hello [laughs] there.\\n\\nMore from Ana.\\nBOB: Hi.")
>>> [(turn.speaker, turn.line) for turn in t.turns]
[('Ana Lopez', 1), ('Bob', 4)]
>>> [(tok.text, tok.line, tok.is_note) for tok in t.tokens]
[('Hello', 1, False), ('[laughs]', 1, True), ('there.', 1, False), ('More', 3, False), ('from', 3, False), ('Ana.', 3, False), ('Hi.', 4, False)]
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from align.errors import TranscriptError

__all__ = ["Token", "Paragraph", "Turn", "Transcript", "parse_transcript", "read_transcript", "display_name"]


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
    """A non-empty line of text; its tokens are ``Transcript.tokens[start:stop]``."""

    index: int
    line: int
    turn: int
    start: int
    stop: int


@dataclass(frozen=True)
class Turn:
    """What one speaker says until the next label. ``speaker`` is None for text before any label."""

    index: int
    speaker: str | None
    label: str | None  # the label as written
    line: int


@dataclass
class Transcript:
    turns: list[Turn] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)

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


# A label: one to five name words, each capitalised (or a particle such as "de"), then a colon.
_LABEL_RE = re.compile(r"^\s*(?P<label>[^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-&]+){0,4})[ \t]*:(?:[ \t]+(?P<text>.*))?$")
_PARTICLES = {"de", "da", "del", "della", "van", "von", "der", "den", "la", "le", "du", "di", "bin", "al", "el", "y"}
_MAX_LABEL_CHARS = 40


def _is_name(label: str) -> bool:
    """Whether a line prefix looks like a speaker name rather than a sentence ending in a colon.

    >>> _is_name("BENJAMIN NORTON"), _is_name("Maria de la Cruz"), _is_name("Follow us"), _is_name("Note")
    (True, True, False, True)
    """
    words = label.split()
    if len(label) > _MAX_LABEL_CHARS or not words or label.lower().startswith(("http", "www")):
        return False
    for k, word in enumerate(words):
        if word[0].isupper():
            continue
        if k > 0 and (word.lower() in _PARTICLES or word == "&"):
            continue
        return False
    return True


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


def parse_transcript(text: str, keep_speaker_case: bool = False) -> Transcript:
    """Parse transcript text. Lines that start with ``Name:`` open a turn; other lines continue the last
    turn; text before the first label belongs to no speaker.

    >>> t = parse_transcript("just words, no labels")
    >>> t.turns[0].speaker is None, [tok.text for tok in t.tokens]
    (True, ['just', 'words,', 'no', 'labels'])
    """
    transcript = Transcript()
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    turn: Turn | None = None
    in_note = False
    for number, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.replace("\u00a0", " ").replace("\t", " ")
        if not line.strip():
            continue
        match = _LABEL_RE.match(line)
        body = line
        if match and _is_name(match.group("label")):
            label = match.group("label").strip()
            turn = Turn(len(transcript.turns), display_name(label, keep_speaker_case), label, number)
            transcript.turns.append(turn)
            body = match.group("text") or ""
            in_note = False
        elif turn is None:
            turn = Turn(0, None, None, number)
            transcript.turns.append(turn)
        pieces = body.split()
        if not pieces:
            continue
        flags, in_note = _note_flags(pieces, in_note)
        start = len(transcript.tokens)
        paragraph = len(transcript.paragraphs)
        for piece, is_note in zip(pieces, flags):
            transcript.tokens.append(Token(len(transcript.tokens), piece, number, paragraph, turn.index, is_note))
        transcript.paragraphs.append(Paragraph(paragraph, number, turn.index, start, len(transcript.tokens)))
    if not any(not tok.is_note for tok in transcript.tokens):
        raise TranscriptError("the transcript has no words to align")
    return transcript


def read_transcript(path: str | Path, keep_speaker_case: bool = False) -> Transcript:
    """Read a transcript file (UTF-8, UTF-16 with a byte-order mark, or Windows-1252)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise TranscriptError(f"{path}: is a directory, not a transcript file") from None
    except FileNotFoundError:
        raise TranscriptError(f"{path}: no such transcript file") from None
    except OSError as error:
        raise TranscriptError(f"{path}: cannot read the transcript ({error.strerror})") from None
    return parse_transcript(decode_text(data, path), keep_speaker_case)


def decode_text(data: bytes, path: str | Path = "transcript") -> str:
    """Decode transcript bytes, refusing binary files such as audio.

    >>> decode_text("caf\\u00e9".encode("utf-8"))
    'café'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise TranscriptError(f"{path}: is a binary file, not a text transcript")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if control > len(text) // 100 or text.count("\ufffd") > len(text) // 100:
        raise TranscriptError(f"{path}: is not a text transcript (it holds binary data)")
    return text
