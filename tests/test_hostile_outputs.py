"""Hostile input against what the command writes and says: manifests that aim outputs at other files, outputs
that collide, stderr closed or full, file names that are not UTF-8, the review page's policy, option values that
only fail late. Each test is named for the item of the reliability audit it keeps from coming back."""
import base64
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from align.cli import run
from align.errors import BatchError, OutputError, UsageError
from align.outputs import written_by_align


def align(capsys, *args):
    status = run([a if isinstance(a, str) else os.fsdecode(a) for a in args])
    return status, capsys.readouterr().err


def one_clear_line(err):
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("align: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def work(episode_folder):
    return episode_folder


def write_manifest(path, rows):
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([["audio", "transcript", "output"]] + rows)


def test_item1_manifest_output_outside_the_output_folder(capsys, tmp_path, harbour):
    shows, elsewhere = tmp_path / "shows", tmp_path / "elsewhere"
    shows.mkdir(), elsewhere.mkdir()
    shutil.copy(harbour["audio"], shows / "a.mp3")
    shutil.copy(harbour["transcript"], shows / "a.txt")
    settings = elsewhere / "settings.json"
    settings.write_text('{"keep": true}')
    write_manifest(shows / "m.csv", [["a.mp3", "a.txt", str(settings)], ["a.mp3", "a.txt", "../../x.vtt"]])
    status, err = align(capsys, "batch", shows / "m.csv", "-q")
    assert status == BatchError.exit_status
    assert settings.read_text() == '{"keep": true}' and sorted(os.listdir(elsewhere)) == ["settings.json"]
    assert not (tmp_path.parent / "x.vtt").exists()
    rows = json.loads((shows / "batch-report.json").read_text())["episodes"]
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all("outside the output folder" in r["error"] and "m.csv line" in r["error"] for r in rows)


def test_item2_manifest_output_that_is_another_rows_input_or_report(capsys, tmp_path, harbour):
    for stem in ("a", "b"):
        shutil.copy(harbour["audio"], tmp_path / f"{stem}.mp3")
    shutil.copy(harbour["transcript"], tmp_path / "a.txt")
    teams = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>Hello there.</v>\n"
    (tmp_path / "b.vtt").write_text(teams)  # b's transcript, a Teams export
    write_manifest(tmp_path / "m.csv", [["a.mp3", "a.txt", "b.vtt"], ["b.mp3", "b.vtt", "b.out.vtt"],
                                        ["a.mp3", "a.txt", "b.out.report.json"]])
    status, err = align(capsys, "batch", tmp_path / "m.csv", "-q", "--no-refine")
    assert status == BatchError.exit_status
    assert (tmp_path / "b.vtt").read_text() == teams
    rows = json.loads((tmp_path / "batch-report.json").read_text())["episodes"]
    assert [r["status"] for r in rows] == ["failed", "done", "failed"]
    assert "the transcript of b" in rows[0]["error"] and "the report of b.out" in rows[2]["error"]
    # a second run does not take b's report (replaced by nobody) for captions of a
    assert json.loads((tmp_path / "b.out.report.json").read_text())["counts"]


def test_item2_a_file_align_did_not_write_is_not_replaced_without_force(capsys, work):
    foreign = "WEBVTT\n\nmy own captions\n"
    (work / "ep.vtt").write_text(foreign)
    status, err = align(capsys, work / "ep.mp3", work / "ep.txt", "-q")  # the default output, ep.vtt
    assert status == OutputError.exit_status and "not written by align" in one_clear_line(err)
    assert (work / "ep.vtt").read_text() == foreign
    assert align(capsys, work / "ep.mp3", work / "ep.txt", "-q", "--force")[0] == 0
    assert (work / "ep.vtt").read_text() != foreign and written_by_align(work / "ep.vtt")
    assert align(capsys, work / "ep.mp3", work / "ep.txt", "-q")[0] == 0  # align's own: replaced again


def test_item4_one_file_named_twice(capsys, work):
    status, err = align(capsys, work / "ep.mp3", work / "ep.txt", "-o", work / "same.json", "--report",
                        work / "same.json")
    assert status == OutputError.exit_status
    assert "both the captions and the report" in one_clear_line(err)
    status, err = align(capsys, work / "ep.mp3", work / "ep.txt", "--review", work / "ep.vtt.html",
                        "-o", work / "x" / ".." / "p.html.vtt", "--report", work / "p.html.vtt")
    assert status == OutputError.exit_status
    assert sorted(os.listdir(work)) == ["ep.mp3", "ep.txt"]


def _align_command(*args):
    return [sys.executable, "-c", "from align.cli import entry; entry()", *args]


@pytest.mark.parametrize("redirect", ["2>&-", "2>/dev/full", "2>&1 | head -c 1 >/dev/null"])
def test_item6_stderr_closed_or_unwritable(work, redirect):
    command = " ".join(f"'{part}'" for part in _align_command(str(work / "ep.mp3"), str(work / "ep.txt"),
                                                               "-o", str(work / "out.vtt")))
    done = subprocess.run(["bash", "-c", f"{command} {redirect}; echo status=${{PIPESTATUS[0]}}"],
                          stdout=subprocess.PIPE, text=True, timeout=300)
    assert "status=0" in done.stdout, done.stdout
    assert (work / "out.vtt").read_text().startswith("WEBVTT")


def test_item7_file_names_that_are_not_utf8(capsys, work):
    audio = os.fsencode(work) + b"/caf\xe9.mp3"
    os.rename(work / "ep.mp3", audio)
    review, report = os.fsencode(work) + b"/r\xe9.html", os.fsencode(work) + b"/r\xe9.json"
    status, err = align(capsys, audio, work / "ep.txt", "--review", review, "--report", report)
    assert status == 0, err
    assert "Traceback" not in err and "wrote " in err and "caf\\xe9.vtt" in err
    assert os.path.exists(os.fsencode(work) + b"/caf\xe9.vtt")
    assert b'src="caf%E9.mp3"' in open(review, "rb").read()
    json.loads(open(report, "rb").read())


def test_item7_odd_locale(work):
    name = work / "Zoë episode.vtt"
    done = subprocess.run(_align_command(str(work / "ep.mp3"), str(work / "ep.txt"), "-o", str(name),
                                         "--report", str(work / "rapport é.json")),
                          env={**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""},
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr and name.exists() and (work / "rapport é.json").exists()


def test_item13_review_page_policy(tmp_path):
    from tests.test_review import made_result
    from align.review import _SCRIPT, review_html

    page = review_html(made_result(), tmp_path / "ep.mp3", "WEBVTT\n", page_path=tmp_path / "ep.html")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "*" not in directives["media-src"] and "unsafe-inline" not in directives["script-src"]
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert script == _SCRIPT and directives["script-src"] == f"'sha256-{digest}'"
    assert directives["media-src"] == "'self' data:"


@pytest.mark.parametrize("args", [("--compute-type", "nonsense"), ("--language", "fr")])
def test_item15_bad_option_values_are_refused_on_a_warm_cache(capsys, work, args):
    assert align(capsys, work / "ep.mp3", work / "ep.txt", "-o", work / "warm.vtt", "-q")[0] == 0
    status, err = align(capsys, work / "ep.mp3", work / "ep.txt", "-o", work / "again.vtt", *args)
    assert status == UsageError.exit_status and args[0] in one_clear_line(err)
    assert not (work / "again.vtt").exists()


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_item5_item17_stopping_a_batch_leaves_nothing_running(tmp_path, harbour, signal_name):
    import signal
    import time

    psutil = pytest.importorskip("psutil")
    source = tmp_path / "in"
    source.mkdir()
    for stem in ("a", "b"):
        shutil.copy(harbour["audio"], source / f"{stem}.mp3")
        shutil.copy(harbour["transcript"], source / f"{stem}.txt")
    batch = subprocess.Popen(_align_command("batch", str(source), "-o", str(tmp_path / "out"), "--jobs", "2",
                                            "--no-cache"),
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(psutil.Process(batch.pid).children()) < 2:
        time.sleep(0.1)
    time.sleep(2)  # the two workers are loading the model and recognising (each takes about 9 s)
    family = psutil.Process(batch.pid).children(recursive=True)
    assert len(family) >= 2
    if signal_name == "SIGINT":  # Ctrl-C reaches the whole process group
        os.killpg(batch.pid, signal.SIGINT)
    else:
        os.kill(batch.pid, getattr(signal, signal_name))
    status = batch.wait(timeout=20)
    err = batch.stderr.read()
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, alive
    assert "Traceback" not in err and "Exception in initializer" not in err, err
    if signal_name == "SIGINT":
        assert status == 130 and "interrupted" in err



def test_item9_a_transcript_far_larger_than_the_audio_is_refused_before_any_work(capsys, work):
    import time

    from align.errors import TranscriptError

    (work / "huge.txt").write_text("HOST: " + "word " * 200_000)  # 200,000 words for 49 s of audio
    began = time.monotonic()
    status, err = align(capsys, work / "ep.mp3", work / "huge.txt", "-o", work / "huge.vtt", "--no-cache")
    assert status == TranscriptError.exit_status and "more than 49 s of audio can hold" in one_clear_line(err)
    assert time.monotonic() - began < 15 and not (work / "huge.vtt").exists()
