"""The hostile-input cases for transcript text and caption safety: what a typo, a stray byte, a huge or
malicious transcript and markup or control characters in the text do to the reading of a transcript and to the
captions written from it. Small and fast: no speech model, hand-made words and cues."""
import io
import json
import re
import struct
import time
import zipfile
from pathlib import Path

import pytest
import webvtt

from align import formats, transcript as transcript_module
from align.captions import CaptionStyle, CaptionWord, Cue, _layout, _Layouts, make_cues
from align.errors import TranscriptError
from align.normalise import spoken_units
from align.report import summary_lines
from align.terminal import printable
from align.transcript import check_size_for_audio, parse_transcript
from align.writers import to_json_cues, to_srt, to_vtt

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>" for p in paragraphs)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    return out.getvalue()


def _notes(t):
    return [tok.text for tok in t.tokens if tok.is_note]


# ------------------------------------------------------------------------------------- item 3: brackets

UNCLOSED = {  # every style, with "[laughs" left open before fifteen seconds of speech, and a closed note
    "plain": "ANA: Hi [laughs so we went down to the harbour at dawn.\nStill Ana [Covid-19 pandemic] here.",
    "broadcast": ">> ANA: Hi [laughs so we went down to the harbour at dawn.\nStill Ana [Covid-19 pandemic] here.",
    "markdown": "**Ana:** Hi [laughs so we went down to the harbour at dawn.\nStill Ana [Covid-19 pandemic] here.",
    "timestamped": "[00:01] ANA: Hi [laughs so we went down to the harbour at dawn.\n"
                   "[00:05] Still Ana [Covid-19 pandemic] here.",
    "rev": "Ana (00:01):\nHi [laughs so we went down to the harbour at dawn.\nStill Ana [Covid-19 pandemic] here.",
    "otter": "Ana  0:01\nHi [laughs so we went down to the harbour at dawn.\nStill Ana [Covid-19 pandemic] here.",
    "vtt": "WEBVTT\n\n00:01.000 --> 00:04.000\n<v Ana>Hi [laughs so we went down to the harbour at dawn.</v>\n\n"
           "00:05.000 --> 00:06.000\n<v Ana>Still Ana [Covid-19 pandemic] here.</v>\n",
    "srt": "1\n00:00:01,000 --> 00:00:04,000\nANA: Hi [laughs so we went down to the harbour at dawn.\n\n"
           "2\n00:00:05,000 --> 00:00:06,000\nStill Ana [Covid-19 pandemic] here.\n",
}


def test_unbalanced_brackets_are_warned_and_never_swallow_speech():
    for style, text in UNCLOSED.items():
        t = formats.parse_text(text, style)
        spoken = [tok.text for tok in t.tokens if not tok.is_note]
        assert spoken[:4] == ["Hi", "[laughs", "so", "we"] and "dawn." in spoken and "here." in spoken, style
        assert _notes(t) == ["[Covid-19", "pandemic]"], style
        assert len(t.warnings) == 1 and "'[' has no ']'" in t.warnings[0], (style, t.warnings)
    t = formats.parse_bytes(_docx(["ANA: Hi [laughs so we went on.", "BOB: Yes [laughs] ] sure."]), Path("t.docx"))
    assert [tok.text for tok in t.tokens if tok.is_note] == ["[laughs]"]
    assert t.warnings == ["t.docx: line 1, column 9: '[' has no ']' within 30 words of its paragraph, so it "
                          "opens no note: the words after it are aligned as speech",
                          "t.docx: line 2, column 19: ']' closes no '[', so it is read as part of a word"]
    # the line and column of the file, where a reader took a label or a timestamp off the line
    t = formats.parse_bytes(b"Intro.\n[00:00:09] ANA: one two [three", Path("t.txt"))
    assert t.warnings[-1].startswith("t.txt: line 2, column 25: '['")
    # a note that closes on its line, across words or nested, still works; many problems: a count
    t = parse_transcript("A: one [two three] four [a [nested] note] five [laughs]")
    assert _notes(t) == ["[two", "three]", "[a", "[nested]", "note]", "[laughs]"] and t.warnings == []
    t = parse_transcript("A: " + "[ " * 12 + "words")
    assert len(t.warnings) == 6 and t.warnings[-1] == "... and 7 more unbalanced brackets"
    assert _notes(t) == []


# ------------------------------------------------------------------------------------- item 9: size

def test_work_is_bounded_by_the_size_of_the_input(monkeypatch):
    # (a) a Word document whose XML expands past the limit, as declared or as actually read
    monkeypatch.setattr(formats, "_MAX_DOCX_XML", 2000)
    big = _docx(["ANA: " + "word " * 1000])
    with pytest.raises(TranscriptError, match="over 0 MB of XML uncompressed, too large"):
        formats.parse_bytes(big, Path("t.docx"))
    liar = bytearray(big)  # the same document declaring 1500 bytes
    liar[22:26] = struct.pack("<I", 1500)
    central = liar.rfind(b"PK\x01\x02")
    liar[central + 24:central + 28] = struct.pack("<I", 1500)
    with pytest.raises(TranscriptError):
        formats.parse_bytes(bytes(liar), Path("t.docx"))
    assert [tok.text for tok in formats.parse_bytes(_docx(["ANA: hi"]), Path("t.docx")).tokens] == ["hi"]
    # (b) one long line is read in linear time, and a number of thousands of digits is words, not a crash
    began = time.perf_counter()
    t = parse_transcript("ANA: " + "a [b c " * 30_000)
    assert len(t.tokens) == 90_000 and time.perf_counter() - began < 10
    assert len(spoken_units("1" * 5000)) == 5000 and spoken_units("1,000" * 1000)[:2] == ["one", "zero"]
    # the caption layout, made linear, chooses exactly what the reference layout chooses
    texts = "So . we went , down to the harbour at dawn . and I said : no ! [laughs] . .".split()
    breaks = [0.0] + [float(k % 7) for k in range(1, len(texts))] + [0.0]
    sentence = [False] + [k % 5 == 0 for k in range(1, len(texts))] + [True]
    for max_chars, max_lines in [(10, 2), (12, 3), (42, 2), (20, 1)]:
        layouts = _Layouts(texts, breaks, sentence, max_chars, max_lines)
        for j in range(1, len(texts) + 1):
            for i in range(j - 1, -1, -1):
                laid = layouts.lay(i, j)
                reference = _layout(texts[i:j], breaks[i:j], sentence[i:j + 1], max_chars, max_lines)
                assert (laid is None) == (reference is None)
                if laid:
                    lines = [" ".join(texts[a:b]) for a, b in zip((i,) + laid[1], laid[1])]
                    assert (laid[0], lines) == reference
    # (c) a transcript far larger than its audio can hold is refused, with the counts; a real one is not
    check_size_for_audio(t, 9000.0)  # 90,000 words in two and a half hours: allowed
    with pytest.raises(TranscriptError, match=r"has 90000 words, more than 50 s of audio can hold \(at most 5500"):
        check_size_for_audio(t, 50.0)
    check_size_for_audio(parse_transcript("ANA: " + "page text " * 2400), 0.0)  # 4800 words of page text
    # and a transcript of more words than any episode has is refused while it is read
    monkeypatch.setattr(transcript_module, "MAX_TOKENS", 1000)
    with pytest.raises(TranscriptError, match="t.txt: the transcript holds over 1,000 words"):
        formats.parse_bytes(b"ANA: " + b"word " * 2000, Path("t.txt"))


# ------------------------------------------------------------------------------------- item 12: safety

def test_caption_text_is_safe_in_every_format_and_on_the_terminal():
    t = formats.parse_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<v \u202eEVIL\x1b[2J>Hello\x00 &lt;i&gt;there&lt;/i&gt; "
                           "\x1b]0;owned\x07wor\x7fld \u202edlrow\n\n00:03.000 --> 00:04.000\n<v BOB>fine \u2067isolated\n")
    assert t.speakers == ["\u202eevil\u202c", "Bob"]  # closed within the name
    assert [tok.text for tok in t.tokens] == ["Hello", "<i>there</i>", "world", "\u202edlrow\u202c", "fine",
                                              "\u2067isolated\u2069"]
    words = [CaptionWord(0, "Hi\x00", 0.0, 0.4, "Ann\x1b[31m"), CaptionWord(1, "<script>alert(1)</script>", 0.5, 0.9,
                                                                             "Ann\x1b[31m"),
             CaptionWord(2, "\u202eevil", 1.0, 1.3, "Ann\x1b[31m"), CaptionWord(3, "after", 1.4, 1.6, "Ann\x1b[31m")]
    cues = make_cues(words, CaptionStyle(speaker_prefix=True))
    cues.append(Cue(5.0, 6.0, "\u202eBob\x07", ["<b>bold</b>\x1b[0m \u202eright", "x -->\u0085y"]))
    srt = to_srt(cues)
    body = "\n".join(line for line in srt.splitlines() if "-->" not in line)
    assert "<" not in body and ">" not in body and "‹script›alert(1)‹/script›" in body
    vtt = to_vtt(cues)
    data = to_json_cues(cues)
    for text in (srt, vtt, data):
        assert not CONTROL.search(text.replace("\n", "")) and "\\u00" not in text
        for line in text.splitlines():  # every override or embedding closes on its own line
            assert line.count("\u202e") == line.count("\u202c")
    last = webvtt.from_buffer(io.StringIO(vtt)).captions[-1]
    assert (last.voice, last.text) == ("\u202eBob\u202c", "&lt;b&gt;bold&lt;/b&gt; \u202eright\u202c\nx --&gt;y")
    assert json.loads(data)["segments"][-1]["speaker"] == "\u202eBob\u202c"
    # the stderr summary prints no escape sequence and no override
    report = {"counts": {"captioned": 1, "transcript_tokens": 2, "matched": 1, "misheard": 0, "interpolated": 0,
                         "not_in_audio": 1},
              "not_in_audio": [{"line": 2, "text": "\x1b]0;owned\x07 \u202ecut", "at": 1.0, "where": "within"}],
              "not_in_transcript": [{"start": 3.0, "end": 4.0, "heard": "\x1b[2Jheard"}], "low_confidence": []}
    lines = summary_lines(report)
    assert "  line 2 (at 0:01): ?]0;owned? ?cut" in lines and "  0:03-0:04: ?[2Jheard" in lines
    assert not any(CONTROL.search(line) or BIDI.search(line) for line in lines)
    assert printable("a\tb\x9bc\u2066d") == "a?b?c?d"


# ------------------------------------------------------------------------------------- item 14: encodings

def test_a_stray_byte_spoils_only_its_own_line(tmp_path):
    data = "ANA: café\nnaïve\r\nrésumé".encode("utf-8").replace("ï".encode(), b"\xef")
    t = formats.parse_bytes(data, Path("t.txt"))
    assert [tok.text for tok in t.tokens] == ["café", "naïve", "résumé"] and t.speakers == ["Ana"]
    assert t.warnings == ["t.txt: line 2 is not UTF-8 like the rest; read as Windows-1252 (check accented letters "
                          "and quotes there)"]
    data = b"\n".join(f"line {k} café".encode("cp1252" if k % 2 else "utf-8") for k in range(1, 20))
    t = formats.parse_bytes(data, Path("t.txt"))
    assert {tok.text for tok in t.tokens if tok.text.startswith("caf")} == {"café"}
    assert t.warnings[0].startswith("t.txt: lines 1, 3, 5, 7, 9 and 5 more (10 lines) are not UTF-8 like the rest")
    # a whole Windows-1252 file, and UTF-16 with a byte-order mark, read as before
    t = formats.parse_bytes("ANA: café – “quoted”".encode("cp1252"), Path("t.txt"))
    assert [tok.text for tok in t.tokens] == ["café", "–", "“quoted”"]
    assert t.warnings == ["t.txt: is not UTF-8 (line 1); read as Windows-1252 (check accented letters and quotes in "
                          "the captions, or save the transcript as UTF-8)"]
    t = formats.parse_bytes("ANA: café\nnaïve".encode("utf-16"), Path("t.txt"))
    assert [tok.text for tok in t.tokens] == ["café", "naïve"] and t.warnings == []


# ------------------------------------------------------------------------------------- item 15: long words

def test_a_word_is_split_only_when_longer_than_a_line():
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"[:32]
    ws = [CaptionWord(k, w, k * 0.4, k * 0.4 + 0.3, "Benjamin Norton")
          for k, w in enumerate(["Hello", "there", word, "is", "long."])]
    for style in (CaptionStyle(speaker_prefix=True), CaptionStyle(max_chars=65, max_lines=1, speaker_prefix=True),
                  CaptionStyle(max_chars=37, speaker_prefix=True), CaptionStyle()):
        cues = make_cues(ws, style)
        assert word in " ".join(line for c in cues for line in c.lines), style
        assert all(len(line) <= style.max_chars for c in cues for line in c.lines)
    assert word in to_srt(make_cues(ws, CaptionStyle(speaker_prefix=True)))
    # first after a label on a single line: cut to what the label leaves; longer than a line: cut to lines
    cues = make_cues(ws[2:3], CaptionStyle(max_chars=40, max_lines=1, speaker_prefix=True))
    assert [c.lines for c in cues] == [["Benjamin Norton: " + word[:23]], [word[23:]]]
    long = CaptionWord(0, "x" * 50, 0.0, 1.0, None)
    assert [line for c in make_cues([long]) for line in c.lines] == ["x" * 42, "x" * 8]
