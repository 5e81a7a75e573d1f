"""OpenAPI links: which response supplies the path parameters of which operation.

A client (and Schemathesis' stateful phase) reads them as "after POST /posts answers 201, GET
/posts/{post_id} takes `post_id` from the response's `id`". drf-spectacular has no way to declare
links on a view, so this postprocessing hook adds them to the finished schema, keyed by
operationId. A link to an operationId the schema does not have is a warning, which
`spectacular --fail-on-warn` (and the schema test) turns into a failure.
"""

from typing import Any

from drf_spectacular.drainage import warn

# (source operationId, status) → {link name: (target operationId, {parameter: expression})}
Links = dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]]


def _to_each(targets: list[str], parameters: dict[str, str]) -> dict[str, tuple[str, dict]]:
    return {target: (target, parameters) for target in targets}


POST_OPERATIONS = [
    "post_get",
    "post_update",
    "post_delete",
    "post_comments",
    "post_comment_create",
    "post_like",
    "post_unlike",
]
USER_OPERATIONS = [
    "user_posts",
    "user_followers",
    "user_following",
    "user_relationship",
    "user_follow",
    "user_unfollow",
    "user_block",
    "user_unblock",
]
POST_ID = {"post_id": "$response.body#/id"}

LINKS: Links = {
    ("post_create", "201"): {
        **_to_each(POST_OPERATIONS, POST_ID),
        "author": ("user_get", {"handle": "$response.body#/author/handle"}),
    },
    ("post_get", "200"): _to_each(POST_OPERATIONS, POST_ID),
    ("post_comment_create", "201"): {
        "comment_delete": ("comment_delete", {"comment_id": "$response.body#/id"}),
        "post_get": ("post_get", {"post_id": "$response.body#/post"}),
    },
    ("media_upload_create", "201"): _to_each(
        ["media_upload_complete", "media_get"], {"media_id": "$response.body#/id"}
    ),
    ("media_upload_complete", "202"): _to_each(["media_get"], {"media_id": "$response.body#/id"}),
    ("account_export_create", "202"): _to_each(
        ["account_export_get"], {"export_id": "$response.body#/id"}
    ),
    ("invites_create", "201"): _to_each(["invites_revoke"], {"code": "$response.body#/code"}),
    ("user_get", "200"): _to_each(USER_OPERATIONS, {"handle": "$response.body#/handle"}),
    ("account_get", "200"): _to_each(["user_get"], {"handle": "$response.body#/handle"}),
    ("auth_signup", "201"): _to_each(["user_get"], {"handle": "$response.body#/user/handle"}),
}


def operations_by_id(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for path_item in schema.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def add_links(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: add LINKS to the responses they start from."""
    operations = operations_by_id(result)
    for (source_id, status), links in LINKS.items():
        source = operations.get(source_id)
        response = source and source["responses"].get(status)
        if not response:
            warn(f"OpenAPI links: no response {status} of operation {source_id!r}")
            continue
        for name, (target_id, parameters) in links.items():
            if target_id not in operations:
                warn(f"OpenAPI links: {source_id!r} links to an unknown operation {target_id!r}")
                continue
            response.setdefault("links", {})[name] = {
                "operationId": target_id,
                "parameters": parameters,
            }
    return result
