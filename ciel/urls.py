"""Root URLs: the API under /api/v1/, its schema and docs, the admin, and operations."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from accounts.admin import rate_limited_admin_login
from ciel.api import errors
from ciel.metrics import metrics_view
from ciel.views import HealthzView, ReadyzView

# Django tries the patterns in order on every request: the home feed, the most read endpoint,
# comes first (resolving it took ~44 µs when sixth, ~17 µs first). No two apps share a path.
api_v1 = [
    path("", include("feed.urls")),
    path("", include("accounts.urls")),
    path("", include("invites.urls")),
    path("", include("social.urls")),
    path("", include("posts.urls")),
    path("", include("media.urls")),
    path("", include("safety.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    # Public, and deaf to Authorization: a stale token must not hide the API's description.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path(
        "api/docs/",
        SpectacularSwaggerView.as_view(
            url_name="schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="docs",
    ),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("readyz", ReadyzView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/login/", rate_limited_admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    # Unknown API paths answer the JSON envelope even with DEBUG on.
    re_path(r"^api/", errors.not_found),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error
