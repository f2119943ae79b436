"""One call from an episode's audio and transcript to cues and a report.

>>> # result = align_episode("episode.mp3", "transcript.txt")
>>> # write_atomically("episode.vtt", to_vtt(result.cues))
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from align.acoustic import AcousticAligner
from align.aligner import Alignment, RecognisedWord, align_words
from align.audio import (SAMPLE_RATE, _check_readable as check_readable, as_int16, container_seconds, file_digest,
                         frame_levels, load_audio)
from align.captions import CaptionStyle, Cue, caption_words, make_cues
from align.errors import AudioError, MismatchError
from align.cache import ArrayStore, WindowMemo, write_file
from align.confidence import FAST_MODEL, evidence, on_time_probability
from align.corrections import anchored, check_corrections
from align.forced import forced_recognise, start_at_sound
from align.recognition import Progress, RecognitionOptions, cache_dir, cached_recognise, recognise
from align.refine import refine_times
from align.retime import keep_order
from align.report import build_report
from align.speech_model import (check_compute_type, check_device, check_language, load_model, pick_device,
                                resolve_model)
from align.transcript import Transcript, check_size_for_audio, read_transcript

__all__ = ["Options", "Result", "align_episode"]

# --fast keeps the speech model's encoding of every window (2.3 MB each, about 300 MB an hour of audio) for the
# episodes it aligned last, so that a re-run after a transcript fix encodes again only windows that moved
KEPT_ENCODINGS = 3
# seconds within which the recogniser's time and a forced pass's of a word in a voice PocketSphinx does not fit are
# averaged (farther apart, one of them is lost and the word keeps the recogniser's)
AGREE = 1.0
# Under this share of the transcript's words found in the audio, the command takes it for the transcript of another
# episode (``--force`` overrides). Measured: the wrong transcript, even other turns of the same interview, 0-3%; the
# right one 46% under 10 dB of noise and music (fit-noisy-3), 57% with a paragraph cut and page text
# (fit-real-edited-3), 66-99% on the public and fit episodes.
MISMATCH_SHARE = 0.2


@dataclass(frozen=True)
class Options:
    model: str | None = None  # None: the bundled tiny.en
    device: str = "auto"
    compute_type: str = "default"
    threads: int = 0
    language: str | None = "en"
    cache: bool = True
    keep_speaker_case: bool = False
    transcript_format: str = "auto"  # one of align.formats.FORMATS; auto: detected from the file
    style: CaptionStyle = field(default_factory=CaptionStyle)
    min_found_share: float = 0.0  # below this share of transcript words found, raise MismatchError (the
    # command: MISMATCH_SHARE)
    refine: bool = True  # refine word times by forced alignment (PocketSphinx, English)
    fast: bool = False  # force the transcript through the decoder, decode freely only where it does not fit
    corrections: dict | None = None  # a producer's corrections ({"words": [{"ref", "start"}]}, align.corrections)


@dataclass
class Result:
    transcript: Transcript
    alignment: Alignment
    cues: list[Cue]
    report: dict
    from_cache: bool = False
    evidence: np.ndarray | None = None  # align.confidence.FEATURES per transcript token (NaN: not a spoken word)


def align_episode(audio: str | Path | np.ndarray, transcript: str | Path | Transcript,
                  options: Options = Options(), progress: Progress | None = None,
                  words: list[RecognisedWord] | None = None) -> Result:
    """Align a transcript (path or parsed) with an episode's audio (path or 16 kHz mono samples: float32 in [-1, 1]
    or int16).

    ``words`` skips recognition, for callers that already have recognised words.
    """
    if not isinstance(transcript, Transcript):
        transcript = read_transcript(transcript, options.keep_speaker_case, options.transcript_format)
    episode = _Episode(audio, options, progress)
    if options.fast and words is None:
        episode.preload_model(transcript)
    seconds = episode.seconds()
    if seconds is not None:  # a transcript far larger than the audio is refused before any work on it
        check_size_for_audio(transcript, seconds)
    anchors, skipped = check_corrections(options.corrections, transcript, seconds) if options.corrections else ([], [])
    from_cache = False
    if words is None:
        words, from_cache = episode.forced(transcript) if options.fast else episode.recognise()
    if not words:
        raise AudioError(f"{episode.name}: no speech was recognised in it")
    if progress:
        progress("aligning", 0, 1)
    alignment = align_words(transcript, words, verifier=episode.verify)
    if progress:
        progress("aligning", 1, 1)
    found = build_report(alignment)["counts"]["found_share"]
    if found < options.min_found_share:
        raise MismatchError(f"only {found:.0%} of the transcript's words were found in the audio: is it the "
                            "transcript of this episode? (--force writes the captions anyway)")
    if options.fast:  # no refinement: start each word stretched over a pause where its sound begins
        alignment = replace(alignment, timings=start_at_sound(
            alignment.timings, episode.samples, [t.text for t in transcript.tokens], episode.memo,
            alignment.unscripted_spans))
    if anchors:  # the corrected words, and the words that would cross them, before refinement aligns around them
        alignment = replace(alignment, timings=anchored(alignment.timings, anchors))
    refinement = None
    aligned = alignment
    by_ear = {a.token for a in anchors}  # the corrected words: no later step moves them
    how = ["unrefined" if t.start is not None and t.status != "note" else "" for t in alignment.timings]
    if options.refine and not options.fast:
        timings, refinement = refine_times(alignment, episode.samples, episode.language, progress, episode.memo,
                                           workers=options.threads or min(8, os.cpu_count() or 1))
        alignment = replace(alignment, timings=timings)
        how = refinement.how or how
        unfit = [k for k in sorted(refinement.unfit) if k not in by_ear]
        if unfit:
            timings, refinement.forced = episode.forced_times(transcript, alignment.timings, unfit)
            alignment = replace(alignment, timings=timings)
        if anchors:
            alignment = replace(alignment, timings=anchored(alignment.timings, anchors))
    rows = evidence(aligned.timings, alignment.timings, how, [t.text for t in transcript.tokens],
                    alignment.unscripted_spans,
                    alignment.unclaimed_spans,
                    episode.levels())
    on_time = on_time_probability(rows, FAST_MODEL if options.fast else None)
    on_time[list(by_ear)] = 1.0  # set by ear
    alignment = with_confidence(alignment, on_time)
    if refinement is not None:  # after the confidence, whose model read the times before it (bench/README.md)
        timings, refinement.reordered = keep_order(alignment.timings, transcript, by_ear)
        alignment = replace(alignment, timings=timings)
    report = build_report(alignment)
    if options.corrections:
        report["corrections"] = {"applied": [a.ref for a in anchors], "skipped": skipped}
    if refinement is not None:
        report["refinement"] = {k: v for k, v in asdict(refinement).items() if k not in ("how", "unfit")}
    cues = make_cues(caption_words(alignment), options.style, alignment.unscripted_spans,
                     episode.memo)
    episode.memo.save()
    return Result(transcript, alignment, cues, report, from_cache, rows)


def _read_array(path: Path, dtype) -> np.ndarray | None:
    """A one-dimensional array of ``dtype`` kept by an earlier run (memory-mapped), or None where it is missing or
    damaged."""
    try:
        found = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    return found if found.dtype == dtype and found.ndim == 1 else None


def with_confidence(alignment: Alignment, on_time: np.ndarray) -> Alignment:
    """The alignment with each spoken word's confidence set to its probability of being on time."""
    timings = [t if np.isnan(p) else replace(t, confidence=round(float(p), 3))
               for t, p in zip(alignment.timings, on_time)]
    return replace(alignment, timings=timings)


class _Episode:
    """The audio and the model, each loaded only when a step needs it (a cached re-run may need neither)."""

    def __init__(self, audio: str | Path | np.ndarray, options: Options, progress: Progress | None):
        self.audio = audio
        self.options = options
        self.progress = progress
        self.spec = resolve_model(options.model)
        check_device(options.device)  # a wrong --device fails even when a cached run loads no model
        check_compute_type(options.compute_type)  # and so does a wrong --compute-type
        check_language(self.spec, options.language)
        self.language = options.language
        self._model = None
        self._samples: np.ndarray | None = audio if isinstance(audio, np.ndarray) else None
        self._acoustic: AcousticAligner | None = None
        self.digest = None
        if self._samples is None:
            path = Path(audio)
            check_readable(path)  # missing, a directory, empty or unreadable: the right AudioError now
            self.digest = file_digest(path)
        # results of per-window forced alignments, kept beside the recognition cache
        self.memo = WindowMemo(cache_dir() / f"windows-{self.digest}.json" if options.cache and self.digest else None)
        # --fast: the speech model's encoding of each window, for a re-run after a fix (KEPT_ENCODINGS)
        kept = options.fast and options.cache and self.digest
        self.encoder_outputs = ArrayStore(cache_dir() / f"encoded-{self.digest}" if kept else None)

    def seconds(self) -> float | None:
        """The audio's duration: of the samples, as an earlier run of this file found it, or as the file's container
        states it (None when unknown)."""
        if self._samples is not None:
            return len(self._samples) / SAMPLE_RATE
        return self.memo.get(("duration",), float) or container_seconds(self.audio)

    @property
    def name(self) -> str:
        return "the audio" if isinstance(self.audio, np.ndarray) else str(self.audio)

    def model(self):
        if self._model is None:
            if self.progress:
                self.progress("loading the speech model", 0, 1)
            self._model = load_model(self.spec, self.options.device, self.options.compute_type, self.options.threads)
        return self._model

    def _piece_model(self):
        """The model with two workers of half the threads each, for recognising two pieces of a long audio at once
        (align.recognition); on a GPU, or with fewer than two threads (``align batch`` on two cores), the one-worker
        model. Half the threads each: seed-full's pieces in 19.8 s, against 21.0 s with all the threads each."""
        threads = self.options.threads or min(8, os.cpu_count() or 1)
        if threads < 2 or pick_device(self.options.device) != "cpu":
            return self.model()
        return load_model(self.spec, self.options.device, self.options.compute_type, threads // 2, workers=2)

    def samples(self) -> np.ndarray:
        kept = self._kept_samples_path()
        if self._samples is None and kept is not None:
            self._samples = _read_array(kept, np.int16)
        if self._samples is None:
            if self.progress:
                self.progress("decoding audio", 0, 1)
            self._samples = load_audio(self.audio)
            if kept is not None:
                write_file(kept, lambda out: np.save(out, self._samples, allow_pickle=False), binary=True)
        return self._samples

    def levels(self) -> np.ndarray:
        """The audio's ``frame_levels`` (the confidence reads the sound around each word), kept beside the
        recognition cache (1.4 MB an hour of audio), so that a re-run does not decode the file for them."""
        path = cache_dir() / f"levels-{self.digest}.npy" if self.options.cache and self.digest else None
        found = _read_array(path, np.float32) if path is not None else None
        if found is not None:
            return found
        levels = frame_levels(as_int16(self.samples()))
        if path is not None:
            write_file(path, lambda out: np.save(out, levels, allow_pickle=False), binary=True)
        return levels

    def _kept_samples_path(self) -> Path | None:
        """For --fast with the cache: where the decoded samples are kept beside the recognition cache (115 MB an
        hour), so that a run after a transcript fix reads the few windows it needs instead of decoding the whole
        file."""
        if not (self.options.fast and self.options.cache and self.digest):
            return None
        return cache_dir() / f"samples-{self.digest}.npy"

    def recognise(self) -> tuple[list[RecognisedWord], bool]:
        rec_options = RecognitionOptions(language=self.language)
        if isinstance(self.audio, np.ndarray):
            return recognise(self.model(), self.audio, rec_options, self.progress, self._piece_model), False
        return cached_recognise(self.model, self.samples, self.digest, self.spec.identity, rec_options,
                                self.options.cache, self.progress, self._piece_model)

    def _load_quietly(self) -> None:
        """Load the model into load_model's store; a failure is left for the run to meet, and report, itself."""
        try:
            load_model(self.spec, self.options.device, self.options.compute_type, self.options.threads)
        except Exception:  # noqa: BLE001 - the same load, made again by the run, raises the error it names
            pass

    def _forced_words(self, transcript: Transcript) -> tuple[list[str], str]:
        """The words forced through the decoder, and a digest of them with the model and language."""
        words = [t.text for t in transcript.tokens if not t.is_note]
        digest = hashlib.sha1(json.dumps([self.spec.identity, self.language, words]).encode()).hexdigest()
        return words, digest

    def preload_model(self, transcript: Transcript) -> None:
        """Start loading the model on a thread (CTranslate2 loads without the GIL) where the forced pass will need
        it: on a first run, while the audio decodes, and on a run after a transcript fix, while the caches are
        read. A run of the same words again, all found in the memo, loads nothing."""
        if self._model is not None:
            return
        if self.memo.get(("duration",), float) is None or \
                self.memo.get(("forced words",), str) != self._forced_words(transcript)[1]:
            threading.Thread(target=self._load_quietly, name="model load").start()

    def forced(self, transcript: Transcript) -> tuple[list[RecognisedWord], bool]:
        """Words heard, by forcing the transcript through the decoder (align.forced); True where every window
        came from the memo of an earlier run."""
        words, digest = self._forced_words(transcript)
        found, computed = forced_recognise(self.model, self.samples, words, self.language, self.memo,
                                           self.spec.identity, progress=self.progress,
                                           encoder_outputs=self.encoder_outputs)
        self.encoder_outputs.keep_latest(KEPT_ENCODINGS)
        self.memo.put(("forced words",), digest)
        return found, computed == 0

    def forced_times(self, transcript: Transcript, timings: list, tokens: list[int]) -> tuple[list, int]:
        """``timings`` with each given token started halfway between its time and the time that forcing the
        transcript through the speech model gives it (as ``--fast`` times every word), where the two are less than
        ``AGREE`` seconds apart; and how many. Two independent estimates: their mean is off by 0.25 s less often
        than either (seed-clean's words in the voice PocketSphinx does not fit: 33 of 1,095 against 87 and 41;
        fit-recut's: 6 of 222 against 9 and 19)."""
        words, _ = self.forced(transcript)
        forced = align_words(transcript, words)
        forced_timings = start_at_sound(forced.timings, self.samples, [t.text for t in transcript.tokens],
                                        self.memo, forced.unscripted_spans)
        out, count = list(timings), 0
        for k in tokens:
            f, t = forced_timings[k], timings[k]
            if f.start is not None and t.start is not None and abs(f.start - t.start) < AGREE:
                start = round((t.start + f.start) / 2, 3)
                out[k] = replace(t, start=start, end=max(start, t.end))
                count += 1
        return out, count

    def verify(self, words: list[str], lo: float, hi: float) -> list[tuple[float, float, float]]:
        if self._acoustic is None:
            self._acoustic = AcousticAligner(self.model, self.samples, self.language, self.memo, self.spec.identity)
        if self.progress:
            self.progress("checking passages against the audio", 0, 1)
        return [(w.start, w.end, w.probability) for w in self._acoustic.align(words, lo, hi)]
