"""How cheap and how close is PocketSphinx alone? A feasibility measurement for the speed issue, not a feature.

usage: python bench/pocketsphinx_first.py EPISODE_DIR [--rate 0.4] [--slack 1.2] [--max-words 40] [--look 3]

Runs the full pipeline once (the recognition cache makes a second run cheap) for its word times, then aligns
the episode again without Whisper: paragraph by paragraph, at most ``--max-words`` words a window, from a
cursor that starts a second before the first spoken word. Each window holds its words and the next window's
first ``--look`` words (aligned, not taken, so that its end is not squeezed), and reaches ``--rate`` seconds a
word times ``--slack`` plus 2 s past the cursor. A window that fits moves the cursor to its last word's end; one
that does not costs a fallback: the cursor jumps to the full pipeline's time of the next window, which a
recognition of that stretch would have to give.

Prints one JSON line: windows, how many fit, words, how many were placed and how close to the full pipeline's
times (within 20 / 100 / 250 ms, over 1 s), PocketSphinx's CPU seconds in all and per second of audio.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from align import hmm
from align.audio import SAMPLE_RATE, load_audio
from align.pipeline import Options, align_episode


def windows_of(spoken: list[int], paragraph_of, max_words: int) -> list[list[int]]:
    """Runs of spoken tokens of one paragraph, at most ``max_words`` long.

    >>> windows_of([0, 1, 2, 5, 6], lambda k: k // 4, 2)
    [[0, 1], [2], [5, 6]]
    """
    runs: list[list[int]] = []
    for k in spoken:
        if runs and paragraph_of(runs[-1][-1]) == paragraph_of(k) and len(runs[-1]) < max_words:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("episode", type=Path)
    parser.add_argument("--rate", type=float, default=0.4, help="seconds a word, to size a window")
    parser.add_argument("--slack", type=float, default=1.2, help="a window's reach, times the rate's estimate")
    parser.add_argument("--max-words", type=int, default=40)
    parser.add_argument("--look", type=int, default=3, help="words of the next window aligned, not taken")
    args = parser.parse_args()
    audio = next(p for p in (args.episode / "episode.mp3", args.episode / "episode.wav") if p.exists())
    result = align_episode(str(audio), str(args.episode / "transcript.txt"), Options())
    timings, tokens = result.alignment.timings, result.transcript.tokens
    samples = load_audio(str(audio))
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    total = len(samples) / SAMPLE_RATE
    spoken = [k for k, t in enumerate(timings) if t.start is not None and t.status != "note"]
    dictionary = hmm.Dictionary()
    said = {k: dictionary.words(tokens[timings[k].token].text) for k in spoken}
    decoder = dictionary.decoder()
    runs = windows_of(spoken, lambda k: tokens[timings[k].token].paragraph, args.max_words)

    stats = dict(windows=len(runs), fit=0, words=0, placed=0, within_20ms=0, within_100ms=0, within_250ms=0,
                 over_1s=0, cpu_s=0.0)
    cursor = max(0.0, timings[runs[0][0]].start - 1.0)
    for n, run in enumerate(runs):
        ahead = runs[n + 1][: args.look] if n + 1 < len(runs) else []
        words = [w for k in run + ahead for w in said[k]]
        lo = max(0.0, cursor - 0.3)
        hi = min(total, cursor + len(words) * args.rate * args.slack + 2.0)
        lead = hmm.warm_up_samples(lo)
        clip = samples[int(lo * SAMPLE_RATE) - lead:int(hi * SAMPLE_RATE)]
        began = time.process_time()
        found = hmm.align_clip(decoder, words, clip, lo)
        stats["cpu_s"] += time.process_time() - began
        stats["words"] += len(run)
        at, last_end, whole = 0, None, True
        for k in run:
            if not said[k]:
                continue
            if at + len(said[k]) <= len(found):
                error = abs(found[at][1] - timings[k].start)
                stats["placed"] += 1
                stats["within_20ms"] += error <= 0.02
                stats["within_100ms"] += error <= 0.1
                stats["within_250ms"] += error <= 0.25
                stats["over_1s"] += error > 1.0
                last_end = found[at + len(said[k]) - 1][2]
            else:
                whole = False
            at += len(said[k])
        if whole and len(found) == len(words):
            stats["fit"] += 1
            cursor = last_end
        elif n + 1 < len(runs):
            cursor = max(0.0, timings[runs[n + 1][0]].start - 0.5)  # the fallback's anchor
    stats["cpu_s"] = round(stats["cpu_s"], 1)
    stats["cpu_per_audio_s"] = round(stats["cpu_s"] / total, 4)
    stats["audio_s"] = round(total, 1)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
