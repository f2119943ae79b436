import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from align.errors import TranscriptError
from align.transcript import decode_text, display_name, parse_transcript, read_transcript

SEED_STYLE = """Some page title

A short summary: with a colon in it.

BENJAMIN NORTON: Hello everyone, this is Ben.

It’s a second paragraph of Ben's turn.

SACHA LLORENTI: Thank you. The [Covid-19] pandemic was used as a weapon.
"""


def test_labels_turns_and_continuations():
    t = parse_transcript(SEED_STYLE)
    assert [turn.speaker for turn in t.turns] == [None, "Benjamin Norton", "Sacha Llorenti"]
    second_paragraph = [tok for tok in t.tokens if tok.line == 7]
    assert {t.turns[tok.turn].speaker for tok in second_paragraph} == {"Benjamin Norton"}
    assert t.speakers == ["Benjamin Norton", "Sacha Llorenti"]


def test_text_before_the_first_label_has_no_speaker():
    t = parse_transcript(SEED_STYLE)
    header = [tok.text for tok in t.tokens if t.speaker_of(tok) is None]
    assert header[:3] == ["Some", "page", "title"]
    assert "colon" in " ".join(header)  # "A short summary:" is not a label


def test_brackets_are_notes():
    t = parse_transcript("A: one [two three] four [laughs]")
    assert [(tok.text, tok.is_note) for tok in t.tokens] == [
        ("one", False), ("[two", True), ("three]", True), ("four", False), ("[laughs]", True)]


def test_no_labels_at_all():
    t = parse_transcript("just some words\n\nand more words")
    assert t.speakers == []
    assert len(t.tokens) == 6


@pytest.mark.parametrize("label,shown", [("BENJAMIN NORTON", "Benjamin Norton"), ("Ana", "Ana"),
                                         ("MARIA DE LA CRUZ", "Maria de la Cruz"), ("JEAN-LUC", "Jean-Luc")])
def test_title_case(label, shown):
    assert display_name(label) == shown
    assert parse_transcript(f"{label}: hi").speakers == [shown]


def test_keep_speaker_case():
    assert parse_transcript("BEN NORTON: hi", keep_speaker_case=True).speakers == ["BEN NORTON"]


def test_sentences_ending_in_colons_are_not_labels():
    t = parse_transcript("Follow us:\nHere is the list: one, two.\nANA: hi")
    assert t.speakers == ["Ana"]


def test_line_numbers_count_blank_lines_and_crlf():
    t = parse_transcript("\r\nA: one\r\n\r\ntwo\r\n")
    assert [(tok.text, tok.line) for tok in t.tokens] == [("one", 2), ("two", 4)]


def test_encodings(tmp_path):
    text = "ANA: café – “quoted”\n"
    for encoding, data in [("utf-8-sig", text.encode("utf-8-sig")), ("utf-16", text.encode("utf-16")),
                           ("cp1252", text.encode("cp1252"))]:
        path = tmp_path / f"t-{encoding}.txt"
        path.write_bytes(data)
        assert [tok.text for tok in read_transcript(path).tokens] == ["café", "–", "“quoted”"]


@pytest.mark.parametrize("content", [b"", b"   \n\n\t", b"ANA:\nBOB:\n", b"[laughs] [music]"])
def test_nothing_to_align_is_an_error(tmp_path, content):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(TranscriptError):
        read_transcript(path)


def test_binary_files_are_refused(tmp_path, harbour):
    with pytest.raises(TranscriptError, match="binary|not a text"):
        read_transcript(harbour["audio"])
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(TranscriptError):
        read_transcript(path)


def test_missing_and_directory(tmp_path):
    with pytest.raises(TranscriptError, match="no such"):
        read_transcript(tmp_path / "missing.txt")
    with pytest.raises(TranscriptError, match="directory"):
        read_transcript(tmp_path)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_parses_or_raises_its_own_error(text):
    try:
        parse_transcript(text)
    except TranscriptError:
        pass


names = st.sampled_from(["ANA", "BOB SMITH", "Carla", "Dee Dee"])
words = st.text(alphabet="abcdefghijé.,'’-", min_size=1, max_size=8).filter(lambda w: any(c.isalpha() for c in w))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(names, st.lists(words, min_size=1, max_size=12)), min_size=1, max_size=8))
def test_every_word_of_a_labelled_transcript_is_parsed_once(turns):
    text = "\n\n".join(f"{name}: {' '.join(ws)}" for name, ws in turns)
    t = parse_transcript(text)
    assert [tok.text for tok in t.tokens] == [w for _, ws in turns for w in ws]
    assert [t.speaker_of(tok) for tok in t.tokens] == [display_name(n) for n, ws in turns for _ in ws]


def test_decode_text_rejects_nul_bytes():
    with pytest.raises(TranscriptError):
        decode_text(b"ID3\x00\x00\x00")
