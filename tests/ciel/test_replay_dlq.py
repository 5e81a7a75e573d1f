"""manage.py replay_dlq: dead letters go back to their queue, whole, and run again."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command

from ciel import aws
from ciel.tasks import worker_heartbeat_get, worker_heartbeat_task
from tests.helpers import wait_for


def _urls(queue: str) -> tuple[str, str]:
    sqs = aws.sqs_client()
    return (
        sqs.get_queue_url(QueueName=aws.queue_name(queue))["QueueUrl"],
        sqs.get_queue_url(QueueName=aws.dead_letter_queue_name(queue))["QueueUrl"],
    )


@pytest.fixture
def empty_queue():
    """The default queue and its dead-letter queue, both empty (SQS allows one purge a minute,
    so the messages are taken instead)."""
    urls = _urls("default")
    for url in urls:
        _take_all(url)
    return urls


def _take_all(url: str) -> list[dict]:
    """Receive and delete every message of the queue; return them."""
    sqs = aws.sqs_client()
    messages: list[dict] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages"):
        messages += got
        for message in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _kill_until_dead_lettered(queue_url: str) -> int:
    """Receive the queue's messages without acknowledging them, as crashing workers would,
    until SQS moves them to the dead-letter queue (SQS_MAX_RECEIVE_COUNT receives)."""
    sqs = aws.sqs_client()
    receives = 0
    while sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=0, WaitTimeSeconds=1).get(
        "Messages"
    ):
        receives += 1
    return receives


def replay(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("replay_dlq", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.worker
def test_a_dead_lettered_task_replayed_runs_on_a_worker(empty_queue, start_worker):
    queue_url, dead_url = empty_queue
    label = f"replayed-{uuid.uuid4()}"
    worker_heartbeat_task.apply_async(args=[label], queue="default")
    assert _kill_until_dead_lettered(queue_url) == 5

    lines = replay("default")

    assert lines[0] == (
        f"moved 1 message(s) from {aws.dead_letter_queue_name('default')} "
        f"to {aws.queue_name('default')}"
    )
    assert lines[1:] == ["  ciel.tasks.worker_heartbeat_task: 1"]
    assert _take_all(dead_url) == []
    assert worker_heartbeat_get(label) is None
    start_worker()
    assert wait_for(lambda: worker_heartbeat_get(label))


def test_limit_moves_that_many_and_keeps_bodies_and_attributes(empty_queue):
    queue_url, dead_url = empty_queue
    sqs = aws.sqs_client()
    attributes = {"origin": {"DataType": "String", "StringValue": "test"}}
    for body in ("first", "second", "third"):
        sqs.send_message(QueueUrl=dead_url, MessageBody=body, MessageAttributes=attributes)

    lines = replay("default", "--limit", "2")

    assert lines == [
        f"moved 2 message(s) from {aws.dead_letter_queue_name('default')} "
        f"to {aws.queue_name('default')}",
        "  (not a Celery task): 2",
    ]
    moved = _take_all(queue_url)
    assert len(moved) == 2
    assert {m["Body"] for m in moved} < {"first", "second", "third"}
    assert all(m["MessageAttributes"]["origin"]["StringValue"] == "test" for m in moved)
    left = _take_all(dead_url)
    assert len(left) == 1
    assert left[0]["Body"] not in {m["Body"] for m in moved}


def test_dry_run_counts_and_moves_nothing(empty_queue):
    queue_url, dead_url = empty_queue
    for _ in range(3):
        aws.sqs_client().send_message(QueueUrl=dead_url, MessageBody="x")

    lines = replay("default", "--dry-run")

    assert lines == [
        f"{aws.dead_letter_queue_name('default')}: about 3 message(s); nothing moved (dry run)"
    ]
    assert _take_all(queue_url) == []
    assert len(_take_all(dead_url)) == 3


def test_an_empty_dead_letter_queue_moves_nothing(empty_queue):
    assert replay("default")[0].startswith("moved 0 message(s)")


def test_only_known_queues():
    with pytest.raises(CommandError, match="invalid choice"):
        replay("emails")
