"""API routes of the social app, mounted under /api/v1/."""

from django.urls import path

from social import views

urlpatterns = [
    path("users/<str:handle>/follow", views.FollowView.as_view(), name="user-follow"),
    path("users/<str:handle>/block", views.BlockView.as_view(), name="user-block"),
    path(
        "users/<str:handle>/relationship",
        views.RelationshipView.as_view(),
        name="user-relationship",
    ),
    path("users/<str:handle>/followers", views.FollowerListView.as_view(), name="user-followers"),
    path("users/<str:handle>/following", views.FollowingListView.as_view(), name="user-following"),
    path("notifications", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read", views.NotificationReadView.as_view(), name="notifications-read"),
]
