"""API routes of the posts app, mounted under /api/v1/."""

from django.urls import path

from posts import views

urlpatterns = [
    path("posts", views.PostCreateView.as_view(), name="posts"),
    path("posts/<uuid:post_id>", views.PostDetailView.as_view(), name="post-detail"),
    path("posts/<uuid:post_id>/like", views.LikeView.as_view(), name="post-like"),
    path("posts/<uuid:post_id>/comments", views.CommentListView.as_view(), name="post-comments"),
    path("comments/<uuid:comment_id>", views.CommentDetailView.as_view(), name="comment-detail"),
    path("users/<str:handle>/posts", views.ProfilePostListView.as_view(), name="user-posts"),
]
