"""manage.py setup_aws: bucket, queues, dead-letter queues; a second run changes nothing."""

import io
import json

import pytest
from django.core.management import call_command

from ciel import aws
from tests.helpers import throwaway_moto


def run_setup() -> list[str]:
    out = io.StringIO()
    call_command("setup_aws", stdout=out)
    return out.getvalue().splitlines()


def snapshot() -> dict:
    sqs = aws.sqs_client()
    urls = sorted(sqs.list_queues().get("QueueUrls", []))
    return {
        "buckets": sorted(b["Name"] for b in aws.s3_client().list_buckets()["Buckets"]),
        "queues": {
            url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            for url in urls
        },
    }


@pytest.fixture
def empty_aws(settings):
    with throwaway_moto() as moto:
        settings.AWS_ENDPOINT_URL = moto.url
        yield


def test_creates_the_bucket_and_each_queue_with_a_dead_letter_queue(empty_aws, settings):
    lines = run_setup()

    assert lines == [
        "bucket ciel-test-media: created",
        "queue ciel-test-default-dlq: created",
        "queue ciel-test-default: created",
        "queue ciel-test-media-dlq: created",
        "queue ciel-test-media: created",
    ]
    sqs = aws.sqs_client()
    for queue in ("default", "media"):
        url = sqs.get_queue_url(QueueName=f"ciel-test-{queue}")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f":ciel-test-{queue}-dlq")
        assert int(redrive["maxReceiveCount"]) == 5
        assert int(attributes["VisibilityTimeout"]) == settings.SQS_VISIBILITY_TIMEOUT
    cors = aws.s3_client().get_bucket_cors(Bucket="ciel-test-media")["CORSRules"][0]
    assert set(cors["AllowedMethods"]) == {"GET", "POST"}
    assert settings.SQS_VISIBILITY_TIMEOUT > settings.CELERY_TASK_TIME_LIMIT
    assert settings.SQS_VISIBILITY_TIMEOUT > settings.CELERY_MAX_COUNTDOWN


def test_running_twice_changes_nothing(empty_aws):
    run_setup()
    before = snapshot()

    lines = run_setup()

    assert all(line.endswith(": exists") for line in lines)
    assert len(lines) == 5
    assert snapshot() == before


def test_an_existing_queue_is_left_as_it_is(empty_aws):
    """An operator's tuning of a live queue is never overwritten."""
    sqs = aws.sqs_client()
    sqs.create_queue(QueueName="ciel-test-media", Attributes={"VisibilityTimeout": "4000"})

    lines = run_setup()

    assert "queue ciel-test-media: exists" in lines
    url = sqs.get_queue_url(QueueName="ciel-test-media")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "4000"
    assert "RedrivePolicy" not in attributes
