"""A producer's corrections: hard anchors read from a file, checked one by one, applied with the real model."""
import json

import pytest

from align.aligner import WordTiming as W
from align.cli import run
from align.corrections import Anchor, anchored, check_corrections
from align.errors import UsageError
from align.transcript import parse_transcript


def test_each_bad_correction_is_skipped_with_its_reason_and_the_rest_apply():
    t = parse_transcript("ANN: one [laughs] two three four\nBOB: five")
    words = [{"ref": "1:3", "start": 4.0}, {"ref": "1:2", "start": 5.0},  # out of order: the first in the text stays
             {"ref": "1:9", "start": 1.0}, {"ref": "2:1", "start": 99.0}, {"ref": "1:1", "start": "soon"},
             {"ref": "1:4", "start": 6.0, "end": 5.0}, "not a dict",
             {"ref": "2:1", "start": 8.0, "end": 8.4}, {"ref": "2:1", "start": 8.2}]
    anchors, skipped = check_corrections({"words": words}, t, 10.0)
    assert anchors == [Anchor(2, "1:2", 5.0), Anchor(5, "2:1", 8.0, 8.4)]  # token 1 is the note
    reasons = {(s["ref"], s["why"]) for s in skipped}
    assert ("1:3", "is out of order with the correction of 1:2") in reasons
    assert ("1:9", "names no word of the transcript") in reasons and ("2:1", "is outside the audio") in reasons
    assert ("2:1", "corrects the same word again") in reasons and len(skipped) == 7


def test_an_anchor_moves_the_words_that_would_cross_it():
    ts = [W(0, "matched", 1.0, 1.3), W(1, "misheard", 1.4, 1.7, 0.2), W(2, "matched", 1.8, 2.1),
          W(3, "not_in_audio"), W(4, "matched", 2.2, 2.4)]
    out = anchored(ts, [Anchor(2, "1:3", 0.9, 1.2)])  # set earlier by ear: the words before it move back
    assert (out[2].start, out[2].end, out[2].confidence) == (0.9, 1.2, 1.0)
    assert out[1].end <= 0.9 and out[0].start <= out[1].start and out[0].end <= out[1].start + 1e-9
    assert out[3].start is None and out[4] == ts[4]


@pytest.fixture
def episode(episode_folder):
    return episode_folder


def test_cli_puts_a_corrected_word_exactly_there_and_names_what_it_skipped(capsys, episode):
    assert run([str(episode / "ep.mp3"), str(episode / "ep.txt"), "-o", str(episode / "a.json"), "-q"]) == 0
    before = json.loads((episode / "a.json").read_text())["segments"]
    word = before[20]
    fixes = {"words": [{"ref": word["ref"], "start": round(word["startTime"] + 0.6, 3)},
                       {"ref": "999:1", "start": 1.0}]}
    (episode / "fix.json").write_text(json.dumps(fixes))
    status = run([str(episode / "ep.mp3"), str(episode / "ep.txt"), "-o", str(episode / "b.json"), "-o",
                  str(episode / "b.vtt"), "--report", str(episode / "r.json"),
                  "--corrections", str(episode / "fix.json")])
    err = capsys.readouterr().err
    assert status == 0 and "correction of 999:1 at 1.0 is skipped: it names no word" in err
    after = {s["ref"]: s for s in json.loads((episode / "b.json").read_text())["segments"]}
    assert after[word["ref"]]["startTime"] == fixes["words"][0]["start"] and after[word["ref"]]["confidence"] == 1.0
    starts = [s["startTime"] for s in json.loads((episode / "b.json").read_text())["segments"]][15:26]
    assert starts == sorted(starts)  # the words around it moved with it
    report = json.loads((episode / "r.json").read_text())["corrections"]
    assert report["applied"] == [word["ref"]] and report["skipped"][0]["ref"] == "999:1"
    assert "WEBVTT" in (episode / "b.vtt").read_text()


@pytest.mark.parametrize("content", ["{not json", '{"words": 3}', '["a list"]'])
def test_cli_a_corrections_file_that_is_not_one_is_one_clear_line(capsys, episode, content):
    (episode / "fix.json").write_text(content)
    status = run([str(episode / "ep.mp3"), str(episode / "ep.txt"), "--corrections", str(episode / "fix.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == UsageError.exit_status and len(err) == 1 and err[0].startswith("align: error: --corrections")
    assert not (episode / "ep.vtt").exists()
