"""The same transcript in every style producers bring: convert an episode's plain transcript into each style,
align each one and score it.

usage: python bench/formats.py [EPISODE_DIR ...] [--out bench/out/formats] [--styles otter,vtt-teams,...]
       python bench/formats.py --fixtures fixtures/formats

EPISODE_DIR holds episode.wav (or .mp3), transcript.txt and truth.json (default: /work/episodes/seed-clean).
Prints one JSON line per style with ../shared/bench/score.py's speaker_accuracy, vtt_tokens_matched and
vtt_leaked_unspoken. The recognition cache (ALIGN_CACHE_DIR, default OUT/cache) makes every run after the
first skip recognition.

The renderers are also used by the tests (tests/test_formats.py) and made fixtures/formats/harbour.* (--fixtures).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SCORE = ROOT.parent / "shared" / "bench" / "score.py"
PACE = 0.4  # seconds a word: made-up times (a transcript's times are never trusted over the audio)

# turns: [(label as written or None, [paragraph text, ...])]
Turns = list[tuple[str | None, list[str]]]


def turns_of(text: str) -> Turns:
    """The turns of a plain transcript, each paragraph's words joined by one space."""
    sys.path.insert(0, str(ROOT))
    from align.transcript import parse_transcript

    t = parse_transcript(text, keep_speaker_case=True)
    turns: Turns = [(turn.label, []) for turn in t.turns]
    for p in t.paragraphs:
        turns[p.turn][1].append(" ".join(tok.text for tok in t.tokens[p.start:p.stop]))
    return turns


def _name(label: str | None) -> str | None:
    """The name case an export tool writes (``Maria Santos``)."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in label.split()) if label else None


def _timed(turns: Turns):
    """(turn number, label, paragraph number in turn, text, start seconds) for every paragraph."""
    clock = 0.0
    for k, (label, paragraphs) in enumerate(turns):
        for n, text in enumerate(paragraphs):
            yield k, label, n, text, clock
            clock += PACE * len(text.split())


def _hms(seconds: float, ms: str | None = None) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    out = f"{h:02d}:{m:02d}:{s:02d}"
    return out + f"{ms}{int(seconds * 1000) % 1000:03d}" if ms else out


def plain(turns: Turns) -> str:
    out = []
    for _, label, n, text, _ in _timed(turns):
        out.append(f"{label}: {text}" if label and n == 0 else text)
    return "\n\n".join(out) + "\n"


def broadcast(turns: Turns) -> str:
    out = []
    for _, label, n, text, _ in _timed(turns):
        out.append(f">> {label}: {text}" if label and n == 0 else text)
    return "\n\n".join(out) + "\n"


def markdown(turns: Turns) -> str:
    out = []
    for _, label, n, text, _ in _timed(turns):
        out.append(f"**{_name(label)}:** {text}" if label and n == 0 else text)
    return "\n\n".join(out) + "\n"


def timestamped(turns: Turns) -> str:
    out = []
    for _, label, n, text, t in _timed(turns):
        out.append(f"[{_hms(t)}] {_name(label)}: {text}" if label and n == 0 else f"[{_hms(t)}] {text}")
    return "\n".join(out) + "\n"


def rev(turns: Turns) -> str:
    out = []
    for _, label, n, text, t in _timed(turns):
        if label and n == 0:
            out.append(f"{_name(label)} ({_hms(t)[3:] if t < 3600 else _hms(t)}):")
        out.append(text + "\n")
    return "\n".join(out)


def otter(turns: Turns) -> str:
    out = []
    for _, label, n, text, t in _timed(turns):
        if label:  # Otter repeats the speaker's header over each of its paragraphs
            m, s = divmod(int(t), 60)
            out.append(f"{_name(label)}  {m}:{s:02d}")
        out.append(text + "\n")
    return "\n".join(out) + "\n\nTranscribed by https://otter.ai\n"


def _cue_texts(text: str, limit: int = 70) -> list[str]:
    """A paragraph cut into subtitle-sized pieces, at sentence ends where it can."""
    pieces, words = [], []
    for word in text.split():
        if words and len(" ".join(words + [word])) > limit:
            pieces.append(" ".join(words))
            words = []
        words.append(word)
        if len(" ".join(words)) >= 30 and word.endswith((".", "?", "!")):
            pieces.append(" ".join(words))
            words = []
    if words:
        pieces.append(" ".join(words))
    return pieces


def _cues(turns: Turns):
    """(cue number, start, end, label, text) for subtitle files."""
    number = 0
    for _, label, _, text, t in _timed(turns):
        for piece in _cue_texts(text):
            number += 1
            end = t + PACE * len(piece.split())
            yield number, t, end, label, piece
            t = end


def vtt_zoom(turns: Turns) -> str:
    out = ["WEBVTT\n"]
    for number, start, end, label, text in _cues(turns):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f"{number}\n{_hms(start, '.')} --> {_hms(end, '.')}\n" + (f"{_name(label)}: " if label else "")
                   + text + "\n")
    return "\n".join(out)


def vtt_teams(turns: Turns) -> str:
    out = ["WEBVTT\n"]
    for number, start, end, label, text in _cues(turns):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        body = f"<v {_name(label)}>{text}</v>" if label else text
        out.append(f"6e1d2c3b-aa41-4f3e-9c0f-1b2f0c0d{number:04d}/{number}-0\n"
                   f"{_hms(start, '.')} --> {_hms(end, '.')}\n{body}\n")
    return "\n".join(out)


def srt_names(turns: Turns) -> str:
    return "\n".join(f"{number}\n{_hms(start, ',')} --> {_hms(end, ',')}\n"
                     + (f"{_name(label)}: " if label else "") + text + "\n"
                     for number, start, end, label, text in _cues(turns))


def srt_bare(turns: Turns) -> str:
    return "\n".join(f"{number}\n{_hms(start, ',')} --> {_hms(end, ',')}\n{text}\n"
                     for number, start, end, _, text in _cues(turns))


def docx(turns: Turns) -> bytes:
    """A Word document as Descript and Google Docs export one: a ``[hh:mm:ss]`` paragraph before each turn,
    the speaker's name in a bold run."""
    paragraphs = []
    for _, label, n, text, t in _timed(turns):
        runs = f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
        if label and n == 0:
            paragraphs.append(f"<w:p><w:r><w:t>[{_hms(t)}]</w:t></w:r></w:p>")
            runs = f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{escape(_name(label))}: </w:t></w:r>' + runs
        paragraphs.append(f"<w:p>{runs}</w:p>")
    return make_docx(paragraphs)


def make_docx(paragraphs: list[str]) -> bytes:
    """A minimal valid .docx holding the given ``<w:p>`` elements."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{ns}"><w:body>'
                + "".join(paragraphs) + "</w:body></w:document>")
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/'
             'word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
             'document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (("[Content_Types].xml", types), ("_rels/.rels", rels), ("word/document.xml", document)):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def cp1252_crlf(turns: Turns) -> bytes:
    return plain(turns).replace("\n", "\r\n").encode("cp1252")


def utf16(turns: Turns) -> bytes:
    return plain(turns).encode("utf-16")


# style name -> (renderer, file extension, has speaker names)
STYLES = {
    "plain": (plain, ".txt", True),
    "plain-cp1252-crlf": (cp1252_crlf, ".txt", True),
    "plain-utf16": (utf16, ".txt", True),
    "broadcast": (broadcast, ".txt", True),
    "markdown": (markdown, ".md", True),
    "timestamped": (timestamped, ".txt", True),
    "rev": (rev, ".txt", True),
    "otter": (otter, ".txt", True),
    "vtt-zoom": (vtt_zoom, ".vtt", True),
    "vtt-teams": (vtt_teams, ".vtt", True),
    "srt-names": (srt_names, ".srt", True),
    "srt": (srt_bare, ".srt", False),
    "docx": (docx, ".docx", True),
}


def write_style(turns: Turns, style: str, folder: Path, stem: str = "transcript") -> Path:
    render, suffix, _ = STYLES[style]
    content = render(turns)
    path = folder / f"{stem}.{style}{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("episodes", nargs="*", type=Path, default=[Path("/work/episodes/seed-clean")])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "formats")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--fixtures", type=Path, help="only write fixtures/harbour/transcript.txt in every style "
                                                      "into this folder (as harbour.STYLE.EXT)")
    args = parser.parse_args()
    if args.fixtures:
        turns = turns_of((ROOT / "fixtures" / "harbour" / "transcript.txt").read_text(encoding="utf-8"))
        args.fixtures.mkdir(parents=True, exist_ok=True)
        for style in STYLES:
            print(write_style(turns, style, args.fixtures, stem="harbour"))
        return
    os.environ.setdefault("ALIGN_CACHE_DIR", str(args.out / "cache"))
    sys.path.insert(0, str(ROOT))
    from align.cli import run

    for episode in args.episodes:
        folder = args.out / episode.name
        folder.mkdir(parents=True, exist_ok=True)
        audio = next(p for p in (episode / "episode.wav", episode / "episode.mp3") if p.exists())
        turns = turns_of((episode / "transcript.txt").read_text(encoding="utf-8"))
        for style in args.styles.split(","):
            try:
                path = write_style(turns, style, folder)
            except UnicodeEncodeError as error:  # Windows-1252 lacks one of its letters
                print(json.dumps({"episode": episode.name, "style": style, "skipped": str(error)}), flush=True)
                continue
            vtt = folder / f"{style}.vtt"
            began = time.monotonic()
            status = run([str(audio), str(path), "-o", str(vtt), "-q"])
            wall = time.monotonic() - began
            row = {"episode": episode.name, "style": style, "status": status, "wall_s": round(wall, 1)}
            if status == 0:
                scored = json.loads(subprocess.run([sys.executable, str(SCORE), str(episode / "truth.json"),
                                                    "--vtt", str(vtt)], capture_output=True, text=True,
                                                   check=True).stdout)
                row.update({k: scored[k] for k in ("speaker_accuracy", "vtt_tokens_matched", "vtt_leaked_unspoken",
                                                   "cues")})
                if not STYLES[style][2]:
                    row["speaker_accuracy"] = None  # the file names no speakers
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
