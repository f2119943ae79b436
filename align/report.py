"""The alignment report: what was captioned, what the audio lacks, what the transcript lacks.

>>> from align.transcript import parse_transcript
>>> from align.aligner import align_words, RecognisedWord
>>> t = parse_transcript("A: hello there\\n\\nA: this paragraph was cut from the audio entirely")
>>> r = build_report(align_words(t, [RecognisedWord("hello", 0.0, 0.4), RecognisedWord("there", 0.5, 0.9)]))
>>> r["not_in_audio"], r["counts"]["captioned"]
([{'line': 3, 'text': 'this paragraph was cut from the audio entirely', 'at': 0.9, 'where': 'after', 'ref': '3:1'}], 2)
"""
from __future__ import annotations

from collections import Counter

from align.confidence import FLAG_BELOW
from align.terminal import printable

__all__ = ["build_report", "summary_lines", "low_confidence_stretches", "worst_first", "worth_a_listen",
           "listen_below", "LOW_CONFIDENCE", "MOST_WORTH_A_LISTEN"]

LOW_CONFIDENCE = FLAG_BELOW  # a word less likely than this to start within 250 ms of its saying is worth a listen
# the list holds at most this share of the spoken words (or FEW_TO_LISTEN), the least sure ones: under the 5% that
# is the longest list a producer is asked to hear, with room for the words a scorer leaves out of its count (on the
# short real episodes the model puts 6-9% of the words under LOW_CONFIDENCE; --no-refine 15-32%)
MOST_WORTH_A_LISTEN, FEW_TO_LISTEN = 0.045, 5


def build_report(alignment) -> dict:
    """The report as plain data (it is written as JSON by ``--report``).

    ``not_in_audio``: passages (runs of one line) left out of the captions, each with ``at``, the time in the
    audio where it would have been said (the end of the spoken word before it, 0 at the start), and ``where``:
    ``before`` the first word heard, ``within`` the speech, or ``after`` the last word heard.
    ``not_in_transcript``: stretches of recognised speech that no transcript word claims.
    ``low_confidence``: the words worth a listen: every captioned word whose ``confidence`` (the probability that
    it starts within 250 ms of where it is said, ``align.confidence``) is under ``listen_below`` (``LOW_CONFIDENCE``,
    or lower where that would list more than ``MOST_WORTH_A_LISTEN`` of the words), in stretches
    (``low_confidence_stretches``), the least sure stretch first.
    """
    transcript = alignment.transcript
    tokens = transcript.tokens
    refs = transcript.refs()
    below = listen_below(alignment.timings, tokens)
    not_in_audio: list[dict] = []
    low: list[dict] = []
    last_end = 0.0
    last_index = -2
    spoken_seen = False
    for timing in alignment.timings:
        token = tokens[timing.token]
        if timing.status == "not_in_audio":
            if not_in_audio and not_in_audio[-1]["line"] == token.line and last_index == token.index - 1:
                not_in_audio[-1]["text"] += " " + token.text
            else:
                not_in_audio.append({"line": token.line, "text": token.text, "at": last_end,
                                     "where": "within" if spoken_seen else "before", "ref": refs[token.index]})
            last_index = token.index
        elif timing.start is not None:
            spoken_seen = True
            last_end = timing.end if timing.end is not None else timing.start
            if worth_a_listen(timing, token, below):
                low.append({"line": token.line, "text": token.text, "start": timing.start, "end": timing.end,
                            "confidence": timing.confidence, "status": timing.status, "ref": refs[token.index]})
    low = [entry for stretch in worst_first(low_confidence_stretches(low)) for entry in stretch]
    for passage in reversed(not_in_audio):  # passages after the last word heard
        if passage["where"] == "before" or passage["at"] < last_end:
            break
        passage["where"] = "after"
    statuses = Counter(t.status for t in alignment.timings)
    spoken_words = sum(1 for t in alignment.timings if t.status != "note")
    counts = {
        "transcript_tokens": len(tokens),
        "words": spoken_words,
        "notes": statuses["note"],
        "captioned": sum(1 for t in alignment.timings if t.start is not None or t.status == "note"),
        "matched": statuses["matched"],
        "misheard": statuses["misheard"],
        "forced": statuses["forced"],
        "interpolated": statuses["interpolated"],
        "not_in_audio": statuses["not_in_audio"],
        "not_in_transcript_spans": len(alignment.unscripted),
        "low_confidence": len(low),
        "recognised_words": len(alignment.words),
        "found_share": round((statuses["matched"] + statuses["misheard"]) / max(1, spoken_words), 4),
    }
    return {
        "counts": counts,
        "not_in_audio": not_in_audio,
        "not_in_transcript": [{"start": s.start, "end": s.end, "heard": s.heard} for s in alignment.unscripted],
        "low_confidence": low,
    }


def worth_a_listen(timing, token, below: float = LOW_CONFIDENCE) -> bool:
    """Whether a captioned word is worth a listen: likely off, and a word (a dash or a lone symbol has nothing to
    hear).

    >>> from align.aligner import WordTiming
    >>> from align.transcript import Token
    >>> [worth_a_listen(WordTiming(0, "matched", 1.0, 1.2, 0.3), Token(0, t, 1, 0, 0)) for t in ("word", "–")]
    [True, False]
    """
    return (timing.start is not None and timing.status != "note" and timing.confidence < below
            and any(ch.isalnum() for ch in token.text))


def listen_below(timings, tokens, below: float = LOW_CONFIDENCE, most: float = MOST_WORTH_A_LISTEN) -> float:
    """The confidence under which a word of this alignment is worth a listen: ``below``, or lower where more than
    ``most`` of its words (and more than ``FEW_TO_LISTEN``) are under that: then the least sure of them, fewer where
    some tie.

    >>> from align.aligner import WordTiming
    >>> from align.transcript import Token
    >>> said = lambda low: [WordTiming(k, "matched", k, k + 0.5, low[k] if k < len(low) else 0.99) for k in range(120)]
    >>> tokens = [Token(k, "word", 1, 0, 0) for k in range(120)]
    >>> listen_below(said([0.2] * 3 + [0.4] * 2), tokens) == LOW_CONFIDENCE   # 5 of 120 words: all of them
    True
    >>> listen_below(said([0.2] * 3 + [0.4] * 4), tokens)   # 7: the 3 under 0.4 (the 4 at 0.4 tie for 2 places)
    0.4
    """
    sure = sorted(t.confidence for t in timings if worth_a_listen(t, tokens[t.token], 1.01))
    room = max(FEW_TO_LISTEN, int(most * len(sure)))
    return min(below, sure[room]) if room < len(sure) else below


def low_confidence_stretches(low: list[dict], pause: float = 0.6) -> list[list[dict]]:
    """``low_confidence`` entries grouped into stretches: neighbours on one line with under ``pause`` s between.

    >>> w = lambda s, line=1: {"line": line, "text": "x", "start": s, "end": s + 0.3}
    >>> [len(s) for s in low_confidence_stretches([w(0), w(0.5), w(5), w(5.4, 2)])]
    [2, 1, 1]
    """
    stretches: list[list[dict]] = []
    for entry in low:
        if stretches:
            prev = stretches[-1][-1]
            if prev["line"] == entry["line"] and entry["start"] - (prev.get("end") or prev["start"]) <= pause:
                stretches[-1].append(entry)
                continue
        stretches.append([entry])
    return stretches


def worst_first(stretches: list[list[dict]]) -> list[list[dict]]:
    """Stretches ordered by their least sure word, least sure first (ties in time order).

    >>> w = lambda s, c: {"line": 1, "text": "x", "start": s, "end": s + 0.3, "confidence": c}
    >>> [s[0]["start"] for s in worst_first([[w(0, 0.5)], [w(5, 0.2), w(5.4, 0.7)], [w(9, 0.5)]])]
    [5, 0, 9]
    """
    return sorted(stretches, key=lambda stretch: min(e["confidence"] for e in stretch))


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _first_words(text: str, n: int = 8) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


def _lines(passages: list[dict]) -> str:
    first, last = passages[0]["line"], passages[-1]["line"]
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


def summary_lines(report: dict, limit: int = 5) -> list[str]:
    """A short human summary of a report, for stderr: counts, then what to check, each with where to find it.
    Every line is ``printable``: the words it quotes come from the transcript and the recogniser."""
    c = report["counts"]
    parts = [(c["matched"], "heard as written"), (c["misheard"], "heard differently"),
             (c.get("forced", 0), "found by checking the audio"),
             (c["interpolated"], "placed between their neighbours")]
    lines = [f"captioned {c['captioned']} of {c['transcript_tokens']} transcript words "
             f"({', '.join(f'{n} {what}' for n, what in parts if n)})"]
    refinement = report.get("refinement") or {}
    if refinement.get("note"):
        lines.append(refinement["note"])

    passages = report["not_in_audio"]
    if passages:
        lines.append(f"not in the audio ({_n(c['not_in_audio'], 'word')} in {_n(len(passages), 'passage')}, "
                     "left out of the captions):")
        within = [p for p in passages if p.get("where", "within") == "within"]
        for p in within[:limit]:
            at = f" (at {_clock(p['at'])})" if "at" in p else ""
            lines.append(f"  line {p['line']}{at}: {_first_words(p['text'])}")
        if len(within) > limit:
            lines.append(f"  ... and {len(within) - limit} more (see --report)")
        for where, said in (("before", "before the first word heard"), ("after", "after the last word heard")):
            edge = [p for p in passages if p.get("where") == where]
            if len(edge) == 1:
                lines.append(f"  {_lines(edge)}, {said}: {_first_words(edge[0]['text'])}")
            elif edge:
                words = sum(len(p["text"].split()) for p in edge)
                lines.append(f"  {_lines(edge)}, {said}: {len(edge)} passages ({words} words) "
                             f"from '{_first_words(edge[0]['text'], 5)}'")

    spans = report["not_in_transcript"]
    if spans:
        lines.append(f"speech not in the transcript ({_n(len(spans), 'stretch', 'stretches')}, no captions):")
        for s in spans[:limit]:
            lines.append(f"  {_clock(s['start'])}-{_clock(s['end'])}: {_first_words(s['heard'])}")
        if len(spans) > limit:
            lines.append(f"  ... and {len(spans) - limit} more (see --report)")

    low = report["low_confidence"]
    if low:
        stretches = worst_first(low_confidence_stretches(sorted(low, key=lambda e: e["start"])))
        lines.append(f"worth a listen ({_n(len(low), 'word')} likely over 250 ms off)"
                     + ("; the least sure first:" if len(stretches) > limit else ":"))
        for s in stretches[:limit]:
            lines.append(f"  {_clock(s[0]['start'])} line {s[0]['line']}: "
                         f"{_first_words(' '.join(e['text'] for e in s))}")
        if len(stretches) > limit:
            lines.append(f"  ... and {len(stretches) - limit} more (see --report)")
    return [printable(line) for line in lines]
