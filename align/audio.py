"""Decode an audio (or video) file into 16 kHz mono samples.

Decoding uses PyAV, which faster-whisper already depends on and which ships its own FFmpeg libraries, so
every format FFmpeg reads works after a plain ``pip install`` (pydub would need an ``ffmpeg`` program on the
PATH, which pip cannot install).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from align.errors import AudioError

__all__ = ["SAMPLE_RATE", "load_audio", "file_digest"]

SAMPLE_RATE = 16_000


def load_audio(path: str | Path) -> np.ndarray:
    """Samples of the file's first audio stream as float32 in [-1, 1], mono, 16 kHz.

    Raises AudioError with a one-line reason for a missing, empty, truncated or non-audio file.
    """
    path = Path(path)
    _check_readable(path)
    import av
    from faster_whisper.audio import decode_audio

    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, IndexError, ValueError, StopIteration) as error:
        raise AudioError(f"{path}: cannot decode audio ({_reason(error)})") from None
    except MemoryError:
        raise AudioError(f"{path}: the audio is too long to decode in memory") from None
    if samples.size < SAMPLE_RATE // 10:
        raise AudioError(f"{path}: holds no audio (or under 0.1 s of it)")
    return samples


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise AudioError(f"{path}: no such audio file")
    if path.is_dir():
        raise AudioError(f"{path}: is a directory, not an audio file")
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as error:
        raise AudioError(f"{path}: cannot read the audio ({error.strerror})") from None
    if not head:
        raise AudioError(f"{path}: is empty (0 bytes)")


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
