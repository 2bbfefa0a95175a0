"""Deferred collection: off inside, restored after (also on error), left off when it was."""

from __future__ import annotations

import gc

import pytest

from monitor.engine.collector import collection_deferred


def test_collection_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with collection_deferred():
        assert not gc.isenabled()
        with collection_deferred():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one must not turn it back on early
    assert gc.isenabled()


def test_an_error_inside_still_restores_collection() -> None:
    with pytest.raises(RuntimeError), collection_deferred():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_collection_left_off_when_the_caller_had_it_off() -> None:
    gc.disable()
    try:
        with collection_deferred():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
