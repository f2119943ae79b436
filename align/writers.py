"""Write cues as WebVTT or SRT, words as a Podcasting 2.0 JSON transcript; files are replaced atomically.

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
Ann & Bo: Fish & <chips>
<BLANKLINE>
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from align.captions import Cue
from align.errors import OutputError

__all__ = ["FORMATS", "to_vtt", "to_srt", "to_json", "write_atomically", "format_for"]

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
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def voice_name(speaker: str) -> str:
    """A speaker name that is safe inside ``<v ...>``: no ``&``, ``<`` or ``>``."""
    return " ".join(speaker.replace("&", " and ").replace("<", " ").replace(">", " ").split())


def _vtt_seconds(t: float) -> str:
    ms = int(round(t * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT text, built with webvtt-py and read back by it before it is returned."""
    import webvtt

    captions = []
    for cue in cues:
        lines = [escape_vtt(line) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {voice_name(cue.speaker)}>{lines[0]}"
        captions.append(webvtt.Caption(_vtt_seconds(cue.start), _vtt_seconds(cue.end), lines))
    content = webvtt.WebVTT(captions=captions).content
    if not content.endswith("\n"):
        content += "\n"
    _check_vtt(content, len(cues))
    return content


def _check_vtt(content: str, expected: int) -> None:
    import io

    import webvtt

    parsed = webvtt.from_buffer(io.StringIO(content))
    if len(parsed.captions) != expected:
        raise OutputError(f"internal error: the WebVTT written reads back as {len(parsed.captions)} cues, "
                          f"not {expected}")
    previous = 0.0
    for caption in parsed.captions:
        if caption.start_in_seconds < previous - 1:
            raise OutputError("internal error: WebVTT cue start times decrease")
        previous = caption.start_in_seconds


def to_srt(cues: list[Cue]) -> str:
    """SRT text; the speaker's name is shown as ``Name:`` at each change of speaker."""
    blocks = []
    previous_speaker = None
    for number, cue in enumerate(cues, start=1):
        lines = [line.replace("-->", "->") for line in cue.lines]
        if cue.speaker and cue.speaker != previous_speaker:
            lines[0] = f"{cue.speaker}: {lines[0]}"
        previous_speaker = cue.speaker
        start, end = _vtt_seconds(cue.start).replace(".", ","), _vtt_seconds(cue.end).replace(".", ",")
        blocks.append(f"{number}\n{start} --> {end}\n" + "\n".join(lines) + "\n")
    return "\n".join(blocks)


def to_json(alignment) -> str:
    """A Podcasting 2.0 JSON transcript: one segment per spoken transcript word, in transcript order, its
    ``body`` the word as written."""
    transcript = alignment.transcript
    segments = []
    for timing in alignment.timings:
        if timing.start is None:
            continue
        token = transcript.tokens[timing.token]
        segment = {"startTime": timing.start, "endTime": max(timing.start, timing.end), "body": token.text}
        speaker = transcript.speaker_of(token)
        if speaker:
            segment = {"speaker": speaker, **segment}
        segments.append(segment)
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=1) + "\n"


def write_atomically(path: str | Path, content: str) -> None:
    """Write a file so that it is either wholly there or not changed at all (temporary file, then rename)."""
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
        os.replace(tmp, path)
    except BaseException as error:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise OutputError(f"{path}: cannot write ({error.strerror})") from None
        raise
