"""The command line as a user meets it: bad input gets one line on stderr, a non-zero exit, no traceback, and
no output file left behind or changed."""
import shutil
import subprocess
import sys

import pytest

from align.cli import run
from align.errors import AudioError, MismatchError, OutputError, TranscriptError, UsageError


def align(capsys, *args):
    status = run([str(a) for a in args])
    err = capsys.readouterr().err
    return status, err


def one_clear_line(err):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("align: ")
    return lines[0]


@pytest.fixture
def work(tmp_path, harbour):
    audio = tmp_path / "ep.mp3"
    transcript = tmp_path / "ep.txt"
    shutil.copy(harbour["audio"], audio)
    shutil.copy(harbour["transcript"], transcript)
    return tmp_path, audio, transcript


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_missing_audio(capsys, work):
    folder, audio, transcript = work
    status, err = align(capsys, folder / "nope.mp3", transcript)
    assert status == AudioError.exit_status
    assert "no such audio file" in one_clear_line(err)


def test_missing_transcript(capsys, work):
    folder, audio, _ = work
    status, err = align(capsys, audio, folder / "nope.txt")
    assert status == TranscriptError.exit_status
    one_clear_line(err)


def test_directory_as_input(capsys, work):
    folder, audio, transcript = work
    assert align(capsys, folder, transcript)[0] == AudioError.exit_status
    assert align(capsys, audio, folder)[0] == TranscriptError.exit_status


@pytest.mark.parametrize("content", [b"", b"  \n\t\n", b"HOST:\nGUEST:\n"])
def test_empty_transcripts(capsys, work, content):
    folder, audio, transcript = work
    transcript.write_bytes(content)
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    one_clear_line(err)
    assert not (folder / "ep.vtt").exists()


def test_audio_given_as_transcript(capsys, work):
    folder, audio, _ = work
    status, err = align(capsys, audio, audio)
    assert status == TranscriptError.exit_status
    assert "binary" in one_clear_line(err) or "not a text" in err


@pytest.mark.parametrize("content", [b"", b"this is just text, not audio\n" * 50, b"\xff\xfb\x90" + bytes(300)])
def test_bad_audio_files(capsys, work, content):
    folder, audio, transcript = work
    audio.write_bytes(content)
    status, err = align(capsys, audio, transcript)
    assert status == AudioError.exit_status
    one_clear_line(err)
    assert files(folder) == ["ep.mp3", "ep.txt"]


def test_truncated_audio(capsys, work):
    folder, audio, transcript = work
    audio.write_bytes(audio.read_bytes()[:2000])
    status, err = align(capsys, audio, transcript)
    assert status in (AudioError.exit_status, MismatchError.exit_status)
    one_clear_line(err)
    assert files(folder) == ["ep.mp3", "ep.txt"]


@pytest.mark.parametrize("args,status", [
    (["--max-chars", "0"], UsageError.exit_status),
    (["--max-duration", "-1"], UsageError.exit_status),
    (["--style", "fancy"], UsageError.exit_status),
    (["--language", "xx"], UsageError.exit_status),
    (["--device", "tpu"], UsageError.exit_status),
    (["--model", "/no/such/model/dir"], UsageError.exit_status),
    (["--max-chars", "many"], 2),
    (["--no-such-option"], 2),
    (["-o", "out.docx"], OutputError.exit_status),
    (["--report", "report.txt"], OutputError.exit_status),
])
def test_nonsense_options(capsys, work, args, status):
    folder, audio, transcript = work
    got, err = align(capsys, audio, transcript, *args)
    assert got == status
    one_clear_line(err)
    assert files(folder) == ["ep.mp3", "ep.txt"]


def test_output_that_is_an_input(capsys, work):
    folder, audio, transcript = work
    before = transcript.read_bytes()
    status, err = align(capsys, audio, transcript, "-o", folder / "ep.txt")
    assert status == OutputError.exit_status
    assert "one of the inputs" in one_clear_line(err)
    assert transcript.read_bytes() == before


def test_unwritable_output(capsys, work):
    folder, audio, transcript = work
    status, err = align(capsys, audio, transcript, "-o", folder / "no" / "such" / "dir" / "x.vtt")
    assert status == OutputError.exit_status
    one_clear_line(err)


def test_missing_arguments(capsys):
    status, err = align(capsys)
    assert status == 2
    one_clear_line(err)


def test_help_works():
    out = subprocess.run([sys.executable, "-m", "align.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--output" in out.stdout
