"""The one retry schedule of remote clients: doubling waits, each capped, none before the first attempt."""

from __future__ import annotations

from pav.data import backoff


def test_waits_double_and_are_capped(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(backoff.time, "sleep", waits.append)  # record the waits instead of spending minutes
    assert list(backoff.attempts(8, 1.0)) == list(range(9))
    assert waits == [1, 2, 4, 8, 16, 32, backoff.MAX_BACKOFF_S, backoff.MAX_BACKOFF_S]
    waits.clear()
    assert list(backoff.attempts(0, 1.0)) == [0] and waits == []
