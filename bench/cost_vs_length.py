"""Wall time and peak memory against episode length, for align, align --fast and (optionally) stable-ts.

usage: python bench/cost_vs_length.py EPISODE_DIR --repeats 1,3,7 --out DIR [--stable-ts PYTHON] [--modes default,fast]
                                     [--also DIR,DIR]

Each long episode is EPISODE_DIR's audio said N times in a row (its transcript N times, its truth shifted), so
every length has the same speech, edits and ads. ``--also`` adds episodes as they are (bench/make_long_episode.py
makes a 5-minute and a 3-hour one whose text never repeats). Every run is a whole cold process; its peak RSS is
its own. Prints one JSON line per run and draws DIR/cost_vs_length.png. For every episode of two hours or more it
also scores the first and the last hour of word starts apart (drift).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"
MEASURED = ("import resource, runpy, sys; sys.argv = sys.argv[1:]; "
            "exec(\"try:\\n runpy.run_path(sys.argv[0], run_name='__main__')\\nexcept SystemExit:\\n pass\"); "
            "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)")


def build(episode: Path, repeats: int, out: Path) -> Path:
    """EPISODE said ``repeats`` times: episode.wav, transcript.txt and truth.json under out/xN."""
    target = out / f"x{repeats}"
    if (target / "truth.json").exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    audio = next(episode / n for n in ("episode.mp3", "episode.wav") if (episode / n).exists())
    listing = target / "parts.txt"
    listing.write_text(f"file '{audio.resolve()}'\n" * repeats)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-ac", "1",
                    "-ar", "16000", str(target / "episode.wav")], check=True)
    text = (episode / "transcript.txt").read_text(encoding="utf-8")
    (target / "transcript.txt").write_text("\n\n".join([text.strip()] * repeats) + "\n", encoding="utf-8")
    truth = json.loads((episode / "truth.json").read_text())
    words, spans = [], []
    for k in range(repeats):
        shift = k * truth["duration"]
        words += [{**w, **{key: (w[key] + shift if w.get(key) is not None else None) for key in ("start", "end")}}
                  for w in truth["words"]]
        spans += [[a + shift, b + shift] for a, b in truth.get("unscripted_audio", [])]
    (target / "truth.json").write_text(json.dumps({**truth, "duration": truth["duration"] * repeats, "words": words,
                                                   "unscripted_audio": spans}))
    return target


def timed(cmd: list[str], env: dict) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed: {proc.stderr.strip()[-500:]}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK ")]
    return wall, int(peak[-1].split()[1]) // 1024 if peak else -1


def run_one(system: str, episode: Path, out: Path, stable_ts: str | None) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    audio, transcript = episode / "episode.wav", episode / "transcript.txt"
    cache = out / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, ALIGN_CACHE_DIR=str(cache))
    if system == "stable-ts":
        cmd = [stable_ts, "-c", MEASURED, str(SHARED / "peer_stable_ts.py"), str(audio), str(transcript),
               str(out / "words")]
        wall, peak = timed(cmd, env)
        words = out / "words.json"
    else:
        words = out / "words.json"
        words.unlink(missing_ok=True)
        cmd = [sys.executable, "-c", "import resource, sys; from align.cli import run; status = run(sys.argv[1:]); "
               "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(status)",
               str(audio), str(transcript), "-o", str(words), "-q"] + (["--fast"] if system == "align --fast" else [])
        wall, peak = timed(cmd, env)
    shutil.rmtree(cache, ignore_errors=True)
    return {"system": system, "words": str(words), "wall_s": round(wall, 1), "peak_rss_mb": peak}


def drift(episode: Path, words_path: Path, repeats: int, hour: float = 3600.0) -> dict:
    """Word start errors of the first and the last hour apart. The text repeats, so each segment is matched
    within its own repetition: by its ``ref`` line where it has one, else by its order (one segment a token)."""
    sys.path.insert(0, str(SHARED))
    from score import match, norm

    truth = json.loads((episode / "truth.json").read_text())
    per_repeat = len(truth["words"]) // repeats
    lines = len((episode / "transcript.txt").read_text(encoding="utf-8").strip().splitlines())
    lines_per_repeat = (lines + 1) // repeats  # each repetition and the blank line after it
    segments = json.loads(words_path.read_text())["segments"]
    if all("ref" in s for s in segments):
        rep_of = [(int(s["ref"].split(":")[0]) - 1) // lines_per_repeat for s in segments]
    else:
        rep_of = [min(repeats - 1, k * repeats // max(1, len(segments))) for k in range(len(segments))]
    errors: list[tuple[float, float]] = []  # (true start, error)
    for r in range(repeats):
        tw = [w for w in truth["words"][r * per_repeat:(r + 1) * per_repeat] if norm(w["text"])]
        mine = [s for s, k in zip(segments, rep_of) if k == r]
        for ti, pi in match([w["text"] for w in tw], [s["body"] for s in mine]).items():
            if tw[ti]["start"] is not None:
                errors.append((tw[ti]["start"], abs(float(mine[pi]["startTime"]) - tw[ti]["start"])))
    out = {}
    for name, lo, hi in (("first_hour", 0.0, hour), ("last_hour", truth["duration"] - hour, truth["duration"])):
        spoken = sum(1 for w in truth["words"] if w.get("start") is not None and norm(w["text"]) and lo <= w["start"] < hi)
        part = sorted(e for start, e in errors if lo <= start < hi)
        out[name] = {"median_ms": round(1000 * part[len(part) // 2]) if part else None,
                     "within_250ms": round(sum(e <= 0.25 for e in part) / max(1, spoken), 4),
                     "over_1s": sum(e > 1.0 for e in part)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("episode")
    ap.add_argument("--repeats", default="1,3,7")
    ap.add_argument("--out", default=str(HERE / "out" / "length"))
    ap.add_argument("--stable-ts", help="the Python of a stable-ts environment (../shared/bench/README.md)")
    ap.add_argument("--modes", default="default,fast")
    ap.add_argument("--also", default="", help="episode folders measured as they are, comma-separated")
    a = ap.parse_args()
    out = Path(a.out)
    systems = [{"default": "align", "fast": "align --fast"}[m] for m in a.modes.split(",")]
    systems += ["stable-ts"] if a.stable_ts else []
    rows = []
    repeats = [int(r) for r in a.repeats.split(",") if r]
    episodes = [(build(Path(a.episode), n, out), n) for n in repeats]
    episodes += [(Path(folder), 1) for folder in a.also.split(",") if folder]
    for episode, n in episodes:
        duration = json.loads((episode / "truth.json").read_text())["duration"]
        for system in systems:
            folder = episode.name if episode.parent != out else f"x{n}"
            where = out / folder / system.replace(" ", "").replace("-", "")
            row = {"episode": str(episode), "repeats": n, "duration_s": round(duration),
                   **run_one(system, episode, where, a.stable_ts)}
            if duration >= 7200:
                row["drift"] = drift(episode, Path(row["words"]), n)
            rows.append(row)
            print(json.dumps(row), flush=True)
    draw(rows, out / "cost_vs_length.png")


def draw(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (wall, memory) = plt.subplots(1, 2, figsize=(10, 4))
    for system in dict.fromkeys(r["system"] for r in rows):
        mine = sorted((r for r in rows if r["system"] == system), key=lambda r: r["duration_s"])
        hours = [r["duration_s"] / 3600 for r in mine]
        wall.plot(hours, [r["wall_s"] / 60 for r in mine], "o-", label=system)
        memory.plot(hours, [r["peak_rss_mb"] for r in mine], "o-", label=system)
    wall.set(xlabel="episode length (hours)", ylabel="wall time (minutes), 2 cores", title="time")
    memory.set(xlabel="episode length (hours)", ylabel="peak RSS (MB)", title="memory")
    memory.axhline(1536, color="grey", linestyle=":", label="1.5 GB")
    for axis in (wall, memory):
        axis.grid(alpha=0.3)
        axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
