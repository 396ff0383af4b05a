"""Python's cycle collector paused for bulk loads, and given back as it was."""

from __future__ import annotations

import gc
import threading

import pytest

from fangkong.core import collector


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_again_after():
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_load_that_failed():
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("the load failed")
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()


def test_overlapping_loads_in_two_threads_keep_it_off_until_the_last_ends():
    first_in, first_may_end, second_ended = threading.Event(), threading.Event(), []

    def first():
        with collector.paused():
            first_in.set()
            first_may_end.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with collector.paused():
        pass
    second_ended.append(gc.isenabled())  # the first load is still running
    first_may_end.set()
    thread.join(10)
    assert second_ended == [False]
    assert gc.isenabled()
