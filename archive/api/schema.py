"""Building blocks of the OpenAPI description: JSON Schema types, closed objects,
operations with the API's common error answers."""

from __future__ import annotations

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
BOOLEAN = {"type": "boolean"}
URI = {"type": "string", "format": "uri"}
LINKS = {"type": "object", "additionalProperties": URI}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def closed(properties: dict, required: list[str] | None = None) -> dict:
    """An object schema with exactly these properties (all required unless listed)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


def json_body(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def binary(media_types: list[str], description: str) -> dict:
    # OpenAPI 3.1 describes raw bytes by their media type alone (no "format: binary").
    content = {t: {"schema": {"contentMediaType": t}} for t in media_types}
    return {"description": description, "content": content}


ERRORS = {
    "401": json_body("Error", "No valid token or session"),
    "404": json_body("Error", "No such object, or not one this user may see (the same answer)"),
}


def operation(summary: str, responses: dict, parameters: list | None = None) -> dict:
    return {"summary": summary, "parameters": parameters or [], "responses": responses | ERRORS}


def param(name: str, where: str, schema: dict, description: str = "", **extra) -> dict:
    found = {"name": name, "in": where, "schema": schema, "description": description, **extra}
    if where == "path":
        found["required"] = True
    return found
