import io
import json

import pytest
import srt
import webvtt

from align.aligner import align_words
from align.captions import Cue, caption_words, make_cues
from align.errors import OutputError
from align.transcript import parse_transcript
from align.writers import format_for, to_json, to_srt, to_vtt, write_atomically

from helpers import said


def sample():
    t = parse_transcript("ANNA & CO: Fish & <chips> --> now.\n\nBOB: Yes [laughs] indeed.")
    a = align_words(t, said("fish and chips now yes indeed"))
    return a, make_cues(caption_words(a))


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


def test_srt_reads_back_with_the_srt_package():
    a, cues = sample()
    subs = list(srt.parse(to_srt(cues)))
    assert len(subs) == len(cues)
    assert subs[0].content.startswith("Anna and Co: Fish")
    assert "-->" not in subs[0].content
    assert subs[1].content.startswith("Bob: Yes")


def test_json_has_one_segment_per_spoken_word_as_written():
    a, _ = sample()
    data = json.loads(to_json(a))
    assert data["version"] == "1.0.0"
    assert [s["body"] for s in data["segments"]] == ["Fish", "&", "<chips>", "-->", "now.", "Yes", "indeed."]
    assert all(s["startTime"] <= s["endTime"] for s in data["segments"])
    assert data["segments"][0]["speaker"] == "Anna and Co"


def test_format_by_extension():
    assert format_for("x.vtt") == "vtt" and format_for("x.json") == "json"
    with pytest.raises(OutputError):
        format_for("x.docx")


def test_atomic_write_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.vtt"
    target.write_text("old")

    class Boom(str):
        def __str__(self):
            raise KeyboardInterrupt

    with pytest.raises(Exception):
        write_atomically(target, 12345)  # not text: the write fails midway
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.vtt"]
    with pytest.raises(OutputError):
        write_atomically(tmp_path / "missing" / "x.vtt", "x")
