"""DRF views of the media app: upload slots, completion, status."""

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from ciel.api.input import validated_input
from ciel.api.schema import error_response
from media.selectors import media_get_for_owner
from media.serializers import MediaSerializer, UploadInputSerializer, UploadSlotSerializer
from media.services import media_upload_complete, media_upload_create


class UploadCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="media_upload_create",
        tags=["media"],
        request=UploadInputSerializer,
        responses={201: UploadSlotSerializer},
        description="A presigned S3 POST for one image (JPEG, PNG or WebP), valid 5 minutes. "
        "POST the file to `upload.url` as multipart form data with `upload.fields`, then call "
        "`complete`.",
    )
    def post(self, request: Request) -> Response:
        data = validated_input(UploadInputSerializer, request)
        slot = media_upload_create(owner=request_user(request), **data)
        return Response(UploadSlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class UploadCompleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="media_upload_complete",
        tags=["media"],
        request=None,
        responses={
            202: MediaSerializer,
            503: error_response(
                "The job queue is unavailable (`unavailable`); the item stays `pending`, so "
                "calling `complete` again later starts processing."
            ),
        },
        description="Start processing; poll `GET /media/{id}` until `ready` or `failed`.",
    )
    def post(self, request: Request, media_id: uuid.UUID) -> Response:
        media = media_get_for_owner(owner=request_user(request), media_id=media_id)
        media = media_upload_complete(media=media)
        return Response(MediaSerializer(media).data, status=status.HTTP_202_ACCEPTED)


class MediaDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="media_get", tags=["media"], responses=MediaSerializer)
    def get(self, request: Request, media_id: uuid.UUID) -> Response:
        media = media_get_for_owner(owner=request_user(request), media_id=media_id)
        return Response(MediaSerializer(media).data)
