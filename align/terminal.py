"""What the command line shows on stderr: lines made safe for any terminal, and a progress line.

Text that reaches stderr comes from the user's files (speaker names, transcript words, file names), so it is
made printable first: control characters, tab and line breaks included (a terminal escape sequence sets the
window title or clears the screen), and bidirectional overrides become ``?``; file names that are not valid
UTF-8 show their bytes as ``\\xNN``, and what the stream's encoding cannot hold is escaped. Writing never
raises: with stderr closed, full or a broken pipe, the line is lost, not the run (its captions are already
written, or its exit status says what failed).

>>> printable("caf\\udce9 \\x1b]0;owned\\x07 \\u202eevil")
'caf\\\\xe9 ?]0;owned? ?evil'
"""
from __future__ import annotations

import os
import re
import sys
import time

__all__ = ["printable", "say", "ProgressLine", "ensure_standard_streams"]

# C0 and C1 controls (ESC starts a terminal's escape sequences), DEL, and the bidirectional embeddings, overrides
# and isolates, which reorder the text after them on a terminal
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, encoding: str = "utf-8") -> str:
    """``text`` as it can be shown on a terminal whose encoding is ``encoding`` (see the module's example).

    >>> printable("Zoë", "ascii")
    'Zo\\\\xeb'
    """
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = _UNPRINTABLE.sub("?", text)
    return text.encode(encoding, "backslashreplace").decode(encoding)


def ensure_standard_streams() -> None:
    """Give a closed stdin, stdout or stderr (``2>&-``) the null device, so that a file opened later never
    takes its number (and receives what was meant for the terminal), and ``sys.stderr`` is never None."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    for name, fd, mode in (("stdout", 1, "w"), ("stderr", 2, "w")):
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, encoding="utf-8", errors="backslashreplace", closefd=False))


def _lose_stderr() -> None:
    """stderr cannot be written (full, a closed pipe): send what is left to the null device, so that nothing
    fails later, at exit included."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        pass


def _write(text: str) -> None:
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # full, closed pipe, closed file
        _lose_stderr()


def say(line: str) -> None:
    """Write one line (or several) to stderr, made printable; never raises."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    _write("\n".join(printable(part, encoding) for part in line.split("\n")) + "\n")


class ProgressLine:
    """Progress on stderr, redrawn in place, with an estimate of the time left; silent off a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage = None
        self.began = time.monotonic()
        self.drawn = False

    def __call__(self, stage: str, done: float, total: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self.stage:
            self.stage, self.began = stage, now
        line = stage
        if total > 1 and done > 0:
            share = min(1.0, done / total)
            line += f" {share:4.0%}"
            elapsed = now - self.began
            if 0 < share < 1 and elapsed > 2:
                line += f", about {int(elapsed * (1 - share) / share) + 1} s left"
        _write("\r\033[K" + printable(line, getattr(sys.stderr, "encoding", None) or "utf-8"))
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            _write("\r\033[K")
            self.drawn = False
