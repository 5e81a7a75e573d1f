"""API routes of the media app, mounted under /api/v1/."""

from django.urls import path

from media import views

urlpatterns = [
    path("media/uploads", views.UploadCreateView.as_view(), name="media-upload"),
    path(
        "media/uploads/<uuid:media_id>/complete",
        views.UploadCompleteView.as_view(),
        name="media-upload-complete",
    ),
    path("media/<uuid:media_id>", views.MediaDetailView.as_view(), name="media-detail"),
]
