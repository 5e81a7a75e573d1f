"""boto3 clients for S3 and SQS, and the idempotent set-up of the bucket and queues.

The same code talks to AWS and to a local moto_server: only ``AWS_ENDPOINT_URL`` and the
credentials differ (SPEC §1).
"""

import base64
import binascii
import contextlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

logger = logging.getLogger(__name__)

DEAD_LETTER_SUFFIX = "-dlq"
# SQS's longest retention: a dead letter waits two weeks for someone to look at it.
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60

# Readiness probes must answer fast: one attempt, short timeouts.
# (botocore's "max_attempts" counts retries; "total_max_attempts" counts the first try too.)
PROBE_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
DEFAULT_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"total_max_attempts": 3, "mode": "standard"}
)


def _client_settings() -> tuple[str | None, str, str | None, str | None]:
    return (
        settings.AWS_ENDPOINT_URL,
        settings.AWS_REGION,
        settings.AWS_ACCESS_KEY_ID,
        settings.AWS_SECRET_ACCESS_KEY,
    )


@lru_cache(maxsize=16)
def _client(
    service: str,
    endpoint_url: str | None,
    region: str,
    access_key: str | None,
    secret_key: str | None,
    config: Config,
) -> Any:
    # Creating a client costs tens of milliseconds; they are thread-safe, so keep one per
    # configuration (tests switch endpoints, hence the settings in the cache key).
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config.merge(Config(signature_version="s3v4")) if service == "s3" else config,
    )


def s3_client(*, probe: bool = False) -> Any:
    return _client("s3", *_client_settings(), PROBE_CONFIG if probe else DEFAULT_CONFIG)


def sqs_client(*, probe: bool = False) -> Any:
    return _client("sqs", *_client_settings(), PROBE_CONFIG if probe else DEFAULT_CONFIG)


def queue_name(queue: str) -> str:
    """The SQS name kombu uses for a Celery queue: the prefix, with dots as dashes."""
    return (settings.SQS_QUEUE_PREFIX + queue).replace(".", "-")


def queue_names() -> list[str]:
    return [queue_name(queue) for queue in settings.CELERY_QUEUES]


# --- Set-up (manage.py setup_aws) ----------------------------------------------------------------


@dataclass(frozen=True)
class SetupStep:
    resource: str
    name: str
    created: bool


def bucket_ensure() -> SetupStep:
    """Create the media bucket if it is missing; never change one that exists."""
    client = s3_client()
    bucket = settings.MEDIA_BUCKET
    try:
        client.head_bucket(Bucket=bucket)
        return SetupStep("bucket", bucket, created=False)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    arguments: dict[str, Any] = {"Bucket": bucket}
    if settings.AWS_REGION != "us-east-1":  # us-east-1 refuses an explicit LocationConstraint
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_REGION}
    client.create_bucket(**arguments)
    # Browsers upload straight to the bucket with the presigned POST, and read variants from it
    # when there is no CDN: both are cross-origin requests.
    client.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedMethods": ["GET", "POST"],
                    "AllowedOrigins": settings.MEDIA_CORS_ORIGINS,
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3600,
                }
            ]
        },
    )
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return SetupStep("bucket", bucket, created=True)


def _queue_url(name: str) -> str | None:
    try:
        return sqs_client().get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if "NonExistentQueue" in exc.response.get("Error", {}).get("Code", ""):
            return None
        raise


def queue_ensure(name: str) -> list[SetupStep]:
    """Create a queue and its dead-letter queue where missing; leave existing ones alone."""
    client = sqs_client()
    steps = []
    dead_letter_name = name + DEAD_LETTER_SUFFIX
    dead_letter_url = _queue_url(dead_letter_name)
    steps.append(SetupStep("queue", dead_letter_name, created=dead_letter_url is None))
    if dead_letter_url is None:
        dead_letter_url = client.create_queue(
            QueueName=dead_letter_name,
            Attributes={"MessageRetentionPeriod": str(DEAD_LETTER_RETENTION_SECONDS)},
        )["QueueUrl"]

    if _queue_url(name) is not None:
        steps.append(SetupStep("queue", name, created=False))
        return steps
    dead_letter_arn = client.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(settings.SQS_VISIBILITY_TIMEOUT),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_letter_arn,
                    "maxReceiveCount": str(settings.SQS_MAX_RECEIVE_COUNT),
                }
            ),
        },
    )
    steps.append(SetupStep("queue", name, created=True))
    return steps


def aws_setup() -> list[SetupStep]:
    steps = [bucket_ensure()]
    for name in queue_names():
        steps += queue_ensure(name)
    return steps


# --- Dead letters (manage.py replay_dlq) ----------------------------------------------------------

# While a batch is being moved its messages are hidden from other readers of the dead-letter
# queue; if this process dies mid-batch, they are visible there again after this long.
REPLAY_VISIBILITY_SECONDS = 60
SQS_BATCH_SIZE = 10  # SendMessageBatch and DeleteMessageBatch take at most 10 entries


class DeadLetterError(Exception):
    pass


@dataclass
class DeadLetterReplay:
    source: str
    target: str
    moved: int = 0
    tasks: Counter[str] = field(default_factory=Counter)


def dead_letter_queue_name(queue: str) -> str:
    return queue_name(queue) + DEAD_LETTER_SUFFIX


def dead_letters_count(queue: str) -> int:
    """Messages waiting in the queue's dead-letter queue (SQS's approximate count)."""
    client = sqs_client()
    url = _existing_queue_url(dead_letter_queue_name(queue))
    attributes = client.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def dead_letters_replay(queue: str, *, limit: int | None = None) -> DeadLetterReplay:
    """Move messages from a Celery queue's dead-letter queue back to the queue.

    Each message is sent again with the same body and attributes, and only then deleted from
    the dead-letter queue: a failure in between can replay a message twice but never lose one
    (tasks are idempotent). A replayed message is new to SQS, so it gets SQS_MAX_RECEIVE_COUNT
    fresh deliveries: fix what killed it before replaying, or it comes back.
    """
    client = sqs_client()
    replay = DeadLetterReplay(source=dead_letter_queue_name(queue), target=queue_name(queue))
    source_url = _existing_queue_url(replay.source)
    target_url = _existing_queue_url(replay.target)
    while limit is None or replay.moved < limit:
        wanted = SQS_BATCH_SIZE if limit is None else min(SQS_BATCH_SIZE, limit - replay.moved)
        messages = client.receive_message(
            QueueUrl=source_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=1,  # long polling asks every SQS server: empty means empty
            VisibilityTimeout=REPLAY_VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = {str(index): message for index, message in enumerate(messages)}
        sent = client.send_message_batch(
            QueueUrl=target_url,
            Entries=[
                {"Id": entry_id, "MessageBody": message["Body"]} | _attributes_of(message)
                for entry_id, message in entries.items()
            ],
        )
        done = [entries[result["Id"]] for result in sent.get("Successful", [])]
        if done:
            client.delete_message_batch(
                QueueUrl=source_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        replay.moved += len(done)
        replay.tasks.update(celery_task_name(message["Body"]) for message in done)
        if failed := sent.get("Failed"):
            raise DeadLetterError(
                f"{len(failed)} message(s) could not be sent to {replay.target} "
                f"({failed[0].get('Code')}); they stay in {replay.source}."
            )
    return replay


def celery_task_name(body: str) -> str:
    """The task a kombu message on SQS would run (its body is JSON, maybe base64-encoded)."""
    candidates = [body]
    with contextlib.suppress(binascii.Error, UnicodeDecodeError):
        candidates.append(base64.b64decode(body, validate=True).decode())
    for candidate in candidates:
        try:
            return str(json.loads(candidate)["headers"]["task"])
        except (ValueError, KeyError, TypeError):
            continue
    return "(not a Celery task)"


def _attributes_of(message: dict[str, Any]) -> dict[str, Any]:
    attributes = {
        name: {
            key: value[key] for key in ("DataType", "StringValue", "BinaryValue") if key in value
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {"MessageAttributes": attributes} if attributes else {}


def _existing_queue_url(name: str) -> str:
    url = _queue_url(name)
    if url is None:
        raise DeadLetterError(f"Queue {name} does not exist (manage.py setup_aws creates it).")
    return url
