"""A small on-disk memo for the per-window work done after recognition (forced alignments).

Each episode's audio gets one JSON file of ``key -> result``, where a key names the words and the audio
window. After a transcript fix most windows hold the same words as before, so a re-run recomputes only the
windows the fix touched.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> memo = WindowMemo(folder / "x.json")
>>> memo.get(("a", 1.0)) is None
True
>>> memo.put(("a", 1.0), [[0.5, 0.7]]); memo.save()
>>> WindowMemo(folder / "x.json").get(("a", 1.0))
[[0.5, 0.7]]
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

__all__ = ["WindowMemo"]


class WindowMemo:
    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, object] = {}
        self.changed = False
        if path is not None:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    self.entries = data
            except (OSError, ValueError):
                pass  # missing or corrupt: start afresh

    @staticmethod
    def _key(parts) -> str:
        return hashlib.sha1(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()

    def get(self, parts):
        return self.entries.get(self._key(parts))

    def put(self, parts, value) -> None:
        self.entries[self._key(parts)] = value
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle)
            os.replace(tmp, self.path)
            self.changed = False
        except OSError:
            pass  # only costs speed next time
