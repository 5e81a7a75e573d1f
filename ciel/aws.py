"""boto3 clients for S3 and SQS, and the idempotent set-up of the bucket and queues.

The same code talks to AWS and to a local moto_server: only ``AWS_ENDPOINT_URL`` and the
credentials differ (SPEC §1).
"""

import json
import logging
from dataclasses import dataclass
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
PROBE_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1})
DEFAULT_CONFIG = Config(
    connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}
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
