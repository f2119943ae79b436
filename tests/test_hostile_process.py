"""Hostile-input cases for processes, audio files and the caches: killed or interrupted runs leave no worker
behind, an audio path that is not a readable regular file is one clear error, and a damaged or unwritable cache
only costs speed. No speech model is needed."""
import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from align.acoustic import AcousticAligner, TimedWord
from align.aligner import RecognisedWord
from align.audio import _check_readable, load_audio
from align.cache import WindowMemo, write_json
from align.errors import AudioError
from align.recognition import RecognitionOptions, _read_cache, _write_cache, cache_dir, cached_recognise

psutil = pytest.importorskip("psutil")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, FIFOs and /dev/fd: Linux")

# A parent with a pool of two workers that record their pid in FOLDER and sleep. Modes: "fork" and "spawn" (a pool
# with die_with_parent as its initializer); "orphan" (a child whose parent is gone before it calls die_with_parent);
# "refine" (refinement's own pool, the command's modules loaded, each window taking a minute).
SCRIPT = '''
import os, sys, time

def nap(folder):
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(60)

def slow_window(job):
    nap(sys.argv[2])

if __name__ == "__main__":
    mode, folder = sys.argv[1], sys.argv[2]
    from align.processes import die_with_parent
    if mode in ("fork", "spawn"):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(mode), initializer=die_with_parent,
                                   initargs=(os.getpid(),))
        for _ in range(2):
            pool.submit(nap, folder)
        time.sleep(60)
    elif mode == "orphan":
        parent = os.getpid()
        if os.fork() == 0:
            open(os.path.join(folder, str(os.getpid())), "w").close()
            while os.getppid() == parent:
                time.sleep(0.01)
            die_with_parent(parent)
            time.sleep(60)
        os._exit(0)
    else:
        import numpy as np
        import align.cli  # the command's modules: none of them may catch SIGTERM
        from align import hmm
        hmm.align_in_worker = slow_window
        windows = [(("pocketsphinx", 9, ["a"], k), 0.0, 1.0) for k in range(4)]
        rounds = iter([windows])
        try:
            for _ in hmm.align_in_processes(lambda: next(rounds, []), lambda lo, hi: np.zeros(1600, np.int16),
                                            {}, 2):
                pass
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
'''


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class _Pool:
    """SCRIPT run in a session of its own (so that Ctrl-C can be sent to its process group alone)."""

    def __init__(self, tmp_path: Path, mode: str, workers: int):
        script, self.folder = tmp_path / "pool.py", tmp_path / "pids"
        script.write_text(SCRIPT)
        self.folder.mkdir()
        self.out, self.err = tmp_path / "out.txt", tmp_path / "err.txt"
        with open(self.out, "w") as out, open(self.err, "w") as err:  # files: a pipe would wait for the workers
            self.process = subprocess.Popen([sys.executable, str(script), mode, str(self.folder)], stdout=out,
                                            stderr=err, start_new_session=True)
        assert _until(lambda: len(self.workers()) >= workers, 30), self.err.read_text()

    def workers(self) -> list[int]:
        return [int(p.name) for p in self.folder.iterdir()]

    def gone(self, seconds: float = 5.0) -> bool:
        return _until(lambda: not any(_running(pid) for pid in self.workers()), seconds)

    def clean_up(self) -> None:
        for pid in self.workers() + [self.process.pid]:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(5)


@linux_only
@pytest.mark.parametrize("mode,workers,kill", [("fork", 2, signal.SIGKILL), ("spawn", 2, signal.SIGKILL),
                                               ("orphan", 1, None), ("refine", 2, signal.SIGTERM)])
def test_workers_die_with_their_parent(tmp_path, mode, workers, kill):
    pool = _Pool(tmp_path, mode, workers)
    try:
        if kill is not None:
            os.kill(pool.process.pid, kill)
        assert pool.process.wait(10) == (-kill if kill else 0)  # SIGTERM's default action: align has no handler
        assert pool.gone(), f"workers left running after the parent died ({mode})"
    finally:
        pool.clean_up()


@linux_only
def test_ctrl_c_is_left_to_the_parent_which_stops_refinement_at_once(tmp_path):
    pool = _Pool(tmp_path, "refine", 2)
    try:
        started = time.monotonic()
        os.killpg(pool.process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground process group
        assert pool.process.wait(10) == 130
        assert time.monotonic() - started < 5  # not waiting for the windows in flight (a minute each)
        assert pool.gone(2)
        assert pool.out.read_text().strip() == "interrupted"
        assert "Traceback" not in pool.err.read_text()  # no worker raised KeyboardInterrupt
    finally:
        pool.clean_up()


def test_a_cache_entry_of_the_wrong_shape_is_ignored_and_rebuilt(tmp_path, monkeypatch):
    entry = tmp_path / "entry.json"
    for wrong in [[], None, 5, "words", {}, {"words": 5}, {"words": {"a": 1}}, {"words": "abcd"},
                  {"words": [["hi", 1.0, 2.0]]}, {"words": [["hi", "1", 2.0, 0.9]]}, {"words": [[5, 1.0, 2.0, 0.9]]},
                  {"words": [["hi", True, 2.0, 0.9]]}, {"words": [{"text": "hi"}]}, {"words": [["", 1.0, 2.0, 0.9]]},
                  {"words": [["hi", None, 2.0, 0.9]]}]:
        entry.write_text(json.dumps(wrong))
        assert _read_cache(entry) is None, wrong
    entry.write_text("[" * 100_000)  # JSON nested deeper than the parser goes
    assert _read_cache(entry) is None and WindowMemo(entry).entries == {}

    class Model:
        def transcribe(self, samples, **kwargs):
            from types import SimpleNamespace as NS

            return iter([NS(words=[NS(word=" hi", start=0.5, end=0.9, probability=0.9)], end=0.9)]), None

    def recognise():
        return cached_recognise(Model, lambda: np.zeros(32000, np.float32), "shape", "fake",
                                RecognitionOptions(batched=False))

    recognise()
    for path in cache_dir().glob("*.json"):
        path.write_text(json.dumps({"words": [["hi", [], {}, 0.9]]}))
    assert recognise() == ([RecognisedWord("hi", 0.5, 0.9, 0.9)], False)
    assert recognise()[1]

    # the window memo: a value of the wrong shape is a miss, aligned again, not a crash
    memo = WindowMemo(tmp_path / "windows.json")
    aligner = AcousticAligner(None, None, memo=memo)
    monkeypatch.setattr(aligner, "_align", lambda words, lo, hi: [TimedWord(lo, hi, 0.5) for _ in words])
    key = ("whisper", "", ["a", "b"], 1.0, 2.0)
    for wrong in [5, "ab", [[1.0, 2.0]], [[1.0, 2.0, "x"], [1.0, 2.0, 0.5]], [[1.0, 2.0, 0.5]], {"a": 1}]:
        memo.put(key, wrong)
        assert aligner.align(["a", "b"], 1.0, 2.0) == [TimedWord(1.0, 2.0, 0.5)] * 2, wrong

    from align import refine
    from align.cache import fits

    assert fits([("a", 1.0, 1.2)], refine.WINDOW_SHAPE) and fits([["a", 1, 1.2]], refine.WINDOW_SHAPE)
    assert not any(fits(v, refine.WINDOW_SHAPE) for v in [5, [5], [["a", 1.0]], [[1.0, 1.0, 1.2]], {"a": []}])
    assert fits([None], refine.ONSET_SHAPE) and fits([1.5], refine.ONSET_SHAPE)
    assert not any(fits(v, refine.ONSET_SHAPE) for v in [[], 1.5, ["x"], [1.5, 2.0], [True]])
    assert fits([[1.0, 1.2, 2.1, -0.5]], refine.SAID_AGAIN_SHAPE) and fits([None], refine.SAID_AGAIN_SHAPE)
    assert not any(fits(v, refine.SAID_AGAIN_SHAPE) for v in [[], [1.0], [[1.0, 1.2]], [[1.0, 1.2, 2.1, "x"]], 7])
    assert fits([[1.0, 1.2]], refine.SAID_TWICE_SHAPE) and fits([None], refine.SAID_TWICE_SHAPE)
    assert not any(fits(v, refine.SAID_TWICE_SHAPE) for v in [[], [1.0], [[1.0]], [[1.0, "x"]], 7])


def test_a_cache_that_cannot_be_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    folder.mkdir()

    def temporary_files():
        return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]

    (folder / "entry.json").mkdir()  # an entry that became a directory: os.replace fails
    assert _write_cache(folder / "entry.json", []) is False
    memo = WindowMemo(folder / "entry.json")
    memo.put(("a",), [1.0])
    memo.save()
    memo.put(("b",), object())  # a value JSON cannot hold
    memo.path = folder / "memo.json"
    memo.save()
    assert temporary_files() == [] and not (folder / "memo.json").exists()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json, "dumps", disk_full)
    assert write_json(folder / "full.json", [1]) is False
    assert temporary_files() == [] and not (folder / "full.json").exists()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(json, "dumps", interrupted)
    with pytest.raises(KeyboardInterrupt):  # an interrupt is not swallowed, but leaves nothing either
        write_json(folder / "late.json", [1])
    assert temporary_files() == []


def _refused_promptly(path) -> str:
    """The AudioError message for ``path``, checked in a thread: a check that opened a FIFO would wait for ever."""
    found: list[str] = []

    def check():
        with pytest.raises(AudioError) as error:
            _check_readable(Path(path))
        found.append(str(error.value))

    thread = threading.Thread(target=check, daemon=True)
    thread.start()
    thread.join(5)
    assert found, f"{path}: the check hung or did not refuse it"
    return found[0]


@linux_only
def test_an_audio_path_that_is_not_a_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "ep.mp3"
    os.mkfifo(fifo)
    message = _refused_promptly(fifo)
    assert message == f"{fifo}: is a pipe (FIFO), not a file; save the audio to a file first"
    with pytest.raises(AudioError, match="is a pipe"):
        load_audio(fifo)
    assert "is a character device" in _refused_promptly("/dev/zero")
    read, write = os.pipe()  # what <(cat ep.mp3) gives: /dev/fd/63
    try:
        assert "is a pipe (FIFO)" in _refused_promptly(f"/dev/fd/{read}")
    finally:
        os.close(read), os.close(write)

    audio = tmp_path / "real.mp3"
    audio.write_bytes(b"ID3" + bytes(200))
    link = tmp_path / "link.mp3"
    link.symlink_to(audio)
    _check_readable(link)  # a symlink to a regular file is fine
    with open(audio, "rb") as handle:  # and so is /dev/stdin (/dev/fd/0) redirected from a file
        _check_readable(Path(f"/dev/fd/{handle.fileno()}"))


def test_an_audio_file_that_may_not_be_read_is_one_clear_error(tmp_path, monkeypatch):
    import builtins

    import av

    audio = tmp_path / "ep.mp3"
    audio.write_bytes(b"ID3" + bytes(200))
    denied = PermissionError(errno.EACCES, "Permission denied", str(audio))
    expected = f"{audio}: cannot read the audio (Permission denied)"

    if hasattr(os, "geteuid") and os.geteuid() != 0:  # root reads every file: simulated below
        audio.chmod(0)
        with pytest.raises(AudioError) as error:
            load_audio(audio)
        assert str(error.value) == expected
        audio.chmod(0o644)

    real_open, real_stat = builtins.open, os.stat

    def deny_open(path, *args, **kwargs):
        if str(path) == str(audio):
            raise denied
        return real_open(path, *args, **kwargs)

    def deny_stat(path, *args, **kwargs):  # a folder on the way that may not be searched
        if str(path) == str(audio):
            raise denied
        return real_stat(path, *args, **kwargs)

    def deny_decoding(path, *args, **kwargs):
        raise av.error.PermissionError(errno.EACCES, "Permission denied", str(path))

    for target, name, replacement in [(builtins, "open", deny_open), (os, "stat", deny_stat),
                                      (av, "open", deny_decoding)]:
        with monkeypatch.context() as patch:
            patch.setattr(target, name, replacement)
            with pytest.raises(AudioError) as error:
                load_audio(audio)
        assert str(error.value) == expected, name
