"""The alignment report: what was captioned, what the audio lacks, what the transcript lacks.

>>> from align.transcript import parse_transcript
>>> from align.aligner import align_words, RecognisedWord
>>> t = parse_transcript("A: hello there\\n\\nA: this paragraph was cut from the audio entirely")
>>> r = build_report(align_words(t, [RecognisedWord("hello", 0.0, 0.4), RecognisedWord("there", 0.5, 0.9)]))
>>> r["not_in_audio"], r["counts"]["captioned"]
([{'line': 3, 'text': 'this paragraph was cut from the audio entirely'}], 2)
"""
from __future__ import annotations

from collections import Counter

__all__ = ["build_report", "summary_lines", "LOW_CONFIDENCE"]

LOW_CONFIDENCE = 0.35


def build_report(alignment) -> dict:
    transcript = alignment.transcript
    tokens = transcript.tokens
    not_in_audio: list[dict] = []
    low: list[dict] = []
    for timing in alignment.timings:
        token = tokens[timing.token]
        if timing.status == "not_in_audio":
            if not_in_audio and not_in_audio[-1]["line"] == token.line and last_index == token.index - 1:
                not_in_audio[-1]["text"] += " " + token.text
            else:
                not_in_audio.append({"line": token.line, "text": token.text})
            last_index = token.index
        elif timing.start is not None and timing.status != "note" and timing.confidence < LOW_CONFIDENCE:
            low.append({"line": token.line, "text": token.text, "start": timing.start, "status": timing.status})
    statuses = Counter(t.status for t in alignment.timings)
    spoken_words = sum(1 for t in alignment.timings if t.status != "note")
    counts = {
        "transcript_tokens": len(tokens),
        "words": spoken_words,
        "notes": statuses["note"],
        "captioned": sum(1 for t in alignment.timings if t.start is not None or t.status == "note"),
        "matched": statuses["matched"],
        "misheard": statuses["misheard"],
        "interpolated": statuses["interpolated"],
        "not_in_audio": statuses["not_in_audio"],
        "not_in_transcript_spans": len(alignment.unscripted),
        "recognised_words": len(alignment.words),
        "found_share": round((statuses["matched"] + statuses["misheard"]) / max(1, spoken_words), 4),
    }
    return {
        "counts": counts,
        "not_in_audio": not_in_audio,
        "not_in_transcript": [{"start": s.start, "end": s.end, "heard": s.heard} for s in alignment.unscripted],
        "low_confidence": low,
    }


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def summary_lines(report: dict, limit: int = 5) -> list[str]:
    """A short human summary of a report, for stderr."""
    c = report["counts"]
    lines = [f"captioned {c['captioned']} of {c['transcript_tokens']} transcript words "
             f"({c['matched']} heard as written, {c['misheard'] + c['interpolated']} placed between them)"]
    passages = report["not_in_audio"]
    if passages:
        lines.append(f"not in the audio ({c['not_in_audio']} words, left out of the captions):")
        for p in passages[:limit]:
            words = p["text"].split()
            lines.append(f"  line {p['line']}: {' '.join(words[:8])}{' ...' if len(words) > 8 else ''}")
        if len(passages) > limit:
            lines.append(f"  ... and {len(passages) - limit} more (see --report)")
    spans = report["not_in_transcript"]
    if spans:
        lines.append("speech not in the transcript:")
        for s in spans[:limit]:
            words = s["heard"].split()
            lines.append(f"  {_clock(s['start'])}-{_clock(s['end'])}: {' '.join(words[:8])}"
                         f"{' ...' if len(words) > 8 else ''}")
        if len(spans) > limit:
            lines.append(f"  ... and {len(spans) - limit} more (see --report)")
    if report["low_confidence"]:
        lines.append(f"{len(report['low_confidence'])} words placed with low confidence (see --report)")
    return lines
