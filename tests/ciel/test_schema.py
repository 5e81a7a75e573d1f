"""The OpenAPI schema and the offline docs."""

import io

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.drainage import reset_generator_stats
from drf_spectacular.management.commands.spectacular import SchemaGenerationError

from ciel.api import schema_links
from tests.helpers import openapi_operations, openapi_schema

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings():
    out = io.StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(schema["paths"])


def test_schema_is_served_and_documents_the_error_envelope():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert "Error" in schema["components"]["schemas"]
    readyz = schema["paths"]["/readyz"]["get"]["responses"]
    assert readyz["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_docs_work_without_internet():
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    assert "https://" not in page


def test_docs_assets_are_served_locally():
    response = Client().get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")

    assert response.status_code == 200


def test_the_schema_loads_even_with_a_stale_token():
    response = Client(HTTP_AUTHORIZATION="Bearer v4.local.stale").get("/api/schema/")

    assert response.status_code == 200


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def test_links_chain_created_objects_to_the_operations_that_take_their_ids():
    schema = openapi_schema()
    operations = openapi_operations(schema)
    links = {
        (source_id, status, name): link
        for source_id, operation in operations.items()
        for status, response in operation["responses"].items()
        for name, link in response.get("links", {}).items()
    }

    # The create → read/update/delete chains clients (and Schemathesis) follow.
    for source, target, parameter in [
        ("post_create", "post_get", "post_id"),
        ("post_create", "post_delete", "post_id"),
        ("post_create", "post_comment_create", "post_id"),
        ("post_comment_create", "comment_delete", "comment_id"),
        ("media_upload_create", "media_upload_complete", "media_id"),
        ("media_upload_create", "media_get", "media_id"),
        ("account_export_create", "account_export_get", "export_id"),
        ("user_get", "user_follow", "handle"),
        ("user_get", "user_block", "handle"),
        ("invites_create", "invites_revoke", "code"),
    ]:
        assert any(
            key[0] == source and link["operationId"] == target and parameter in link["parameters"]
            for key, link in links.items()
        ), (source, target)
    # Every link names a real operation, fills only its path parameters, and takes each value
    # from a field the source response documents.
    for (source_id, status, name), link in links.items():
        target = operations[link["operationId"]]
        path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) <= path_parameters, (source_id, name)
        response = operations[source_id]["responses"][status]
        for expression in link["parameters"].values():
            assert expression.startswith("$response.body#/"), expression
            node = _resolve(schema, response["content"]["application/json"]["schema"])
            for segment in expression.removeprefix("$response.body#/").split("/"):
                node = _resolve(schema, node["properties"][segment])
            assert node["type"] == "string", (source_id, name, expression)


def test_a_link_to_an_operation_that_does_not_exist_fails_the_schema_check(monkeypatch):
    monkeypatch.setitem(
        schema_links.LINKS,
        ("post_create", "201"),
        {"gone": ("post_fetch", {"post_id": "$response.body#/id"})},
    )

    try:
        with pytest.raises(SchemaGenerationError):
            call_command("spectacular", "--fail-on-warn", stdout=io.StringIO())
    finally:
        reset_generator_stats()  # drf-spectacular keeps warnings for the process otherwise
