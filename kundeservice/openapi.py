"""OpenAPI post-processing: document the error responses every endpoint can give."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework.permissions import SAFE_METHODS

from kundeservice.roles import PUBLIC, RolePermission

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` says what went wrong; a field name maps to its messages.",
    "properties": {
        "detail": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "Rows of an uploaded file that were rejected.",
            "items": {
                "type": "object",
                "properties": {
                    "sheet": {"type": "string", "description": "The workbook's sheet (XLSForm)."},
                    "row": {"type": "integer"},
                    "column": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}
DESCRIPTIONS = {
    "400": "Invalid input; nothing was changed.",
    "401": "Authentication is missing or invalid.",
    "403": "Your role may not do this.",
    "404": "Not found.",
    "409": "Conflicts with the current state; nothing was changed.",
    "415": "The body's media type (Content-Type) is not one this operation takes.",
    "429": "Too many requests from this account or address; try again after Retry-After seconds.",
}


def add_error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Add 400/401/403/404/409/415/429 with the shared ``Error`` schema to each operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["401", "403", "429"]
            if method == "delete":
                codes.append("409")  # other records still refer to it
            if method in {"post", "put", "patch"}:
                codes += ["400", "409"]
                if "requestBody" in operation:
                    codes.append("415")
            elif any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.append("400")  # a filter or page number it does not accept
            if "{" in path or method == "get":
                codes.append("404")  # unknown object, or a page past the end
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": DESCRIPTIONS[code], "content": ref})
    return result


class AutoSchema(SpectacularAutoSchema):
    """Documents that endpoints whose roles are ``PUBLIC`` for this method need no credentials."""

    def get_auth(self) -> list[dict[str, Any]]:
        auths: list[dict[str, Any]] = list(super().get_auth())
        attr = "read_roles" if self.method in SAFE_METHODS else "write_roles"
        public = any(isinstance(p, RolePermission) for p in self.view.get_permissions()) and (
            getattr(self.view, attr, ()) == PUBLIC
        )
        if public and {} not in auths:
            auths.append({})
        return auths
