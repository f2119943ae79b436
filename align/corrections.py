"""A producer's corrections: words whose start was set by ear on the review page, as hard anchors.

A corrections file is ``{"words": [{"ref": "12:3", "start": 81.42}, ...]}`` (``"end"`` optional): ``ref`` is the
word's ``LINE:N`` (``Transcript.refs``). A correction that names no word (the transcript changed), whose time is
outside the audio or out of order with another correction, is skipped and named; the rest apply. The anchored
word starts exactly there; the aligned words around it that would cross it are laid out between it and their
own neighbours before refinement (so the HMM aligns them afresh there) and again after.

>>> from align.transcript import parse_transcript
>>> t = parse_transcript("ANN: one two three")
>>> anchors, skipped = check_corrections({"words": [{"ref": "1:2", "start": 5.0}, {"ref": "1:9", "start": 6.0}]},
...                                      t, 10.0)
>>> anchors
[Anchor(token=1, ref='1:2', start=5.0, end=None)]
>>> skipped
[{'ref': '1:9', 'start': 6.0, 'why': 'names no word of the transcript'}]
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from align.errors import UsageError
from align.retime import fit_run  # shift a run of words between two times, squeezed if it must be

__all__ = ["Anchor", "read_corrections", "check_corrections", "anchored"]

SHORTEST = 0.05  # seconds: a corrected word without an end keeps its length, at least this


@dataclass(frozen=True)
class Anchor:
    token: int
    ref: str
    start: float
    end: float | None = None


def read_corrections(path: str | Path) -> dict:
    """The corrections file as data; a file that cannot be read or is not such JSON is one clear UsageError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--corrections {path}: cannot read it ({getattr(error, 'strerror', None) or error})") \
            from None
    except ValueError as error:
        raise UsageError(f"--corrections {path}: not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("words"), list):
        raise UsageError(f'--corrections {path}: expected {{"words": [{{"ref": "LINE:N", "start": SECONDS}}]}}')
    return data


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def check_corrections(data: dict, transcript, seconds: float | None) -> tuple[list[Anchor], list[dict]]:
    """The corrections that apply, in transcript order, and those skipped, each with ``why``."""
    refs = {ref: k for k, ref in enumerate(transcript.refs()) if ref is not None}
    candidates: list[Anchor] = []
    skipped: list[dict] = []
    for entry in data["words"]:
        ref = entry.get("ref") if isinstance(entry, dict) else None
        start = _number(entry.get("start")) if isinstance(entry, dict) else None
        end = _number(entry.get("end")) if isinstance(entry, dict) and "end" in entry else None
        why = None
        if not isinstance(ref, str) or start is None:
            why = 'needs a "ref" ("LINE:N") and a "start" in seconds'
        elif ref not in refs:
            why = "names no word of the transcript"
        elif start < 0 or (seconds is not None and start > seconds):
            why = "is outside the audio"
        elif isinstance(entry, dict) and "end" in entry and (end is None or end <= start or
                                                             (seconds is not None and end > seconds + 1)):
            why = "has an end that is not after its start, within the audio"
        if why:
            skipped.append({"ref": ref, "start": entry.get("start") if isinstance(entry, dict) else None,
                            "why": why})
        else:
            candidates.append(Anchor(refs[ref], ref, round(start, 3), None if end is None else round(end, 3)))
    anchors: list[Anchor] = []
    for anchor in sorted(candidates, key=lambda a: a.token):
        previous = anchors[-1] if anchors else None
        if previous is not None and anchor.token == previous.token:
            skipped.append({"ref": anchor.ref, "start": anchor.start, "why": "corrects the same word again"})
        elif previous is not None and anchor.start <= previous.start:
            skipped.append({"ref": anchor.ref, "start": anchor.start,
                            "why": f"is out of order with the correction of {previous.ref}"})
        else:
            anchors.append(anchor)
    return anchors, skipped


def anchored(timings: list, anchors: list[Anchor]) -> list:
    """The timings with each anchored word at its corrected time (heard as written, certain) and the spoken
    words either side that would cross it laid out between it and their nearest uncrossed neighbour.

    >>> from align.aligner import WordTiming as W
    >>> ts = [W(0, "matched", 1.0, 1.3), W(1, "matched", 1.4, 1.7), W(2, "matched", 1.8, 2.1),
    ...       W(3, "matched", 5.0, 5.3)]
    >>> [(t.start, t.end) for t in anchored(ts, [Anchor(1, "1:2", 3.0)])]
    [(1.0, 1.3), (3.0, 3.3), (3.3, 3.6), (5.0, 5.3)]
    """
    timings = list(timings)
    fixed = {a.token for a in anchors}
    for a in anchors:
        old = timings[a.token]
        length = (old.end - old.start) if old.start is not None and old.end is not None else 0.3
        end = a.end if a.end is not None else round(a.start + max(SHORTEST, length), 3)
        timings[a.token] = replace(old, status="matched", start=a.start, end=end, confidence=1.0)
    spoken = [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"]
    for a in anchors:
        at = spoken.index(a.token)
        anchor = timings[a.token]
        before = []  # the words before it that end after it starts, back to one that does not
        for k in reversed(spoken[:at]):
            if k in fixed or timings[k].end <= anchor.start:
                break
            before.insert(0, k)
        after = []
        for k in spoken[at + 1:]:
            if k in fixed or timings[k].start >= anchor.end:
                break
            after.append(k)
        if before:  # shifted back to end where the anchor starts, squeezed after their neighbour if need be
            k0 = spoken.index(before[0])
            fit_run(timings, before, timings[spoken[k0 - 1]].end if k0 else None, anchor.start)
        if after:  # shifted on to start where the anchor ends, squeezed before their neighbour if need be
            k1 = spoken.index(after[-1])
            fit_run(timings, after, anchor.end, timings[spoken[k1 + 1]].start if k1 + 1 < len(spoken) else None)
    return timings
