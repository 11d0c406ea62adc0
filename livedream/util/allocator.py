"""glibc's allocator told to keep freed memory for reuse: CPU generators allocate large tensors every op.

By default glibc hands allocations above a threshold (128 KiB, growing to at most 32 MiB) to mmap and returns
them on free, so each tensor of a 540x540 built-in frame batch (5-15 MB) is faulted in fresh, page by page, at
every op; on a thread other than the main one (live's InferenceWorker) it is worse still, as thread arenas trim
eagerly. Keeping freed memory cut the built-in style's CPU time per frame by about 10 % in the main thread and by
up to half in a worker thread on this project's 2-core machine (bench/bench_export.py). The cost is that the
process keeps its peak heap instead of returning it, which export's flat memory profile does not notice.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
KEEP_BYTES = 1 << 30  # allocations below this come from the heap and are reused once freed


def keep_freed_memory() -> bool:
    """Tell glibc to serve allocations below KEEP_BYTES from the heap and not trim it; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt to speak of)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, KEEP_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_BYTES))
    log.debug("allocator keeps freed memory: %s", done)
    return done
