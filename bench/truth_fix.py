"""Re-make the synthetic public episodes' truth with espeak-ng's word positions read as characters.

usage: python bench/truth_fix.py OUTDIR [--check]

Why: `../shared/bench/espeak_words.py` reads the `text_position` of espeak-ng's word events as a byte offset
into the UTF-8 text, but espeak-ng counts characters. After the first non-ASCII character of a paragraph (the
seed transcript's curly apostrophes and quotes, accented names) every event lands a character or two early,
so `make_episode.py` gives each word the start of the word after it, and some spoken words none at all:

    >>> # "It’s Cuba and Bolivia now": espeak-ng reports (position, length) (1, 2) (6, 4) (11, 3) ...
    >>> "It’s Cuba and Bolivia now"[6 - 1:6 - 1 + 4]      # read as characters: the word itself
    'Cuba'
    >>> "It’s Cuba and Bolivia now".encode()[5:9].decode()  # read as bytes, as the kit does
    's Cu'

This script builds the three synthetic public episodes into OUTDIR with the kit's own `make_episode.py`, the
same arguments as `build_public_set.sh`, and only that reading changed. espeak-ng does not make the same
samples twice (two builds of seed-full with the unchanged kit differ after 141 s, by -20 dB), so these are
episodes of their own, not the public files with a new truth: `bench/run.py OUTDIR` scores them like any other.
`real` is made from recordings, not espeak-ng, and has no such error.

`--check` builds instead two episodes that nothing in the project was set on (check-a, check-b: other seeds,
so other voices, cuts and ads, more turns of the interview), made the same way.
"""
from __future__ import annotations

import runpy
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "bench"
SEED = SHARED.parent / "data" / "seed" / "000_9748770ca981dd1d.txt"

# the arguments of build_public_set.sh, episode by episode ("interview" = the seed from its first turn on)
EPISODES = {
    "seed-full": ("page", ["--seed", "3", "--music", "--mp3", "--trailer-from", "Click to comment",
                           "--cut-paras", "1", "--extra-speech", "1"]),
    "seed-clean": ("interview", ["--seed", "4", "--max-turns", "4", "--fillers", "0", "--repeats", "0",
                                 "--cut-paras", "0", "--extra-speech", "0"]),
    "seed-noisy": ("interview", ["--seed", "5", "--max-turns", "4", "--music", "--snr", "10", "--mp3",
                                 "--fillers", "0.05", "--repeats", "0.03", "--cut-paras", "1",
                                 "--extra-speech", "1"]),
}
CHECK_EPISODES = {
    "check-a": ("interview", ["--seed", "11", "--music", "--snr", "12", "--mp3", "--fillers", "0.05", "--repeats",
                              "0.03", "--cut-paras", "3", "--extra-speech", "1", "--max-turns", "8"]),
    "check-b": ("interview", ["--seed", "12", "--cut-paras", "3", "--extra-speech", "2", "--fillers", "0.08",
                              "--repeats", "0.04", "--max-turns", "10", "--music"]),
}


def _patch_espeak() -> None:
    sys.path.insert(0, str(SHARED))
    import espeak_words

    original = espeak_words.synth

    def synth(text, voice="en-us", rate=165, pitch=50):
        audio, sample_rate, _ = original(text, voice=voice, rate=rate, pitch=pitch)
        # espeak-ng's text_position is 1-based and counts characters; an event at position 0 names no word
        # (the kit's byte reading sends it to the last word of the paragraph, with the paragraph's first time)
        words = [(position - 1, length, start) for position, length, start in espeak_words._state["events"]
                 if position > 0]
        return audio, sample_rate, words

    espeak_words.synth = synth


def _transcript(kind: str, scratch: Path) -> Path:
    text = SEED.read_text(encoding="utf-8")
    if kind == "interview":  # sed -n '/^BENJAMIN NORTON: Hello everyone/,$p'
        lines = text.splitlines(keepends=True)
        first = next(i for i, line in enumerate(lines) if line.startswith("BENJAMIN NORTON: Hello everyone"))
        text = "".join(lines[first:])
    path = scratch / f"{kind}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    episodes = CHECK_EPISODES if check else EPISODES
    _patch_espeak()
    with tempfile.TemporaryDirectory() as scratch_name:
        for name, (kind, options) in episodes.items():
            sys.argv = ["make_episode.py", str(_transcript(kind, Path(scratch_name))), str(out / name)] + options
            runpy.run_path(str(SHARED / "make_episode.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
