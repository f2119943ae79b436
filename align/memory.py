"""How this process's C heap hands memory back: kept for reuse, so the speech model's buffers are not mapped and
faulted in afresh on every call.

CTranslate2 allocates each layer's activations anew and frees them right after. glibc serves blocks over 128 KB
with ``mmap`` (raising that bound as it goes, up to 32 MB) and gives them back with ``munmap``; each thread of
the model's pool allocates from an arena of its own, trimmed as it empties: every call then touches its memory
for the first time again. Recognising seed-full (24 min, 2 cores) took 6 to 9 million page faults and 12-18 s of
system time in 30-38 s of wall. With one arena, ``mmap`` only for blocks over 32 MB (the encoder's attention
over a batch of windows) and the heap's top trimmed only past 512 MB, it takes 3 million and 8 s, and
recognition is 5-10% faster at a lower peak (942 against 1,271 MB, two workers of two windows each). Serving the
largest blocks from the heap too (no ``mmap`` at all) halves the faults again but peaks at 1.2-1.5 GB, and a
3-hour episode at 1.7 GB.

:func:`reuse_freed_memory` sets that for the whole process (and for the processes it forks later), so the CLI
calls it first; a program that uses :mod:`align` as a library may call it too. It does nothing outside glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["reuse_freed_memory"]

# mallopt's parameters, from <malloc.h>
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -2, -3, -8
SETTINGS = ((M_ARENA_MAX, 1), (M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 512 << 20), (M_TOP_PAD, 64 << 20))


def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (see the module's text); True where it took every setting.

    Call it before the model is loaded: threads started before it keep their own arenas.

    >>> reuse_freed_memory() in (True, False)
    True
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return all(mallopt(parameter, value) == 1 for parameter, value in SETTINGS)
