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

import hashlib
import json
import math
import os
import tempfile
import types
import typing
from pathlib import Path

__all__ = ["WindowMemo", "fits", "read_json", "write_json", "write_file"]


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
        return hashlib.sha1(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

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
    if shape is None or shape is type(None):
        return value is None
    if shape is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if shape is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(shape), typing.get_args(shape)
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, alternative) for alternative in args)
    if origin not in (list, tuple):
        raise TypeError(f"not a shape: {shape!r}")
    if not isinstance(value, (list, tuple)):
        return False
    if origin is list:
        return all(fits(item, args[0]) for item in value)
    return len(value) == len(args) and all(fits(item, part) for item, part in zip(value, args))


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
    return write_file(path, lambda out: json.dump(data, out))


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
