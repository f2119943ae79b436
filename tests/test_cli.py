"""The command line as a user meets it: bad input gets one line on stderr, a non-zero exit, no traceback, and
no output file left behind or changed."""
import os
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


def test_default_model_weights_that_are_not_tiny_en_are_refused_before_loading(capsys, work, monkeypatch):
    from align import speech_model
    from align.errors import ModelError

    monkeypatch.setattr(speech_model, "BUNDLED_SHA256", "0" * 64)
    monkeypatch.setattr(speech_model, "_CHECKS", {})  # not the check this process already made
    loaded = []
    monkeypatch.setattr("faster_whisper.WhisperModel.__init__", lambda *a, **k: loaded.append(1))
    folder, audio, transcript = work
    status, err = align(capsys, audio, transcript, "--fast", "--no-cache")
    assert status == ModelError.exit_status and loaded == []
    assert "is not the tiny.en model's" in one_clear_line(err)
    assert files(folder) == ["ep.mp3", "ep.txt"]


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


def test_the_command_ends_without_teardown_yet_delivers_all_it_wrote_and_its_status():
    code = "import sys; from align.cli import leave; print('x' * 200000); sys.stderr.write('note'); leave(3)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (out.returncode, len(out.stdout), out.stderr) == (3, 200001, "note")


# --- transcripts as producers have them, and hostile input (issue 5) ------------------------------------------

def unchanged(folder, before):
    """Nothing written, nothing left behind (no temporary .part file either)."""
    assert files(folder) == before


def test_random_bytes_as_transcript(capsys, work):
    folder, audio, transcript = work
    transcript.write_bytes(os.urandom(5000))
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    assert "not a text transcript" in one_clear_line(err)
    unchanged(folder, ["ep.mp3", "ep.txt"])


@pytest.mark.parametrize("content,message", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is a PDF"),
    (b"{\\rtf1\\ansi HOST: hello}", "RTF"),
    (b"PK\x03\x04" + bytes(60), "Word"),
])
def test_documents_as_transcript(capsys, work, content, message):
    folder, audio, transcript = work
    transcript.write_bytes(content)
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    assert message in one_clear_line(err)
    unchanged(folder, ["ep.mp3", "ep.txt"])


@pytest.mark.parametrize("content", [
    b"Maria Santos  0:04\n\nTom Reyes  0:13\n\nTranscribed by https://otter.ai\n",
    b"WEBVTT\n\n00:00.000 --> 00:02.000\n<v Maria></v>\n\n00:02.000 --> 00:04.000\nTom:\n",
    b"**Maria:**\n\n**Tom:**\n",
    b"[00:00:04] MARIA:\n[00:00:13] TOM:\n",
])
def test_labels_with_no_text_in_any_style(capsys, work, content):
    folder, audio, transcript = work
    transcript.write_bytes(content)
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    assert "no words to align" in one_clear_line(err)
    unchanged(folder, ["ep.mp3", "ep.txt"])


def test_unreadable_transcript_and_audio(capsys, work, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who reads every file)."""
    folder, audio, transcript = work
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path) in (str(audio), str(transcript)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    monkeypatch.setattr("io.open", deny)
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    assert "cannot read the transcript (Permission denied)" in one_clear_line(err)
    other = folder / "other.txt"
    other.write_text("MARIA: Hello there.\n")
    status, err = align(capsys, audio, other)
    assert status == AudioError.exit_status
    assert "cannot read the audio (Permission denied)" in one_clear_line(err)
    unchanged(folder, ["ep.mp3", "ep.txt", "other.txt"])


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_transcript_for_real(capsys, work):
    folder, audio, transcript = work
    transcript.chmod(0)
    try:
        status, err = align(capsys, audio, transcript)
    finally:
        transcript.chmod(0o644)
    assert status == TranscriptError.exit_status
    assert "Permission denied" in one_clear_line(err)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_as_transcript_does_not_hang(capsys, work):
    folder, audio, _ = work
    pipe = folder / "pipe.txt"
    os.mkfifo(pipe)
    status, err = align(capsys, audio, pipe)
    assert status == TranscriptError.exit_status
    assert "not a regular file" in one_clear_line(err)


def test_a_huge_file_as_transcript(capsys, work):
    folder, audio, transcript = work
    with transcript.open("r+b") as handle:
        handle.truncate(50_000_000)  # sparse: no disk used
    status, err = align(capsys, audio, transcript)
    assert status == TranscriptError.exit_status
    assert "too large to be a transcript" in one_clear_line(err)


@pytest.mark.parametrize("args,status", [
    (["--transcript-format", "pdf"], UsageError.exit_status),
    (["--transcript-format", "docx"], TranscriptError.exit_status),
    (["--max-lines", "0"], UsageError.exit_status),
    (["-o", "ep.mp3"], OutputError.exit_status),
])
def test_more_nonsense_options(capsys, work, args, status):
    folder, audio, transcript = work
    got, err = align(capsys, audio, transcript, *args)
    assert got == status
    one_clear_line(err)
    assert files(folder) == ["ep.mp3", "ep.txt"]


def test_a_failed_run_leaves_an_earlier_output_unchanged(capsys, work):
    folder, audio, transcript = work
    out = folder / "ep.vtt"
    out.write_text("WEBVTT\n\nearlier captions\n")
    transcript.write_bytes(b"   \n")
    status, err = align(capsys, audio, transcript, "-o", out, "--force")  # --force: the file is not align's
    assert status == TranscriptError.exit_status
    one_clear_line(err)
    assert out.read_text() == "WEBVTT\n\nearlier captions\n"


def test_output_that_is_an_input_by_another_name(capsys, work):
    folder, audio, transcript = work
    (folder / "sub").mkdir()
    before = audio.read_bytes()
    status, err = align(capsys, audio, transcript, "-o", folder / "sub" / ".." / "ep.mp3")
    assert status == OutputError.exit_status
    one_clear_line(err)
    assert audio.read_bytes() == before


def _tone(path, seconds=6.0, kind="tone"):
    import wave

    import numpy as np

    t = np.arange(int(16000 * seconds)) / 16000
    signal = {"silence": np.zeros_like(t),
              "tone": 0.4 * np.sin(2 * np.pi * 440 * t),
              "music": sum(np.sin(2 * np.pi * f * t) * (0.5 + 0.5 * np.sin(np.pi * (k + 1) * t))
                           for k, f in enumerate((261.6, 329.6, 392.0, 523.3))) / 4}[kind]
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1), handle.setsampwidth(2), handle.setframerate(16000)
        handle.writeframes((signal * 20000).astype("int16").tobytes())


@pytest.mark.parametrize("kind", ["silence", "tone", "music"])
def test_audio_without_speech(capsys, work, kind):
    folder, _, transcript = work
    audio = folder / f"{kind}.wav"
    _tone(audio, kind=kind)
    status, err = align(capsys, audio, transcript, "--force")
    assert status == AudioError.exit_status
    assert "no speech" in one_clear_line(err)
    assert files(folder) == sorted(["ep.mp3", "ep.txt", f"{kind}.wav"])


def test_windows_1252_transcript_works_with_a_warning(capsys, work):
    folder, audio, transcript = work
    text = transcript.read_text(encoding="utf-8").replace("having me", "having me – “truly”")
    transcript.write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    status, err = align(capsys, audio, transcript, "-o", folder / "ep.vtt")
    assert status == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("align: warning:")]
    assert len(warnings) == 1 and "Windows-1252" in warnings[0]
    assert "“truly”" in (folder / "ep.vtt").read_text(encoding="utf-8")
    status, err = align(capsys, audio, transcript, "-o", folder / "ep2.vtt", "-q")
    assert status == 0 and err == ""


def test_ctrl_c_leaves_no_output(tmp_path, harbour):
    """A user presses Ctrl-C while the progress line is drawn: exit 130, one line, no file, no leftovers."""
    import pty
    import select
    import signal
    import time

    out = tmp_path / "ep.vtt"
    master, slave = pty.openpty()
    env = {**os.environ, "ALIGN_CACHE_DIR": str(tmp_path / "cache")}
    process = subprocess.Popen([sys.executable, "-m", "align.cli", str(harbour["audio"]), str(harbour["transcript"]),
                                "-o", str(out), "--no-cache"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=slave, env=env, cwd=tmp_path)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while b"decoding audio" not in seen and b"recognising" not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:  # the command has ended: the terminal is gone
                    break
            assert process.poll() is None, seen
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=60)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    text = seen.decode("utf-8", "replace")
    assert status == 130, text
    assert "interrupted; no output written" in text and "Traceback" not in text
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_ctrl_c_in_process(capsys, work, monkeypatch):
    folder, audio, transcript = work

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("align.pipeline.align_episode", interrupted)
    status, err = align(capsys, audio, transcript)
    assert status == 130
    assert "interrupted; no output written" in one_clear_line(err)
    unchanged(folder, ["ep.mp3", "ep.txt"])


def test_one_run_writes_every_format_asked_for(capsys, work):
    import json

    folder, audio, transcript = work
    status, err = align(capsys, audio, transcript, "-o", folder / "ep.vtt", "-o", folder / "ep.srt",
                        "-o", folder / "ep.json", "-q")
    assert status == 0, err
    vtt, srt = (folder / "ep.vtt").read_text(), (folder / "ep.srt").read_text()
    assert vtt.startswith("WEBVTT") and "<v Maria Santos>" in vtt
    assert srt.startswith("1\n") and "Maria Santos: " in srt  # SRT names its speakers, VTT tags them
    segments = json.loads((folder / "ep.json").read_text())["segments"]
    assert segments and all("confidence" in s for s in segments)
    assert align(capsys, audio, transcript, "-o", folder / "a.vtt", "-o", folder / "a.vtt")[0] == \
        OutputError.exit_status
