"""The transcript styles producers bring, and which one a file is in.

Each reader turns a transcript's text into ``Block``s (a paragraph, perhaps opening a speaker's turn, perhaps
with a time) that ``align.transcript.build_transcript`` makes into turns, paragraphs and tokens. A reader keeps
every word as written and removes only what is not a word: speaker labels, timestamps, markup, cue numbers.
Times a transcript gives are carried into ``Turn.time`` and ``Paragraph.time``; they are never trusted over the
audio.

| style | looks like |
|---|---|
| ``plain`` | ``NAME:`` or ``Name:`` at a line's start (see ``align.transcript``) |
| ``broadcast`` | ``>> NAME: text``; a bare ``>>`` is an unnamed speaker |
| ``markdown`` | ``**Name:** text`` or ``**Name**: text``; headings, links and emphasis made plain |
| ``timestamped`` | ``[00:01:02] Name: text``, and ``[00:01:02]`` alone on a line |
| ``rev`` | ``Name (00:12):`` on its own line, then the text |
| ``otter`` | ``Name  0:03`` on its own line, then the text; the ``Transcribed by https://otter.ai`` footer dropped |
| ``vtt`` | WebVTT: Zoom's ``Name: text`` cues, Teams' ``<v Name>text</v>`` cues |
| ``srt`` | SubRip, with or without ``Name:`` at the start of a cue |
| ``docx`` | a Word document (Descript, Google Docs): its paragraphs, read as one of the text styles |

A paragraph is a line, except in subtitle files, where it is a speaker's cues up to one that ends a sentence:
the aligner judges whole paragraphs as said or cut from the audio, and a cue is only a piece of a sentence.

>>> t = parse_text("Maria Santos  0:03\\nWelcome back.\\n\\nTom Reyes  0:07\\nThanks.\\n")
>>> t.format, [(turn.speaker, turn.time) for turn in t.turns], [tok.text for tok in t.tokens]
('otter', [('Maria Santos', 3.0), ('Tom Reyes', 7.0)], ['Welcome', 'back.', 'Thanks.'])
"""
from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator
from xml.etree import ElementTree

from align.errors import TranscriptError, UsageError
from align.transcript import (MAX_LISTED, NO_WORDS, Block, Transcript, _is_name, build_transcript, clean_line,
                              decode_lines, plain_blocks, source_lines, split_label)

__all__ = ["FORMATS", "READERS", "detect_format", "parse_text", "parse_bytes", "docx_text", "parse_time",
           "plain", "broadcast", "markdown", "timestamped", "rev", "otter", "vtt", "srt"]

TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_MAX_HEADER_CHARS = 120  # a line longer than this is text, never a speaker's header


def parse_time(text: str) -> float:
    """Seconds from ``[h:]mm:ss[.fff]`` (a comma also separates the fraction, as in SRT).

    >>> parse_time("1:02:03.5"), parse_time("00:12"), parse_time("00:00:01,250")
    (3723.5, 12.0, 1.25)
    """
    seconds = 0.0
    for part in text.replace(",", ".").split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a text with their 1-based numbers, tabs and non-breaking spaces made spaces."""
    for number, raw in enumerate(source_lines(text), start=1):
        line = clean_line(raw)
        if line.strip():
            yield number, line


def _plain_block(number: int, line: str, time: float | None = None) -> Block:
    labelled = split_label(line)
    if labelled:
        return Block(number, labelled[1], label=labelled[0], time=time)
    return Block(number, line, time=time)


def plain(text: str) -> list[Block]:
    """``NAME:`` or ``Name:`` at a line's start opens a turn; every other line continues it.

    >>> [(b.label, b.text) for b in plain("Episode page\\nANA LOPEZ: Hello.\\nStill Ana.")]
    [(None, 'Episode page'), ('ANA LOPEZ', 'Hello.'), (None, 'Still Ana.')]
    """
    return plain_blocks(text)


_BROADCAST_RE = re.compile(r"^\s*>>+ ?(?P<rest>.*)$")


def broadcast(text: str) -> list[Block]:
    """``>> NAME: text`` opens a turn, a bare ``>>`` opens an unnamed speaker's turn; other lines as plain.

    >>> [(b.label, b.new_turn, b.text) for b in broadcast(">> ANA: Good evening.\\nMore news.\\n>> Thanks.")]
    [('ANA', False, 'Good evening.'), (None, False, 'More news.'), (None, True, 'Thanks.')]
    """
    blocks = []
    for number, line in _lines(text):
        marked = _BROADCAST_RE.match(line)
        if not marked:
            blocks.append(_plain_block(number, line))
            continue
        block = _plain_block(number, marked["rest"])
        blocks.append(block if block.label is not None else replace(block, new_turn=True))
    return blocks


_MD_LABEL_RE = re.compile(r"^\s*(\*\*|__)(?P<label>[^*_]{1,60}?)(?:[ \t]*:[ \t]*\1|\1[ \t]*:)[ \t]*(?P<text>.*)$")
_MD_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}(?:\s+|$)")
_MD_RULE_RE = re.compile(r"^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_MD_LINK_RE = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS_RE = re.compile(r"(?<![\w*])[*_]+(?=[^\s*_])|(?<=[^\s*_])[*_]+(?![\w*])")
_MD_ESCAPE_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def _markdown_inline(text: str) -> str:
    """Text as Markdown shows it: links as their text, no emphasis marks or escapes.

    >>> _markdown_inline("a **very** _good_ [site](https://x.org) \\\\*not* snake_case [laughs]")
    'a very good site *not snake_case [laughs]'
    """
    text = _MD_LINK_RE.sub(r"\1", text)
    escaped = _MD_ESCAPE_RE.sub("\x00", text)
    kept = [m.group(1) for m in _MD_ESCAPE_RE.finditer(text)]
    text = _MD_EMPHASIS_RE.sub("", escaped)
    for character in kept:
        text = text.replace("\x00", character, 1)
    return text


def markdown(text: str) -> list[Block]:
    """``**Name:** text`` (or ``**Name**:``) opens a turn, as does a plain ``Name:``; headings, rules, links and
    emphasis are Markdown, not words.

    >>> [(b.label, b.text) for b in markdown("# Episode 12\\n\\n**Ana Lopez:** Hello *there*.\\n\\n---\\nMore.")]
    [(None, 'Episode 12'), ('Ana Lopez', 'Hello there.'), (None, 'More.')]
    """
    blocks = []
    for number, line in _lines(text):
        bold = _MD_LABEL_RE.match(line)
        if bold and _is_name(bold["label"].strip(), numbers=True):
            blocks.append(Block(number, _markdown_inline(bold["text"]), label=bold["label"].strip()))
        elif not _MD_RULE_RE.match(line):
            blocks.append(_plain_block(number, _markdown_inline(_MD_HEADING_RE.sub("", line))))
    return blocks


_STAMP_RE = re.compile(rf"^\s*(?:\[(?P<bracketed>{TIME})\]|\((?P<parenthesised>{TIME})\)|(?P<bare>{TIME})(?=\s|$))"
                       r"[ \t]*(?:[-–—|][ \t]+)?(?P<rest>.*)$")


def _stamp(line: str) -> tuple[float, str] | None:
    """``(seconds, rest)`` for a line that opens with a timestamp: one in brackets, or a bare one alone on the
    line or before a speaker label (a bare time before other text may be a word: "10:30 is late")."""
    match = _STAMP_RE.match(line)
    if not match:
        return None
    rest = match["rest"]
    if match["bare"] and rest.strip() and not split_label(rest):
        return None
    return parse_time(match["bracketed"] or match["parenthesised"] or match["bare"]), rest


def timestamped(text: str) -> list[Block]:
    """``[00:01:02] Name: text`` opens a turn at that time; ``[00:01:02] text`` continues one; a timestamp alone
    on its line (Descript, Google Docs) is the time of the next paragraph.

    >>> text = "[00:05] ANA: Hi.\\n[00:09] Still Ana.\\n[01:00:00]\\nBOB: Yes."
    >>> [(b.label, b.time, b.text) for b in timestamped(text)]
    [('ANA', 5.0, 'Hi.'), (None, 9.0, 'Still Ana.'), ('BOB', 3600.0, 'Yes.')]
    """
    blocks, pending = [], None
    for number, line in _lines(text):
        time, stamped = None, _stamp(line)
        if stamped:
            time, line = stamped
        if not line.strip():
            pending = time
            continue
        blocks.append(_plain_block(number, line, time if time is not None else pending))
        pending = None
    return blocks


_REV_RE = re.compile(rf"^\s*(?P<label>[^\s(\[][^(\[]*?)[ \t]*[(\[](?P<time>{TIME})[)\]][ \t]*:[ \t]*(?P<text>.*)$")


def _rev_header(line: str) -> tuple[str, float, str] | None:
    bracket = re.search(r"[(\[]", line[:_MAX_HEADER_CHARS])
    match = _REV_RE.match(line) if bracket else None
    if match and _is_name(match["label"], numbers=True):
        return match["label"].strip(), parse_time(match["time"]), match["text"]
    return None


def rev(text: str) -> list[Block]:
    """Rev's export: ``Name (00:12):`` opens a turn (its text on the next lines or after the colon); every other
    line is text.

    >>> [(b.label, b.time, b.text) for b in rev("Speaker 1 (00:12):\\nHello: there.\\n\\nTom Reyes (01:02:03):\\nHi.")]
    [('Speaker 1', 12.0, ''), (None, None, 'Hello: there.'), ('Tom Reyes', 3723.0, ''), (None, None, 'Hi.')]
    """
    blocks = []
    for number, line in _lines(text):
        header = _rev_header(line)
        if header:
            label, time, rest = header
            blocks.append(Block(number, rest, label=label, time=time))
        else:
            blocks.append(Block(number, line))
    return blocks


_OTTER_RE = re.compile(rf"^\s*(?P<label>\S.*?)[ \t]+(?P<time>{TIME})[ \t]*$")
_OTTER_FOOTER_RE = re.compile(r"^\s*Transcribed by\s+\S*otter\.ai\S*\s*$", re.IGNORECASE)


def _otter_header(line: str) -> tuple[str, float] | None:
    match = _OTTER_RE.match(line) if len(line) <= _MAX_HEADER_CHARS else None
    if match and _is_name(match["label"], numbers=True):
        return match["label"].strip(), parse_time(match["time"])
    return None


def otter(text: str) -> list[Block]:
    """Otter's export: ``Name  0:03`` alone on a line opens a turn; the lines after it are its text; the
    ``Transcribed by https://otter.ai`` footer is not part of the transcript.

    >>> text = "Unknown Speaker  0:03\\nHi there.\\n\\nTranscribed by https://otter.ai"
    >>> [(b.label, b.time, b.text) for b in otter(text)]
    [('Unknown Speaker', 3.0, ''), (None, None, 'Hi there.')]
    """
    blocks = []
    for number, line in _lines(text):
        header = _otter_header(line)
        if header:
            blocks.append(Block(number, label=header[0], time=header[1]))
        elif not _OTTER_FOOTER_RE.match(line):
            blocks.append(Block(number, line))
    return blocks


_CUE_TIMING_RE = re.compile(rf"^\s*(?P<start>{TIME})[ \t]*-->[ \t]*(?P<end>{TIME})(?:[ \t].*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[^\s<>]*)?(?:[ \t]+(?P<name>[^<>]*))?>")
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>")
_ASS_RE = re.compile(r"\{\\[^{}]*\}")


def _cues(text: str) -> Iterator[tuple[float | None, list[tuple[int, str]]]]:
    """``(start, [(line number, text line)])`` for each cue of a WebVTT or SRT file, cue identifiers and the
    header, NOTE, STYLE and REGION blocks left out. Text outside any cue comes with no time (nothing is lost)."""
    group: list[tuple[int, str]] = []
    lines = source_lines(text)
    header = _first_line(lines)
    for number, raw in enumerate(lines + [""], start=1):
        line = clean_line(raw)
        if line.strip():
            group.append((number, line))
            continue
        if not group:
            continue
        first = group[0][1].strip()
        comment = re.match(r"(NOTE|STYLE|REGION)(\s|$)", first) or (group[0][0] == header
                                                                     and first.startswith("WEBVTT"))
        if not comment:
            yield from _split_cues(group)
        group = []


def _first_line(lines: list[str]) -> int:
    return next((k for k, line in enumerate(lines, start=1) if line.strip()), 0)


def _split_cues(group: list[tuple[int, str]]) -> Iterator[tuple[float | None, list[tuple[int, str]]]]:
    """Cues of one block of lines; a timing line starts a cue even without a blank line before it."""
    start: float | None = None
    lines: list[tuple[int, str]] = []
    for k, (number, line) in enumerate(group):
        timing = _CUE_TIMING_RE.match(line)
        if not timing:
            lines.append((number, line))
            continue
        if lines and lines[-1] == group[k - 1] and (k == 1 or lines[-1][1].strip().isdigit()):
            lines.pop()  # the cue's identifier
        if lines:
            yield start, lines
        start, lines = parse_time(timing["start"]), []
    if lines and not (start is None and len(lines) == 1 and lines[0][1].strip().isdigit()):
        yield start, lines


def _voices(line: str, entities: bool) -> list[tuple[str | None, str]]:
    """A cue line as ``(voice, text)`` pieces: ``<v Name>`` starts a piece; other tags are dropped.

    >>> _voices("<v.loud Ana Lopez>Hi &amp; <i>bye</i></v> <v Bob>Yes", entities=True)
    [('Ana Lopez', 'Hi & bye'), ('Bob', 'Yes')]
    """
    pieces, voice, position = [], None, 0
    for match in _VOICE_RE.finditer(line):
        pieces.append((voice, line[position:match.start()]))
        voice, position = html.unescape((match["name"] or "").strip()) or None, match.end()
    pieces.append((voice, line[position:]))
    cleaned = []
    for voice, piece in pieces:
        piece = _TAG_RE.sub("", _ASS_RE.sub("", piece))
        piece = clean_line(html.unescape(piece) if entities else piece).replace("\n", " ").replace("\r", " ")
        if piece.strip() or voice:
            cleaned.append((voice, piece.strip()))
    return cleaned


_SENTENCE_END_RE = re.compile(r"[.?!…][\"'”’)\]]*$")


def _subtitles(text: str, entities: bool) -> list[Block]:
    """Blocks of a subtitle file: a voice tag or a ``Name:`` at a line's start opens a turn when the speaker
    changes; a paragraph is a speaker's cues up to one that ends a sentence (a cue is only a piece of what was
    said, and a paragraph is what the aligner may find cut from the audio as a whole)."""
    blocks: list[Block] = []
    speaker: str | None = None
    for start, lines in _cues(text):
        cue: list[Block] = []
        texts: list[list[str]] = []  # each block's pieces, joined once the cue is read (linear in its size)
        last = 0  # the line the cue's last block ends on
        for number, line in lines:
            for voice, piece in _voices(line, entities):
                label = voice
                if label is None and (labelled := split_label(piece, numbers=True)):
                    label, piece = labelled
                if label is not None and label != speaker:
                    cue.append(Block(number, label=label, time=start))
                    texts.append([piece])
                    speaker = label
                elif cue and number - last in (0, 1):
                    texts[-1] += [" " if number == last else "\n", piece]
                else:
                    goes_on = not cue and bool(blocks) and not _SENTENCE_END_RE.search(blocks[-1].text.rstrip())
                    cue.append(Block(number, time=start, continues=goes_on))
                    texts.append([piece])
                last = number
        blocks += [replace(block, text="".join(pieces)) for block, pieces in zip(cue, texts)]
    return blocks


def vtt(text: str) -> list[Block]:
    """WebVTT: Zoom's ``Name: text`` cues and Teams' ``<v Name>text</v>`` cues; each cue a paragraph.

    >>> zoom = "WEBVTT\\n\\n1\\n00:00:01.000 --> 00:00:04.000\\nAna Lopez: Hi &amp; welcome.\\n"
    >>> teams = "WEBVTT\\n\\n4f1c/12-0\\n00:00:05.000 --> 00:00:07.500\\n<v Bob>Thanks, Ana.</v>\\n"
    >>> [(b.label, b.time, b.text) for b in vtt(zoom) + vtt(teams)]
    [('Ana Lopez', 1.0, 'Hi & welcome.'), ('Bob', 5.0, 'Thanks, Ana.')]
    """
    return _subtitles(text, entities=True)


def srt(text: str) -> list[Block]:
    """SubRip: numbered cues, each a paragraph; ``Name:`` at a cue line's start opens a turn.

    >>> [(b.label, b.line, b.text) for b in srt("1\\n00:00:01,000 --> 00:00:03,000\\nANA: Hello\\n<i>there.</i>\\n\\n"
    ...                                          "2\\n00:00:03,500 --> 00:00:05,000\\nStill Ana.\\n")]
    [('ANA', 3, 'Hello\\nthere.'), (None, 8, 'Still Ana.')]
    """
    return _subtitles(text, entities=False)


READERS: dict[str, Callable[[str], list[Block]]] = {
    "plain": plain, "broadcast": broadcast, "markdown": markdown, "timestamped": timestamped, "rev": rev,
    "otter": otter, "vtt": vtt, "srt": srt,
}
FORMATS = ("auto", *READERS, "docx")


def detect_format(text: str, suffix: str = "") -> str:
    """The text style a transcript is in: WebVTT and SRT by their cue timings, the others by which kind of
    speaker label most of its lines carry (``plain`` when none does; ``timestamped`` rather than ``plain`` when
    some lines open with a timestamp).

    >>> detect_format("WEBVTT\\n\\n00:01.000 --> 00:02.000\\nHi"), detect_format("Ana  0:03\\nHi.")
    ('vtt', 'otter')
    >>> detect_format("ANA: hi\\n[laughs]"), detect_format("[00:01] ANA: hi"), detect_format("just words")
    ('plain', 'timestamped', 'plain')
    """
    lines = [line for _, line in _lines(text)]
    if lines and lines[0].lstrip().startswith("WEBVTT"):
        return "vtt"
    if any(len(line) < _MAX_HEADER_CHARS and _CUE_TIMING_RE.match(line) for line in lines):
        return "vtt" if suffix.lower() == ".vtt" else "srt"
    signs: dict[str, Callable[[str], object]] = {
        "otter": _otter_header,
        "rev": _rev_header,
        "timestamped": _stamp,
        "broadcast": _BROADCAST_RE.match,
        "markdown": lambda line: (m := _MD_LABEL_RE.match(line)) and _is_name(m["label"].strip(), numbers=True),
        "plain": split_label,
    }
    scores = {style: sum(1 for line in lines if sign(line)) for style, sign in signs.items()}
    best = max(scores, key=lambda style: scores[style])  # ties: the first in the table
    best = best if scores[best] > 0 else "plain"
    if best == "plain" and scores["timestamped"]:
        return "timestamped"  # which reads plain labels too, and takes its times out of the text
    if best == "plain" and suffix.lower() in (".md", ".markdown"):
        return "markdown"  # which reads plain labels too
    return best


def parse_text(text: str, format: str = "auto", keep_speaker_case: bool = False, suffix: str = "") -> Transcript:
    """A Transcript from text in the given style (``auto``: detected). Raises TranscriptError when it holds no
    words.

    >>> [tok.text for tok in parse_text(">> ANA: Good evening.").tokens]
    ['Good', 'evening.']
    """
    style = detect_format(text, suffix) if format == "auto" else format
    if style not in READERS:
        raise UsageError(f"transcript format {format!r}: choose one of {', '.join(FORMATS)}")
    return build_transcript(READERS[style](text), keep_speaker_case, style, source_lines(text))


def parse_bytes(data: bytes, path: Path, keep_speaker_case: bool = False, format: str = "auto") -> Transcript:
    """A Transcript from a file's bytes: a Word document, or text in any encoding ``transcript.decode`` reads.
    Every problem is a TranscriptError naming the file (a format name that does not exist: UsageError)."""
    if format not in FORMATS:
        raise UsageError(f"--transcript-format {format}: choose one of {', '.join(FORMATS)}")
    warnings: list[str] = []
    if format == "docx" or (format == "auto" and data.startswith(b"PK\x03\x04")):
        text, container = docx_text(data, path), "docx"
        style = detect_format(text)
    else:
        _refuse_documents(data, path)
        text, encoding, broken = decode_lines(data, path)
        if encoding == "cp1252":
            warnings.append(f"{path}: is not UTF-8 ({_numbered(broken)}); read as Windows-1252 (check accented "
                            "letters and quotes in the captions, or save the transcript as UTF-8)")
        elif broken:
            warnings.append(f"{path}: {_numbered(broken)} {'is' if len(broken) == 1 else 'are'} not UTF-8 like "
                            "the rest; read as Windows-1252 (check accented letters and quotes there)")
        container, style = None, detect_format(text, path.suffix) if format == "auto" else format
    try:
        transcript = build_transcript(READERS[style](text), keep_speaker_case, container or style,
                                      source_lines(text))
    except TranscriptError as error:
        if str(error) != NO_WORDS:
            raise TranscriptError(f"{path}: {error}") from None
        how = f" when read as {format}" if format != "auto" else ""
        raise TranscriptError(f"{path}: has no words to align{how}") from None
    if not transcript.speakers:
        warnings.append(f"{path}: no speaker labels found (read as {style}); the captions will have no voice tags")
    transcript.warnings = warnings + [f"{path}: {warning}" for warning in transcript.warnings]
    return transcript


def _numbered(lines: list[int]) -> str:
    """Line numbers for a message: the first few, then a count.

    >>> _numbered([4]), _numbered([2, 9]), _numbered(list(range(1, 10)))
    ('line 4', 'lines 2 and 9', 'lines 1, 2, 3, 4, 5 and 4 more (9 lines)')
    """
    if len(lines) == 1:
        return f"line {lines[0]}"
    if len(lines) <= MAX_LISTED:
        return f"lines {', '.join(map(str, lines[:-1]))} and {lines[-1]}"
    return f"lines {', '.join(map(str, lines[:MAX_LISTED]))} and {len(lines) - MAX_LISTED} more ({len(lines)} lines)"


_DOCUMENT_MAGIC = {b"%PDF": "a PDF", b"{\\rtf": "an RTF document", b"\xd0\xcf\x11\xe0": "an old Word .doc file"}


def _refuse_documents(data: bytes, path: Path) -> None:
    for magic, kind in _DOCUMENT_MAGIC.items():
        if data.startswith(magic):
            raise TranscriptError(f"{path}: is {kind}, not a transcript; save it as plain text (.txt) or .docx")
    if data.startswith(b"PK\x03\x04"):
        raise TranscriptError(f"{path}: is a ZIP archive; give a text transcript, or --transcript-format docx "
                              "for a Word document")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_DOCX_XML = 25_000_000  # a three-hour episode's text is about 200 kB; Word's XML is 10-50 times its text
_SKIPPED = (_W + "del", _W + "instrText", _W + "delText")


def docx_text(data: bytes, path: Path | str = "transcript.docx") -> str:
    """The text of a Word document, one line per paragraph (a line break in a paragraph also ends a line), tabs
    kept; deleted tracked changes, field codes, headers, footers and comments left out. A document whose XML
    is over ``_MAX_DOCX_XML`` bytes uncompressed, as declared in the archive or as actually read (a declared
    size can lie), is refused before it is expanded or parsed.

    >>> doc = io.BytesIO()
    >>> with zipfile.ZipFile(doc, "w") as z:
    ...     z.writestr("word/document.xml", f'<w:document xmlns:w="{_W[1:-1]}"><w:body>'
    ...                '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Ana:</w:t></w:r><w:r><w:t xml:space="preserve"> Hi.</w:t>'
    ...                '</w:r></w:p><w:p><w:r><w:t>[00:01:00]</w:t></w:r></w:p></w:body></w:document>')
    >>> docx_text(doc.getvalue())
    'Ana: Hi.\\n[00:01:00]'
    """
    too_large = TranscriptError(f"{path}: the Word document's text is over {_MAX_DOCX_XML // 1_000_000} MB of XML "
                                "uncompressed, too large to be a transcript; refused")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" not in names:
                kind = "an OpenDocument file" if "content.xml" in names else "a ZIP archive, not a Word document"
                raise TranscriptError(f"{path}: is {kind}; save the transcript as .docx or plain text (.txt)")
            info = archive.getinfo("word/document.xml")
            if info.file_size > _MAX_DOCX_XML:
                raise too_large
            with archive.open(info) as member:
                xml = member.read(_MAX_DOCX_XML + 1)
            if len(xml) > _MAX_DOCX_XML:
                raise too_large
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError,
            RuntimeError) as error:  # RuntimeError: an encrypted member
        raise TranscriptError(f"{path}: is not a readable Word .docx document ({error})") from None
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise TranscriptError(f"{path}: the Word document holds a DTD, which a .docx never does; refused")
    try:
        return "\n".join(_paragraph_texts(xml))
    except ElementTree.ParseError as error:
        raise TranscriptError(f"{path}: the Word document is damaged ({error})") from None


def _paragraph_texts(xml: bytes) -> list[str]:
    """Each ``w:p``'s text in document order (a paragraph inside another, as in a text box, is its own, before
    the rest of the one around it), read as a stream: each element is dropped once read."""
    out: list[str] = []
    open_paragraphs: list[list[str]] = []  # innermost last
    skipping = 0  # inside deleted text or a field code
    for event, element in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
        tag = element.tag
        if tag in _SKIPPED:
            skipping += 1 if event == "start" else -1
        elif skipping:
            pass
        elif event == "start":
            if tag == _W + "p":
                open_paragraphs.append([])
            elif open_paragraphs and tag == _W + "tab":
                open_paragraphs[-1].append("\t")
            elif open_paragraphs and tag in (_W + "br", _W + "cr"):
                open_paragraphs[-1].append("\n")
        elif tag == _W + "p":
            out.append("".join(open_paragraphs.pop()))
        elif tag == _W + "t" and open_paragraphs:
            open_paragraphs[-1].append(element.text or "")
        if event == "end":
            element.clear()
    return out
