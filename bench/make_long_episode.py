"""A long episode whose text never repeats, for bench/cost_vs_length.py (issue 23: no drift over 3 hours).

usage: python bench/make_long_episode.py OUT_DIR [--words 29000] [--seed 31]

The seed interview is 24 minutes; said seven times over, no phrase of it is said once, which is not what a long
episode is. This writes a two-speaker transcript of sayings from the Debian ``fortunes`` package (apt install
fortunes: thousands of short English texts, none twice), HOST and GUEST taking turns of three to six, about
WORDS words (29,000 at the kit's speaking rate is about three hours), and gives it to the kit's make_episode.py,
with a few fillers, one paragraph cut from the audio and one passage of speech the text lacks.
"""
from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KIT = HERE.parent.parent / "shared" / "bench"
FORTUNES = Path("/usr/share/games/fortunes")
KINDS = ("fortunes", "education", "food", "humorists", "literature", "love", "miscellaneous", "people", "pets",
         "politics", "science", "wisdom", "work", "computers", "law", "medicine", "kids", "sports")


def sayings(folder: Path = FORTUNES) -> list[str]:
    """Every saying of 8-70 words in plain punctuation, once each, its attribution line dropped, in file order."""
    found: list[str] = []
    seen: set[str] = set()
    for kind in KINDS:
        path = folder / kind
        if not path.exists():
            continue
        for item in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            lines = [line for line in item.splitlines() if not line.strip().startswith("--")]
            text = re.sub(r"\s+", " ", " ".join(lines)).strip()
            if (text and text not in seen and text[-1] in ".?!" and 8 <= len(text.split()) <= 70
                    and re.fullmatch(r"[A-Za-z0-9 ,.;:'?!\-\"()]+", text)):
                seen.add(text)
                found.append(text)
    return found


def transcript(texts: list[str], words: int, seed: int) -> str:
    rng = random.Random(seed)
    texts = texts[:]
    rng.shuffle(texts)
    turns, total, speaker = [], 0, "HOST"
    while texts and total < words:
        take = [texts.pop() for _ in range(min(len(texts), rng.randint(3, 6)))]
        total += sum(len(t.split()) for t in take)
        turns.append(f"{speaker}: " + " ".join(take))
        speaker = "GUEST" if speaker == "HOST" else "HOST"
    return "\n\n".join(turns) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--words", type=int, default=29000)
    ap.add_argument("--seed", type=int, default=31)
    a = ap.parse_args()
    texts = sayings()
    if sum(len(t.split()) for t in texts) < a.words:
        raise SystemExit(f"not enough sayings under {FORTUNES} (apt install fortunes)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    source = out / "source.txt"
    source.write_text(transcript(texts, a.words, a.seed), encoding="utf-8")
    subprocess.run([sys.executable, str(KIT / "make_episode.py"), str(source), str(out), "--seed", str(a.seed),
                    "--fillers", "0.02", "--cut-paras", "1", "--extra-speech", "1"], check=True)


if __name__ == "__main__":
    main()
