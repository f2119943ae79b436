"""Transcript styles as producers bring them (align/formats.py): detection, each reader's quirks, encodings,
documents that are not transcripts, and properties checked with hypothesis."""
import io
import re
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from align import formats
from align.errors import TranscriptError, UsageError
from align.formats import READERS, detect_format, docx_text, parse_text
from align.transcript import (build_transcript, clean_line, display_name, read_transcript, source_lines,
                              transcript_from_bytes)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import formats as styles  # noqa: E402  (the renderers that made fixtures/formats)

FIXTURES = ROOT / "fixtures" / "formats"
DETECTED = {"plain": "plain", "plain-cp1252-crlf": "plain", "plain-utf16": "plain", "broadcast": "broadcast",
            "markdown": "markdown", "timestamped": "timestamped", "rev": "rev", "otter": "otter", "vtt-zoom": "vtt",
            "vtt-teams": "vtt", "srt-names": "srt", "srt": "srt", "docx": "docx"}


def words(t):
    return [tok.text for tok in t.tokens]


def fixture(style):
    path, = FIXTURES.glob(f"harbour.{style}.*")
    return path


# --- the harbour episode in every style -------------------------------------------------------------------------

@pytest.mark.parametrize("style", DETECTED)
def test_every_style_of_the_harbour_transcript_gives_the_same_words_and_speakers(style, harbour):
    plain = read_transcript(harbour["transcript"])
    t = read_transcript(fixture(style))
    assert t.format == DETECTED[style]
    assert [(tok.text, tok.is_note) for tok in t.tokens] == [(tok.text, tok.is_note) for tok in plain.tokens]
    if styles.STYLES[style][2]:
        assert [t.speaker_of(tok) for tok in t.tokens] == [plain.speaker_of(tok) for tok in plain.tokens]
        assert t.warnings == []
    else:
        assert t.speakers == [] and "no speaker labels" in t.warnings[0]


@pytest.mark.parametrize("style", DETECTED)
def test_the_format_can_be_named(style, harbour):
    auto = read_transcript(fixture(style))
    named = read_transcript(fixture(style), format=DETECTED[style])
    assert words(named) == words(auto) and named.speakers == auto.speakers


def test_fixtures_are_what_the_renderers_make(harbour):
    """fixtures/formats/harbour.* are bench/formats.py's renderings of fixtures/harbour/transcript.txt."""
    turns = styles.turns_of(harbour["transcript"].read_text(encoding="utf-8"))
    for style, (render, _, _) in styles.STYLES.items():
        content = render(turns)
        assert fixture(style).read_bytes() == (content if isinstance(content, bytes) else content.encode())


def test_times_are_carried(harbour):
    t = read_transcript(fixture("otter"))
    assert [(turn.speaker, turn.time) for turn in t.turns[1:3]] == [("Maria Santos", 4.0), ("Tom Reyes", 13.0)]
    t = read_transcript(fixture("vtt-zoom"))
    assert [p.time for p in t.paragraphs[:3]] == [0.0, 2.4, 4.0]
    t = read_transcript(fixture("docx"))
    assert [turn.time for turn in t.turns[1:3]] == [4.0, 13.0]


# --- detection ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,style", [
    ("ANA: Hi.\nBOB: Yes.", "plain"),
    ("Just words without any label.", "plain"),
    ("Follow us:\nANA LOPEZ: Hi.", "plain"),
    (">> ANA: Good evening.\n>> BOB: Hi.", "broadcast"),
    ("# Title\n\n**Ana:** Hi.\n\n**Bob**: Yes.", "markdown"),
    ("[00:00:01] Ana: Hi.\n[00:00:04] Bob: Yes.", "timestamped"),
    ("[00:00:00]\nAna: Hi.\n[00:00:04]\nBob: Yes.", "timestamped"),
    ("Ana Lopez (00:01):\nHi.\n\nSpeaker 2 (00:04):\nYes.", "rev"),
    ("Ana Lopez  0:01\nHi.\n\nBob  0:04\nYes.\n\nTranscribed by https://otter.ai", "otter"),
    ("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ana>Hi.", "vtt"),
    ("\ufeffWEBVTT - Zoom\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: Hi.", "vtt"),
    ("1\n00:00:01,000 --> 00:00:02,000\nHi.\n", "srt"),
    ("1\r\n00:00:01,000 --> 00:00:02,000\r\nANA: Hi.\r\n", "srt"),
])
def test_detection(text, style):
    assert detect_format(text) == style
    assert parse_text(text).format == style


def test_suffix_helps_only_where_the_content_cannot_tell():
    assert detect_format("00:00:01.000 --> 00:00:02.000\nHi.", ".vtt") == "vtt"
    assert detect_format("ANA: Hi [link](https://x.org)", ".md") == "markdown"
    assert detect_format("ANA: Hi.", ".srt") == "plain"


# --- each reader's quirks -----------------------------------------------------------------------------------------

def test_vtt_quirks():
    text = ("WEBVTT\nKind: captions\nLanguage: en\n\nSTYLE\n::cue { color: yellow }\n\nNOTE written by Zoom\n\n"
            "cue-1\n00:00:01.000 --> 00:00:03.000 align:start position:10%\n"
            "<v.loud Ana Lopez>Hi &amp; <c.yellow>wel<00:00:01.500>come</c></v>\n"
            "00:00:03.000 --> 00:00:05.000\n<v Ana Lopez>Still Ana.</v> <v Bob>Bob &lt;here&gt;.</v>\n\n"
            "3\n00:00:05.000 --> 00:00:06.000\nBob: [laughs] yes\n")
    t = parse_text(text)
    assert words(t) == ["Hi", "&", "welcome", "Still", "Ana.", "Bob", "<here>.", "[laughs]", "yes"]
    assert [t.speaker_of(tok) for tok in t.tokens] == ["Ana Lopez"] * 5 + ["Bob"] * 4
    assert [tok.line for tok in t.tokens] == [12, 12, 12, 14, 14, 14, 14, 18, 18]
    assert [p.time for p in t.paragraphs] == [1.0, 3.0, 5.0]  # "welcome" goes on in the next cue
    assert t.tokens[-2].is_note


def test_srt_quirks():
    text = ("\ufeff1\n00:00:01,000 --> 00:00:02,500\n{\\an8}<i>ANA:</i> Hello\n<font color=\"red\">there</font>\n\n"
            "2\n00:00:02,500 --> 00:00:04,000\nStill Ana; 1998 was: fine\n3\n00:00:04,000 --> 00:00:05,000\n"
            "BOB SMITH: Yes.\n\n4\n\n")
    t = parse_text(text)
    assert words(t) == ["Hello", "there", "Still", "Ana;", "1998", "was:", "fine", "Yes."]
    assert [t.speaker_of(tok) for tok in t.tokens] == ["Ana"] * 7 + ["Bob Smith"]
    assert [tok.line for tok in t.tokens][:3] == [3, 4, 8]


def test_subtitle_paragraphs_run_to_a_sentence_end():
    """A cue is a piece of a sentence; the aligner judges whole paragraphs as cut or said, so a paragraph of a
    subtitle file is a speaker's cues up to one that ends a sentence."""
    text = ("1\n00:00:01,000 --> 00:00:02,000\nANA: This goes\n\n2\n00:00:02,000 --> 00:00:03,000\non and ends.\n\n"
            "3\n00:00:03,000 --> 00:00:04,000\nNew sentence,\n\n4\n00:00:04,000 --> 00:00:05,000\nBOB: Bob now.\n")
    t = parse_text(text)
    assert [" ".join(tok.text for tok in t.tokens[p.start:p.stop]) for p in t.paragraphs] == [
        "This goes on and ends.", "New sentence,", "Bob now."]
    assert [p.time for p in t.paragraphs] == [1.0, 3.0, 4.0]
    assert [tok.line for tok in t.tokens][:4] == [3, 3, 7, 7]


def test_otter_quirks():
    text = ("Harbour Lights ep 12\n\nUnknown Speaker  0:03\nNote: this is text, not a label.\n\n"
            "Speaker 2  1:02:03\nYes, at 10:30 we met.\n\nTranscribed by https://otter.ai\n")
    t = parse_text(text)
    assert t.format == "otter"
    assert words(t) == "Harbour Lights ep 12 Note: this is text, not a label. Yes, at 10:30 we met.".split()
    assert t.speakers == ["Unknown Speaker", "Speaker 2"]
    assert [turn.time for turn in t.turns] == [None, 3.0, 3723.0]


def test_rev_quirks():
    text = "Ana Lopez (00:01): Hi there.\nMore: from Ana.\n\nDr. Bob [01:02]:\nYes.\n"
    t = parse_text(text)
    assert t.format == "rev"
    assert words(t) == ["Hi", "there.", "More:", "from", "Ana.", "Yes."]
    assert [(turn.speaker, turn.time) for turn in t.turns] == [("Ana Lopez", 1.0), ("Dr. Bob", 62.0)]


def test_markdown_quirks():
    text = ("# Harbour Lights\n\n*Episode 12*, [listen here](https://example.org/12 \"title\")\n\n"
            "**Maria Santos:** Welcome *back* to **Harbour** Lights [laughs].\n\n- a list item\n\n***\n\n"
            "__Tom Reyes__: Thanks, 2 \\* 3 is snake_case.\n\nANA: plain labels too\n")
    t = parse_text(text)
    assert words(t) == ("Harbour Lights Episode 12, listen here Welcome back to Harbour Lights [laughs]. "
                        "- a list item Thanks, 2 * 3 is snake_case. plain labels too").split()
    assert t.speakers == ["Maria Santos", "Tom Reyes", "Ana"]
    assert [tok.is_note for tok in t.tokens].count(True) == 1


def test_broadcast_quirks():
    t = parse_text(">> ANA LOPEZ: Good evening.\nMore news.\n>> Thank you.\n>>> BOB: Next story.\nBOB: Yes.")
    assert [(turn.speaker, turn.line) for turn in t.turns] == [("Ana Lopez", 1), (None, 3), ("Bob", 4), ("Bob", 5)]
    assert words(t) == "Good evening. More news. Thank you. Next story. Yes.".split()


def test_timestamped_quirks():
    text = "[00:00:01] ANA: Hi.\n(00:05) - Still Ana.\n10:30 is late, said Ana.\n00:12 BOB: Yes.\n[00:20]\n\nBye.\n"
    t = parse_text(text)
    assert words(t) == "Hi. Still Ana. 10:30 is late, said Ana. Yes. Bye.".split()
    assert [p.time for p in t.paragraphs] == [1.0, 5.0, None, 12.0, 20.0]
    assert t.speakers == ["Ana", "Bob"]


def _docx(body: str, extra: dict | None = None, prolog: str = "") -> bytes:
    buffer = io.BytesIO()
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml",
                         f'{prolog}<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_docx_quirks(tmp_path):
    body = ('<w:p><w:r><w:t>[00:01:00]</w:t></w:r></w:p>'
            '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Ana Lopez:</w:t></w:r><w:r><w:tab/><w:t>Hi</w:t></w:r>'
            '<w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del><w:r><w:t xml:space="preserve"> there'
            '</w:t></w:r><w:r><w:fldChar/><w:instrText>PAGE</w:instrText></w:r></w:p>'
            '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>BOB: In a table.</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
            '<w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t></w:r></w:p>')
    path = tmp_path / "t.docx"
    path.write_bytes(_docx(body))
    t = read_transcript(path)
    assert t.format == "docx"
    assert words(t) == ["Hi", "there", "In", "a", "table.", "Line", "one", "line", "two"]
    assert [(turn.speaker, turn.time) for turn in t.turns] == [("Ana Lopez", 60.0), ("Bob", None)]
    assert [tok.line for tok in t.tokens] == [2, 2, 3, 3, 3, 4, 4, 5, 5]


def test_docx_text_box_paragraphs_are_not_doubled():
    body = ('<w:p><w:r><w:t>Outer</w:t></w:r><w:r><w:pict><w:txbxContent><w:p><w:r><w:t>Inner</w:t></w:r></w:p>'
            '</w:txbxContent></w:pict></w:r><w:r><w:t>text</w:t></w:r></w:p>')
    assert docx_text(_docx(body)).split("\n") == ["Inner", "Outertext"]


@pytest.mark.parametrize("data,message", [
    (b"PK\x03\x04" + bytes(40), "not a readable Word .docx"),
    (b"%PDF-1.7\n...", "is a PDF"),
    (b"{\\rtf1\\ansi ANA: hi}", "RTF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old Word .doc"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100), "audio file"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio file"),
])
def test_documents_that_are_not_transcripts(tmp_path, data, message):
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    with pytest.raises(TranscriptError, match=re.escape(message)):
        read_transcript(path)


def test_zip_archives_that_are_not_word_documents(tmp_path):
    for name, extra, message in [("t.odt", {"content.xml": "<x/>"}, "OpenDocument"),
                                 ("t.zip", {"notes.txt": "hi"}, "not a Word document")]:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member, content in extra.items():
                archive.writestr(member, content)
        path = tmp_path / name
        path.write_bytes(buffer.getvalue())
        with pytest.raises(TranscriptError, match=message):
            read_transcript(path)


def test_damaged_and_hostile_word_documents(tmp_path):
    cases = [(_docx("<w:p><w:r><w:t>unclosed"), "damaged"),
             (_docx("<w:p><w:r><w:t>&a;</w:t></w:r></w:p>", prolog="<!DOCTYPE d [<!ENTITY a 'ANA: hi'>]>"), "DTD"),
             (_docx("<w:p></w:p>"), "no words"),
             (b"plain text", "not a readable Word")]
    for data, message in cases:
        path = tmp_path / "t.docx"
        path.write_bytes(data)
        with pytest.raises(TranscriptError, match=message):
            read_transcript(path, format="docx")


def test_a_word_document_named_txt_is_still_read(tmp_path):
    path = tmp_path / "transcript.txt"
    path.write_bytes(_docx("<w:p><w:r><w:t>ANA: Hi there.</w:t></w:r></w:p>"))
    assert read_transcript(path).speakers == ["Ana"]


# --- encodings ----------------------------------------------------------------------------------------------------

SAMPLE = "MARÍA\u00a0LÓPEZ:\t“Café” – it’s\u00a0fine…\r\n\r\nTOM: Yes.\r\n"
SAMPLE_WORDS = ["“Café”", "–", "it’s", "fine…", "Yes."]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "t.txt"
    data = SAMPLE.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = (b"\xff\xfe" if encoding.endswith("le") else b"\xfe\xff") + data
    path.write_bytes(data)
    t = read_transcript(path)
    assert words(t) == SAMPLE_WORDS and t.speakers == ["María López", "Tom"]
    assert [tok.line for tok in t.tokens] == [1, 1, 1, 1, 3]
    if encoding == "cp1252":
        assert len(t.warnings) == 1 and "Windows-1252" in t.warnings[0] and str(path) in t.warnings[0]
    else:
        assert t.warnings == []


def test_utf16_without_a_byte_order_mark(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(SAMPLE.encode("utf-16-le"))
    assert words(read_transcript(path)) == SAMPLE_WORDS


def test_a_transcript_without_labels_warns():
    t = transcript_from_bytes(b"just words and more words")
    assert t.speakers == [] and "no speaker labels" in t.warnings[0]


def test_unknown_format_name():
    with pytest.raises(UsageError, match="choose one of"):
        transcript_from_bytes(b"ANA: hi", format="pdf")


@pytest.mark.parametrize("style", list(READERS) + ["docx"])
def test_labels_without_text_are_no_words(style):
    samples = {"plain": "ANA:\nBOB:", "broadcast": ">> ANA:\n>>", "markdown": "**Ana:**\n\n**Bob:**",
               "timestamped": "[00:01] ANA:\n[00:02]", "rev": "Ana (00:01):\nBob (00:02):",
               "otter": "Ana  0:01\n\nBob  0:02\n\nTranscribed by https://otter.ai",
               "vtt": "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ana></v>\n\n00:02.000 --> 00:03.000\nBob:",
               "srt": "1\n00:00:01,000 --> 00:00:02,000\nANA:\n\n2\n00:00:02,000 --> 00:00:03,000\n",
               "docx": None}
    data = _docx("<w:p><w:r><w:b/><w:t>Ana:</w:t></w:r></w:p><w:p/>") if style == "docx" else samples[style].encode()
    with pytest.raises(TranscriptError, match="no words"):
        transcript_from_bytes(data, "t", format=style)
    with pytest.raises(TranscriptError, match="no words"):
        transcript_from_bytes(data, "t")


# --- properties ---------------------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(READERS)), st.text())
@example("broadcast", "\u2069")  # a stray bidirectional closer alone was read as an empty word
def test_any_text_is_read_or_refused_with_a_transcript_error(style, text):
    try:
        t = build_transcript(READERS[style](text))
    except TranscriptError:
        return
    assert t.tokens and all(tok.text.strip() == tok.text and tok.text for tok in t.tokens)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["plain", "broadcast", "timestamped", "rev", "otter", "srt"]),
       st.text(alphabet=st.sampled_from("AN B:>[]()0123456789.,-\n\r\t \u00a0abé")))
def test_every_token_is_on_the_line_it_names(style, text):
    try:
        t = build_transcript(READERS[style](text))
    except TranscriptError:
        return
    lines = [clean_line(line) for line in source_lines(text)]
    assert all(tok.text in lines[tok.line - 1] for tok in t.tokens)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("ANB:>*_[](){}\\<v>-0123456789.,\n\r\t \u00a0WEBVTT-->é#")))
def test_markup_heavy_text_is_read_or_refused(text):
    for style in list(READERS) + ["auto"]:
        try:
            parse_text(text, style)
        except TranscriptError:
            pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.sampled_from(formats.FORMATS))
def test_any_bytes_are_read_or_refused_with_a_transcript_error(data, format):
    try:
        transcript_from_bytes(data, "t.txt", format=format)
    except TranscriptError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6), st.booleans())
def test_a_damaged_word_document_is_read_or_refused(changes, cut):
    data = bytearray(fixture("docx").read_bytes())
    for position, value in changes:
        data[position % len(data)] = value
    if cut:
        data = data[:changes[0][0] % len(data)]
    try:
        transcript_from_bytes(bytes(data), "t.docx")
    except TranscriptError:
        pass


names = st.sampled_from(["ANA", "BOB SMITH", "Carla", "Dee Dee", "MARIA DE LA CRUZ"])
word = st.text(alphabet="abcdefghijé.,'’-", min_size=1, max_size=8).filter(lambda w: any(c.isalpha() for c in w))
paragraph = st.lists(word, min_size=1, max_size=15).map(" ".join)
turns = st.lists(st.tuples(names, st.lists(paragraph, min_size=1, max_size=3)), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(turns, st.sampled_from(sorted(styles.STYLES)))
def test_every_word_of_a_labelled_transcript_is_parsed_once_in_every_style(turns, style):
    render, suffix, named = styles.STYLES[style]
    content = render(turns)
    t = transcript_from_bytes(content if isinstance(content, bytes) else content.encode(), f"t{suffix}")
    expected = [w for _, paragraphs in turns for p in paragraphs for w in p.split()]
    assert words(t) == expected
    if named:
        assert [t.speaker_of(tok) for tok in t.tokens] == [
            display_name(name) for name, paragraphs in turns for p in paragraphs for _ in p.split()]


# --- the real pipeline from other styles --------------------------------------------------------------------------

def _norm(text):
    return re.sub(r"[^0-9a-z]+", "", text.lower())


@pytest.mark.parametrize("style", ["otter", "vtt-teams", "docx"])
def test_the_harbour_episode_aligned_from_other_styles(style, harbour):
    from align.pipeline import align_episode

    result = align_episode(harbour["audio"], fixture(style))
    truth = harbour["truth"]["words"]
    spoken = [w for w in truth if w.get("why") not in ("cut", "cruft")]
    shown = [(w.text, w.speaker) for cue in result.cues for w in cue.words]
    assert [_norm(text) for text, _ in shown if _norm(text)] == [_norm(w["text"]) for w in spoken if _norm(w["text"])]
    assert [speaker for text, speaker in shown if _norm(text)] == [
        display_name(w["speaker"]) for w in spoken if _norm(w["text"])]
    reported = " ".join(p["text"] for p in result.report["not_in_audio"])
    assert "Comments are closed." in reported and "log book" in reported
