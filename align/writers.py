"""Write cues as WebVTT, SRT or Podcasting 2.0 JSON; every output is checked before it is returned, and files
are replaced atomically.

Caption text is made safe for every format and player: control characters are removed and a bidirectional
override left open is closed within its word (``align.transcript.safe_text``, as the transcript reader does);
WebVTT escapes ``&``, ``<`` and ``>``; SRT has no escapes and players render its HTML subset
(``<i>``, ``<font>``), so there ``<`` and ``>`` become the look-alikes ``‹`` and ``›`` (no tag, no ``-->``).

>>> cue = Cue(1.0, 2.5, "Ann & Bo", ["Fish & <chips>"])
>>> print(to_vtt([cue]))
WEBVTT
<BLANKLINE>
00:00:01.000 --> 00:00:02.500
<v Ann and Bo>Fish &amp; &lt;chips&gt;
<BLANKLINE>
>>> print(to_srt([cue]))
1
00:00:01,000 --> 00:00:02,500
Ann & Bo: Fish & ‹chips›
<BLANKLINE>
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from align.captions import Cue
from align.errors import OutputError
from align.transcript import close_bidi, strip_controls

__all__ = ["FORMATS", "to_vtt", "to_srt", "srt_lines", "escape_vtt", "voice_name", "to_json", "to_json_cues",
           "write_atomically", "format_for", "srt_text"]

FORMATS = {".vtt": "vtt", ".srt": "srt", ".json": "json"}


def format_for(path: str | Path) -> str:
    """The output format named by a file's extension.

    >>> format_for("ep.SRT")
    'srt'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise OutputError(f"{path}: unknown output format {suffix or '(no extension)'!r}; use .vtt, .srt or .json")
    return FORMATS[suffix]


def escape_vtt(text: str) -> str:
    """Text safe in a WebVTT cue: ``&``, ``<`` and ``>`` escaped (so no ``-->`` either).

    >>> escape_vtt("a --> <b> & c")
    'a --&gt; &lt;b&gt; &amp; c'
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def voice_name(speaker: str) -> str:
    """A speaker name that is safe inside ``<v ...>``: no ``&``, ``<`` or ``>``, no control character.

    >>> voice_name("Ann & <Bo>\\x1b[2J")
    'Ann and Bo'
    """
    return _single_line(speaker.replace("&", " and ").replace("<", " ").replace(">", " "))


def _timestamp(t: float, mark: str = ".") -> str:
    ms = int(round(t * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{mark}{ms:03d}"


def _single_line(text: str) -> str:
    """A cue line can hold no line break (a blank line would end the cue), nor control characters, nor a
    bidirectional override that runs past its word (as the transcript reader closes them, word by word).

    >>> _single_line("a\\nb\\x00c \\u202ed e") == "a bc \\u202ed\\u202c e"
    True
    """
    return " ".join(close_bidi(word) for word in strip_controls(text).split())


def srt_text(text: str) -> str:
    """A line safe in SRT: one line, no control character, ``<`` and ``>`` as the look-alikes ``‹`` and ``›``
    (players render SRT's HTML tags, and SRT has no escapes).

    >>> srt_text("<i>hi</i> <script>x</script> --> 5 > 3")
    '‹i›hi‹/i› ‹script›x‹/script› --› 5 › 3'
    """
    return _single_line(text).replace("<", "\u2039").replace(">", "\u203a")


def _words_match(cue: Cue) -> bool:
    """Whether the cue's words are exactly its lines (a hand-made cue may carry no words, or others)."""
    rebuilt = [" ".join(([cue.label] if n == 0 and cue.label else []) + [w.text for w in words])
               for n, words in enumerate(cue.word_lines())]
    return bool(cue.words) and rebuilt == cue.lines and sum(map(len, cue.word_lines())) == len(cue.words)


def _timed_lines(cue: Cue) -> list[str]:
    """The cue's lines, escaped, with an inner timestamp before every word after the first: each one after the
    cue's start and before its end, increasing (a word whose time does not allow it gets the nearest one that
    does)."""
    start_ms, end_ms = round(cue.start * 1000), round(cue.end * 1000)
    previous = start_ms
    out, first = [], True
    for n, words in enumerate(cue.word_lines()):
        parts = [escape_vtt(_single_line(cue.label))] if n == 0 and cue.label else []
        for word in words:
            text = escape_vtt(_single_line(word.text))
            if not first:
                at = min(max(round(word.start * 1000), previous + 1), end_ms - 1)
                at = max(at, previous)  # a cue too short for one millisecond a word: equal, never decreasing
                previous = at
                text = f"<{_timestamp(at / 1000)}>{text}"
            first = False
            parts.append(text)
        out.append(" ".join(parts))
    return out


def to_vtt(cues: list[Cue], word_timestamps: bool = False) -> str:
    """WebVTT text, built with webvtt-py and read back by it before it is returned. ``word_timestamps`` puts
    an inner timestamp (``<00:01:02.500>``) before each word after the first, for word-by-word highlighting.

    >>> from align.captions import CaptionWord
    >>> w = [CaptionWord(0, "Hi", 1.0, 1.2, "A"), CaptionWord(1, "there", 1.3, 1.6, "A")]
    >>> print(to_vtt([Cue(1.0, 2.0, "A", ["Hi there"], w)], word_timestamps=True).splitlines()[3])
    <v A>Hi <00:00:01.300>there
    """
    import webvtt

    captions = []
    for cue in cues:
        lines = _timed_lines(cue) if word_timestamps and _words_match(cue) else \
            [escape_vtt(_single_line(line)) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {voice_name(cue.speaker)}>{lines[0]}"
        captions.append(webvtt.Caption(_timestamp(cue.start), _timestamp(cue.end), lines))
    content = webvtt.WebVTT(captions=captions).content
    if not content.endswith("\n"):
        content += "\n"
    _check_vtt(content, cues)
    return content


_INNER = re.compile(r"<(\d{2}:\d{2}:\d{2}\.\d{3})>")


def _seconds(stamp: str) -> float:
    h, m, s = stamp.replace(",", ".").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _check_times(times: list[tuple[float, float]], kind: str) -> None:
    previous_start = previous_end = 0.0
    for start, end in times:
        if end <= start:
            raise OutputError(f"internal error: a {kind} cue ends before it starts ({start:.3f} s)")
        if start < previous_start or start < previous_end - 1e-9:
            raise OutputError(f"internal error: {kind} cues overlap or go back in time at {start:.3f} s")
        previous_start, previous_end = start, end


def _check_vtt(content: str, cues: list[Cue]) -> None:
    """Read the WebVTT back with webvtt-py: as many cues, in time order, no overlap, no blank line or ``-->``
    inside a cue, inner timestamps increasing within their cue."""
    import io

    import webvtt

    parsed = webvtt.from_buffer(io.StringIO(content))
    if len(parsed.captions) != len(cues):
        raise OutputError(f"internal error: the WebVTT written reads back as {len(parsed.captions)} cues, "
                          f"not {len(cues)}")
    times = [(_seconds(c.start), _seconds(c.end)) for c in parsed.captions]  # start_in_seconds drops the ms
    _check_times(times, "WebVTT")
    for caption, (start, end) in zip(parsed.captions, times):
        if "-->" in caption.raw_text or any(not line.strip() for line in caption.lines):
            raise OutputError("internal error: a WebVTT cue holds '-->' or a blank line")
        inner = [_seconds(s) for s in _INNER.findall(caption.raw_text)]
        if inner and (inner != sorted(inner) or inner[0] < start or inner[-1] > end):
            raise OutputError("internal error: WebVTT inner timestamps out of order")


def to_srt(cues: list[Cue]) -> str:
    """SRT text; the speaker's name is shown as ``Name:`` at each change of speaker. Make the cues with
    ``CaptionStyle(speaker_prefix=True)`` so the name counts in the line length; cues made without it get
    the name added here. Text goes through ``srt_text``: no markup, no ``-->``.

    >>> print(to_srt([Cue(0, 1, "Ann", ["Ann: Hi"], label="Ann:"), Cue(1, 2, "Ann", ["a --> <i>b</i>"])]))
    1
    00:00:00,000 --> 00:00:01,000
    Ann: Hi
    <BLANKLINE>
    2
    00:00:01,000 --> 00:00:02,000
    a --› ‹i›b‹/i›
    <BLANKLINE>
    """
    blocks = [f"{number}\n{_timestamp(cue.start, ',')} --> {_timestamp(cue.end, ',')}\n" + "\n".join(lines) + "\n"
              for number, (cue, lines) in enumerate(zip(cues, srt_lines(cues)), start=1)]
    content = "\n".join(blocks)
    _check_srt(content, len(cues))
    return content


def srt_lines(cues: list[Cue]) -> list[list[str]]:
    """Each cue's lines as SRT shows them: made safe by ``srt_text``, ``Name:`` before the first at each change of
    speaker (unless the cue carries its label already).

    >>> srt_lines([Cue(0, 1, "Ann", ["Hi <b>"]), Cue(1, 2, "Ann", ["again"]), Cue(2, 3, "Bo", ["Yes."])])
    [['Ann: Hi ‹b›'], ['again'], ['Bo: Yes.']]
    """
    out = []
    previous_speaker = None
    for cue in cues:
        lines = [srt_text(line) for line in cue.lines]
        if cue.speaker and cue.speaker != previous_speaker and not cue.label:
            lines[0] = f"{srt_text(cue.speaker)}: {lines[0]}"
        previous_speaker = cue.speaker
        out.append(lines)
    return out


_SRT_BLOCK = re.compile(r"(\d+)\n(\d{2}:\d{2}:\d{2},\d{3}) --> (\d{2}:\d{2}:\d{2},\d{3})\n((?:[^\n]*\S[^\n]*\n)+)")


def _check_srt(content: str, expected: int) -> None:
    """Strict SRT: numbered blocks from 1, each a time line and non-blank text lines without ``-->``, one blank
    line between blocks, times in order without overlap."""
    blocks = content.split("\n\n") if content else []
    times = []
    for number, block in enumerate(blocks, start=1):
        match = _SRT_BLOCK.fullmatch(block if block.endswith("\n") else block + "\n")
        if not match or int(match[1]) != number or "-->" in match[4]:
            raise OutputError(f"internal error: SRT block {number} is malformed")
        times.append((_seconds(match[2]), _seconds(match[3])))
    if len(times) != expected:
        raise OutputError(f"internal error: the SRT written reads back as {len(times)} cues, not {expected}")
    _check_times(times, "SRT")


def to_json(alignment) -> str:
    """A Podcasting 2.0 JSON transcript: one segment per spoken transcript word, in transcript order, its
    ``body`` the word as written and its ``confidence`` the probability that it starts within 250 ms of where it
    is said (``align.confidence``) and its ``ref`` ``"LINE:N"`` (``Transcript.refs``; players ignore both).

    >>> from align.aligner import RecognisedWord, align_words
    >>> from align.transcript import parse_transcript
    >>> a = align_words(parse_transcript("ANN: Hi."), [RecognisedWord("hi", 0.5, 0.8)])
    >>> json.loads(to_json(a))["segments"]
    [{'speaker': 'Ann', 'startTime': 0.5, 'endTime': 0.8, 'body': 'Hi.', 'confidence': 1.0, 'ref': '1:1'}]
    """
    transcript = alignment.transcript
    refs = transcript.refs()
    segments = []
    for timing in alignment.timings:
        if timing.start is None:
            continue
        token = transcript.tokens[timing.token]
        segment = {"startTime": timing.start, "endTime": max(timing.start, timing.end),
                   "body": _single_line(token.text)}
        if timing.status != "note":
            segment["confidence"] = timing.confidence
            segment["ref"] = refs[timing.token]
        speaker = transcript.speaker_of(token)
        if speaker:
            segment = {"speaker": _single_line(speaker), **segment}
        segments.append(segment)
    return _json_document(segments)


def to_json_cues(cues: list[Cue]) -> str:
    """A Podcasting 2.0 JSON transcript with one segment per cue, its ``body`` the cue's words on one line.

    >>> json.loads(to_json_cues([Cue(0.5, 2.0, "Ann", ["Ann: Hello", "there."], label="Ann:")]))["segments"]
    [{'speaker': 'Ann', 'startTime': 0.5, 'endTime': 2.0, 'body': 'Hello there.'}]
    """
    segments = []
    for cue in cues:
        segment = {"startTime": cue.start, "endTime": cue.end, "body": _single_line(cue.body)}
        segments.append({"speaker": _single_line(cue.speaker), **segment} if cue.speaker else segment)
    _check_times([(s["startTime"], s["endTime"]) for s in segments], "JSON")
    return _json_document(segments)


def _json_document(segments: list[dict]) -> str:
    """The document, a segment a line (json's C encoder writes each; with ``indent`` the pure-Python one wrote it
    all, a tenth of a second for a long episode).

    >>> print(_json_document([{"startTime": 0.5, "endTime": 0.8, "body": "Hi."}]), end="")
    {"version": "1.0.0", "segments": [
     {"startTime": 0.5, "endTime": 0.8, "body": "Hi."}
    ]}
    """
    lines = ",\n".join(" " + json.dumps(segment, ensure_ascii=False) for segment in segments)
    content = '{"version": "1.0.0", "segments": [\n' + lines + ("\n" if segments else "") + "]}\n"
    back = json.loads(content)["segments"]
    if len(back) != len(segments) or any(s["startTime"] > s["endTime"] for s in back):
        raise OutputError("internal error: the JSON transcript does not read back as written")
    return content


def _mode_for(path: Path) -> int:
    """The permissions a new file gets from the umask, or those of the file it replaces."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: str | Path, content: str) -> None:
    """Write a file so that it is either wholly there or not changed at all (temporary file, then rename).

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.vtt"
    >>> write_atomically(target, "WEBVTT\\n"); target.read_text()
    'WEBVTT\\n'
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if not directory.is_dir():
        raise OutputError(f"{path}: the folder {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    except OSError as error:
        raise OutputError(f"{path}: cannot write here ({error.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        os.chmod(tmp, _mode_for(path))  # mkstemp makes owner-only files; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException as error:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise OutputError(f"{path}: cannot write ({error.strerror})") from None
        raise
