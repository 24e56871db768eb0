"""Parse many files, each in a guarded worker process so one bad input cannot take the batch down.

Workers cap their address space (memory guard) and are killed past the per-document timeout;
a worker that dies takes only its own document with it, which is quarantined with the reason.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from pebble import ProcessExpired, ProcessPool

from pipelines.model.document import Document, Reason, content_id
from pipelines.ingest.raw_store import RawStore
from pipelines.parse.dispatch import PARSER_MODULES, parse_bytes
from pipelines.parse.heap import settle_heap
from pipelines.parse.limits import DEFAULT_LIMITS, Limits


def parse_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, store: RawStore | None = None) -> Document:
    """Parse one file in this process (no memory cap; the timeout is cooperative)."""
    p = Path(path)
    size = p.stat().st_size
    if size > limits.max_bytes:
        # Refuse before reading: the bytes are not kept, so hash name and size instead.
        doc = Document(id=content_id(f"{p.resolve()}:{size}".encode()), source_path=str(p), media_type="application/octet-stream", size=size, name=p.name)
        return doc.quarantine(Reason.TOO_LARGE, f"file is {size:,} bytes (limit {limits.max_bytes:,}); not read")
    return parse_bytes(p.read_bytes(), name=p.name, source_path=str(p), limits=limits, store=store)


def _init_worker(memory_mb: int, setup: tuple[Callable[..., None], tuple[Any, ...]] | None = None) -> None:
    # Ctrl-C is handled by the parent, which tears the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit = memory_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else resource.RLIM_INFINITY))
    if setup is not None:
        setup[0](*setup[1])
    settle_heap()


def _worker(path: str, limits: Limits, store_root: str | None) -> Document:
    return parse_file(path, limits, RawStore(store_root) if store_root else None)


# What a worker does with one path: parse it (the default), or more (run/work.py parses and maps).
Task = Callable[[str, Limits, "str | None"], Any]


def _failed(path: str, reason: Reason, text: str) -> Document:
    p = Path(path)
    try:
        data = p.read_bytes()
        doc_id, size = content_id(data), len(data)
    except OSError:
        doc_id, size = content_id(str(p).encode()), 0
    return Document(id=doc_id, source_path=str(p), media_type="application/octet-stream", size=size, name=p.name).quarantine(reason, text)


def parse_files(
    paths: Iterable[str | os.PathLike[str]],
    *,
    workers: int = 1,
    limits: Limits = DEFAULT_LIMITS,
    store: RawStore | None = None,
    task: Task | None = None,
    setup: tuple[Callable[..., None], tuple[Any, ...]] | None = None,
    step: str = "parsing",
) -> Iterator[Any]:
    """Yield one Document per path, in input order. `workers=0` parses in this process.

    `task(path, limits, store_root)` replaces the parse in the workers (module-level, so it
    pickles), with `setup(*args)` run once per worker first; its result is yielded instead,
    except for a worker that timed out or died: its path is still a quarantined Document, whose
    reason names the `step` the task does ("parsing and mapping")."""
    if workers <= 0:
        for path in paths:
            yield parse_file(path, limits, store)
        return
    store_root = str(store.root) if store else None
    window = max(4, workers * 64)  # bounded in-flight work keeps memory flat on huge batches
    work = task or _worker
    with ProcessPool(max_workers=workers, initializer=_init_worker, initargs=(limits.memory_mb, setup),
                     context=_context(work)) as pool:
        pending: deque[tuple[str, object]] = deque()
        it = iter(paths)
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < window:
                try:
                    path = str(next(it))
                except StopIteration:
                    exhausted = True
                    break
                # Pool timeout is a backstop a little past the cooperative one inside the parser.
                pending.append((path, pool.schedule(work, args=(path, limits, store_root), timeout=limits.timeout_s + 5)))
            if not pending:
                break
            path, future = pending.popleft()
            yield _collect(path, future, limits, step)


def _context(work: Callable[..., Any]) -> Any:
    """Workers fork from a small server process, never from the caller: a forked copy of the
    caller inherits its address space (a long-lived process can already be near the workers'
    memory cap) and runtimes that do not survive a fork (deltalake's tokio runtime panics in the
    child once the caller has opened a table). The server imports the task's module and every
    format's parser once, so a new worker starts in milliseconds without importing them again."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(sorted({__name__, work.__module__, *PARSER_MODULES.values(), "pipelines.parse.preload"}))
    return ctx


def _collect(path: str, future, limits: Limits, step: str = "parsing") -> Any:  # type: ignore[no-untyped-def]
    try:
        return future.result()
    except FutureTimeout:
        return _failed(path, Reason.TIMEOUT, f"{step} took longer than {limits.timeout_s:.0f} s; worker stopped")
    except ProcessExpired as exc:
        # SIGKILL is what the kernel sends a process over its memory; anything else is a crash.
        return _failed(path, Reason.MEMORY if exc.exitcode == -signal.SIGKILL else Reason.INTERNAL,
                       f"worker died (exit code {exc.exitcode}) {step} this document")
    except MemoryError:
        return _failed(path, Reason.MEMORY, f"{step} exceeded the {limits.memory_mb} MB memory limit")
    except Exception as exc:  # pickling or pool errors: still one outcome per input
        return _failed(path, Reason.INTERNAL, f"parse worker error ({type(exc).__name__}): {exc}"[:500])


