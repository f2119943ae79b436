"""Decode an audio (or video) file into 16 kHz mono samples.

Decoding uses PyAV, which faster-whisper already depends on and which ships its own FFmpeg libraries, so
every format FFmpeg reads works after a plain ``pip install`` (pydub would need an ``ffmpeg`` program on the
PATH, which pip cannot install).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from align.errors import AudioError

__all__ = ["SAMPLE_RATE", "load_audio", "as_float", "file_digest"]

SAMPLE_RATE = 16_000


def load_audio(path: str | Path) -> np.ndarray:
    """Samples of the file's first audio stream as 16-bit integers, mono, 16 kHz.

    16-bit samples take half the memory of float32 ones (a 3-hour episode: 350 MB, not 700 MB); the steps that
    need floats convert one window at a time with :func:`as_float`. Decoding writes into one array sized from
    the container's duration, so the episode is never held twice.
    Raises AudioError with a one-line reason, naming the file, for a missing, unreadable, empty, truncated or
    non-audio file, and for a path that is not a regular file (a pipe, a device).
    """
    path = Path(path)
    _check_readable(path)
    import av

    try:
        samples = _decode(path)
    except (PermissionError, FileNotFoundError, IsADirectoryError) as error:  # PyAV's own errors are these too
        raise AudioError(f"{path}: cannot read the audio ({_strerror(error)})") from None
    except (av.error.FFmpegError, IndexError, ValueError, StopIteration) as error:
        raise AudioError(f"{path}: cannot decode audio ({_reason(error)})") from None
    except OSError as error:  # a read that failed (a disk error)
        raise AudioError(f"{path}: cannot read the audio ({_strerror(error)})") from None
    except MemoryError:
        raise AudioError(f"{path}: the audio is too long to decode in memory") from None
    if samples.size < SAMPLE_RATE // 10:
        raise AudioError(f"{path}: holds no audio (or under 0.1 s of it)")
    return samples


def container_seconds(path: str | Path) -> float | None:
    """The audio's duration as its container states it, without decoding it (None when unknown or unreadable)."""
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration:
                return round(container.duration / 1_000_000, 3)
            stream = container.streams.audio[0]
            return round(float(stream.duration * stream.time_base), 3) if stream.duration else None
    except Exception:  # a file PyAV cannot open fails properly where it is decoded, with its reason
        return None


def as_float(samples: np.ndarray) -> np.ndarray:
    """Float32 samples in [-1, 1] from 16-bit or float samples (float32 ones are returned as they are).

    >>> as_float(np.array([0, 16384, -32768], dtype=np.int16)).tolist()
    [0.0, 0.5, -1.0]
    """
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / np.float32(32768.0)
    return samples.astype(np.float32, copy=False)


def as_int16(samples: np.ndarray) -> np.ndarray:
    """16-bit samples from float samples in [-1, 1] (16-bit ones are returned as they are).

    >>> as_int16(np.array([0.0, 0.5, -2.0], dtype=np.float32)).tolist()
    [0, 16383, -32767]
    """
    if samples.dtype == np.int16:
        return samples
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


def _decode(path: Path) -> np.ndarray:
    import gc

    import av

    with av.open(str(path), mode="r", metadata_errors="ignore") as container:
        stream = container.streams.audio[0]  # IndexError: no audio stream
        seconds = float(stream.duration * stream.time_base) if stream.duration and stream.time_base else \
            (container.duration or 0) / 1_000_000
        buffer = np.empty(int(seconds * SAMPLE_RATE * 1.01) + SAMPLE_RATE, dtype=np.int16)
        size = 0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in _frames(container.decode(stream), resampler):
            block = frame.to_ndarray().reshape(-1)
            if size + block.size > buffer.size:  # the container under-stated its duration
                buffer = np.resize(buffer, max(2 * buffer.size, size + block.size))
            buffer[size:size + block.size] = block
            size += block.size
        del resampler
    gc.collect()  # PyAV's resampler holds native buffers until collected (faster-whisper issue 390)
    return buffer[:size] if size > 0.9 * buffer.size else buffer[:size].copy()


def _frames(decoded, resampler, group: int = 500_000):
    """Resampled frames, the decoded ones resampled in groups of about ``group`` samples (much faster than one
    frame at a time); frames FFmpeg cannot decode (a damaged stretch) are skipped, the resampler flushed."""
    import av

    fifo = av.AudioFifo()
    while True:
        try:
            frame = next(decoded)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            continue
        frame.pts = None  # resample by sample count, not by the stream's timestamps
        fifo.write(frame)
        if fifo.samples >= group:
            yield from resampler.resample(fifo.read())
    if fifo.samples:
        yield from resampler.resample(fifo.read())
    yield from resampler.resample(None)


def _check_readable(path: Path) -> None:
    """Raise AudioError, one line naming the file, unless ``path`` is a readable regular file that is not empty
    (through any symlinks: ``/dev/stdin`` redirected from a file is one). A pipe or a device is refused before it is
    opened: a FIFO would wait for a writer for ever, ``/dev/zero`` would be read (and hashed) for ever, and a pipe
    (``<(cat episode.mp3)``) read once for the cache key would be empty when decoded.

    >>> _check_readable(Path("/dev/zero"))
    Traceback (most recent call last):
    ...
    align.errors.AudioError: /dev/zero: is a character device, not a file; save the audio to a file first
    """
    import stat

    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise AudioError(f"{path}: no such audio file") from None
    except OSError as error:  # a folder on the way that may not be searched, a symlink loop
        raise AudioError(f"{path}: cannot read the audio ({_strerror(error)})") from None
    if stat.S_ISDIR(mode):
        raise AudioError(f"{path}: is a directory, not an audio file")
    _must_be_regular(path, mode)
    try:
        # non-blocking: should a FIFO have taken the file's place since, opening it does not wait for a writer
        with open(path, "rb", buffering=0, opener=_without_waiting) as handle:
            mode = os.fstat(handle.fileno()).st_mode
            head = handle.read(64) if stat.S_ISREG(mode) else b""
    except OSError as error:
        raise AudioError(f"{path}: cannot read the audio ({_strerror(error)})") from None
    _must_be_regular(path, mode)  # what was opened, should the file have been replaced since
    if not head:
        raise AudioError(f"{path}: is empty (0 bytes)")


def _must_be_regular(path: Path, mode: int) -> None:
    import stat

    if not stat.S_ISREG(mode):
        raise AudioError(f"{path}: is {_kind(mode)}, not a file; save the audio to a file first")


def _without_waiting(path, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, from its mode.

    >>> import stat
    >>> _kind(stat.S_IFIFO), _kind(stat.S_IFCHR)
    ('a pipe (FIFO)', 'a character device')
    """
    import stat

    kinds = [(stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _strerror(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    if "Invalid data" in text or "could not find codec" in text.lower():
        return "not an audio or video file, or an unsupported format"
    if isinstance(error, IndexError):
        return "the file has no audio stream"
    return text.splitlines()[0][:120]


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's content, read in chunks.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> file_digest(f.name)[:16]
    'ba7816bf8f01cfea'
    >>> os.unlink(f.name)
    """
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def frame_levels(pcm: np.ndarray) -> np.ndarray:
    """The level in dB of each whole 10 ms frame of ``pcm``.

    >>> frame_levels(np.full(400, 100, dtype=np.int16)).round(1).tolist()
    [40.0, 40.0]
    """
    frame = SAMPLE_RATE // 100
    frames = pcm[: len(pcm) // frame * frame].reshape(-1, frame)
    chunk = 4096  # frames at a time: a whole episode in float32 at once took 20 times as long
    return np.concatenate([10 * np.log10((frames[i:i + chunk].astype(np.float32) ** 2).mean(axis=1) + 1.0)
                           for i in range(0, len(frames), chunk)] or [np.zeros(0, dtype=np.float32)])


def loud_frames(pcm: np.ndarray, rise: float, level: np.ndarray | None = None) -> np.ndarray:
    """Whether each 10 ms frame of ``pcm`` is ``rise`` dB or more over the quietest tenth of its frames (``level``:
    its ``frame_levels``, where already measured).

    >>> pcm = np.zeros(1600, dtype=np.int16)
    >>> pcm[800:] = 1000
    >>> loud_frames(pcm, 12.0).astype(int).tolist()
    [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    """
    level = frame_levels(pcm) if level is None else level
    if not len(level):
        return np.zeros(0, dtype=bool)
    return level > float(np.percentile(level, 10)) + rise


def rise_from(loud: np.ndarray, first: int) -> int | None:
    """The first frame from ``first`` on that starts three loud frames in a row; None where none does.

    >>> rise_from(np.array([1, 0, 1, 1, 1, 1], dtype=bool), 0)
    2
    """
    return next((f for f in range(first, len(loud) - 2) if loud[f] and loud[f + 1] and loud[f + 2]), None)
