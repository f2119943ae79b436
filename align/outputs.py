"""Where a run may write: the rules that keep align from replacing a file the user did not give it to write.

A run's outputs (captions, report, review page; a batch's captions, reports and ``batch-report.json``) must
all differ, none may be an input, and a file that already exists is replaced only if align wrote it (its
bytes are those align last wrote there) or the user said ``--force``. What align writes is remembered in a
small ledger (``ledger_dir()``): one entry per output path, holding the SHA-256 of what was written.

>>> import tempfile, pathlib, os
>>> saved, os.environ["ALIGN_CACHE_DIR"] = os.environ.get("ALIGN_CACHE_DIR"), tempfile.mkdtemp()
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "notes.vtt").write_text("WEBVTT\\n\\nmy own notes\\n")
>>> check_outputs({"captions": folder / "notes.vtt"}, inputs=[])
Traceback (most recent call last):
...
align.errors.OutputError: ...notes.vtt: exists and was not written by align; choose another path, or --force replaces it
>>> write_output(folder / "ep.vtt", "WEBVTT\\n")
>>> check_outputs({"captions": folder / "ep.vtt", "report": folder / "ep.json"}, inputs=[folder / "ep.mp3"])
>>> check_outputs({"captions": folder / "ep.json", "report": folder / "ep.json"}, inputs=[])
Traceback (most recent call last):
...
align.errors.OutputError: ...ep.json: given as both the captions and the report; give each its own path
>>> _ = os.environ.pop("ALIGN_CACHE_DIR") if saved is None else os.environ.update(ALIGN_CACHE_DIR=saved)
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterable, Mapping

from align.audio import file_digest
from align.errors import OutputError
from align.writers import write_atomically

__all__ = ["check_outputs", "check_replaceable", "written_by_align", "write_output", "remember_written",
           "json_document", "inside", "same_file"]


def ledger_dir() -> Path:
    """Where the ledger is kept: ``$ALIGN_CACHE_DIR/written`` when that is set (tests, benchmarks), else the
    platform's user state directory (not the cache, which may be cleared at will)."""
    override = os.environ.get("ALIGN_CACHE_DIR")
    if override:
        return Path(override) / "written"
    import platformdirs

    return Path(platformdirs.user_state_dir("align")) / "written"


def _ledger_entry(path: Path) -> Path:
    return ledger_dir() / f"{hashlib.sha256(os.fsencode(os.path.abspath(path))).hexdigest()}.json"


def _digest_of_file(path: Path) -> str | None:
    try:
        return file_digest(path)
    except OSError:
        return None


def remember_written(path: str | Path, content: str | None = None) -> None:
    """Note in the ledger that the file at ``path`` is align's: ``content`` was just written there, or (None) the
    file as it is now was written by align elsewhere (a worker process, a cluster's machine). Never fails: a ledger
    that cannot be written only means that the next run asks for ``--force`` before replacing the file."""
    digest = (hashlib.sha256(content.encode("utf-8")).hexdigest() if content is not None
              else _digest_of_file(Path(path)))
    if digest is None:
        return
    entry = _ledger_entry(Path(path))
    record = {"path": os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace"), "sha256": digest}
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(entry, json.dumps(record) + "\n")
    except (OSError, OutputError):
        pass


def written_by_align(path: str | Path) -> bool:
    """Whether the file at ``path`` holds exactly what align last wrote there."""
    try:
        record = json.loads(_ledger_entry(Path(path)).read_text(encoding="utf-8"))
        recorded = record["sha256"] if isinstance(record, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(recorded, str) and recorded == _digest_of_file(Path(path))


def write_output(path: str | Path, content: str) -> None:
    """Write an output file atomically and remember it as align's."""
    write_atomically(path, content)
    remember_written(path, content)


def json_document(data) -> str:
    """JSON text for a file: UTF-8 as it is, except where a file name holds bytes that are not UTF-8 (which only
    ``\\u`` escapes can carry; Python's json reads them back to the same name).

    >>> "Zoë" in json_document({"name": "Zoë"}), "\\\\udce9" in json_document({"audio": "caf\\udce9.mp3"})
    (True, True)
    """
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=1) + "\n"
    return text


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same absolute path after symbolic links, or the same inode.

    >>> same_file("/tmp/x/../y.vtt", "/tmp/y.vtt")
    True
    """
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether ``path`` lies inside ``folder`` once ``..`` and symbolic links are resolved.

    >>> inside("/data/out/a/../b.vtt", "/data/out"), inside("/data/out/../x.vtt", "/data/out")
    (True, False)
    """
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def check_replaceable(path: str | Path, force: bool = False) -> None:
    """Raise OutputError when ``path`` holds a file that align did not write (unless ``force``)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if not force and os.path.lexists(path) and not written_by_align(path):
        raise OutputError(f"{path}: exists and was not written by align; choose another path, or --force "
                          "replaces it")


def check_outputs(outputs: Mapping[str, str | Path], inputs: Iterable[str | Path], force: bool = False) -> None:
    """Check one run's outputs, named by role (``{"captions": ..., "report": ...}``): each its own file, none an
    input, and none a file that align did not write (unless ``force``)."""
    inputs = [Path(p) for p in inputs if p is not None]
    seen: dict[Path, str] = {}
    for role, path in outputs.items():
        path = Path(path)
        key = path.resolve()
        if key in seen:
            raise OutputError(f"{path}: given as both the {seen[key]} and the {role}; give each its own path")
        seen[key] = role
        if any(same_file(path, given) for given in inputs):
            raise OutputError(f"{path}: is one of the inputs; choose another output path")
    for path in outputs.values():
        check_replaceable(path, force)
