"""API routes of the invites app, mounted under /api/v1/."""

from django.urls import path

from invites import views

urlpatterns = [
    path("invites", views.InviteListView.as_view(), name="invites"),
    path("invites/stats", views.InviteStatsView.as_view(), name="invites-stats"),
    path("invites/<str:code>/revoke", views.InviteRevokeView.as_view(), name="invite-revoke"),
]
