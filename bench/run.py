"""Run align on the public benchmark episodes and score every output with the shared score.py.

usage: python bench/run.py [EPISODES_DIR] [--episodes real,seed-full,...] [--out bench/out] [--no-cache]
       [--baseline] [--fast]

EPISODES_DIR defaults to bench/episodes (built by ../shared/bench/build_public_set.sh when missing).
For each episode it times a cold run (recognition not cached) and a warm run (cached recognition, as after
a transcript fix), measures peak memory of each, writes OUT/EPISODE/{captions.vtt,words.json,report.json}
and prints one JSON line of metrics per episode. --baseline also scores plain faster-whisper word timestamps
(same model, same recognition) mapped onto the transcript with difflib, the reference method.
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import subprocess
import sys
import shutil
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "bench"
EPISODES = ["real", "real-edited", "seed-clean", "seed-noisy", "seed-recut", "seed-full"]


def audio_of(episode: Path) -> Path:
    for name in ("episode.mp3", "episode.wav"):
        if (episode / name).exists():
            return episode / name
    raise SystemExit(f"{episode}: no episode audio")


def run_align(audio: Path, transcript: Path, out: Path, cache_dir: str, extra: list[str]) -> dict:
    """One run of the align command (a fresh process, so memory and time are its own)."""
    env = dict(os.environ, ALIGN_CACHE_DIR=cache_dir)
    # the child reports its own peak memory on its last stderr line
    cmd = [sys.executable, "-c", "import resource, sys; from align.cli import run; status = run(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(status)",
           str(audio), str(transcript), "-q"]
    for name in ("captions.vtt", "report.json", "words.json"):  # align replaces only files it remembers writing
        (out / name).unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd + ["-o", str(out / "captions.vtt"), "--report", str(out / "report.json")] + extra,
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"align failed on {audio}: {proc.stderr.strip()}")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    subprocess.run(cmd + ["-o", str(out / "words.json")] + extra, env=env, check=True, capture_output=True)
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024)}


PLAIN = """
import sys, time
from faster_whisper import WhisperModel
from align.speech_model import resolve_model
model = WhisperModel(resolve_model(None).path, device="cpu", compute_type="int8")
started = time.perf_counter()
segments, info = model.transcribe(sys.argv[1], word_timestamps=True)
words = sum(len(s.words) for s in segments)
print(time.perf_counter() - started)
"""


def plain_transcription(audio: Path) -> float:
    """Wall seconds of plain faster-whisper transcription with word timestamps (its defaults: beam 5),
    the speed baseline, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PLAIN, str(audio)], check=True, capture_output=True, text=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 2)


def score(episode: Path, out: Path, vtt: bool = True) -> dict:
    cmd = [sys.executable, str(SHARED / "score.py"), str(episode / "truth.json"), "--json", str(out / "words.json")]
    if vtt:
        cmd += ["--vtt", str(out / "captions.vtt"), "--report", str(out / "report.json")]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def baseline(episode: Path, out: Path) -> dict:
    """Plain Whisper word times (the cached recognition), mapped onto transcript tokens with difflib."""
    from align.audio import file_digest
    from align.recognition import RecognitionOptions, cache_dir, cache_key, _read_cache
    from align.speech_model import resolve_model
    from align.transcript import read_transcript

    spec = resolve_model(None)
    words = _read_cache(cache_dir() / f"{cache_key(file_digest(audio_of(episode)), spec.identity, RecognitionOptions())}.json")
    transcript = read_transcript(episode / "transcript.txt")
    norm = lambda t: re.sub(r"[^0-9a-z]+", "", t.lower())
    toks = [t for t in transcript.tokens if not t.is_note]
    sm = difflib.SequenceMatcher(None, [norm(t.text) for t in toks], [norm(w.text) for w in words], autojunk=False)
    segments = []
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            t, w = toks[block.a + k], words[block.b + k]
            segments.append({"speaker": transcript.speaker_of(t), "startTime": w.start, "endTime": w.end,
                             "body": t.text})
    (out / "baseline").mkdir(exist_ok=True)
    (out / "baseline" / "words.json").write_text(json.dumps({"version": "1.0.0", "segments": segments}))
    return score(episode, out / "baseline", vtt=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("episodes_dir", nargs="?", default=str(HERE / "episodes"))
    ap.add_argument("--episodes", default=",".join(EPISODES))
    ap.add_argument("--out", default=str(HERE / "out"))
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--warm-only", action="store_true", help="reuse the cache from an earlier run")
    ap.add_argument("--plain", action="store_true", help="also time plain faster-whisper transcription")
    ap.add_argument("--fast", action="store_true", help="run align --fast")
    a = ap.parse_args()
    episodes_dir = Path(a.episodes_dir)
    extra = ["--fast"] if a.fast else []
    if not episodes_dir.exists():
        subprocess.run(["bash", str(SHARED / "build_public_set.sh"), str(episodes_dir)], check=True,
                       env=dict(os.environ, PYTHON=sys.executable))
    for name in a.episodes.split(","):
        episode = episodes_dir / name
        out = Path(a.out) / name
        out.mkdir(parents=True, exist_ok=True)
        audio = audio_of(episode)
        row = {"episode": name}
        cache = str(out / "cache")
        if not a.warm_only:
            shutil.rmtree(cache, ignore_errors=True)
            row["cold"] = run_align(audio, episode / "transcript.txt", out, cache, extra)
        row["warm"] = run_align(audio, episode / "transcript.txt", out, cache, extra)
        if "cold" in row:
            row["warm_over_cold"] = round(row["warm"]["wall_s"] / row["cold"]["wall_s"], 3)
            duration = json.loads((episode / "truth.json").read_text())["duration"]
            row["cold_x_real_time"] = round(duration / row["cold"]["wall_s"], 1)
        if a.plain:
            row["plain_faster_whisper_s"] = plain_transcription(audio)
            if "cold" in row:
                row["cold_over_plain"] = round(row["cold"]["wall_s"] / row["plain_faster_whisper_s"], 3)
        row.update(score(episode, out))
        if a.baseline:
            os.environ["ALIGN_CACHE_DIR"] = cache
            row["baseline_whisper_difflib"] = {k: v for k, v in baseline(episode, out).items()
                                               if k.startswith("word_start")}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
