"""Decoding: every container faster-whisper's decoder reads, into 16-bit samples held once."""
import numpy as np
import pytest

from align.audio import SAMPLE_RATE, as_float, load_audio
from align.errors import AudioError

# (file suffix, container format, codec, its sample rate): what producers hand us besides mp3
ENCODINGS = [(".wav", "wav", "pcm_s16le", 44_100), (".flac", "flac", "flac", 48_000), (".ogg", "ogg", "vorbis", 44_100),
             (".opus", "ogg", "libopus", 48_000), (".m4a", "ipod", "aac", 44_100), (".mp4", "mp4", "aac", 48_000)]


def _encode(samples: np.ndarray, path, container_format: str, codec: str, rate: int, seconds: float = 4.0) -> None:
    """Write the first ``seconds`` of 16 kHz int16 samples, resampled to ``rate``, stereo, in another format."""
    import av

    clip = samples[: int(seconds * SAMPLE_RATE)]
    with av.open(str(path), "w", format=container_format) as container:
        # FFmpeg calls its own Vorbis encoder experimental: allowed, it only makes a test file
        stream = container.add_stream(codec, rate=rate, layout="stereo", options={"strict": "experimental"})
        frame = av.AudioFrame.from_ndarray(np.repeat(clip, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="stereo", rate=rate)
        for piece in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _loudness(samples: np.ndarray, frame: int = SAMPLE_RATE // 50) -> np.ndarray:
    samples = as_float(samples)
    samples = np.pad(samples, (0, -len(samples) % frame))
    return np.sqrt((samples.reshape(-1, frame) ** 2).mean(axis=1))


@pytest.fixture(scope="module")
def speech(harbour):
    return load_audio(harbour["audio"])


def test_mp3_decodes_to_int16_mono_16k(speech):
    assert speech.dtype == np.int16
    assert abs(len(speech) / SAMPLE_RATE - 49.1) < 0.2
    assert 1000 < np.abs(speech).max() <= 32767


def test_matches_faster_whispers_decoder(harbour, speech):
    from faster_whisper.audio import decode_audio

    reference = decode_audio(str(harbour["audio"]))
    assert len(reference) == len(speech)
    assert np.abs(as_float(speech) - reference).max() < 1e-6


@pytest.mark.parametrize("suffix,container_format,codec,rate", ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_other_containers_decode_to_the_same_speech(tmp_path, speech, suffix, container_format, codec, rate):
    path = tmp_path / f"clip{suffix}"
    _encode(speech, path, container_format, codec, rate)
    decoded = load_audio(path)
    assert decoded.dtype == np.int16
    assert abs(len(decoded) - 4 * SAMPLE_RATE) < 0.1 * SAMPLE_RATE  # encoder padding and priming at most
    # the same speech: loudness in 20 ms frames follows the original's (lossy codecs shift it a few ms)
    original, copy = _loudness(speech[: 4 * SAMPLE_RATE]), _loudness(decoded[: 4 * SAMPLE_RATE])
    best = max(np.corrcoef(original[5:-5], np.roll(copy, -lag)[5:-5])[0, 1] for lag in range(-5, 6))
    assert best > 0.9


def test_as_float_passes_float_samples_through():
    floats = np.linspace(-1, 1, 5, dtype=np.float32)
    assert as_float(floats) is floats


def test_text_renamed_as_audio_is_one_clear_error(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("these are not sounds\n" * 50)
    with pytest.raises(AudioError, match="cannot decode audio"):
        load_audio(path)
