"""Many episodes: `align batch` on a folder or a manifest, with worker processes, resumed after an interruption,
and on a Dask cluster that loses a worker mid-run. Every output must equal what the single command writes."""
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from align.batch import run_batch
from align.cli import run
from align.errors import AudioError, BatchError, TranscriptError, UsageError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def copy_episode(harbour, folder, stem, audio_suffix=".mp3"):
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(harbour["audio"], folder / f"{stem}{audio_suffix}")
    shutil.copy(harbour["transcript"], folder / f"{stem}.txt")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The single command's captions and report for the harbour fixture."""
    folder = tmp_path_factory.mktemp("single")
    audio, transcript = FIXTURES / "harbour" / "episode.mp3", FIXTURES / "harbour" / "transcript.txt"
    cache = os.environ.get("ALIGN_CACHE_DIR")
    os.environ["ALIGN_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "recognition-cache")
    try:
        status = run([str(audio), str(transcript), "-o", str(folder / "ep.vtt"), "--report",
                      str(folder / "ep.json"), "-q"])
    finally:
        if cache is None:
            os.environ.pop("ALIGN_CACHE_DIR")
        else:
            os.environ["ALIGN_CACHE_DIR"] = cache
    assert status == 0
    return {"vtt": (folder / "ep.vtt").read_text(), "report": json.loads((folder / "ep.json").read_text())}


def visible(folder):
    return sorted(p.name for p in folder.iterdir())


def test_local_batch_with_a_broken_pair(capsys, tmp_path, harbour, reference):
    source, out = tmp_path / "in", tmp_path / "out"
    for stem in ("ep1", "ep2", "ep3"):
        copy_episode(harbour, source, stem)
    (source / "broken.mp3").write_bytes(b"this is not audio\n" * 100)
    shutil.copy(harbour["transcript"], source / "broken.txt")
    (source / "lonely.wav").write_bytes(b"RIFF")  # audio without its transcript

    status = run(["batch", str(source), "-o", str(out), "--jobs", "2"])
    err = capsys.readouterr().err

    assert status == BatchError.exit_status
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("align: error: 2 of 5 episodes failed: broken, lonely")
    table = err[err.index("episode  duration"):]
    assert table.splitlines()[1].split()[:2] == ["broken", "-"] and "failed" in table.splitlines()[1]
    assert "ep1      0:49      96 / 128   3             done" in table
    assert "cannot decode audio" in table and "no transcript with the same name" in table
    assert visible(out) == ["batch-report.json", "ep1.report.json", "ep1.vtt", "ep2.report.json", "ep2.vtt",
                            "ep3.report.json", "ep3.vtt"]
    for stem in ("ep1", "ep2", "ep3"):
        assert (out / f"{stem}.vtt").read_text() == reference["vtt"]
        assert json.loads((out / f"{stem}.report.json").read_text()) == reference["report"]
    batch = json.loads((out / "batch-report.json").read_text())
    rows = {r["name"]: r for r in batch["episodes"]}
    assert [r["name"] for r in batch["episodes"]] == ["broken", "ep1", "ep2", "ep3", "lonely"]
    assert rows["broken"]["status"] == "failed" and rows["broken"]["exit_status"] == AudioError.exit_status
    assert rows["lonely"]["exit_status"] == TranscriptError.exit_status
    assert rows["ep2"]["status"] == "done" and rows["ep2"]["captioned"] == 96 and rows["ep2"]["not_in_audio"] == 3
    assert abs(rows["ep2"]["duration"] - 49.1) < 0.5
    assert batch["totals"] == {"episodes": 5, "done": 3, "failed": 2, "skipped": 0,
                               "audio_seconds": pytest.approx(3 * rows["ep2"]["duration"])}
    assert batch["audio_hours_per_wall_hour"] > 0
    assert len({r["worker"] for r in batch["episodes"] if r["status"] == "done"}) <= 2


def test_resume_after_an_interruption(tmp_path, harbour, reference):
    source, out = tmp_path / "in", tmp_path / "out"
    for stem in ("ep1", "ep2", "ep3"):
        copy_episode(harbour, source, stem)

    def stop_after_one(row, finished, total):
        if finished == 1:
            raise KeyboardInterrupt  # Ctrl-C once the first episode is written
    with pytest.raises(KeyboardInterrupt):
        run_batch(source, out, on_row=stop_after_one)
    assert visible(out) == ["ep1.report.json", "ep1.vtt"]
    (out / ".ep2.vtt.x1y2.part").write_text("WEBVTT\n\n00:00")  # a write cut short by a worker that died
    first = (out / "ep1.vtt").stat().st_mtime_ns

    report = run_batch(source, out)
    assert [r["status"] for r in report["episodes"]] == ["skipped", "done", "done"]
    assert report["episodes"][0]["captioned"] == 96  # from the report it wrote before
    assert (out / "ep1.vtt").stat().st_mtime_ns == first
    assert visible(out) == ["batch-report.json"] + [f"ep{k}.{kind}" for k in (1, 2, 3)
                                                    for kind in ("report.json", "vtt")]

    time.sleep(0.01)
    (source / "ep3.txt").write_text((source / "ep3.txt").read_text())  # an edited transcript is redone
    assert [r["status"] for r in run_batch(source, out)["episodes"]] == ["skipped", "skipped", "done"]
    assert [r["status"] for r in run_batch(source, out, force=True)["episodes"]] == ["done"] * 3
    assert (out / "ep1.vtt").stat().st_mtime_ns > first
    for k in (1, 2, 3):
        assert (out / f"ep{k}.vtt").read_text() == reference["vtt"]


def test_manifest(capsys, tmp_path, harbour, reference):
    copy_episode(harbour, tmp_path / "audio", "show-a")
    (tmp_path / "list.csv").write_text("Audio, Transcript ,output\n"
                                       "audio/show-a.mp3,audio/show-a.txt,shows/a/episode-1.srt\n"
                                       "\n"
                                       "audio/show-a.mp3,audio/show-a.txt,\n"
                                       "audio/show-a.mp3,,\n"
                                       "audio/show-a.mp3,audio/show-a.txt,shows/a/episode-1.srt\n")
    status = run(["batch", str(tmp_path / "list.csv"), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == BatchError.exit_status
    assert err.strip() == (f"align: error: 2 of 4 episodes failed: show-a, shows/a/episode-1 "
                           f"(see {tmp_path / 'out'}/batch-report.json)")
    out = tmp_path / "out"
    assert (out / "show-a.vtt").read_text() == reference["vtt"]
    srt = (out / "shows" / "a" / "episode-1.srt").read_text()
    assert srt.startswith("1\n00:00:") and ": " in srt.splitlines()[2]  # SRT shows the speaker
    assert (out / "shows" / "a" / "episode-1.report.json").is_file()
    rows = json.loads((out / "batch-report.json").read_text())["episodes"]
    assert [(r["name"], r["status"]) for r in rows] == [("shows/a/episode-1", "done"), ("show-a", "done"),
                                                        ("show-a", "failed"), ("shows/a/episode-1", "failed")]
    assert "line 5: the audio or the transcript is missing" in rows[2]["error"]
    assert "line 6: the same output as line 2" in rows[3]["error"] and rows[3]["exit_status"] == 6


@pytest.mark.parametrize("args, message", [
    (["nowhere"], "no such folder or manifest"),
    (["{tmp}", "--jobs", "0"], "--jobs 0"),
    (["{tmp}", "--jobs", "2", "--cluster", "tcp://127.0.0.1:1"], "--jobs is for this machine"),
    (["{tmp}", "--style", "huge"], "--style huge"),
    (["{tmp}/x.txt"], "give a folder of episodes or a CSV manifest"),
])
def test_usage_errors(capsys, tmp_path, args, message):
    (tmp_path / "x.txt").write_text("A: hi")
    status = run(["batch"] + [a.replace("{tmp}", str(tmp_path)) for a in args])
    err = capsys.readouterr().err
    assert status == UsageError.exit_status
    assert len(err.strip().splitlines()) == 1 and message in err and err.startswith("align: error: ")


def test_cluster_survives_a_worker_killed_mid_run(capsys, tmp_path, harbour, reference):
    """Four episodes on a loopback Dask cluster of two worker processes; the worker running the first task is
    killed (SIGKILL, as the out-of-memory killer would) while it runs. Its nanny starts a new worker and the
    scheduler runs the task again; every output ends up there once, complete, equal to the single command's."""
    distributed = pytest.importorskip("distributed")
    import logging

    source, out = tmp_path / "in", tmp_path / "out"
    for k in range(1, 5):
        copy_episode(harbour, source, f"ep{k}")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
    client = distributed.Client(cluster)
    try:
        pids = client.run(os.getpid)
        assert len(pids) == 2
        result = {}
        batch = threading.Thread(target=lambda: result.update(status=run(
            ["batch", str(source), "-o", str(out), "--cluster", cluster.scheduler_address])))
        batch.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            running = client.run(lambda dask_worker: [ts.key for ts in dask_worker.state.executing])
            busy = [(address, key) for address, keys in running.items() for key in keys]
            if busy:
                break
            time.sleep(0.02)
        address, key = busy[0]
        os.kill(pids[address], signal.SIGKILL)
        batch.join(timeout=300)
        assert not batch.is_alive()
    finally:
        client.close()
        cluster.close()
    err = capsys.readouterr().err
    assert result["status"] == 0, err
    assert visible(out) == ["batch-report.json"] + [f"ep{k}.{kind}" for k in range(1, 5)
                                                    for kind in ("report.json", "vtt")]
    for k in range(1, 5):
        assert (out / f"ep{k}.vtt").read_text() == reference["vtt"]
        assert json.loads((out / f"ep{k}.report.json").read_text()) == reference["report"]
    rows = {r["name"]: r for r in json.loads((out / "batch-report.json").read_text())["episodes"]}
    assert all(r["status"] == "done" for r in rows.values())
    killed = rows[key.split("-")[1]]
    assert not killed["worker"].endswith(f":{pids[address]}"), "the episode finished before its worker was killed"
    assert err.count("] ep") == 4  # progress: one line per episode as its task completes
    assert "align: warning: the Dask workers run with MALLOC_TRIM_THRESHOLD_ set" in err  # Dask's nanny default
