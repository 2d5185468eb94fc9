"""Schema builders shared by the backends' OpenAPI 3.1 documents (one spelling of the error shape,
the bearer scheme and the document frame, so the three specs cannot drift apart)."""

from __future__ import annotations

from typing import Any

# "Not blank": one character that is not whitespace as Python's str.isspace() sees it (what the services'
# `.strip()` removes). Spelled out, because `\S` means different things to Python (which counts
# \x1c-\x1f as space) and to the ECMA 262 regexes of JSON Schema.
NOT_BLANK_PATTERN = "[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def string(max_length: int = 200, min_length: int = 0, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length, **extra}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A closed object; every property is required unless `required` says otherwise."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


ERROR_SCHEMA = obj(
    {
        "error": obj(
            {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                # Values a client words the error with for its users (an order's status, a date, tries left).
                "details": {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "integer", "number", "boolean"]},
                },
            },
            required=["code", "message"],
        )
    }
)
SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
# Descriptions of the error codes every backend can return; services add their own 404 / 409 wording.
ERROR_DESCRIPTIONS = {
    "400": "Malformed JSON body",
    "401": "Missing or wrong bearer token",
    "413": "Body larger than 64 KiB",
    "422": "Invalid parameters or body",
}
SPEC_OPERATION = {
    "summary": "This document",
    "security": [],
    "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {}}}}},
}


METRICS_OPERATION = {
    "summary": "Prometheus metrics (text format): requests, latencies, errors and the service's own counters",
    "description": "Only for the scraper: `Authorization: Bearer <METRICS_TOKEN>`, not the service's API token; "
    "404 while METRICS_TOKEN is unset (docs/operations.md).",
    "security": [],
    "responses": {
        "200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}},
        "401": {"description": "Missing or wrong METRICS_TOKEN", "content": {"application/json": {"schema": {}}}},
        "404": {"description": "Metrics are off (no METRICS_TOKEN)", "content": {"application/json": {"schema": {}}}},
    },
}


def operation(
    summary: str,
    response: str | None,
    *,
    error_descriptions: dict[str, str],
    errors: tuple[str, ...],
    status: str = "200",
    body: str | None = None,
    params: tuple[str, ...] = (),
    query: list[dict[str, Any]] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """One operation; services bind their own error wording and default error codes (functools.partial).

    `params` name components/parameters entries, `query` is inline parameters; a None `response`
    means a bare "OK" without a body schema. Error codes point at the shared Error schema."""
    ok: dict[str, Any] = {"description": "OK"}
    if response:
        ok["content"] = {"application/json": {"schema": ref(response)}}
    result: dict[str, Any] = {
        "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params] + (query or []),
        "responses": {
            status: ok,
            **{
                code: {
                    "description": error_descriptions[code],
                    "content": {"application/json": {"schema": ref("Error")}},
                }
                for code in errors
            },
        },
    }
    if body:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(body)}}}
    if public:
        result["security"] = []
    return result


def document(
    title: str, description: str, port: int, paths: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    """The frame every backend serves at /openapi.json: bearer auth everywhere unless an operation opts out."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": "1.0.0",
            "description": description,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": f"http://127.0.0.1:{port}"}],
        "security": [{"bearerAuth": []}],
        # Every service built from the kit serves /metrics (service_kit/observability.py).
        "paths": {**paths, "/metrics": {"get": METRICS_OPERATION}},
        "components": {**components, "securitySchemes": SECURITY_SCHEMES},
    }


def schema_for(spec: dict[str, Any], name: str) -> dict[str, Any]:
    """A standalone JSON Schema for a named component (its $refs resolve inside the spec)."""
    return {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
