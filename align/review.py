"""A review page: one self-contained HTML file to check an alignment by listening.

The page holds an audio player on the episode (the captions loaded into it as a ``<track>``), the transcript by
speaker turn with every token shown (a spoken word seeks the audio when clicked and is highlighted while it is
said; text that is not in the audio is struck through with its line; notes are shown as written), the speech
that the transcript lacks marked in place, low-confidence words marked, and a timeline of the episode with the
problems on it. Its CSS and script are inline and its Content-Security-Policy forbids any network use; the only
file it refers to is the audio, by a path relative to the page (or embedded as a data: URL on request).

>>> from align.transcript import parse_transcript
>>> from align.aligner import align_words, RecognisedWord
>>> from align.pipeline import Result
>>> from align.report import build_report
>>> t = parse_transcript("A: Hello <there> [laughs]\\n\\nA: a paragraph cut from the audio in the edit")
>>> a = align_words(t, [RecognisedWord("hello", 0.0, 0.4), RecognisedWord("there", 0.5, 0.9)])
>>> page = review_html(Result(t, a, [], build_report(a)), "ep.mp3", "WEBVTT\\n")
>>> 'data-start="0.5" data-end="0.9">&lt;there&gt;</span>' in page, 'src="ep.mp3"' in page
(True, True)
"""
from __future__ import annotations

import base64
import bisect
import hashlib
import html
import json
import os
import urllib.parse
from importlib import resources
from pathlib import Path

from align.report import listen_below, low_confidence_stretches, worst_first, worth_a_listen
from align.terminal import printable
from align.writers import escape_vtt, srt_lines, voice_name

__all__ = ["review_html", "audio_url", "AUDIO_TYPES"]

AUDIO_TYPES = {".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4", ".mp4": "video/mp4",
               ".aac": "audio/aac", ".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg",
               ".opus": "audio/ogg", ".webm": "audio/webm", ".mov": "video/quicktime", ".mkv": "video/x-matroska"}

_STATUS_WORDS = {
    "matched": "heard as written",
    "misheard": "heard differently",
    "forced": "found by checking the audio",
    "interpolated": "not heard: placed between its neighbours",
}


def audio_url(audio_path: str | Path, page_path: str | Path | None = None) -> str:
    """The URL of the audio as the page at ``page_path`` refers to it: a relative path where one exists.

    >>> audio_url("/data/shows/ep 1.mp3", "/data/shows/review/ep.html")
    '../ep%201.mp3'
    """
    if page_path is None:
        return urllib.parse.quote(os.fsencode(Path(audio_path).as_posix()))
    audio = Path(os.path.abspath(audio_path))
    folder = Path(os.path.abspath(page_path)).parent
    try:
        relative = os.path.relpath(audio, folder)
    except ValueError:  # another drive (Windows): no relative path exists
        return audio.as_uri()
    return urllib.parse.quote(os.fsencode(Path(relative).as_posix()))  # a name's bytes, UTF-8 or not


def _embedded(audio_path: str | Path) -> str:
    path = Path(audio_path)
    kind = AUDIO_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value else "0"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _short(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + (" …" if len(words) > n else "")


class _Page:
    def __init__(self, result, low_confidence: float):
        self.result = result
        self.alignment = result.alignment
        self.transcript = self.alignment.transcript
        self.tokens = self.transcript.tokens
        self.refs = self.transcript.refs()
        self.timing = {t.token: t for t in self.alignment.timings}
        self.low_confidence = low_confidence
        words = self.alignment.words
        self.heard_starts = [w.start for w in words]
        ends = [w.end for w in words] + [s.end for s in self.alignment.unscripted]
        ends += [t.end for t in self.alignment.timings if t.end is not None]
        self.duration = max(ends, default=0.0) or 1.0
        self.spoken = [i for i in range(len(self.tokens)) if self._start(i) is not None]
        self.passages = self._passages()
        self.placements = self._place_unscripted()

    def _start(self, i: int) -> float | None:
        timing = self.timing.get(i)
        return None if timing is None or timing.status == "note" else timing.start

    def heard(self, start: float, end: float) -> str:
        """What the recogniser heard between two times."""
        words = self.alignment.words
        k = bisect.bisect_left(self.heard_starts, start - 1.0)
        picked = []
        while k < len(words) and words[k].start < end:
            if start - 0.05 <= (words[k].start + words[k].end) / 2 <= end + 0.05:
                picked.append(words[k].text.strip())
            k += 1
        return " ".join(picked)

    def _passages(self) -> list[dict]:
        """Runs of tokens not in the audio (one line, consecutive), as the report groups them."""
        passages: list[dict] = []
        last_end, seen = 0.0, False
        for token in self.tokens:
            timing = self.timing.get(token.index)
            if timing is None:
                continue
            if timing.status == "not_in_audio":
                if passages and passages[-1]["line"] == token.line and passages[-1]["tokens"][-1] == token.index - 1:
                    passages[-1]["tokens"].append(token.index)
                else:
                    passages.append({"line": token.line, "tokens": [token.index], "at": last_end,
                                     "where": "within" if seen else "before"})
            elif timing.start is not None and timing.status != "note":
                seen = True
                last_end = timing.end if timing.end is not None else timing.start
        for passage in reversed(passages):
            if passage["where"] == "before" or passage["at"] < last_end:
                break
            passage["where"] = "after"
        for k, passage in enumerate(passages):
            passage["id"] = f"gone-{k + 1}"
            passage["text"] = " ".join(self.tokens[i].text for i in passage["tokens"])
        return passages

    def _place_unscripted(self) -> dict[tuple[str, int], list[int]]:
        """Where each unscripted span goes in the transcript: before a turn, before a paragraph, or inline
        before a token (the first spoken token said after its middle); ("end", 0) after everything."""
        placements: dict[tuple[str, int], list[int]] = {}
        starts = [self._start(i) for i in self.spoken]
        for k, span in enumerate(self.alignment.unscripted):
            middle = (span.start + span.end) / 2
            j = next((j for j, s in enumerate(starts) if s >= middle), None) if starts else None
            if j is None:
                key = ("end", 0)
            else:
                token = self.tokens[self.spoken[j]]
                earlier = self.tokens[self.spoken[j - 1]] if j > 0 else None
                if earlier is None or earlier.turn != token.turn:
                    key = ("turn", token.turn)
                elif earlier.paragraph != token.paragraph:
                    key = ("paragraph", token.paragraph)
                else:
                    key = ("token", token.index)
            placements.setdefault(key, []).append(k)
        return placements

    # --- pieces of the page ---

    def unscripted_html(self, k: int, inline: bool = False) -> str:
        span = self.alignment.unscripted[k]
        tag = "span" if inline else "div"
        when = f"{_clock(span.start)}–{_clock(span.end)}"
        return (f'<{tag} class="unscripted{" inline" if inline else ""}" id="unscripted-{k + 1}" '
                f'data-start="{_num(span.start)}" data-end="{_num(span.end)}" role="note">'
                f'<span class="tag">Not in the transcript</span> '
                f'<button type="button" class="time" data-start="{_num(span.start)}">{when}</button> '
                f'heard: <q>{_e(span.heard)}</q></{tag}>')

    def word_html(self, i: int) -> str:
        token = self.tokens[i]
        timing = self.timing.get(i)
        text = _e(token.text)
        if token.is_note or timing is None or timing.status == "note":
            return f'<span class="note" data-i="{i}">{text}</span>'
        if timing.start is None:
            return f'<span class="w gone-w" data-i="{i}">{text}</span>'
        start, end = timing.start, max(timing.start, timing.end if timing.end is not None else timing.start)
        attrs = f'class="w" data-i="{i}"'
        if worth_a_listen(timing, token, self.low_confidence):
            why = _STATUS_WORDS.get(timing.status, timing.status)
            title = f"worth a listen: {timing.confidence:.0%} likely within 250 ms; {why}"
            if timing.status != "interpolated":
                heard = self.heard(start, end)
                if heard and timing.status != "matched":
                    title += f" (heard “{heard}”)"
            attrs = f'class="w low" id="w-{i}" data-i="{i}" title="{_e(title)}"'
        times = f'data-ref="{self.refs[i]}" data-start="{_num(start)}" data-end="{_num(end)}"'
        return f'<span {attrs} {times}>{text}</span>'

    def paragraph_html(self, paragraph) -> str:
        parts: list[str] = []
        first_start = next((self._start(i) for i in range(paragraph.start, paragraph.stop)
                            if self._start(i) is not None), None)
        gutter = f'<a class="line" href="#L{paragraph.line}" title="line {paragraph.line} of the transcript">' \
                 f'{paragraph.line}</a>'
        if first_start is not None:
            gutter += (f'<button type="button" class="time" data-start="{_num(first_start)}" '
                       f'title="play from here">{_clock(first_start)}</button>')
        by_token = {p["tokens"][0]: p for p in self.passages}
        i = paragraph.start
        while i < paragraph.stop:
            for k in self.placements.get(("token", i), []):
                parts.append(self.unscripted_html(k, inline=True))
            passage = by_token.get(i)
            if passage is not None:
                words = " ".join(self.word_html(j) for j in passage["tokens"])
                parts.append(f'<del class="gone" id="{passage["id"]}" data-line="{passage["line"]}" '
                             f'data-at="{_num(passage["at"])}" title="not in the audio (line {passage["line"]}): '
                             f'left out of the captions"><span class="tag">Not in the audio</span> {words}</del>')
                i = passage["tokens"][-1] + 1
                continue
            parts.append(self.word_html(i))
            i += 1
        return (f'<div class="para" id="L{paragraph.line}"><div class="gutter">{gutter}</div>'
                f'<p>{" ".join(parts)}</p></div>')

    def transcript_html(self) -> str:
        out: list[str] = []
        paragraphs_of: dict[int, list] = {}
        for paragraph in self.transcript.paragraphs:
            paragraphs_of.setdefault(paragraph.turn, []).append(paragraph)
        for turn in self.transcript.turns:
            for k in self.placements.get(("turn", turn.index), []):
                out.append(self.unscripted_html(k))
            speaker = turn.speaker
            label = _e(speaker) if speaker else '<span class="nobody">No speaker (text before the first label)</span>'
            body = []
            for paragraph in paragraphs_of.get(turn.index, []):
                for k in self.placements.get(("paragraph", paragraph.index), []):
                    body.append(self.unscripted_html(k))
                body.append(self.paragraph_html(paragraph))
            out.append(f'<section class="turn" aria-label="{_e(speaker or "no speaker")}, line {turn.line}">'
                       f'<h3 class="speaker">{label}</h3>{"".join(body)}</section>')
        for k in self.placements.get(("end", 0), []):
            out.append(self.unscripted_html(k))
        return "\n".join(out)

    def mark(self, kind: str, start: float, end: float | None, title: str, target: str, focusable=True) -> str:
        left = 100 * min(1.0, start / self.duration)
        width = 100 * max(0.0, (end - start)) / self.duration if end is not None else 0
        end_attr = f' data-end="{_num(end)}"' if end is not None else ""
        tab = "" if focusable else ' tabindex="-1"'
        return (f'<button type="button" class="mark {kind}" data-start="{_num(start)}"{end_attr} '
                f'data-target="{target}" style="left:{left:.3f}%;width:{width:.3f}%" title="{_e(title)}" '
                f'aria-label="{_e(title)}"{tab}></button>')

    def timeline_html(self, stretches: list[list[dict]]) -> str:
        marks = []
        for p in self.passages:
            at = p["at"] if p["where"] != "after" else self.duration
            marks.append(self.mark("gone", at, None, f"{_clock(at)} not in the audio, line {p['line']}: "
                                   f"{_short(p['text'], 8)}", p["id"], focusable=p["where"] == "within"))
        for k, span in enumerate(self.alignment.unscripted):
            marks.append(self.mark("unscripted", span.start, span.end,
                                   f"{_clock(span.start)}–{_clock(span.end)} not in the transcript: "
                                   f"{_short(span.heard, 8)}", f"unscripted-{k + 1}"))
        for stretch in stretches:
            end = max(e["end"] if e.get("end") is not None else e["start"] for e in stretch)
            text = " ".join(e["text"] for e in stretch)
            marks.append(self.mark("low", stretch[0]["start"], end, f"{_clock(stretch[0]['start'])} worth a listen, "
                                   f"line {stretch[0]['line']}: {_short(text, 8)}", stretch[0]["id"],
                                   focusable=False))
        return (f'<div id="timeline" class="timeline" data-duration="{_num(self.duration)}" '
                f'title="the episode: click to play from there">'
                f'<div class="lane" aria-hidden="true"></div>{"".join(marks)}'
                f'<div id="playhead" class="playhead" aria-hidden="true"></div></div>')

    def problems_html(self, stretches: list[list[dict]], limit: int = 12) -> str:
        items = []
        within = [p for p in self.passages if p["where"] == "within"]
        for p in within:
            items.append(f'<li class="gone-item"><a href="#{p["id"]}" data-start="{_num(p["at"])}">line {p["line"]}'
                         f'</a> <span class="when">(at {_clock(p["at"])})</span> not in the audio: '
                         f'<del>{_e(_short(p["text"]))}</del></li>')
        for where, said in (("before", "before the first word heard"), ("after", "after the last word heard")):
            edge = [p for p in self.passages if p["where"] == where]
            if edge:
                lines = (f"line {edge[0]['line']}" if len(edge) == 1
                         else f"lines {edge[0]['line']}–{edge[-1]['line']}")
                many = f"{len(edge)} passages: " if len(edge) > 1 else ""
                items.append(f'<li class="gone-item"><a href="#{edge[0]["id"]}">{lines}</a> {said}, not in the audio '
                             f'(page text?): {many}<del>{_e(_short(edge[0]["text"], 8))}</del></li>')
        for k, span in enumerate(self.alignment.unscripted):
            items.append(f'<li class="unscripted-item"><a href="#unscripted-{k + 1}" data-start="{_num(span.start)}">'
                         f'{_clock(span.start)}–{_clock(span.end)}</a> not in the transcript, heard: '
                         f'<q>{_e(_short(span.heard))}</q></li>')
        low_items = ""
        if stretches:
            least_sure = worst_first(stretches)[:limit]
            n_low = sum(len(s) for s in stretches)
            entries = "".join(
                f'<li><a href="#{s[0]["id"]}" data-start="{_num(s[0]["start"])}">{_clock(s[0]["start"])}</a> '
                f'line {s[0]["line"]}: <span class="low">{_e(_short(" ".join(e["text"] for e in s)))}</span></li>'
                for s in least_sure)
            low_items = (f'<li class="low-item">{n_low} words worth a listen (likely over 250 ms off)'
                         f'{"; the least sure first" if len(stretches) > limit else ""}:<ul>{entries}</ul></li>')
        if not items and not low_items:
            return '<p class="ok">Every transcript word was found in the audio, and all the speech is in the ' \
                   'transcript.</p>'
        return f'<ul class="problems">{"".join(items)}{low_items}</ul>'

    def counts_html(self) -> str:
        c = self.result.report["counts"]
        parts = [(c.get("matched", 0), "heard as written"), (c.get("misheard", 0), "heard differently"),
                 (c.get("forced", 0), "found by checking the audio"),
                 (c.get("interpolated", 0), "placed between their neighbours")]
        detail = ", ".join(f"{n} {what}" for n, what in parts if n)
        spans = self.alignment.unscripted
        return (f'<p class="counts">Captioned <strong>{c["captioned"]}</strong> of {c["transcript_tokens"]} '
                f'transcript words ({detail}); {c["not_in_audio"]} not in the audio; '
                f'{len(spans)} {"stretch" if len(spans) == 1 else "stretches"} of speech not in the transcript.</p>')


def review_html(result, audio_path: str | Path, captions_vtt_text: str, *, page_path: str | Path | None = None,
                embed_audio: bool = False, language: str | None = "en", title: str | None = None,
                low_confidence: float | None = None, srt_cues: list | None = None) -> str:
    """The review page of an alignment ``result`` (``pipeline.Result``) as one HTML document.

    The audio is referred to by its path relative to ``page_path`` (where the page will be written; without
    it, ``audio_path`` as given), or embedded as a data: URL with ``embed_audio``. The captions become the
    player's ``<track>`` as a data: URL. The cues (``result.cues``; ``srt_cues`` for SRT, laid out with names, where
    given) come as data too, so that the page can write captions with the producer's corrections applied.
    """
    if low_confidence is None:  # the report's list
        low_confidence = listen_below(result.alignment.timings, result.alignment.transcript.tokens)
    page = _Page(result, low_confidence)
    src = _embedded(audio_path) if embed_audio else audio_url(audio_path, page_path)
    track = "data:text/vtt;charset=utf-8;base64," + base64.b64encode(captions_vtt_text.encode("utf-8")).decode("ascii")
    name = printable(title or Path(audio_path).name)
    low = [{"line": page.tokens[t.token].line, "text": page.tokens[t.token].text, "start": t.start, "end": t.end,
            "confidence": t.confidence, "id": f"w-{t.token}"} for t in page.alignment.timings
           if worth_a_listen(t, page.tokens[t.token], low_confidence)]
    stretches = low_confidence_stretches(low)
    lang = f' lang="{_e(language)}"' if language else ""
    return _TEMPLATE.format(
        lang=lang, title=_e(name), srclang=_e(language or "en"), src=_e(src), track=track,
        counts=page.counts_html(), problems=page.problems_html(stretches), timeline=page.timeline_html(stretches),
        transcript=page.transcript_html(), low=_num(low_confidence), style=_STYLE, script=_SCRIPT,
        script_hash=_SCRIPT_HASH, media="data:" if embed_audio else "'self' data:",
        cues=_cue_data(result.cues, srt_cues if srt_cues is not None else result.cues, page.refs))


def _cue_data(cues: list, srt_cues: list, refs: list[str | None]) -> str:
    """The cues as JSON for the page's script (in a data block: ``<`` escaped, so it cannot close it): each cue's
    times, its WebVTT lines (voice tag included) and the ref of its first word, for WebVTT and for SRT."""
    def first_ref(cue):
        return refs[cue.words[0].token] if cue.words else None

    vtt = []
    for cue in cues:
        lines = [escape_vtt(" ".join(line.split())) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {voice_name(cue.speaker)}>{lines[0]}"
        vtt.append({"start": cue.start, "end": cue.end, "lines": lines, "first": first_ref(cue)})
    srt = [{"start": cue.start, "end": cue.end, "lines": lines, "first": first_ref(cue)}
           for cue, lines in zip(srt_cues, srt_lines(srt_cues))]
    return json.dumps({"vtt": vtt, "srt": srt}, ensure_ascii=False).replace("<", "\\u003c")


def _page_file(name: str) -> str:
    return resources.files("align").joinpath("page", name).read_text(encoding="utf-8")


# the page's parts, each a file of its own in align/page/: the HTML (a str.format template), the CSS, the script
_TEMPLATE, _STYLE, _SCRIPT = (_page_file(name) for name in ("review.html", "review.css", "review.js"))
# the policy lets only this script run (an injected one has another hash) and media come only from the page's
# own origin (its linked audio) or the page itself (the embedded audio, the captions' data: URL)
_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
