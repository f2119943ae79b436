import io
import json
import re

import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from align.aligner import align_words
from align.captions import CaptionStyle, CaptionWord, Cue, caption_words, make_cues
from align.cli import run
from align.errors import OutputError
from align.transcript import parse_transcript
from align.writers import format_for, to_json, to_json_cues, to_srt, to_vtt, write_atomically

from helpers import said

INNER = re.compile(r"<(\d\d):(\d\d):(\d\d)\.(\d{3})>")


def sample(style=CaptionStyle()):
    t = parse_transcript("ANNA & CO: Fish & <chips> --> now.\n\nBOB: Yes [laughs] indeed.")
    a = align_words(t, said("fish and chips now yes indeed"))
    return a, make_cues(caption_words(a), style)


def seconds(match):
    h, m, s, ms = map(int, match)
    return h * 3600 + m * 60 + s + ms / 1000


def test_vtt_escapes_and_reads_back():
    a, cues = sample()
    text = to_vtt(cues)
    assert "<v Anna and Co>Fish &amp; &lt;chips&gt;" in text
    parsed = webvtt.from_buffer(io.StringIO(text))
    assert [c.voice for c in parsed.captions] == ["Anna and Co", "Bob"]
    assert "-->" not in "".join(c.text for c in parsed.captions)


def test_vtt_never_has_blank_lines_inside_a_cue():
    cue = Cue(0.0, 1.0, "A", ["one", "two"])
    body = to_vtt([cue]).split("\n\n")[1]
    assert body.strip().count("\n") == 2


def test_vtt_speaker_prefix_is_visible_text():
    _, cues = sample(CaptionStyle(speaker_prefix=True))
    parsed = webvtt.from_buffer(io.StringIO(to_vtt(cues)))
    assert parsed.captions[0].text.startswith("Anna and Co: Fish")
    assert parsed.captions[-1].text.startswith("Bob: Yes")


def test_word_timestamps_before_every_word_after_the_first():
    _, cues = sample(CaptionStyle(speaker_prefix=True))
    text = to_vtt(cues, word_timestamps=True)
    parsed = webvtt.from_buffer(io.StringIO(text))
    for cue, caption in zip(cues, parsed.captions):
        stamps = [seconds(m) for m in INNER.findall(caption.raw_text)]
        assert len(stamps) == len(cue.words) - 1
        assert stamps == sorted(stamps) and all(cue.start < s < cue.end for s in stamps)
        assert re.sub(r"<[^>]*>", "", caption.raw_text).replace("&amp;", "&").replace("&lt;", "<") \
            .replace("&gt;", ">").split("\n") == cue.lines
    assert "Fish <00:00:00.400>&amp; <00:00:00.800>&lt;chips&gt;" in text


def test_inner_timestamps_are_clamped_into_the_cue():
    words = [CaptionWord(0, "a", 1.0, 1.1, "A"), CaptionWord(1, "b", 0.5, 0.6, "A"), CaptionWord(2, "c", 9, 9.1, "A")]
    text = to_vtt([Cue(1.0, 2.0, "A", ["a b c"], words)], word_timestamps=True)
    assert "<v A>a <00:00:01.001>b <00:00:01.999>c" in text


def test_a_bad_cue_is_caught_before_writing():
    with pytest.raises(OutputError):
        to_vtt([Cue(0.0, 2.0, "A", ["one"]), Cue(1.0, 3.0, "A", ["two"])])  # overlap
    with pytest.raises(OutputError):
        to_srt([Cue(1.0, 1.0, "A", ["one"])])  # no duration
    with pytest.raises(OutputError):
        to_srt([Cue(0.0, 1.0, "A", ["one", " "])])  # a blank line


def test_srt_reads_back_with_the_srt_package():
    a, cues = sample(CaptionStyle(speaker_prefix=True))
    subs = list(srt.parse(to_srt(cues)))
    assert len(subs) == len(cues)
    assert subs[0].content.startswith("Anna and Co: Fish")
    assert "-->" not in subs[0].content
    assert "-->" not in to_srt([Cue(0, 1, None, ["a ---> b"])]).split("\n", 2)[2]
    assert subs[1].content.startswith("Bob: Yes")


def test_srt_adds_names_to_cues_made_without_them():
    _, cues = sample()
    subs = list(srt.parse(to_srt(cues)))
    assert subs[0].content.startswith("Anna and Co: Fish") and subs[1].content.startswith("Bob: Yes")


def test_json_has_one_segment_per_spoken_word_as_written():
    a, _ = sample()
    data = json.loads(to_json(a))
    assert data["version"] == "1.0.0"
    assert [s["body"] for s in data["segments"]] == ["Fish", "&", "<chips>", "-->", "now.", "Yes", "indeed."]
    assert all(s["startTime"] <= s["endTime"] for s in data["segments"])
    assert data["segments"][0]["speaker"] == "Anna and Co"


def test_json_cues_have_one_segment_per_cue():
    _, cues = sample(CaptionStyle(speaker_prefix=True))
    data = json.loads(to_json_cues(cues))
    assert [(s["speaker"], s["body"]) for s in data["segments"]] == [
        ("Anna and Co", "Fish & <chips> --> now."), ("Bob", "Yes [laughs] indeed.")]
    assert all(s["startTime"] == c.start and s["endTime"] == c.end for s, c in zip(data["segments"], cues))


def test_format_by_extension():
    assert format_for("x.vtt") == "vtt" and format_for("x.json") == "json"
    with pytest.raises(OutputError):
        format_for("x.docx")


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.vtt"
    target.write_text("old")
    with pytest.raises(Exception):
        write_atomically(target, 12345)  # not text: the write fails midway
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.vtt"]
    with pytest.raises(OutputError):
        write_atomically(tmp_path / "missing" / "x.vtt", "x")


# ------------------------------------------------------------------------------------------- properties

word = st.text(alphabet="abcXYZ09.,?[]&<>-'é", min_size=1, max_size=14)
items = st.lists(st.tuples(word, st.floats(0.01, 2.5), st.sampled_from(["Ann", "Bob & <Co>", None])),
                 min_size=1, max_size=50)
styles = st.builds(CaptionStyle, max_chars=st.integers(10, 70), max_lines=st.integers(1, 3),
                   max_duration=st.floats(0.5, 10), min_gap=st.floats(0, 0.3))


def timed(items):
    t, ws = 0.0, []
    for k, (text, step, speaker) in enumerate(items):
        ws.append(CaptionWord(k, text, round(t, 3), round(t + min(step, 0.6), 3), speaker))
        t += step
    return ws


@settings(max_examples=100, deadline=None)
@given(items, styles)
def test_srt_keeps_the_limits_for_any_words(items, style):
    style = CaptionStyle(**{**style.__dict__, "speaker_prefix": True})
    cues = make_cues(timed(items), style)
    subs = list(srt.parse(to_srt(cues)))
    assert len(subs) == len(cues)
    for k, sub in enumerate(subs):
        lines = sub.content.split("\n")
        assert 1 <= len(lines) <= style.max_lines and all(0 < len(line) <= style.max_chars for line in lines)
        assert sub.end > sub.start
        assert (sub.end - sub.start).total_seconds() <= style.max_duration + 1e-6
        if k:
            assert sub.start >= subs[k - 1].end


@settings(max_examples=100, deadline=None)
@given(items, styles, st.booleans())
def test_vtt_with_word_timestamps_reads_back_for_any_words(items, style, prefix):
    style = CaptionStyle(**{**style.__dict__, "speaker_prefix": prefix})
    cues = make_cues(timed(items), style)
    parsed = webvtt.from_buffer(io.StringIO(to_vtt(cues, word_timestamps=True)))
    assert len(parsed.captions) == len(cues)
    for cue, caption in zip(cues, parsed.captions):
        stamps = [seconds(m) for m in INNER.findall(caption.raw_text)]
        assert len(stamps) == len(cue.words) - 1
        assert stamps == sorted(stamps) and all(cue.start <= s <= cue.end for s in stamps)
        assert len(caption.lines) == len(cue.lines)


def test_the_command_writes_srt_word_timestamps_and_json_cues(harbour, tmp_path):
    audio, transcript = str(harbour["audio"]), str(harbour["transcript"])
    out = tmp_path / "ep.srt"
    assert run([audio, transcript, "-o", str(out), "-q"]) == 0
    subs = list(srt.parse(out.read_text()))
    assert subs and subs[0].content.startswith("Maria Santos: ")
    assert all(len(line) <= 42 for s in subs for line in s.content.split("\n"))
    out = tmp_path / "ep.vtt"
    assert run([audio, transcript, "-o", str(out), "-q", "--word-timestamps", "--speaker-prefix",
                "--max-cps", "17", "--min-gap", "0.1"]) == 0
    captions = webvtt.read(str(out)).captions
    assert captions[0].text.startswith("Maria Santos: ") and INNER.search(captions[0].raw_text)
    out = tmp_path / "ep.json"
    assert run([audio, transcript, "-o", str(out), "-q", "--json-cues", "--style", "podcasting2"]) == 0
    segments = json.loads(out.read_text())["segments"]
    assert segments and all(len(s["body"]) <= 65 for s in segments)


def test_outputs_are_readable_by_others(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "out.vtt", "WEBVTT\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.vtt").stat().st_mode) == 0o644


def test_json_words_carry_their_reference_and_confidence():
    from align.aligner import RecognisedWord, align_words
    from align.transcript import parse_transcript

    transcript = parse_transcript("Page text first.\nANN: Hello [laughs] there.\nBOB: Hi.")
    heard = [RecognisedWord(w, 1.0 + k * 0.4, 1.3 + k * 0.4) for k, w in enumerate(["hello", "there", "hi"])]
    segments = json.loads(to_json(align_words(transcript, heard)))["segments"]
    assert [(s["body"], s["ref"]) for s in segments if "ref" in s] == [("Hello", "2:1"), ("there.", "2:2"),
                                                                       ("Hi.", "3:1")]
    assert all(0 <= s["confidence"] <= 1 for s in segments if "ref" in s)
