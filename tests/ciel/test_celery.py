"""Celery on SQS: a real worker process runs what is sent, and nothing from a rolled-back write."""

import uuid

import pytest
from django.db import transaction

from ciel import aws
from ciel.request_context import request_id_var
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


def test_a_task_logs_with_the_request_id_of_the_request_that_queued_it(celery_worker):
    label = f"traced-{uuid.uuid4()}"
    request_id = f"req-{uuid.uuid4().hex}"
    token = request_id_var.set(request_id)
    try:
        worker_heartbeat_task.delay(label)
    finally:
        request_id_var.reset(token)

    line = wait_for(lambda: next((x for x in celery_worker.lines if label in x), None))
    assert request_id in line


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


@pytest.mark.django_db
def test_a_message_no_worker_can_finish_ends_in_the_dead_letter_queue():
    """Five receives without an ack (five crashed workers) move a message to the DLQ."""
    sqs = aws.sqs_client()
    queue_url = sqs.get_queue_url(QueueName=aws.queue_name("media"))["QueueUrl"]
    dead_url = sqs.get_queue_url(QueueName=aws.queue_name("media") + "-dlq")["QueueUrl"]
    sqs.purge_queue(QueueUrl=queue_url)
    sqs.purge_queue(QueueUrl=dead_url)
    sqs.send_message(QueueUrl=queue_url, MessageBody="poison")

    receives = 0
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0, WaitTimeSeconds=1)
        if not got.get("Messages"):
            break
        receives += 1

    assert receives == 5
    dead = sqs.receive_message(QueueUrl=dead_url, WaitTimeSeconds=1)
    assert [message["Body"] for message in dead["Messages"]] == ["poison"]
