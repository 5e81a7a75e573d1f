"""API routes of the feed app, mounted under /api/v1/."""

from django.urls import path

from feed import views

urlpatterns = [
    path("feed/home", views.HomeFeedView.as_view(), name="feed-home"),
    path("feed/home/refresh", views.HomeFeedRefreshView.as_view(), name="feed-home-refresh"),
    path("feed/explore", views.ExploreView.as_view(), name="feed-explore"),
    path("search/users", views.UserSearchView.as_view(), name="search-users"),
    path("search/posts", views.PostSearchView.as_view(), name="search-posts"),
]
