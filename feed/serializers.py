"""Input and output serializers of the feed app."""

from rest_framework import serializers

from ciel.api.serializers import InputSerializer
from posts.serializers import PostSerializer


class FeedPageSerializer(serializers.Serializer):
    results = PostSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class SearchInputSerializer(InputSerializer):
    q = serializers.CharField(min_length=1, max_length=100)
