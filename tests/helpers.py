"""Recognised words made by hand: the transcript's words at a steady pace, with edits applied."""
from align.aligner import RecognisedWord


def said(text: str, start: float = 0.0, pace: float = 0.4) -> list[RecognisedWord]:
    return [RecognisedWord(w, round(start + k * pace, 3), round(start + k * pace + pace * 0.8, 3))
            for k, w in enumerate(text.split())]


def start_errors(result, truth: list[dict]) -> list[float]:
    """How far each spoken word of a truth.json starts from where ``result`` (align_episode's) starts it; the page
    text before the first label, which truth.json lacks, is skipped."""
    tokens = result.transcript.tokens
    offset = len(tokens) - len(truth)
    assert [t.text for t in tokens[offset:]] == [w["text"] for w in truth]
    return [abs(result.alignment.timings[offset + k].start - w["start"])
            for k, w in enumerate(truth) if w["start"] is not None]
