"""Celery on SQS: a real worker process runs what is sent, and nothing from a rolled-back write."""

import uuid

import pytest
from django.db import transaction

from ciel.tasks import worker_heartbeat_get, worker_heartbeat_task
from tests.helpers import wait_for

pytestmark = pytest.mark.worker


class RolledBackError(Exception):
    pass


def test_task_sent_through_sqs_runs_on_a_real_worker(celery_worker):
    label = f"test-{uuid.uuid4()}"

    worker_heartbeat_task.delay(label)

    ran_at = wait_for(lambda: worker_heartbeat_get(label))
    assert ran_at
    assert any(label in line for line in celery_worker.lines)


@pytest.mark.parametrize("queue", ["default", "media"])
def test_each_queue_is_consumed(celery_worker, queue):
    label = f"{queue}-{uuid.uuid4()}"

    worker_heartbeat_task.apply_async(args=[label], queue=queue)

    assert wait_for(lambda: worker_heartbeat_get(label))


def test_task_queued_in_a_rolled_back_transaction_never_runs(celery_worker):
    rolled_back = f"rolled-back-{uuid.uuid4()}"
    committed = f"committed-{uuid.uuid4()}"

    def write_then_fail() -> None:
        with transaction.atomic():
            transaction.on_commit(lambda: worker_heartbeat_task.delay(rolled_back))
            raise RolledBackError

    with pytest.raises(RolledBackError):
        write_then_fail()
    with transaction.atomic():
        transaction.on_commit(lambda: worker_heartbeat_task.delay(committed))

    # The committed task was sent after the rolled-back one would have been: once it has run,
    # the worker would have had the other too.
    assert wait_for(lambda: worker_heartbeat_get(committed))
    assert worker_heartbeat_get(rolled_back) is None
    assert not any(rolled_back in line for line in celery_worker.lines)
