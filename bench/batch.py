"""Batch throughput: audio hours captioned per wall hour by `align batch` with 1 and 2 local workers and on a
2-worker Dask cluster on loopback (started with the `dask scheduler` and `dask worker` commands, as the README
shows).

usage: python bench/batch.py [--copies 4] [--extra EPISODE_DIR ...] [--modes jobs1,jobs2,dask2,dask2-notrim]
       [--rounds 2] [--keep DIR]

The episodes: COPIES copies of fixtures/harbour (49 s) plus /work/episodes/real (86 s) when it exists, plus every
--extra episode folder (episode.mp3 or episode.wav, and transcript.txt). Every run is a fresh `align batch`
process with --no-cache --force, so every episode is really recognised (the copies too). Wall time is measured
around the command, from start to exit, so it includes loading Python and the model in every worker; the Dask
cluster is started (and its workers' imports done) before the clock starts, as a standing cluster would be.
`dask2` is the cluster as `dask worker` starts it by default; `dask2-notrim` adds the README's Dask setting that
keeps the nanny from starting workers with MALLOC_TRIM_THRESHOLD_=65536 (which fixes glibc's mmap threshold
and makes every large NumPy array a fresh mmap). The modes run in turn, ROUNDS times over (jobs1, jobs2, dask2, jobs1, ...); the table gives each mode's best
round, since on a shared machine the other users' load only ever slows a round down.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = Path("/work/episodes/real")


def episode_files(folder: Path) -> tuple[Path, Path]:
    audio = next((folder / n for n in ("episode.mp3", "episode.wav") if (folder / n).exists()), None)
    if audio is None or not (folder / "transcript.txt").exists():
        raise SystemExit(f"{folder}: needs episode.mp3 or episode.wav and transcript.txt")
    return audio, folder / "transcript.txt"


def build_set(target: Path, copies: int, extra: list[Path]) -> None:
    target.mkdir(parents=True)
    sources = [(f"harbour{k}", ROOT / "fixtures" / "harbour") for k in range(1, copies + 1)]
    sources += [("real", REAL)] if REAL.is_dir() else []
    sources += [(folder.name, folder) for folder in extra]
    for stem, folder in sources:
        audio, transcript = episode_files(folder)
        shutil.copy(audio, target / f"{stem}{audio.suffix}")
        shutil.copy(transcript, target / f"{stem}.txt")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NO_TRIM = "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n"


def start_dask(workers: int, env: dict) -> tuple[list[subprocess.Popen], str]:
    """`dask scheduler` and `dask worker --nworkers N --nthreads 1` on loopback; waits until all workers are in."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen(dask + ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--dashboard-address", ":0"], **quiet)]
    procs.append(subprocess.Popen(dask + ["worker", address, "--nworkers", str(workers), "--nthreads", "1",
                                          "--host", "127.0.0.1", "--no-dashboard"], **quiet))
    from distributed import Client

    with Client(address, timeout="60s") as client:
        client.wait_for_workers(workers, timeout=120)
        client.run(__import__, "align.pipeline")  # the imports a standing worker has already done
        trim = set(client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values())
    print(f"dask workers: {workers}, MALLOC_TRIM_THRESHOLD_ {trim}", file=sys.stderr)
    return procs, address


def run_batch(source: Path, out: Path, extra: list[str], env: dict) -> dict:
    cmd = [sys.executable, "-m", "align.cli", "batch", str(source), "-o", str(out), "--no-cache", "--force", "-q"]
    started = time.perf_counter()
    proc = subprocess.run(cmd + extra, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    report = json.loads((out / "batch-report.json").read_text())
    if proc.returncode != 0:
        raise SystemExit(f"align batch failed ({proc.returncode}): {proc.stderr.strip()}")
    audio = report["totals"]["audio_seconds"]
    return {"episodes": report["totals"]["done"], "audio_s": round(audio, 1), "wall_s": round(wall, 1),
            "audio_hours_per_wall_hour": round(audio / wall, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--extra", type=Path, nargs="*", default=[])
    parser.add_argument("--modes", default="jobs1,jobs2,dask2,dask2-notrim")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the episodes and outputs here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="align-bench-batch-"))
    source = work / "episodes"
    if not source.exists():
        build_set(source, args.copies, args.extra)
    env = dict(os.environ, ALIGN_CACHE_DIR=str(work / "unused-cache"))
    results: dict[str, dict] = {}
    for round_ in range(1, args.rounds + 1):
        for mode in args.modes.split(","):
            out = work / f"out-{mode}"
            shutil.rmtree(out, ignore_errors=True)
            if mode.startswith("jobs"):
                result = run_batch(source, out, ["--jobs", mode[4:]], env)
            elif mode.startswith("dask"):
                count, _, variant = mode[4:].partition("-")
                cluster_env = env
                if variant == "notrim":
                    (work / "dask-config").mkdir(exist_ok=True)
                    (work / "dask-config" / "align.yaml").write_text(NO_TRIM)
                    cluster_env = dict(env, DASK_CONFIG=str(work / "dask-config"))
                procs, address = start_dask(int(count), cluster_env)
                try:
                    result = run_batch(source, out, ["--cluster", address], env)
                finally:
                    for proc in reversed(procs):
                        proc.terminate()
                        proc.wait(timeout=30)
            else:
                raise SystemExit(f"unknown mode {mode}: jobsN or daskN")
            print(json.dumps({"round": round_, "mode": mode, **result}), flush=True)
            if mode not in results or result["wall_s"] < results[mode]["wall_s"]:
                results[mode] = result
    base = results.get("jobs1", {}).get("audio_hours_per_wall_hour")
    print("\n| mode | episodes | audio | wall | audio hours per wall hour | vs 1 worker |\n|---|---|---|---|---|---|")
    for mode, r in results.items():
        ratio = f"{r['audio_hours_per_wall_hour'] / base:.2f}x" if base else "-"
        print(f"| {mode} | {r['episodes']} | {r['audio_s']:.0f} s | {r['wall_s']:.1f} s | "
              f"{r['audio_hours_per_wall_hour']:.1f} | {ratio} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
