"""API routes of the accounts app, mounted under /api/v1/."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/signup", views.SignupView.as_view(), name="auth-signup"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("account", views.AccountView.as_view(), name="account"),
    path("account/password", views.PasswordChangeView.as_view(), name="account-password"),
    path("account/export", views.ExportCreateView.as_view(), name="account-export"),
    path(
        "account/exports/<uuid:export_id>",
        views.ExportDetailView.as_view(),
        name="account-export-detail",
    ),
    path("users/<str:handle>", views.UserProfileView.as_view(), name="user-profile"),
]
