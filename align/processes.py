"""Worker processes that die with the process that started them, and leave Ctrl-C to it.

A pool's workers wait on their parent for work. When the parent is killed (SIGKILL, or SIGTERM, whose default
action ends it without any clean-up) nothing tells them, and they would sleep for ever. :func:`die_with_parent`,
called first in a worker's initializer, ties the worker's life to its parent's:

- on Linux the kernel sends the worker SIGKILL when its parent exits (``prctl(PR_SET_PDEATHSIG)``); a parent that
  was gone before the call is caught by comparing ``os.getppid()`` with the parent's pid;
- elsewhere a daemon thread in the worker polls ``os.getppid()`` every second and ends the worker once it
  changes (the worker was handed to another process). Windows does not re-parent orphans, so there it does not
  fire.

Caveat: Linux sends the signal when the parent *thread* that started the worker ends, not only the process. A pool
must therefore start its workers from a thread that outlives them: the main thread, or one that shuts the pool
down before it returns (``concurrent.futures`` starts them in the thread that calls ``submit``).

Ctrl-C reaches every process of the terminal's process group. The parent handles it (it stops the pool); a worker
that inherited the command's handler would raise KeyboardInterrupt in the middle of its work and print a traceback,
so by default the worker ignores it.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

__all__ = ["die_with_parent", "stop_pool"]

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL = 1.0  # seconds between the watchdog's looks at the parent


def die_with_parent(parent_pid: int | None = None, ignore_interrupts: bool = True) -> str:
    """Make this (worker) process end when its parent does; returns how: ``"kernel"`` or ``"watchdog"``.

    ``parent_pid`` is the pid of the process that starts the worker, ``os.getpid()`` there (for the ``fork`` and
    ``spawn`` start methods, the pool's owner; not for ``forkserver``, whose workers are the server's children).
    Given, it also catches a parent that died before this call; None takes the parent as it is now. A top-level
    function of plain arguments, so it can be a pool's ``initializer`` under every start method. With
    ``ignore_interrupts``, SIGINT (Ctrl-C) is ignored: the parent handles it and stops the workers.

    >>> import os
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> with ProcessPoolExecutor(1, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
    ...     pool.submit(os.getppid).result() == os.getpid()
    True
    """
    if ignore_interrupts and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    expected = os.getppid() if parent_pid is None else parent_pid
    how = "kernel" if _kill_on_parent_death() else "watchdog"
    if how == "watchdog":
        threading.Thread(target=_watch, args=(expected,), name="die-with-parent", daemon=True).start()
    if os.getppid() != expected:  # the parent died before the kernel was asked: nobody will signal
        _die()
    return how


def _kill_on_parent_death() -> bool:
    """Ask Linux to send this process SIGKILL when its parent (thread) exits; False where that is not to be had."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        ulong = ctypes.c_ulong
        return libc.prctl(ctypes.c_int(PR_SET_PDEATHSIG), ulong(signal.SIGKILL), ulong(0), ulong(0), ulong(0)) == 0
    except (OSError, AttributeError):  # no libc to load, or no prctl in it
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL)
    _die()


def _die() -> None:
    os._exit(1)  # no clean-up: the parent that would want the results is gone


def stop_pool(pool) -> None:
    """Shut a ``ProcessPoolExecutor`` down now (on Ctrl-C or an error): the jobs not started are cancelled, the
    workers terminated, not waited on (a worker started by ``die_with_parent`` ignores Ctrl-C, so waiting for it
    would wait for its job)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(2)
