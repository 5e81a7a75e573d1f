"""task_enqueue: a broker failure is a 503, and the process stops waiting on the broker for a
while after one (BROKER_PAUSE_SECONDS), so a brown-out cannot hold every API thread."""

import time

import pytest
from kombu.exceptions import OperationalError

import ciel.queueing
from ciel.queueing import BrokerUnavailable, task_enqueue
from ciel.tasks import worker_heartbeat_task


@pytest.fixture
def failing_broker(monkeypatch) -> list[tuple]:
    """The heartbeat task's send fails as kombu fails when SQS does not answer; sends counted."""
    sends: list[tuple] = []

    def delay(*args):
        sends.append(args)
        raise OperationalError("timed out")

    monkeypatch.setattr(worker_heartbeat_task, "delay", delay)
    monkeypatch.setattr(ciel.queueing, "_broker_paused_until", 0.0)
    return sends


def test_after_a_failed_send_the_process_pauses_its_sends(settings, failing_broker):
    settings.BROKER_PAUSE_SECONDS = 0.3

    with pytest.raises(BrokerUnavailable):
        task_enqueue(worker_heartbeat_task, "a")
    with pytest.raises(BrokerUnavailable):
        task_enqueue(worker_heartbeat_task, "b")  # paused: answered without trying

    assert failing_broker == [("a",)]
    time.sleep(0.35)
    with pytest.raises(BrokerUnavailable):
        task_enqueue(worker_heartbeat_task, "c")  # the pause is over: one more try
    assert failing_broker == [("a",), ("c",)]
