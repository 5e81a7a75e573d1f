"""API routes of the safety app, mounted under /api/v1/."""

from django.urls import path

from safety import views

urlpatterns = [
    path("account/trust-score", views.TrustScoreView.as_view(), name="trust-score"),
    path("account/rate-limits", views.RateLimitsView.as_view(), name="rate-limits"),
    path("account/device/register", views.DeviceRegisterView.as_view(), name="device-register"),
    path("account/devices", views.DeviceListView.as_view(), name="devices"),
    path("reports", views.ReportCreateView.as_view(), name="reports"),
]
