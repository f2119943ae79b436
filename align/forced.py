"""Fast recognition: the transcript forced through Whisper's decoder window by window, free decoding only where
the audio and the text disagree (``align --fast``).

Free (greedy) decoding costs about as much as the encoder again; a forced pass over known text costs a tenth of
that. So the transcript's words are taken in order, a 30-second window at a time, each window starting where the
last word the window before accepted starts (cross-attention's warping path starts every window with its first
word, so that word's time is kept from the window before): the decoder is teacher-forced with the next words and
cross-attention times them. Words it scores as said are accepted as if the recogniser had heard them. Where the
text stops fitting (page text, a passage cut from the audio, an ad, music), that window is decoded freely, and
the free words both tell where the transcript resumes and go to the aligner as speech the transcript may lack.
Where they say text beyond the words the forced pass kept in that window, at those words' time (a passage cut
from the audio that begins as the next one does), those words are taken back. The aligner then treats both kinds
of word as it treats recognised words.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

import numpy as np

from align.acoustic import LoadsLazily, token_starts
from align.aligner import COMMON, RecognisedWord
from align.audio import SAMPLE_RATE, as_float, loud_frames, rise_from
from align.cache import ArrayStore, WindowMemo
from align.recognition import Progress, RecognitionOptions, _sequential
from align.normalise import repeats_itself, spoken_units

__all__ = ["forced_recognise", "log_mel", "ForcedOptions", "start_at_sound", "rise_after_quiet"]

WINDOW = 30.0
HOP = 160  # samples per mel frame (10 ms)
FRAMES = 3000  # mel frames Whisper's encoder takes
PER_SECOND = 50  # cross-attention frames a second
FIRST_WORD = 1.0  # seconds: the longest that a window's first word is taken to last
ADRIFT = 3.0  # seconds after the end of its segment (the decoder's timestamp) from which a word's time is not trusted
LONGEST_HEARD = 2.5  # seconds: the last freely decoded word of a window longer than this holds undecoded speech
FIRST_SAID = 5  # words of the text ahead, heard in a row where the forced pass kept other words, take those back
KEPT_NEAR = 0.5  # seconds within which a forced word and a heard word of the same text are the same saying
JUMP = 20  # text units skipped beyond the heard units skipped, from which a short run is far ahead of the one before
CONFIRM = 8  # heard units after such a run, none of them going on with the text, that make it a chance match
TAIL = 2.0  # seconds of the audio's last window after its last heard word from which that part is decoded again
SETTLE = 0.02  # seconds (one cross-attention frame) within which a window starts where an earlier run's started


@dataclass(frozen=True)
class ForcedOptions:
    said: float = 0.1  # a word's mean token probability from which it counts as said
    bad_run: int = 4  # this many misfits (under ``said``, or squeezed into no time) of five words end a window
    margin: float = 1.5  # seconds before a window's end within which words are left to the next window
    max_words: int = 110  # words forced through one window (about 45 s of speech)
    max_tokens: int = 220  # and at most this many text tokens (the decoder holds 448)
    long: float = 3.0  # seconds from which a word's span (to the next word) holds audio the text lacks
    doubt: float = 3.0  # seconds of forced words before a misfit or a long gap left to free decoding
    retract: float = 6.0  # seconds of forced words taken back when audio the text lacks follows them
    shift: float = -0.1  # added to every forced start: cross-attention starts words late (fit episodes: +73 to +113 ms)


def log_mel(clip: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """Whisper's log-Mel features of a clip of at most 30 s, padded to 3000 frames (as faster-whisper pads).

    >>> from faster_whisper.feature_extractor import FeatureExtractor
    >>> extractor = FeatureExtractor()
    >>> clip = np.random.RandomState(0).randn(16000 * 5).astype(np.float32) * 0.1
    >>> ours = log_mel(clip, extractor.mel_filters)
    >>> theirs = extractor(clip)
    >>> ours.shape, bool(np.abs(ours[:, :theirs.shape[1]] - theirs).max() < 1e-3)
    ((80, 3000), True)
    """
    n_fft = 400
    padded = np.pad(np.pad(clip.astype(np.float32), (0, HOP)), (n_fft // 2, n_fft // 2), mode="reflect")
    count = 1 + (len(padded) - n_fft) // HOP - 1  # the last frame is dropped, as Whisper does
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::HOP][:count]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=-1)).astype(np.float32) ** 2
    mel = filters.astype(np.float32) @ power.T
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    log = (log + 4.0) / 4.0
    out = np.zeros((log.shape[0], FRAMES), dtype=np.float32)
    out[:, :min(FRAMES, log.shape[1])] = log[:, :FRAMES]
    return out


class _Windows(LoadsLazily):
    """One episode's audio, model and memo: forced and free passes over 30-second windows."""

    def __init__(self, model, samples, language: str, memo: WindowMemo, identity: str, options: ForcedOptions,
                 encoder_outputs: ArrayStore):
        self._model = model
        self.encoder_outputs = encoder_outputs
        self._samples = samples
        self.memo = memo
        self.identity = identity
        self.options = options
        self.language = language
        self._tokenizer = None
        self._encoded: tuple[float, object, np.ndarray | None, int] | None = None
        self.forced_calls = self.free_calls = 0
        self._opened: set[float] = set()  # the starts of this run's windows (by their memo key)
        total = memo.get(("duration",), float)
        if total is None:
            total = len(self.samples) / SAMPLE_RATE
            memo.put(("duration",), total)
        self.total = total

    def tokens(self, word: str) -> list[int]:
        if self._tokenizer is None:
            from faster_whisper.tokenizer import Tokenizer

            self._tokenizer = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual,
                                        task="transcribe", language=self.language)
        return self._tokenizer.encode(" " + word)

    def settle(self, start: float) -> float:
        """Where a window meant to start at ``start`` starts: at ``start``, or, where no window of the memo does,
        at a window that an earlier run of this audio opened within SETTLE of it. A fix to the transcript that
        moves a word by one frame would otherwise move the start of every window after it by that frame, and
        each would be encoded and decoded again; now the next window reads what the earlier run found there.
        A cold run has no earlier windows, and a run over an unchanged transcript opens each window where the
        earlier run did, so both start every window where they meant to.

        >>> windows = _Windows(None, np.zeros(16000 * 60), "en", WindowMemo(None), "ep", ForcedOptions(),
        ...                    ArrayStore(None))
        >>> windows.open(12.34); windows.settle(12.355)  # a window of this run: not a window of an earlier run
        12.355
        >>> windows._opened.clear(); windows.settle(12.355), windows.settle(12.5)
        (12.34, 12.5)
        """
        if self.memo.get(("window", self.identity, round(start, 2)), float) is not None:
            return start
        for offset in (-0.01, 0.01, -0.02, 0.02):
            key = round(start + offset, 2)
            earlier = None if key in self._opened else self.memo.get(("window", self.identity, key), float)
            if earlier is not None and abs(earlier - start) <= SETTLE + 1e-9:
                return earlier
        return start

    def open(self, start: float) -> None:
        """Note in the memo that a window starts at ``start``, for :meth:`settle` in the runs after this one."""
        key = round(start, 2)
        if key not in self._opened:
            self._opened.add(key)
            self.memo.put(("window", self.identity, key), start)

    def _encode(self, start: float):
        if self._encoded is None or self._encoded[0] != start:
            piece = self.samples[int(start * SAMPLE_RATE):int((start + WINDOW) * SAMPLE_RATE)]
            frames = min(FRAMES, len(piece) // HOP)
            self._encoded = (start, *self._encoder_output(start, piece), frames)
        return self._encoded[1], self._encoded[3]

    def _encoder_output(self, start: float, piece: np.ndarray) -> tuple[object, np.ndarray | None]:
        """The encoder's output for the window (and the array that holds it), from the store where an earlier run
        of the same audio kept it: exactly what that run used, so a re-run decodes as a cold run would."""
        model = self.model
        if model.model.device != "cpu":  # a GPU encodes in milliseconds: nothing is kept
            return model.encode(log_mel(as_float(piece), model.feature_extractor.mel_filters)), None
        import ctranslate2

        key = ("encoded", self.identity, round(start, 2))
        kept = self.encoder_outputs.get(key)
        if kept is None or kept.dtype != np.float32 or kept.ndim != 3 or kept.shape[:2] != (1, 1500):
            encoded = model.encode(log_mel(as_float(piece), model.feature_extractor.mel_filters))
            kept = np.asarray(encoded)
            self.encoder_outputs.put(key, kept)
            return encoded, None
        return ctranslate2.StorageView.from_array(kept), kept

    def force(self, start: float, words: list[str]) -> list[tuple[float, float, float]]:
        """(start, end, probability) of each word, forced through the window from ``start``. The first word
        always starts at the window's start (where cross-attention's warping path begins)."""
        self.open(start)
        key = ("forced", self.identity, words, round(start, 2))
        found = self.memo.get(key, list[tuple[float, float, float]])
        if found is not None and len(found) == len(words):
            return [tuple(w) for w in found]
        self.forced_calls += 1
        encoded, frames = self._encode(start)
        out = self._time(encoded, frames, start, [self.tokens(word) for word in words])
        self.memo.put(key, out)
        return out

    def _time(self, encoded, frames: int, start: float, groups: list[list[int]]) -> list[tuple[float, float, float]]:
        """(start, end, mean token probability) of each group of text tokens, teacher-forced in order."""
        tokens = [t for group in groups for t in group]
        if not tokens:
            return [(start, start, 0.0) for _ in groups]
        result = self.model.model.align(encoded, self._tokenizer.sot_sequence, [tokens], frames,
                                        median_filter_width=7)[0]
        probabilities = np.asarray(result.text_token_probs, dtype=float)
        token_start = token_starts(result.alignments, len(tokens), frames // 2)
        out, first = [], 0
        for n, group in enumerate(groups):
            if not group:
                out.append((start, start, 0.0))
                continue
            last = first + len(group)
            a = start + token_start[first] / PER_SECOND
            b = start + token_start[last] / PER_SECOND
            if n == 0:  # the warping path starts every window with its first word: keep a word's length of it
                a = max(a, b - FIRST_WORD)
            out.append((round(float(a), 3), round(float(max(a, b)), 3),
                        round(float(probabilities[first:last].mean()), 3)))
            first = last
        return out

    def free(self, start: float) -> list[RecognisedWord]:
        """The words a free (greedy) decoding of the window from ``start`` hears, timed by cross-attention within
        the segments that the decoder's timestamps mark."""
        self.open(start)
        key = ("free", self.identity, round(start, 2), 4)  # 2: no-speech segments decoded; 3: loops, 4: adrift too
        found = self.memo.get(key, list[tuple[str, float, float, float]])
        if found is not None:
            return [RecognisedWord(*w) for w in found]
        self.free_calls += 1
        encoded, frames = self._encode(start)
        self.tokens("")  # the tokenizer
        tokenizer = self._tokenizer
        result = self.model.model.generate(encoded, [list(tokenizer.sot_sequence)], beam_size=1, max_length=448,
                                           suppress_blank=True, suppress_tokens=_suppressed(tokenizer))[0]
        groups: list[list[int]] = []
        begins: list[float] = []  # the start of the segment each word opens, or -1
        closes: list[float] = []  # the end of each word's segment (the window's end where none is decoded)
        segment_start = 0.0
        opens = True
        for token in result.sequences_ids[0]:
            if token >= tokenizer.timestamp_begin:
                segment_start, opens = (token - tokenizer.timestamp_begin) * 0.02, True
                closes += [segment_start] * (len(groups) - len(closes))
                continue
            if token >= tokenizer.eot:
                continue
            piece = tokenizer.decode([token])
            if not groups or piece.startswith(" ") or opens:
                groups.append([token])
                begins.append(segment_start if opens else -1.0)
                opens = False
            else:
                groups[-1].append(token)
        closes += [frames / 100] * (len(groups) - len(closes))
        times = self._time(encoded, frames, start, groups)
        words = []
        adrift = False  # cross-attention put a word far after the end of the segment the decoder said it in
        for group, begin, close, (a, b, probability) in zip(groups, begins, closes, times):
            text = tokenizer.decode(group).strip()
            if text:
                adrift = adrift or a - (start + close) > ADRIFT
                a = max(a, start + begin) if begin >= 0 else a
                words.append(RecognisedWord(text, round(a, 3), round(max(a, b), 3), probability))
        words = [w for w in words if w.start < start + frames / 100]
        if len(words) < frames / 100 / 3 or adrift or repeats_itself(" ".join(w.text for w in words)):
            # greedy decoding gave up (noise, music), stopped so early that cross-attention spread its few words
            # over the whole window, or repeats itself: decode as recognition does
            words = self._recognise(start, start + frames / 100)
        self.memo.put(key, [[w.text, w.start, w.end, w.probability] for w in words])
        return words

    def _recognise(self, start: float, stop: float) -> list[RecognisedWord]:
        clip = as_float(self.samples[int(start * SAMPLE_RATE):int(stop * SAMPLE_RATE)])
        return _sequential(self.model, clip, RecognitionOptions(language=self.language), None, start, stop,
                           skip_no_speech=False, sampled=False)


def _suppressed(tokenizer) -> list[int]:
    from faster_whisper.transcribe import get_suppressed_tokens

    return list(get_suppressed_tokens(tokenizer, (-1,)) or [])


def _last_said(heard: list[RecognisedWord], text_units: list[tuple[str, ...]], first: int,
               near: int = 400) -> tuple[int, int] | None:
    """(index into ``heard``, index into the text) of the last heard word that says the text from ``first`` on,
    in order: the end of the last run of at least three words (not all of them common) that the heard words and
    the next ``near`` words of the text share, less runs that are chance matches (``_unconfirmed_jump``); None
    where they share none.

    >>> said = [RecognisedWord(w, k, k + 1, 1.0) for k, w in enumerate("buy our soap we met in paris".split())]
    >>> text = [(w,) for w in "hello we met in paris great".split()]
    >>> _last_said(said, text, 1)
    (6, 4)
    """
    found = _said_run(heard, text_units, first, near)
    return None if found is None else found[1:3]


def _said_run(heard: list[RecognisedWord], text_units: list[tuple[str, ...]], first: int,
              near: int = 400) -> tuple[int, int, int, bool] | None:
    """What :func:`_last_said` finds, as (index into ``heard`` of the run's first word, of its last word, index
    into the text of its last unit, whether the run is a short one (under CONFIRM units) far ahead in the text
    with too few heard units after it to tell a chance match from the text resuming after a cut: see
    ``_unconfirmed_jump``)."""
    masked: set[int] = set()
    while True:
        runs, owners, flat_owner = _said_runs(heard, text_units, first, near, 3, masked)
        if not runs:
            return None
        run = runs[-1]
        before = runs[-2] if len(runs) > 1 else difflib.Match(0, 0, 0)  # a lone run: against the window's start
        if not _unconfirmed_jump(before, run, len(owners)):
            far = _skipped(before, run) > JUMP and run.size < CONFIRM and len(owners) - run.a - run.size < CONFIRM
            return owners[run.a], owners[run.a + run.size - 1], flat_owner[run.b + run.size - 1], far
        masked.update(range(run.a, run.a + run.size))  # a chance match: matched again without it


def _skipped(before, run) -> int:
    """Text units skipped between two runs beyond the heard units skipped between them."""
    return (run.b - before.b - before.size) - (run.a - before.a - before.size)


def _unconfirmed_jump(before, run, heard: int) -> bool:
    """Whether ``run`` is a short run far ahead in the text of the run ``before`` it (over JUMP more text units
    skipped than heard units), with at least CONFIRM heard units after it that go on with none of the text after
    it: a chance match ("the united states" heard in noise where the text says it a hundred seconds on), not the
    text resuming after a passage cut from the audio (where the words heard after it go on with the text, or the
    window ends).

    >>> from difflib import Match
    >>> _unconfirmed_jump(Match(0, 0, 3), Match(4, 200, 3), 20), _unconfirmed_jump(Match(0, 0, 3), Match(4, 200, 3), 9)
    (True, False)
    """
    return _skipped(before, run) > JUMP and run.size < FIRST_SAID and heard - run.a - run.size >= CONFIRM


def _first_said(heard: list[RecognisedWord], text_units: list[tuple[str, ...]], first: int,
                kept: list[RecognisedWord], near: int = 400) -> float | None:
    """Where the heard words first say at least FIRST_SAID words of the text from ``first`` on in a row (not all
    of them common), FIRST_SAID of them words that no ``kept`` word says at the same time (a phrase said again
    later in the text is heard where the forced pass kept its first saying); None where they never do.

    >>> said = [RecognisedWord(w, k, k + 1, 1.0) for k, w in enumerate("so we met in paris last june".split())]
    >>> text = [(w,) for w in "hello we met in paris last june great".split()]
    >>> _first_said(said, text, 0, []), _first_said(said, text, 3, []), _first_said(said, text, 0, said[1:4])
    (1, None, None)
    """
    runs, owners, _ = _said_runs(heard, text_units, first, near, FIRST_SAID)
    for run in runs:
        words = sorted({owners[i] for i in range(run.a, run.a + run.size)})
        new = [k for k in words if not any(abs(w.start - heard[k].start) <= KEPT_NEAR
                                           and spoken_units(w.text) == spoken_units(heard[k].text) for w in kept)]
        if len(new) >= FIRST_SAID:
            return heard[words[0]].start
    return None


def _said_runs(heard: list[RecognisedWord], text_units: list[tuple[str, ...]], first: int, near: int, size: int,
               masked: set[int] = frozenset()):
    """The runs of at least ``size`` spoken units (not all of them common) that the heard words and the next
    ``near`` words of the text from ``first`` share, in order, with the heard word and the text word of each unit;
    heard units whose index is ``masked`` match nothing."""
    heard_units = [None if k in masked else u for k, u in enumerate(u for w in heard for u in spoken_units(w.text))]
    owners = [k for k, w in enumerate(heard) for _ in spoken_units(w.text)]
    flat, flat_owner = [], []
    for i in range(first, min(first + near, len(text_units))):
        flat += text_units[i]
        flat_owner += [i] * len(text_units[i])
    matcher = difflib.SequenceMatcher(None, heard_units, flat, autojunk=False)
    runs = [m for m in matcher.get_matching_blocks() if m.size >= size
            and not all(u in COMMON for u in heard_units[m.a:m.a + m.size])]
    return runs, owners, flat_owner


def forced_recognise(model, samples, words: list[str], language: str | None = "en",
                     memo: WindowMemo | None = None, identity: str = "", options: ForcedOptions = ForcedOptions(),
                     progress: Progress | None = None,
                     encoder_outputs: ArrayStore | None = None) -> tuple[list[RecognisedWord], int]:
    """Words heard in the audio, in order: the transcript's own ``words`` where a forced pass finds them said
    (with their forced times), and freely decoded words where it does not. Also returns how many windows were
    computed (not found in ``memo``).

    ``model`` and ``samples`` may be callables that load them, called only when a window is not in ``memo``;
    ``encoder_outputs`` keeps each window's encoding for the next run."""
    windows = _Windows(model, samples, language or "en", memo or WindowMemo(None), identity, options,
                       encoder_outputs or ArrayStore(None))
    text_units = [tuple(spoken_units(w)) for w in words]
    spoken = [k for k, u in enumerate(text_units) if u]
    said_units = [text_units[k] for k in spoken]
    placed: list[tuple[int, RecognisedWord]] = []  # transcript words the forced pass found, by index into spoken
    heard_out: list[RecognisedWord] = []  # words of free decoding
    t, p = 0.0, 0  # p indexes ``spoken``; from t on, the audio has not been accounted for
    lead = False  # the window at t starts with spoken[p - 1], already placed
    heard_lead = False  # and a free decoding placed it (not the forced pass)
    check = False  # decode the window at t freely before forcing anything through it
    seen: set[tuple[float, int, bool]] = set()
    floor = 0.0  # heard words from here on are new (not words already placed)
    guard = 0.0  # no forced word before this is taken back
    resume: float | None = None  # where the last word kept before a free decoding starts

    def heard_from(start: float) -> list[RecognisedWord]:  # the new words of a free decoding of the window
        return _up_to_stretch([w for w in windows.free(start) if w.start >= floor])

    while t < windows.total - 0.5:
        if progress:
            progress("aligning the transcript to the audio", t, windows.total)
        end = min(windows.total, t + WINDOW)
        last = end >= windows.total - 0.01
        if p >= len(spoken) or (t, p, check) in seen:
            # the text is used up (what is left is speech the transcript lacks, if any), or no step was made
            heard = heard_from(t)
            heard_out += heard
            p = _covered(heard, said_units, p) if p < len(spoken) else p
            t = _decoded_to(t, end, last, heard, options)
            lead = check = False
            continue
        seen.add((t, p, check))
        if not check:
            first = p - 1 if lead else p
            batch, count = [], 0
            for k in spoken[first:first + options.max_words]:
                count += len(words[k]) // 3 + 1  # a generous estimate of its tokens, no tokenizer needed
                if count > options.max_tokens and batch:
                    break
                batch.append(k)
            forced = windows.force(t, [words[k] for k in batch])
            if lead and forced[0][1] - t > options.long:  # the first word's span, before FIRST_WORD shortens it
                # audio the text lacks follows the word the last window ended on
                if heard_lead:  # a free decoding placed that word and heard what follows: decode on from it
                    lead, check = False, True
                    continue
                # the last window may have put words of the text into it: take back its last seconds and listen
                cutoff = max(guard, t - options.retract)
                while placed and placed[-1][1].start >= cutoff and len(placed) > 1:
                    p = placed.pop()[0]
                heard_out = [w for w in heard_out if w.start < cutoff]
                t, floor, guard, lead, check = cutoff, cutoff, forced[0][0], False, True
                continue
            skip = 1 if lead else 0
            keep, why = _accepted(forced, end, last, options, whole=first + len(batch) >= len(spoken), skip=skip)
            if why != "window":  # words just before text or audio that does not fit may have been pulled into it:
                # leave them to free decoding; a word stretched over a long gap may be on either side of it
                edge = forced[keep - 1][0] if why == "long" else forced[min(keep, len(forced) - 1)][0]
                while keep > skip and forced[keep - 1][0] >= edge - options.doubt:
                    keep -= 1
            for n, (k, (a, b, prob)) in enumerate(zip(batch[skip:keep], forced[skip:keep]), start=first + skip):
                if prob >= options.said:  # a word that does not fit is left to the aligner
                    placed.append((n, RecognisedWord(words[k], round(max(0.0, a + options.shift), 3), round(b, 3),
                                                     max(prob, 0.5))))
                    floor = max(floor, a + 0.1, min(b - 0.1, a + 1.0))
            p += keep - skip
            if why == "window" and keep > skip:  # the window is used up: the next starts at its last word
                t, lead, heard_lead = windows.settle(forced[keep - 1][0]), True, False
                continue
            check = True  # text not in the audio, or audio not in the text, follows: decode this window freely
            resume = forced[keep - 1][0] if keep > skip else None
            continue
        check = lead = False
        heard = heard_from(t)
        if not heard and resume is not None and resume > t + 1.0:
            # decoding gave up on the whole window (noise, music): decode from the last word kept instead
            t = resume
            heard = heard_from(t)
        resume = None
        if heard and placed and placed[-1][1].start > max(t, guard):
            # where the free decoding already says text beyond the words this window's forced pass kept, the pass
            # put other words of the text there (a passage cut from the audio, said much like the one after it):
            # take them back, and let the free decoding account for that audio
            early = _first_said(windows.free(t), said_units, p, [w for _, w in placed if w.start >= t - 1.0])
            if early is not None and max(t, guard) < early <= placed[-1][1].start:
                while len(placed) > 1 and placed[-1][1].start >= early:
                    p = placed.pop()[0]
                floor = early
                heard = heard_from(t)
        found = _said_run(heard, said_units, p)
        if found is None:  # nothing of the text ahead: the rest of the window is speech (or music) the text lacks
            heard_out += heard
            t = _decoded_to(t, end, last, heard, options)
            continue
        g, h, q, far = found  # heard[h] says spoken[q]: the heard words account for the audio up to it
        if far and not last and heard[g].start > t + 1.0:
            # a run far ahead in the text near the window's end (a chance match in speech the transcript lacks, or
            # the text resuming after a cut): decode on from the run, where the words after it tell which
            heard_out += heard[:g]
            t, lead, check = heard[g].start, False, True
            continue
        heard_out += heard[:h + 1]
        t, p, lead, heard_lead = max(t, windows.settle(heard[h].start)), q + 1, True, True
        floor = max(floor, heard[h].start + 0.1)
    out = sorted([w for _, w in placed] + heard_out, key=lambda w: w.start)
    if progress:
        progress("aligning the transcript to the audio", windows.total, windows.total)
    return out, windows.forced_calls + windows.free_calls


def _decoded_to(t: float, end: float, last: bool, heard: list[RecognisedWord], options: ForcedOptions) -> float:
    """Where the audio is accounted for after a free decoding of the window from ``t`` to ``end`` that went on with
    nothing of the text ahead: the window's end where nothing was heard; else its last heard word's end, short of
    the window's last ``margin`` seconds (left to the next window). In the audio's last window too, where decoding
    stopped more than TAIL before the end: Whisper may end a window's decoding early (on real-edited after
    "cough here.", 8 s before the end), and the text's last line, said there, was never heard.

    >>> from align.aligner import RecognisedWord as R
    >>> heard = [R("cough", 72.9, 73.1), R("here.", 73.1, 73.3)]
    >>> _decoded_to(52.9, 81.9, True, heard, ForcedOptions()), _decoded_to(52.9, 81.9, True, [], ForcedOptions())
    (73.3, 81.9)
    >>> _decoded_to(52.9, 74.0, True, heard, ForcedOptions())  # decoded to within TAIL of the end
    74.0
    """
    if not heard or (last and heard[-1].end >= end - TAIL):
        return end
    return max(t + 1.0, heard[-1].end if last else min(end - options.margin, heard[-1].end))


def _up_to_stretch(heard: list[RecognisedWord]) -> list[RecognisedWord]:
    """The heard words, the last one ending FIRST_WORD after its start where it is stretched over more than
    LONGEST_HEARD seconds: free decoding that stops early stretches its last word over the speech it did not
    decode, and the window is then decoded again from there, not after it.

    >>> said = [RecognisedWord("new", 1.0, 1.2, 0.9), RecognisedWord("currency.", 1.2, 4.5, 0.9)]
    >>> [(w.text, w.end) for w in _up_to_stretch(said)], len(_up_to_stretch(said + said[:1]))
    ([('new', 1.2), ('currency.', 2.2)], 3)
    """
    if heard and heard[-1].end - heard[-1].start > LONGEST_HEARD:
        return heard[:-1] + [replace(heard[-1], end=round(heard[-1].start + FIRST_WORD, 3))]
    return heard


def _covered(heard: list[RecognisedWord], said_units: list[tuple[str, ...]], p: int) -> int:
    """Where the text goes on after heard words that say it in order from ``p`` (at least one word on)."""
    for w in heard:
        if p < len(said_units) and tuple(spoken_units(w.text)) == said_units[p]:
            p += 1
    return min(len(said_units), p + 1) if heard else p


def _accepted(forced: list[tuple[float, float, float]], end: float, last: bool, options: ForcedOptions,
              whole: bool, skip: int = 0) -> tuple[int, str]:
    """How many of the forced words, from the first, count as said in this window, and why no more: "window"
    (the rest lie too near its end), "bad" (a run of words that do not fit) or "long" (the next word stretches
    over more than ``long`` seconds: audio the text lacks).

    >>> o = ForcedOptions()
    >>> _accepted([(0, 1, .9), (1, 2, .8), (2, 3, .01), (3, 4, .9), (4, 4, .9), (4, 5, .01), (5, 6, .01)], 30,
    ...           False, o, True)
    (2, 'bad')
    >>> _accepted([(0, 1, .9), (1, 2, .8), (27, 29.5, .9), (29.5, 30, .9)], 30, False, o, False)
    (2, 'window')
    >>> _accepted([(0, 1, .9), (1, 9, .8), (9, 10, .9), (10, 11, .9), (11, 12, .9)], 30, False, o, False)
    (2, 'long')
    >>> _accepted([(0, 1, .9), (1, 9, .01), (9, 10, .9), (10, 11, .9), (11, 12, .9)], 30, False, o, False)
    (1, 'long')
    """
    keep = skip
    recent: list[int] = []  # the misfits among the last five words
    limit = len(forced) if whole else max(0, len(forced) - 2)  # the last words absorb the window's rest
    for k in range(skip, limit):
        a, b, prob = forced[k]
        if not last and b > end - options.margin:
            return keep, "window"
        recent = [m for m in recent if m > k - 5]
        if b - a > options.long:  # audio the text lacks follows (an ad): the word is kept where it fits
            return (k + 1 if prob >= options.said else keep), "long"
        if prob < options.said or b - a < 0.02:  # unlikely, or squeezed into no time at all
            recent.append(k)
            if len(recent) >= options.bad_run:
                return min(keep, recent[0]), "bad"
            continue
        keep = k + 1
    return keep, "window"


STRETCHED = 0.8  # seconds from which a forced word's span is taken to hold a pause before the word too
RISE = 12.0  # dB over the span's quietest tenth that three 10 ms frames in a row reach where the word starts


def start_at_sound(timings: list, samples, texts: list[str], memo: WindowMemo | None = None,
                   unscripted: list[tuple[float, float]] = ()) -> list:
    """The timings with each stretched word after a punctuation mark (where cross-attention often starts the word
    after a pause where the pause starts) started where the sound rises after a quiet fifth of a second near the
    start of its span (after any word, in a transcript written without punctuation). A stretched word whose span
    runs into speech the transcript lacks (``unscripted``: an ad, a cut passage) holds the pause after it, not
    before: it keeps its start and ends where that pause begins. ``texts`` are the tokens' texts; ``samples`` may
    be a callable that loads them, called only for a span that ``memo`` lacks.

    >>> from align.aligner import WordTiming
    >>> pcm = np.zeros(SAMPLE_RATE * 3, dtype=np.int16)
    >>> pcm[int(1.5 * SAMPLE_RATE):int(2.2 * SAMPLE_RATE)] = 8000  # the word, after 1.5 s of quiet
    >>> before = WordTiming(0, "matched", 0.0, 0.2)
    >>> [t.start for t in start_at_sound([before, WordTiming(1, "matched", 0.2, 2.3)], pcm, ["Well,", "yes"])]
    [0.0, 1.49]
    >>> texts = ["Well", "yes", "I", "think", "so."] * 4
    >>> [t.start for t in start_at_sound([before, WordTiming(1, "matched", 0.2, 2.3)], pcm, texts)]
    [0.0, 0.2]
    >>> pcm[:int(0.5 * SAMPLE_RATE)] = 8000  # a word said at once, then a pause, then an ad from 1.5 s
    >>> start_at_sound([before, WordTiming(1, "matched", 0.2, 2.3)], pcm, ["Well,", "yes"], None, [(2.3, 9.0)])[1]
    WordTiming(token=1, status='matched', start=0.2, end=0.51, confidence=0.0)
    """
    def measured(kind: str, t, measure) -> float | None:
        """``measure`` of the samples of ``t``'s span, remembered in ``memo``."""
        nonlocal samples
        key = (kind, round(t.start, 3), round(t.end, 3), RISE)
        found = memo.get(key, tuple[float | None]) if memo is not None else None
        if found is None:
            if callable(samples):
                samples = samples()
            found = [measure(samples[int(t.start * SAMPLE_RATE):int(t.end * SAMPLE_RATE)])]
            if memo is not None:
                memo.put(key, found)
        return found[0]

    out = []
    marked = [text.rstrip("\"'”’)»").endswith((".", ",", "?", "!", ";", ":")) for text in texts]
    unpunctuated = sum(marked) < 0.05 * max(1, len(texts))  # then any word may follow a pause
    after_mark = False  # the spoken word before ends with a punctuation mark
    for t in timings:
        if t.start is None:
            out.append(t)
            continue
        stretched, after_mark = after_mark or unpunctuated, marked[t.token]
        if t.status != "matched" or t.end - t.start < STRETCHED:
            out.append(t)
        elif any(t.start < a <= t.end + 0.05 for a, _ in unscripted):
            fall = measured("quiet", t, _quiet_after_sound)
            out.append(t if fall is None else replace(t, end=round(t.start + fall + 0.01, 3)))
        elif stretched:
            rise = measured("sound", t, rise_after_quiet)
            out.append(t if rise is None else replace(t, start=round(t.start + rise - 0.01, 3)))
        else:
            out.append(t)
    return out


def _quiet_after_sound(pcm: np.ndarray) -> float | None:
    """Seconds into ``pcm`` where the first fifth of a second quieter than ``rise_after_quiet``'s mark begins,
    within its first half second and after some sound; None where there is none."""
    loud = loud_frames(pcm, RISE)
    if len(loud) < 45 or not loud[:50].any():
        return None
    quiet = _quiet_from(loud, int(np.argmax(loud)))
    return None if quiet is None else quiet / 100


def rise_after_quiet(pcm: np.ndarray, rise_db: float = RISE, within: int = 50) -> float | None:
    """Seconds into ``pcm`` where three 10 ms frames in a row are ``rise_db`` over its quietest tenth, after a fifth
    of a second quieter than that which begins in its first ``within`` frames (half a second); None where there is
    none, or where less than a fifth of a second is left after it.

    >>> pcm = np.zeros(SAMPLE_RATE, dtype=np.int16)
    >>> pcm[:1600] = pcm[8000:] = 8000  # a word's end, half a second of quiet, the next word
    >>> rise_after_quiet(pcm), rise_after_quiet(pcm, within=5)
    (0.5, None)
    """
    loud = loud_frames(pcm, rise_db)
    if len(loud) < 45:
        return None
    quiet = _quiet_from(loud, 0, within)
    rise = None if quiet is None else rise_from(loud, quiet + 20)
    return None if rise is None or len(loud) - rise < 20 else rise / 100


def _quiet_from(loud: np.ndarray, first: int, within: int = 50) -> int | None:
    """The first 10 ms frame from ``first`` on, within the first ``within`` frames, that begins a fifth of a second with
    no loud frame; None where none does.

    >>> _quiet_from(np.array([1] * 5 + [0] * 20 + [1] * 30, dtype=bool), 0)
    5
    """
    return next((f for f in range(first, min(within, len(loud) - 20)) if not loud[f:f + 20].any()), None)
