"""The collector setting for a batch: settled while it runs, given back after, in a process that lives on."""

from __future__ import annotations

import gc

from pipelines.parse.heap import settled_heap


def test_a_settled_heap_is_given_back_after_the_batch():
    before = gc.get_threshold()
    with settled_heap():
        assert gc.get_freeze_count() > 10_000 and gc.get_threshold() != before
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_overlapping_batches_give_the_collector_back_once_both_end():
    # Two batches in one long-lived process (threads of a server), the first ending while the
    # second still runs: when both are done the collector is as it was, not left at the batch's setting.
    import threading

    before = gc.get_threshold()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    settled_inside: list[bool] = []

    def first() -> None:
        with settled_heap():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with settled_heap():
            second_in.set()
            first_out.wait(10)
            settled_inside.append(gc.get_freeze_count() > 10_000)  # still settled for the batch that goes on

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert settled_inside == [True]
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_a_heap_the_process_froze_itself_stays_frozen_after_a_batch():
    # A server that froze what it preloaded (before forking, say) keeps it frozen after a batch.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with settled_heap():
            pass
        assert frozen // 2 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()
