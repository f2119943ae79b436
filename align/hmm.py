"""PocketSphinx's HMM aligner: its pronouncing dictionary (with guessed pronunciations for the words it lacks),
a decoder with hesitations as optional fillers, and aligning one clip of audio with its words, here or in worker
processes.

Each clip carries the WARM_UP seconds of audio before it: PocketSphinx's noise estimate is made anew on them, so a
clip's times depend on that clip alone, not on the clips aligned before it, and workers may align them in any
order. ``align.refine`` decides which clips to align and what to do with the times.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

from align.audio import SAMPLE_RATE
from align.normalise import number_words

__all__ = ["available", "guess_pronunciation", "fold", "Dictionary", "new_decoder", "align_clip",
           "align_in_processes", "may_start_processes", "said_twice", "warm_up_samples", "ALIGN_SETTINGS",
           "TWICE_SETTINGS"]

WARM_UP = 2.0  # seconds of audio before a window that set the noise estimate (see ``align_clip``)
# A window with digital silence in it that does not align whole with noise of one step in the silence
# (``_dithered``) is aligned again with noise of up to RETRY_DITHER steps (-53 dBFS, a quiet room's floor), and the
# alignment that places more words is kept. seed-clean's en-029 voice in clean, gated pauses aligned whole in none
# of 48 of its first stretches with one step, 23 with 32 steps and 36 with 128; with the larger noise in every
# window instead, windows that aligned before moved (seed-recut 0.979 -> 0.963 within 100 ms). Set on the seven fit
# episodes among 32 and 128 (a word or two apart on each; bench/README.md).
RETRY_DITHER = 128
WARM_UP_SEARCH = "warm-up"

def available(language: str | None) -> bool:
    if language not in (None, "en"):
        return False
    try:
        import pocketsphinx  # noqa: F401
    except ImportError:
        return False
    return True


# Letter-to-sound rules for words the dictionary lacks: longest spelling first.
_SPELLING = [
    ("tch", "CH"), ("sch", "S K"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("wh", "W"),
    ("ck", "K"), ("ng", "NG"), ("ny", "N Y"), ("qu", "K W"), ("ll", "L"), ("gh", "G"), ("ee", "IY"), ("ea", "IY"),
    ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("oi", "OY"), ("oy", "OY"), ("ai", "EY"), ("ay", "EY"),
    ("au", "AO"), ("aw", "AO"), ("ie", "IY"), ("ei", "EY"), ("a", "AE"), ("b", "B"), ("c", "K"), ("d", "D"),
    ("e", "EH"), ("f", "F"), ("g", "G"), ("h", "HH"), ("i", "IH"), ("j", "JH"), ("k", "K"), ("l", "L"),
    ("m", "M"), ("n", "N"), ("o", "OW"), ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"), ("t", "T"),
    ("u", "UW"), ("v", "V"), ("w", "W"), ("x", "K S"), ("y", "IY"), ("z", "Z"),
]


def guess_pronunciation(word: str) -> str:
    """A rough phone string for a word from its spelling.

    >>> guess_pronunciation("llorenti"), guess_pronunciation("xyz")
    ('L OW R EH N T IY', 'K S IY Z')
    """
    phones, k = [], 0
    word = re.sub(r"[^a-z]", "", word.lower())
    if word.endswith("i"):
        word = word[:-1] + "y"  # a final i is said ee
    while k < len(word):
        for spelling, sound in _SPELLING:
            if word.startswith(spelling, k):
                if not (phones and phones[-1] == sound):
                    phones.append(sound)
                k += len(spelling)
                break
        else:
            k += 1
    return " ".join(phones) or "AH"


def fold(text: str) -> str:
    return _unmarked(text).lower()


def _unmarked(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_ENTRIES: set[str] = set()


def _dictionary_entries() -> set[str]:
    """The words of PocketSphinx's English pronouncing dictionary (read once; its own lookup is slow)."""
    if not _ENTRIES:
        from pocketsphinx import get_model_path

        with open(f"{get_model_path()}/en-us/cmudict-en-us.dict", encoding="utf-8") as handle:
            _ENTRIES.update(line.split(" ", 1)[0] for line in handle if line.strip())
    return _ENTRIES


class Dictionary:
    """Written tokens as dictionary words; words it lacks get a guessed pronunciation."""

    def __init__(self):
        self.entries = _dictionary_entries()
        self.guessed: dict[str, str] = {}
        self.known: dict[str, list[str]] = {}

    def words(self, text: str) -> list[str]:
        """The dictionary words a written token is said as (numbers spelled out).

        >>> Dictionary().words("Llorenti's 24/7,")
        ['llorentis', 'twenty', 'four', 'seven']
        """
        if text not in self.known:
            self.known[text] = self._words(text)
        return self.known[text]

    def _words(self, text: str) -> list[str]:
        out: list[str] = []
        # ñ is said n-y wherever it is written (fold would make it a plain n): "Áñez" is guessed AE N Y EH Z
        for piece in re.split(r"[\s\-–—/_]+", _unmarked(text.replace("ñ", "ny").replace("Ñ", "Ny"))):
            for part in re.findall(r"\d+|[A-Za-z][A-Za-z']*", piece.strip("'")):
                if part.isdigit():
                    out += number_words(int(part)) if len(part) < 13 else [number_words(int(d))[0] for d in part]
                    continue
                written, part = part, part.strip("'").lower()
                word = next((c for c in (part, part.replace("'", "")) if c in self.entries), None)
                if word is None and len(written) > 1 and written.isupper() and not re.search("[AEIOU]", written):
                    out += [letter for letter in part if letter in self.entries]  # "TCP": its letters' names
                    continue
                if word is None:
                    word = re.sub(r"[^a-z]", "", part)
                    if not word:
                        continue
                    self.guessed[word] = guess_pronunciation(word)
                out.append(word)
        return out

    def decoder(self):
        """A PocketSphinx aligner that knows the guessed words too."""
        return new_decoder(self.guessed)


# Hesitations the editor removed from the text but the speaker said: optional between any two words, so that
# the aligner need not stretch a neighbouring word over them. Their probability was set on the public `real`
# episode (recorded speech, fillers dropped from its transcript: 0.01 took within 100 ms from 0.83 to 0.87 and
# within 250 ms from 0.93 to 0.96; 0.05 took real to 0.90 / 0.97) and checked on the other eight (bench/README.md).
# Sounds only: the word fillers "you know", "I mean", "like" and "so" were here too, but at this probability they
# took the transcript's own "so" and "like" and made the search a fifth slower (real 0.891 / 0.951 -> 0.902 / 0.978
# without them).
HESITATIONS = {"[UM]": "AH M", "[UH]": "AH", "[ER]": "ER", "[HMM]": "HH M"}
HESITATION_PROBABILITY = 0.05
# Search beams wider than PocketSphinx's defaults (1e-48, 7e-29, 1e-48). With hesitations this likely, paths
# through them crowd the default beams and the path through a window's last words is pruned: the window fails,
# and on check-b's en-gb voice so many did that refinement gave up on it. Wider beams keep that path (and fewer
# windows need aligning again in pieces, so refinement is faster, not slower).
BEAMS = {"beam": 1e-64, "wbeam": 1e-40, "pbeam": 1e-64}
# What a window's alignment depends on besides its words and its clip: part of every window's memo key, so that
# a memo written under other settings (by another version, or while a setting was being measured) is not read
# as this one's. The version number before it covers what these do not name (the pronunciation rules, the code).
ALIGN_SETTINGS = [sorted(HESITATIONS.items()), HESITATION_PROBABILITY, sorted(BEAMS.items()), WARM_UP, RETRY_DITHER]
# Where the sound after a word may be the word said again (``repeats.CHECK_DISTANCE``), or a word is stretched
# over more than ``retime.STRETCHED`` + 0.08 s a letter (over both sayings and the pause between), the HMM is asked
# to align the word, optionally the word again, and the next word; the second saying weighs REPEAT_WEIGHT against none.
# Set on the 13 fit episodes (bench/README.md) among 1e-10, 1e-20 and 1e-30, checking the words after which a
# pause holds such a sound: they moved 20, 13 and 7 words 0.2 s or more early onto their later saying against 6,
# 4 and 3 right ones moved off (on the public seed-full and seed-noisy, 1 and 1e-3 gave 19 against 9, 1e-10 18
# against 5).
REPEAT_WEIGHT = 1e-10
TWICE_SETTINGS = [REPEAT_WEIGHT, sorted(HESITATIONS.items()), HESITATION_PROBABILITY, sorted(BEAMS.items()), WARM_UP]


def new_decoder(guessed: dict[str, str]):
    """A PocketSphinx decoder for alignment: English, hesitations as optional fillers, the guessed words added."""
    import os
    import tempfile

    from pocketsphinx import Decoder, get_model_path

    with open(f"{get_model_path()}/en-us/en-us/noisedict", encoding="utf-8") as handle:
        fillers = handle.read().rstrip("\n") + "\n" + "".join(f"{w} {p}\n" for w, p in HESITATIONS.items())
    handle, path = tempfile.mkstemp(prefix="align-fillers-", suffix=".dict")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(fillers)
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", fdict=path, fillprob=HESITATION_PROBABILITY, **BEAMS)
    finally:
        os.unlink(path)
    for word, phones in guessed.items():
        decoder.add_word(word, phones, False)
    # the warm-up's search (see ``align_clip``): one word and no fillers, so that hearing the warm-up costs about a
    # sixth of what a search with the hesitations does; what the warm-up leaves behind (the front end's noise
    # estimate) is the same, and so is every window's alignment
    decoder.config["fsgusefiller"] = False
    decoder.add_jsgf_string(WARM_UP_SEARCH, "#JSGF V1.0;\ngrammar warm;\npublic <warm> = a;\n")
    decoder.config["fsgusefiller"] = True
    return decoder

def may_start_processes() -> bool:
    import multiprocessing

    return not multiprocessing.current_process().daemon  # a daemonic worker (a pool's, Dask's) may not


def align_in_processes(next_round, clip, guessed: dict[str, str], workers: int, work=None):
    """(key, PocketSphinx's result) for each window, aligned by ``workers`` processes, round after round.

    ``next_round()`` gives the windows (key, start, end) of the next round, which may depend on the results
    of the one before; an empty round ends. One pool serves every round (forking one costs about 0.2 s, see
    PARALLEL_STRETCHES). The workers die with this process, however it ends (``die_with_parent``), and leave
    Ctrl-C to it: an interrupt here (or any other error) cancels the windows not started and ends the workers
    at once, without waiting for the windows they are aligning. ``work`` (``align_in_worker`` where None) is
    what a worker does with a window's (key[2], clip, start)."""
    import multiprocessing
    import os
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    from align.processes import stop_pool

    # fork where there is one: the workers only run PocketSphinx (no threads of the speech model), and a fresh
    # interpreter (forkserver, spawn) would re-import the caller's script, which a script without a main guard forbids
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    todo = next_round()
    if not todo:
        return
    # started from this thread, on the first submit: it outlives them (see align/processes.py)
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=_start_worker, initargs=(guessed, os.getpid()))
    try:
        while todo:
            running: deque = deque()  # a few windows per worker in flight: the clips are not all copied at once
            for key, lo, hi in todo:
                running.append((key, pool.submit(work or align_in_worker, (key[2], clip(lo, hi), lo))))
                if len(running) >= 4 * workers:
                    key, job = running.popleft()
                    yield key, job.result()
            while running:
                key, job = running.popleft()
                yield key, job.result()
            todo = next_round()
    except BaseException:  # Ctrl-C, a worker that died, the caller closing early
        stop_pool(pool)
        raise
    pool.shutdown()


_WORKER: dict[str, object] = {}


def _start_worker(guessed: dict[str, str], parent: int | None = None) -> None:
    from align.processes import die_with_parent

    die_with_parent(parent)  # first: killed with the command, whatever kills it; Ctrl-C is the parent's to handle
    _WORKER["decoder"] = new_decoder(guessed)


def align_in_worker(job: tuple[list[str], np.ndarray, float]) -> list[tuple[str, float, float]]:
    words, pcm, offset = job
    return [list(segment) for segment in align_clip(_WORKER["decoder"], words, pcm, offset)]


def said_twice_in_worker(job: tuple[list[list[str]], np.ndarray, float]) -> list:
    (first, then), pcm, offset = job
    return [said_twice(_WORKER["decoder"], first, "".join(then), pcm, offset)]


def said_twice(decoder, first: list[str], then: str, pcm: np.ndarray, offset: float) -> list[float] | None:
    """Where PocketSphinx, aligning the clip (``pcm``, after its warm-up as in ``align_clip``) with the words ``first``,
    optionally ``first`` again (weighed REPEAT_WEIGHT against not), and the word ``then``, hears ``first`` said
    twice: the later saying's [start, end], or None (also where either has no word)."""
    if not first or not then:
        return None
    def grammar_word(word: str) -> str:  # the grammar's words are letters: "don't" is aliased as "donQt"
        if "'" not in word:
            return word
        alias = word.replace("'", "Q")
        if decoder.lookup_word(alias) is None:
            decoder.add_word(alias, decoder.lookup_word(word), False)
        return alias

    try:
        said = " ".join(grammar_word(w) for w in first)
        decoder.add_jsgf_string("twice", f"#JSGF V1.0;\ngrammar twice;\npublic <twice> = {said} "
                                         f"( /{REPEAT_WEIGHT:g}/ {said} | /1/ <NULL> ) {grammar_word(then)};\n")
    except (RuntimeError, ValueError, TypeError):  # a word the decoder cannot take: no check
        return None
    found = align_clip(decoder, [], pcm, offset, search="twice")
    if found and found[-1][0] == grammar_word(then):  # "that, that that": the next word is no saying
        found = found[:-1]
    sayings = [n for n, (word, _, _) in enumerate(found) if word == grammar_word(first[0])]
    if len(sayings) < 2 or sayings[-1] + len(first) > len(found):
        return None
    return [found[sayings[-1]][1], found[sayings[-1] + len(first) - 1][2]]


def warm_up_samples(lo: float) -> int:
    """How many samples of the audio before a window starting at ``lo`` its clip carries to warm up on."""
    return int(lo * SAMPLE_RATE) - max(0, int((lo - WARM_UP) * SAMPLE_RATE))


def align_clip(decoder, words: list[str], pcm: np.ndarray, offset: float,
               search: str | None = None) -> list[tuple[str, float, float]]:
    """(word, start, end) of the ``words`` that PocketSphinx placed in the clip, in order; a clip that does
    not hold all of them may give only the first ones. ``pcm`` starts with the audio before the window
    (``warm_up_samples``): PocketSphinx's noise estimate is made anew on it, so that the times depend on this
    window alone, not on the windows aligned before it (in this process or another), and it is not searched.
    ``search`` names a grammar added to the decoder to align with instead of ``words``. Where the words do not
    all fit and the clip holds digital silence, they are aligned again with more noise in it (RETRY_DITHER)."""
    found = _align_dithered(decoder, words, pcm, offset, search, 1)
    if search is None and len(found) < len(words) and _has_digital_silence(pcm):
        again = _align_dithered(decoder, words, pcm, offset, search, RETRY_DITHER)
        if len(again) > len(found):
            return again
    return found


def _align_dithered(decoder, words: list[str], pcm: np.ndarray, offset: float, search: str | None,
                    amplitude: int) -> list[tuple[str, float, float]]:
    lead = warm_up_samples(offset)
    pcm = _dithered(pcm, offset, amplitude)
    decoder.reinit_feat()
    try:
        if lead:
            decoder.activate_search(WARM_UP_SEARCH)  # a one-word search: the warm-up is not aligned, only heard
            decoder.start_utt()
            decoder.process_raw(pcm[:lead].tobytes(), no_search=True, full_utt=True)
            decoder.end_utt()
    except RuntimeError:
        pass
    pcm = pcm[lead:]
    try:
        if search is None:
            decoder.set_align_text(" ".join(words))
        else:
            decoder.activate_search(search)
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), full_utt=True)
        decoder.end_utt()
    except RuntimeError:
        return []
    out = []
    for seg in decoder.seg() or []:
        word = seg.word
        if word.startswith(("<", "[", "+")):
            continue
        out.append((word.split("(")[0], offset + seg.start_frame / 100.0, offset + (seg.end_frame + 1) / 100.0))
    return out


def _dithered(pcm: np.ndarray, offset: float, amplitude: int = 1) -> np.ndarray:
    """The clip with noise of at most ``amplitude`` steps added where it holds digital silence (the exact zeros
    of an edited or synthetic file), where PocketSphinx finds nothing in most windows: on check-b, whose pauses are
    such, 4 of 25 six-word windows aligned without it and 14 with one step. Seeded by the window's start, so a
    window aligns the same in every run and process.

    >>> quiet = np.zeros(400, dtype=np.int16)
    >>> noisy = _dithered(quiet, 1.5)
    >>> int(np.abs(noisy).max()), bool((noisy == _dithered(quiet, 1.5)).all())
    (1, True)
    >>> int(np.abs(_dithered(quiet, 1.5, 128)).max()) <= 128
    True
    """
    if not _has_digital_silence(pcm):
        return pcm  # noise would only move the HMM's choices by chance (on `real`, within 100 ms 0.86-0.90)
    noise = np.random.default_rng(int(round(offset * 1000))).integers(-amplitude, amplitude + 1, size=len(pcm))
    return np.clip(pcm.astype(np.int32) + noise, -32768, 32767).astype(np.int16)


def _has_digital_silence(pcm: np.ndarray, run: int = SAMPLE_RATE // 100) -> bool:
    """Whether the clip holds at least 10 ms of exact zeros.

    >>> _has_digital_silence(np.concatenate([np.ones(50), np.zeros(160), np.ones(50)]).astype(np.int16))
    True
    >>> _has_digital_silence(np.tile([0, 0, 1], 200).astype(np.int16))
    False
    """
    zero = np.concatenate([[0], (pcm == 0).astype(np.int8), [0]])
    edges = np.flatnonzero(np.diff(zero))
    return bool(len(edges) and (edges[1::2] - edges[::2]).max() >= run)
