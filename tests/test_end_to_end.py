"""The real pipeline with the bundled tiny.en model on the small fixture episode in fixtures/harbour
(made with ../shared/bench/make_episode.py; truth.json holds every word's true start)."""
import io
import json
import re
import statistics
import wave

import numpy as np
import pytest
import webvtt

from align.cli import run
from align.errors import AudioError, MismatchError
from align.pipeline import Options, align_episode
from helpers import start_errors


def norm(text):
    return re.sub(r"[^0-9a-z]+", "", text.lower())


@pytest.fixture(scope="module")
def result(harbour):
    return align_episode(harbour["audio"], harbour["transcript"])


def test_speakers_and_voices(result, harbour, tmp_path, capsys):
    out = tmp_path / "ep.vtt"
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "-o", str(out), "-q"]) == 0
    captions = webvtt.read(str(out)).captions
    assert captions and all(c.voice in ("Maria Santos", "Tom Reyes") for c in captions)
    assert [c.voice for c in captions][:2] == ["Maria Santos", "Maria Santos"]


def test_every_spoken_token_is_captioned_in_order(result, harbour):
    truth = harbour["truth"]["words"]
    spoken = [norm(w["text"]) for w in truth if w.get("why") not in ("cut", "cruft")]
    shown = [norm(w.text) for cue in result.cues for w in cue.words]
    assert [w for w in shown if w] == [w for w in spoken if w]


def test_text_not_in_the_audio_is_not_captioned_and_is_reported(result, harbour):
    truth = harbour["truth"]["words"]
    cut = " ".join(w["text"] for w in truth if w.get("why") == "cut")
    shown = " ".join(c.text.replace("\n", " ") for c in result.cues)
    assert cut and cut not in shown
    reported = " ".join(p["text"] for p in result.report["not_in_audio"])
    assert cut in reported
    assert "Comments are closed." in reported and "Episode page:" in reported


def test_the_ad_read_is_reported(result, harbour):
    (ad_start, ad_end), = harbour["truth"]["unscripted_audio"]
    spans = result.report["not_in_transcript"]
    assert any(s["start"] < ad_end and s["end"] > ad_start for s in spans)
    assert not any(c.start < ad_end - 0.5 and c.end > ad_start + 0.5 for c in result.cues)


def test_word_start_error(result, harbour):
    errors = start_errors(result, harbour["truth"]["words"])
    assert statistics.median(errors) <= 0.05
    assert sum(e <= 0.25 for e in errors) >= 0.97 * len(errors)
    assert not any(e > 1.0 for e in errors)


def test_the_words_worth_a_listen_hold_those_off(result, harbour):
    """The report's worth-a-listen list names every word that starts over 250 ms from where it is said (one: "to",
    0.4 s early), in a list of a few words."""
    truth = harbour["truth"]["words"]
    offset = len(result.transcript.tokens) - len(truth)
    off = {(result.transcript.tokens[offset + k].text, result.alignment.timings[offset + k].start)
           for k, w in enumerate(truth) if w["start"] is not None
           and abs(result.alignment.timings[offset + k].start - w["start"]) > 0.25}
    listed = {(entry["text"], entry["start"]) for entry in result.report["low_confidence"]}
    assert off <= listed
    assert len(listed) <= 0.05 * sum(w["start"] is not None for w in truth)


def test_json_and_srt_outputs(harbour, tmp_path, capsys):
    json_out, srt_out = tmp_path / "ep.json", tmp_path / "ep.srt"
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "-o", str(json_out), "-q"]) == 0
    assert run([str(harbour["audio"]), str(harbour["transcript"]), "-o", str(srt_out), "-q"]) == 0
    segments = json.loads(json_out.read_text())["segments"]
    assert segments[0] == {**segments[0], "speaker": "Maria Santos", "body": "Welcome"}
    import srt
    assert len(list(srt.parse(srt_out.read_text()))) >= 5


def test_rerun_uses_the_cache(harbour):
    again = align_episode(harbour["audio"], harbour["transcript"])
    assert again.from_cache


def test_a_rerun_reads_the_sound_levels_the_confidence_needs_from_the_cache(result, harbour, monkeypatch):
    from align.recognition import cache_dir

    def no_decoding(path):
        raise AssertionError("the audio was decoded again")

    monkeypatch.setattr("align.pipeline.load_audio", no_decoding)
    again = align_episode(harbour["audio"], harbour["transcript"])
    assert [t.confidence for t in again.alignment.timings] == [t.confidence for t in result.alignment.timings]
    [levels] = cache_dir().glob("levels-*.npy")
    levels.write_bytes(b"not an array")  # damaged: measured again from the audio
    monkeypatch.undo()
    again = align_episode(harbour["audio"], harbour["transcript"])
    assert [t.confidence for t in again.alignment.timings] == [t.confidence for t in result.alignment.timings]


def test_audio_without_speech(tmp_path, harbour):
    path = tmp_path / "tone.wav"
    t = np.arange(16000 * 5) / 16000
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1), f.setsampwidth(2), f.setframerate(16000)
        f.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).tobytes())
    with pytest.raises((AudioError, MismatchError)):
        align_episode(path, harbour["transcript"], Options(min_found_share=0.5))


def test_transcript_of_another_episode(tmp_path, harbour, capsys):
    other = tmp_path / "other.txt"
    other.write_text("HOST: Today we discuss the history of jazz piano in New Orleans.\n\n"
                     "GUEST: It began in the brothels and bars of Storyville around nineteen hundred.\n")
    status = run([str(harbour["audio"]), str(other), "-o", str(tmp_path / "x.vtt")])
    err = capsys.readouterr().err
    assert status == MismatchError.exit_status
    assert "found in the audio" in err and "Traceback" not in err
    assert not (tmp_path / "x.vtt").exists()


def test_a_transcript_mostly_cut_from_the_audio_is_still_this_episodes(tmp_path, harbour):
    """Two thirds of the text cut from the audio (a producer's long cut): its words are reported, not refused as
    another episode's transcript (under a fifth found is refused; wrong transcripts find 0-3%)."""
    cut = " ".join(["The harbour board met again on Tuesday and agreed the new mooring fees for the winter."] * 12)
    transcript = tmp_path / "ep.txt"
    transcript.write_text(harbour["transcript"].read_text() + f"\n\nMARIA SANTOS: {cut}\n")
    out, report = tmp_path / "ep.vtt", tmp_path / "report.json"
    assert run([str(harbour["audio"]), str(transcript), "-o", str(out), "--report", str(report), "-q"]) == 0
    counts = json.loads(report.read_text())["counts"]
    assert 0.2 < counts["found_share"] < 0.5 and counts["not_in_audio"] >= 12 * 16
