"""A small on-disk memo for the per-window work done after recognition (forced alignments).

Each episode's audio gets one JSON file of ``key -> result``, where a key names the words and the audio
window. After a transcript fix most windows hold the same words as before, so a re-run recomputes only the
windows the fix touched. A memo file or value that is damaged (not JSON, or JSON of another shape) is not found,
and is made again; a memo that cannot be written only costs speed next time.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> memo = WindowMemo(folder / "x.json")
>>> memo.get(("a", 1.0)) is None
True
>>> memo.put(("a", 1.0), [[0.5, 0.7]]); memo.save()
>>> WindowMemo(folder / "x.json").get(("a", 1.0))
[[0.5, 0.7]]
>>> WindowMemo(folder / "x.json").get(("a", 1.0), list[tuple[str, float]]) is None  # not of this shape
True
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import shutil
import tempfile
import types
import typing
from pathlib import Path

import numpy as np

__all__ = ["WindowMemo", "ArrayStore", "fits", "read_json", "write_json", "write_file"]


class WindowMemo:
    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, object] = {}
        self.changed = False
        if path is not None:
            data = read_json(path)
            if isinstance(data, dict):  # missing or corrupt: start afresh
                self.entries = data

    @staticmethod
    def _key(parts) -> str:
        """The key of ``parts``; a NumPy scalar among them (a comparison of sample times) as the Python value it holds.

        >>> WindowMemo._key(("rise", np.float64(1.5) > 1.0)) == WindowMemo._key(("rise", True))
        True
        """
        return hashlib.sha1(json.dumps(parts, ensure_ascii=False, default=_plain).encode()).hexdigest()

    def get(self, parts, shape=None):
        """The value kept for ``parts``, or None; with ``shape`` (see :func:`fits`), None for a value of another
        shape too (a damaged memo), so that it is made again."""
        value = self.entries.get(self._key(parts))
        if shape is not None and value is not None and not fits(value, shape):
            return None
        return value

    def put(self, parts, value) -> None:
        self.entries[self._key(parts)] = value
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        if write_json(self.path, self.entries):
            self.changed = False


def _plain(value):
    """A NumPy scalar as the Python value it holds, for ``json.dumps``; anything else is refused as json refuses it."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class ArrayStore:
    """Arrays kept a file each in one folder, by key: the speech model's encoding of each 30-second window of an
    episode (``align --fast``), so that a re-run after a transcript fix decodes the changed window again without
    encoding it again. Like the memo, a missing or damaged file is not found, and one that cannot be written only
    costs speed.

    >>> import tempfile, pathlib
    >>> store = ArrayStore(pathlib.Path(tempfile.mkdtemp()) / "encoded-1")
    >>> store.get(("window", 30.0)) is None
    True
    >>> store.put(("window", 30.0), np.ones((2, 3), dtype=np.float16))
    >>> store.get(("window", 30.0)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    >>> ArrayStore(None).get(("window", 30.0)) is None  # no folder: nothing is kept
    True
    >>> other = ArrayStore(store.folder.parent / "encoded-2"); other.put(("window", 0.0), np.zeros(1))
    >>> store.keep_latest(1); sorted(p.name for p in store.folder.parent.iterdir())
    ['encoded-1']
    """

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _path(self, parts) -> Path:
        return self.folder / f"{WindowMemo._key(parts)}.npy"

    def get(self, parts):
        if self.folder is None:
            return None
        try:
            return np.load(self._path(parts), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, parts, array) -> None:
        if self.folder is not None:
            write_file(self._path(parts), lambda out: np.save(out, array, allow_pickle=False), binary=True)

    def keep_latest(self, count: int) -> None:
        """Mark this store as used now, and remove the stores beside it (named alike up to the first "-") but the
        ``count`` used last, this one among them: they are large, and only a re-run of their episode reads them."""
        if self.folder is None or not self.folder.is_dir():
            return
        try:
            os.utime(self.folder)
            prefix = self.folder.name.split("-")[0]
            others = sorted((p for p in self.folder.parent.glob(f"{prefix}-*") if p.is_dir() and p != self.folder),
                            key=lambda p: p.stat().st_mtime_ns, reverse=True)
        except OSError:
            return
        for old in others[max(0, count - 1):]:
            shutil.rmtree(old, ignore_errors=True)


def fits(value, shape) -> bool:
    """Whether ``value`` (as read from JSON) has ``shape``: ``float`` (a finite number, not a bool), ``str``,
    ``None``, ``list[S]`` (a list of any length of S), ``tuple[S, T, ...]`` (a list of exactly these), or ``S | T``.

    >>> fits([["a", 0.5, 1]], list[tuple[str, float, float]]), fits([["a", 0.5]], list[tuple[str, float, float]])
    (True, False)
    >>> fits([None], tuple[tuple[float, float] | None]), fits([[1, True]], tuple[tuple[float, float] | None])
    (True, False)
    >>> fits({"a": 1}, list[str]), fits([float("nan")], list[float]), fits("ab", list[str])
    (False, False, False)
    """
    return _checker(shape)(value)


@functools.lru_cache(maxsize=None)
def _checker(shape):
    """A function that tells whether a value has ``shape`` (made once per shape: a memo holds thousands of values)."""
    if shape is None or shape is type(None):
        return lambda value: value is None
    if shape is float:
        return lambda value: (isinstance(value, (int, float)) and not isinstance(value, bool)
                              and math.isfinite(value))
    if shape is str:
        return lambda value: isinstance(value, str)
    origin, args = typing.get_origin(shape), typing.get_args(shape)
    if origin in (typing.Union, types.UnionType):
        alternatives = [_checker(alternative) for alternative in args]
        return lambda value: any(check(value) for check in alternatives)
    if origin not in (list, tuple):
        raise TypeError(f"not a shape: {shape!r}")
    if origin is list:
        item = _checker(args[0])
        return lambda value: isinstance(value, (list, tuple)) and all(item(part) for part in value)
    parts = [_checker(part) for part in args]
    return lambda value: (isinstance(value, (list, tuple)) and len(value) == len(parts)
                          and all(check(part) for check, part in zip(parts, value)))


def read_json(path: Path):
    """What a JSON file holds, or None where it is missing, unreadable or not JSON.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = path.write_text("[" * 100_000)
    >>> read_json(path) is None, read_json(path.parent / "none.json") is None
    (True, True)
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return None


def write_json(path: Path, data) -> bool:
    """Write ``data`` as JSON to ``path`` through a temporary file beside it, put in its place in one step; returns
    whether it was written. On any failure (a full disk, ``path`` a directory, a value JSON cannot hold) the
    temporary file is removed and nothing is raised but an interrupt: a cache that cannot be written only costs
    speed.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "x.json").mkdir()
    >>> write_json(folder / "x.json", [1]), write_json(folder / "y.json", [1]), sorted(p.name for p in folder.iterdir())
    (False, True, ['x.json', 'y.json'])
    """
    return write_file(path, lambda out: out.write(json.dumps(data)))  # dumps: C encoder (dump: pure Python)


def write_file(path: Path, dump, binary: bool = False) -> bool:
    """``write_json`` for any content: ``dump(file)`` writes it into the temporary file (opened for bytes where
    ``binary``)."""
    temporary = None
    written = False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8") as out:
            dump(out)
        os.replace(temporary, path)
        written = True
    except Exception:  # noqa: BLE001 - whatever the reason, the run goes on without the cache
        pass
    finally:
        if temporary is not None and not written:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    return written
