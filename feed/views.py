"""DRF views of the feed app: home feed, explore, search."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.selectors import users_in_order
from accounts.serializers import PublicUserSerializer
from ciel.api.pagination import CursorPagination, cursor_decode, cursor_encode
from ciel.db_router import replica_reads
from feed import selectors, timelines
from feed.serializers import FeedPageSerializer, SearchInputSerializer
from posts.cards import post_cards
from posts.models import Post
from posts.serializers import PostSerializer


def _before_from(request: Request):
    raw = request.query_params.get("cursor")
    if not raw:
        return None
    created_at, post_id = cursor_decode(raw, length=2)
    try:
        return (
            Post._meta.get_field("created_at").to_python(created_at),
            Post._meta.pk.to_python(post_id),
        )
    except Exception as exc:
        raise ValidationError({"cursor": ["Invalid cursor."]}) from exc


class HomeFeedView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="feed_home",
        tags=["feed"],
        parameters=[
            OpenApiParameter("limit", int, description="Results per page, 1–100 (default 20)."),
            OpenApiParameter("cursor", str, description="The `next_cursor` of the last page."),
        ],
        responses=FeedPageSerializer,
        description="Your posts and those of everyone you follow, newest first.",
    )
    # Not on a replica: one's own new post, a new follow, a deletion or a removal must show at
    # once (SPEC §5), and a lagging replica would undo all four for the length of the lag.
    def get(self, request: Request) -> Response:
        viewer = request_user(request)
        limit = CursorPagination.limit_from(request)
        page = selectors.home_feed_page(viewer=viewer, before=_before_from(request), limit=limit)
        next_cursor = cursor_encode(list(page.last)) if page.has_more and page.last else None
        # The cards already have PostSerializer's shape (posts.cards), at a fraction of its cost.
        return Response({"results": page.cards, "next_cursor": next_cursor})


class HomeFeedRefreshView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="feed_home_refresh",
        tags=["feed"],
        request=None,
        responses={204: None},
        description="Drop the cached timeline; the next read rebuilds it from the database.",
    )
    def post(self, request: Request) -> Response:
        timelines.timelines_drop([request_user(request).pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


def _page_ids(view: ListAPIView, request: Request) -> tuple[CursorPagination, list[Any]]:
    """The ids of one page of the view's queryset, keyed on ``view.cursor_ordering``: reading
    only the keys lets an index answer the ranking (and keeps wide rows out of the sort); the
    page's rows are then fetched by primary key."""
    paginator = CursorPagination()
    keys = {"id", *(field.lstrip("-") for field in view.cursor_ordering)}  # type: ignore[attr-defined]
    page = paginator.paginate_queryset(view.get_queryset().values(*keys), request, view=view)
    return paginator, [row["id"] for row in page]


class PostCardListView(ListAPIView):
    """A paginated list of posts whose JSON comes from posts.cards, not PostSerializer.

    The page's keys come from the view's queryset (filter, order, keyset); the cards from one
    query (author, "liked", media). The output is PostSerializer's to the character (a test
    compares them), without its cost: DRF took ~10 ms on these machines for 20 posts with
    their authors and media, more than the search query itself.
    """

    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = PostSerializer  # the schema's, and the cards' shape
    cursor_ordering: tuple[str, ...] = ("-created_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        paginator, ids = _page_ids(self, request)
        cards = post_cards(viewer=request_user(request), ids=ids)
        return paginator.get_paginated_response(cards)


class ExploreView(PostCardListView):
    def get_queryset(self):
        return selectors.explore_posts(viewer=request_user(self.request))

    @extend_schema(operation_id="feed_explore", tags=["feed"])
    @replica_reads()
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _query(request: Request) -> str:
    serializer = SearchInputSerializer(data={"q": request.query_params.get("q", "")})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data["q"]


SEARCH_PARAMETER = OpenApiParameter("q", str, required=True, description="1–100 characters.")


class UserSearchView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = PublicUserSerializer
    cursor_ordering = ("-rank", "id")

    def get_queryset(self):
        return selectors.search_users(viewer=request_user(self.request), query=_query(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Short prefixes rank from the prefix index alone (handle and id): 5 ms → 1 ms.
        paginator, ids = _page_ids(self, request)
        users = users_in_order(ids)
        return paginator.get_paginated_response(PublicUserSerializer(users, many=True).data)

    @extend_schema(operation_id="search_users", tags=["search"], parameters=[SEARCH_PARAMETER])
    @replica_reads()
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class PostSearchView(PostCardListView):
    cursor_ordering = ("-rank", "-created_at", "-id")

    def get_queryset(self):
        return selectors.search_posts(viewer=request_user(self.request), query=_query(self.request))

    @extend_schema(operation_id="search_posts", tags=["search"], parameters=[SEARCH_PARAMETER])
    @replica_reads()
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
