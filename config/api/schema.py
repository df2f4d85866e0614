"""How the API contract appears in the OpenAPI schema (/api/schema/).

Every operation of an API view gets the Bearer security scheme, its required scopes in its
description, and the standard error answers (401, 403, 404, 400, 429) with the one error shape,
so later views document them without repeating them.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from config.api.authentication import ApiKeyAuthentication
from config.api.permissions import HasApiKeyScopes, required_scopes_for
from config.api.throttling import ApiKeyRateThrottle

SECURITY_SCHEME = "ApiKeyAuth"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "config.api.authentication.ApiKeyAuthentication"
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tsk_<prefix>_<secret>",
            "description": (
                "An API key created by staff in the admin or with "
                "`manage.py create_api_key`, sent as `Authorization: Bearer <key>`."
            ),
        }


class ErrorResponse(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `not_found`.")
    detail = serializers.CharField(help_text="Human-readable explanation.")


class ValidationErrorResponse(ErrorResponse):
    # Not required: a 400 that is not about fields (`parse_error`, `invalid_idempotency_key`,
    # a domain code such as `currency_mismatch`) has no `errors`. A nested field (a purchase's
    # `items`) holds an object per item and field rather than a list of messages.
    errors = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Messages per field (a list of strings), or for a nested field an object "
        "keyed by item index and field; `non_field_errors` for the request as a whole. "
        "Present when `code` is `invalid`.",
    )


RULES_PREFIX = "or refused by a rule:"

# A character str.strip() keeps (DRF strips a CharField before refusing it blank), spelled out:
# JSON Schema's regular expressions are ECMAScript's, whose \s is another set than Python's (it
# leaves out \x1c-\x1f and \x85, which Python strips, and takes in \ufeff, which it keeps), so
# "\x1f" alone matched a plain \S and was refused as blank.
NON_BLANK_PATTERN = (
    r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def rule_refusals(*codes: str):
    """The 400 answer of an operation whose well-formed input a business rule may still refuse
    (a rule across fields or against the program, which no JSON Schema can state): the codes are
    listed in its description, where tests/api/test_schemathesis.py reads them."""
    listed = ", ".join(f"`{code}`" for code in codes)
    return OpenApiResponse(
        ValidationErrorResponse,
        description=f"Invalid input (`invalid`, with `errors`), {RULES_PREFIX} {listed}.",
    )


class ApiAutoSchema(AutoSchema):
    def _api_view(self) -> bool:
        return any(isinstance(a, ApiKeyAuthentication) for a in self.view.get_authenticators())

    def _scopes(self) -> tuple[str, ...]:
        if not any(isinstance(p, HasApiKeyScopes) for p in self.view.get_permissions()):
            return ()
        return required_scopes_for(self.view, self.method)

    def get_description(self):
        description = super().get_description() or ""
        if not self._api_view():
            return description
        scopes = self._scopes()
        needs = (
            "Needs an API key with scope " + ", ".join(f"`{s}`" for s in scopes) + "."
            if scopes
            else "Needs any valid API key."
        )
        return f"{description}\n\n{needs}".strip()

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A plain CharField strips its input and then refuses a blank one, so "\u000b" is as
        # refused as "": the schema says a non-blank text must hold a character strip() keeps.
        # (Subclasses with a shape of their own, an email, a pattern, say it themselves.)
        if (
            direction == "request"
            and type(field) is serializers.CharField
            and field.trim_whitespace
            and not field.allow_blank
            and "pattern" not in schema
        ):
            schema["pattern"] = NON_BLANK_PATTERN
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response" or not self._api_view():
            return responses
        errors = {"401": (ErrorResponse, "No API key, an unknown key or a revoked key.")}
        if self._scopes():
            errors["403"] = (ErrorResponse, "The API key lacks a required scope.")
        # Any operation: a body, a query parameter (`page_size=x`) or characters PostgreSQL
        # cannot store in the path or the query (config.middleware).
        errors["400"] = (ValidationErrorResponse, "Invalid input.")
        if "{" in self.path or self._is_list_view():
            errors["404"] = (ErrorResponse, "Not found (or a page past the end).")
        if any(isinstance(t, ApiKeyRateThrottle) for t in self.view.get_throttles()):
            errors["429"] = (ErrorResponse, "Too many requests; see the Retry-After header.")
        for code, (serializer, description) in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code)
                responses[code]["description"] = description
        return responses
