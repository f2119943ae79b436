"""Recognise speech with word timestamps, and cache the result so that re-runs skip it.

The cache lives in the user's cache directory, one JSON file per key; the key covers the audio's content,
the model and every option that changes the words. A corrupt entry is ignored and rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from align.aligner import RecognisedWord
from align.audio import SAMPLE_RATE, as_float
from align.cache import fits, read_json, write_json

__all__ = ["RecognitionOptions", "recognise", "cached_recognise", "cache_dir", "Progress"]

# progress(stage, done, total): the CLI draws it; the library never prints
Progress = Callable[[str, float, float], None]
# 2: words stretched over skipped speech recognised again; 3: pieces of equal length; 4: and words of 1.5-2.5 s
CACHE_VERSION = 4


@dataclass(frozen=True)
class RecognitionOptions:
    language: str | None = "en"
    beam_size: int = 1
    vad: bool = True
    batched: bool = True  # batched greedy decoding of voice-active chunks, holes re-recognised one by one
    batch_size: int = 8


HOLE = 4.0  # seconds between recognised words from which a stretch is recognised again on its own
# a recognised word longer than this spans speech the batch skipped (an ad in a voice it did not take up, with the
# next word of the text put at its start): its span is recognised again on its own, and where that hears words
# they replace it
LONGEST_WORD = 2.5
# a word longer than LONG_WORD may hide skipped speech too (fit-plain-5: "the last" over "NGOs, directly, is the
# United States. So they are", 9 words over 1 s): its span is recognised again, and the words heard replace it where
# they are at least SKIPPED_WORDS that take time (4-9 in the 14 such words of the synthetic episodes). A word said
# slowly stays: real speech's "we're ... just" (1.6 s) is heard again as "we will see a word" with two of them
# 0 s long, or as one or two words (with every such word replaced, `real` 0.978 -> 0.973 within 250 ms); so does a
# number, said as several words ("1823," over 1.8 s of seed-full)
LONG_WORD, SKIPPED_WORDS = 1.5, 4

# Peak memory on a CPU, measured with tiny.en int8: about 600 MB of model, libraries and heap, the decoded
# audio (115 MB an hour), and about 80 MB for each 30-second chunk the encoder takes in one batch. The batch
# shrinks for long episodes so that the sum stays under the budget (8 chunks recognise ~20% faster than 4).
MEMORY_BUDGET_MB = 1400
# chunks each of two workers encodes at once (the least batch_for_memory gives): 2 recognise seed-full as fast as 4
# (26.4 and 26.9 s), with a peak about 190 MB lower
PIECE_BATCH = 2
FIXED_MB, CHUNK_MB = 600, 80


def batch_for_memory(samples: np.ndarray, largest: int) -> int:
    """The largest batch, up to ``largest``, whose encoder memory fits the budget beside these samples.

    >>> hour = np.zeros(16000 * 3600, dtype=np.int16)
    >>> batch_for_memory(hour[: 16000 * 1440], 8), batch_for_memory(hour, 8), batch_for_memory(np.tile(hour, 3), 8)
    (8, 8, 5)
    """
    room = MEMORY_BUDGET_MB - FIXED_MB - samples.nbytes / 2**20
    return max(2, min(largest, int(room // CHUNK_MB)))


def recognise(model, samples: np.ndarray, options: RecognitionOptions = RecognitionOptions(),
              progress: Progress | None = None, piece_model: Callable[[], object] | None = None
              ) -> list[RecognisedWord]:
    """Words with start and end times, from faster-whisper with voice-activity filtering.

    Batched decoding is about twice as fast on a CPU but now and then returns nothing for a whole chunk of
    speech, or stretches one word over it; such holes are recognised again, alone, with the sequential
    decoder.

    ``piece_model`` loads a model with several workers (``load_model(workers=2)``): where the audio is longer than
    a piece, it recognises two pieces at once, which keeps two cores busy where one call's threads leave a third of
    their time idle (seed-full: 37 s -> 30 s; the same words, but for one end 20 ms apart). The holes are decoded
    by ``model``, one at a time: CTranslate2 keeps a random generator per worker thread, seeded at its first draw,
    so Whisper's seeded re-decoding repeats only where every call runs on the same thread."""
    total = len(samples) / SAMPLE_RATE
    if not options.batched:
        return _sequential(model, as_float(samples), options, progress, 0.0, total)
    from faster_whisper import BatchedInferencePipeline

    on_cpu = getattr(getattr(model, "model", None), "device", "cpu") == "cpu"
    # a piece at a time per worker of the model, so memory does not grow with the episode's length
    cut = pieces(samples)
    batched_model = piece_model() if piece_model is not None and len(cut) > 1 else model
    workers = max(1, min(len(cut), getattr(getattr(batched_model, "model", None), "num_workers", 1)))
    if workers > 1:
        batch_size = PIECE_BATCH
    else:
        batch_size = batch_for_memory(samples, options.batch_size) if on_cpu else options.batch_size
    heard = _Heard(progress, total)

    def recognise_piece(piece: tuple[float, float]) -> list[RecognisedWord]:
        a, b = piece
        # a pipeline each: it keeps state from call to call
        segments, _ = BatchedInferencePipeline(batched_model).transcribe(
            as_float(samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]), language=options.language,
            beam_size=options.beam_size, word_timestamps=True, batch_size=batch_size)
        return _collect(heard.until_stopped(segments), a, heard.progress(a), total, "recognising speech")

    if workers == 1:
        words = [w for piece in cut for w in recognise_piece(piece)]
    else:
        pool = ThreadPoolExecutor(workers)
        try:
            words = [w for found in pool.map(recognise_piece, cut) for w in found]
        finally:  # on Ctrl-C or an error, the other worker stops after the batch it is on
            heard.stopped.set()
            pool.shutdown(wait=True, cancel_futures=True)
    holes = [(a, b, None) for a, b in zip([0.0] + [w.end for w in words], [w.start for w in words] + [total])
             if b - a >= HOLE]
    holes += [(w.start, w.end, w) for w in words if w.end - w.start > LONG_WORD]
    stretched: set[int] = set()

    def heard_alone(k: int, n: int, a: float, b: float, word: RecognisedWord | None) -> None:
        if progress:
            progress("recognising missed stretches", k, n)
        clip = as_float(samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)])
        found = [w for w in _sequential(model, clip, options, None, a, total) if a <= w.start and w.end <= b + 0.5]
        if word is not None:
            if not found or (b - a <= LONGEST_WORD and (sum(w.end > w.start for w in found) < SKIPPED_WORDS
                                                          or any(ch.isdigit() for ch in word.text))):
                return  # a word said slowly, or a number said in words ("1823", 1.8 s), not speech skipped
            stretched.add(id(word))  # heard again word by word: the stretched word goes
        words.extend(found)

    batch = len(words)
    for k, (a, b, word) in enumerate(sorted(holes, key=lambda h: h[0])):
        heard_alone(k, len(holes), a, b, word)
    # a hole's own decoding stretches words over speech too (fit-plain-5: "last" and "one" over 4.5 s of a 20 s hole)
    again = [w for w in words[batch:] if w.end - w.start > LONG_WORD]
    for k, word in enumerate(again):
        heard_alone(len(holes) + k, len(holes) + len(again), word.start, word.end, word)
    words = sorted((w for w in words if id(w) not in stretched), key=lambda w: w.start)
    if progress:
        progress("recognising speech", total, total)
    return words


PIECE = 600.0  # seconds of audio recognised at a time


class _Heard:
    """Progress over pieces recognised at once: the seconds done in each piece, summed."""

    def __init__(self, progress: Progress | None, total: float):
        self.report, self.total, self.done, self.lock = progress, total, {}, threading.Lock()
        self.stopped = threading.Event()

    def until_stopped(self, segments):
        for segment in segments:
            if self.stopped.is_set():
                return
            yield segment

    def progress(self, start: float) -> Progress | None:
        if self.report is None:
            return None

        def piece_progress(stage: str, done: float, total: float) -> None:
            with self.lock:
                self.done[start] = done - start
                self.report(stage, min(sum(self.done.values()), self.total), self.total)
        return piece_progress


def pieces(samples: np.ndarray, length: float = PIECE, search: float = 15.0) -> list[tuple[float, float]]:
    """Cut the audio into as many pieces as cuts every ``length`` seconds would make (none where it is at most 1.5
    ``length`` long), made even so that two workers finish together, of equal length, with each cut at the quietest
    moment within ``search`` seconds of where it would fall.

    >>> noise = np.random.RandomState(0).randn(16000 * 30).astype(np.float32)
    >>> noise[16000 * 16:16000 * 16 + 8000] = 0  # half a second of silence at 16 s
    >>> pieces(noise, length=12.0, search=2.0)
    [(0.0, 16.0), (16.0, 30.0)]
    >>> len(pieces(noise, length=20.0)), len(pieces(noise, length=6.0, search=1.0))
    (1, 6)
    """
    total = len(samples) / SAMPLE_RATE
    count = 1
    while total - (count - 1) * length > length * 1.5:
        count += 1
    count += count % 2 if count > 1 else 0
    cuts = [0.0]
    frame = SAMPLE_RATE // 50
    for k in range(1, count):
        target = total * k / count
        lo, hi = int((target - search) * SAMPLE_RATE), int((target + search) * SAMPLE_RATE)
        window = samples[lo:hi][: (hi - lo) // frame * frame].reshape(-1, frame)
        quietest = int(np.argmin(np.sqrt((window.astype(np.float32) ** 2).mean(axis=1))))
        cuts.append(round((lo + quietest * frame + frame // 2) / SAMPLE_RATE - 0.01, 2) if window.size else target)
    return list(zip(cuts, cuts[1:] + [total]))


def _sequential(model, samples: np.ndarray, options: RecognitionOptions, progress: Progress | None,
                offset: float, total: float, skip_no_speech: bool = True, sampled: bool = True) -> list[RecognisedWord]:
    """The words of sequential (not batched) decoding; with ``skip_no_speech`` false, a 30-second segment Whisper
    takes for no speech (an ad's voice, speech under noise or music) is decoded all the same (voice-activity
    filtering still drops what is not speech). Without ``sampled``, the decoding is a beam search of five and a
    segment that fails Whisper's checks is not decoded again by sampling: the words depend on the audio alone,
    not on what the process sampled before (CTranslate2 seeds a worker's random generator at its first draw
    only, so ``set_random_seed`` repeats a sampled decoding only in the same order of calls)."""
    import ctranslate2

    # Whisper decodes a segment again at higher temperatures, by sampling, where greedy decoding fails its
    # checks: a fixed seed makes that repeatable where the calls come in the same order (every cold run)
    ctranslate2.set_random_seed(int(offset * 1000) % 2**31)
    segments, _ = model.transcribe(
        samples, language=options.language, beam_size=options.beam_size if sampled else 5, word_timestamps=True,
        vad_filter=options.vad, condition_on_previous_text=False,
        **({} if skip_no_speech else {"no_speech_threshold": None}),
        **({} if sampled else {"temperature": 0.0}))
    words = _collect(segments, offset, progress, total, "recognising speech")
    if progress:
        progress("recognising speech", total, total)
    return words


def _collect(segments, offset: float, progress: Progress | None, total: float, stage: str) -> list[RecognisedWord]:
    words: list[RecognisedWord] = []
    for segment in segments:
        for word in segment.words or []:
            text = word.word.strip()
            if text:
                words.append(RecognisedWord(text, round(offset + word.start, 3), round(offset + word.end, 3),
                                            round(float(word.probability), 3)))
        if progress:
            progress(stage, min(offset + segment.end, total), total)
    return words


def cache_dir() -> Path:
    """Where recognitions are kept: $ALIGN_CACHE_DIR, or the platform's user cache directory."""
    override = os.environ.get("ALIGN_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("align")) / "recognition"


def cache_key(audio_digest: str, model_identity: str, options: RecognitionOptions) -> str:
    """
    >>> key = cache_key("abc", "tiny.en", RecognitionOptions())
    >>> len(key), key == cache_key("abc", "tiny.en", RecognitionOptions(beam_size=5))
    (64, False)
    """
    settings = asdict(options)
    if not options.batched:  # sequential recognitions keep the keys they had before batching existed
        settings.pop("batched"), settings.pop("batch_size")
    raw = json.dumps([CACHE_VERSION, audio_digest, model_identity, settings], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


ENTRY_SHAPE = list[tuple[str, float, float, float]]  # each word's (text, start, end, probability)


def _read_cache(path: Path) -> list[RecognisedWord] | None:
    """The words of a cache entry; None where it is missing, unreadable or damaged (not JSON, or JSON of another
    shape): it is then made again.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "entry.json"
    >>> _ = path.write_text('{"words": [["hello", 0.5, 0.9, 0.9]]}')
    >>> _read_cache(path)
    [RecognisedWord(text='hello', start=0.5, end=0.9, probability=0.9)]
    >>> _ = path.write_text('{"words": [["hello", "0.5", 0.9, 0.9]]}')
    >>> _read_cache(path) is None
    True
    """
    data = read_json(path)
    if not isinstance(data, dict) or not fits(data.get("words"), ENTRY_SHAPE):
        return None
    if not all(word[0].strip() for word in data["words"]):  # recognition keeps no empty word
        return None
    return [RecognisedWord(text, float(start), float(end), float(probability))
            for text, start, end, probability in data["words"]]


def _write_cache(path: Path, words: list[RecognisedWord]) -> bool:
    """Keep the words in the cache; False where they could not be (a cache that cannot be written only costs speed
    next time, and leaves no temporary file behind)."""
    return write_json(path, {"words": [[w.text, w.start, w.end, w.probability] for w in words]})


def cached_recognise(load_model: Callable[[], object], samples: Callable[[], np.ndarray], audio_digest: str,
                     model_identity: str, options: RecognitionOptions = RecognitionOptions(),
                     use_cache: bool = True, progress: Progress | None = None,
                     piece_model: Callable[[], object] | None = None) -> tuple[list[RecognisedWord], bool]:
    """Recognised words from the cache, or from the model (then cached). Returns (words, came_from_cache).

    The model and samples are passed as callables so that a cache hit loads neither.
    """
    path = cache_dir() / f"{cache_key(audio_digest, model_identity, options)}.json"
    if use_cache:
        words = _read_cache(path)
        if words is not None:
            return words, True
    audio = samples()  # decode first: a file that is not audio fails before the model loads
    words = recognise(load_model(), audio, options, progress, piece_model)
    if use_cache:
        _write_cache(path, words)
    return words, False
