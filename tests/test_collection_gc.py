"""prechecks.collection.collect runs with the cyclic garbage collector off (its full passes over a heap
that only grows held the GIL for up to 140 ms on 20,000 tables) and leaves it on, with the run's objects
frozen, afterwards — also when the run fails."""

from __future__ import annotations

import gc

import pytest

from collectors.runner import ProgressEvent, RunAborted
from prechecks.collection import RunOptions, collect, no_full_gc_pauses
from tests.helpers import spec_for
from tests.servers import MariaDBServer


def test_no_full_collections_during_a_run(mariadb: MariaDBServer) -> None:
    assert gc.isenabled()
    seen: list[bool] = []

    def progress(event: ProgressEvent) -> None:
        seen.append(gc.isenabled())

    gc.unfreeze()
    result = collect(spec_for(mariadb), RunOptions(sleep=0.2), progress=progress)
    assert result.results and seen and not any(seen)  # off for every event of the run
    assert gc.isenabled() and gc.get_freeze_count() > 0  # on again; what the run kept is frozen
    gc.unfreeze()

    def cancel_midway(event: ProgressEvent) -> None:
        raise KeyboardInterrupt  # Ctrl-C in the middle of the run

    with pytest.raises((KeyboardInterrupt, RunAborted)):
        collect(spec_for(mariadb), RunOptions(sleep=0.2), progress=cancel_midway)
    assert gc.isenabled()
    gc.unfreeze()


def test_overlapping_runs_turn_it_back_on_once_the_last_ends() -> None:
    gc.disable()
    try:
        with no_full_gc_pauses():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
    outer = no_full_gc_pauses()
    outer.__enter__()
    with no_full_gc_pauses():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first run is still going
    outer.__exit__(None, None, None)
    assert gc.isenabled()
    gc.unfreeze()
