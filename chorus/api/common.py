"""Helpers shared by the API's routers: ids, pagination, errors and the API class itself.

Every 400 and 422 answer has one shape, `InvalidOut` (`detail` plus `errors` by field), and
the OpenAPI document lists it on every operation that can give it: 400 where a body is read,
422 where any parameter or body is validated, 401 where a token is needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError
from ninja.pagination import PageNumberPagination
from ninja.parser import Parser
from pydantic import BeforeValidator

from chorus.lib.ids import MAX_ID
from chorus.orgs.models import Membership

# An id in a path, a query or a body: a positive integer the database can hold.
Id = Annotated[int, Field(ge=1, le=MAX_ID, description="A database id.")]


def _text_only(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, as documented; pydantic would also take numbers."""
    # A number, or text that is only a number (a query string's "0"), would be read as a
    # Unix timestamp.
    if isinstance(value, (int, float)) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?[\d.]+\s*", value)
    ):
        raise ValueError("Give ISO 8601 text, e.g. 2026-01-31 or 2026-01-31T09:00:00Z.")
    return value


# A date, or a date and time, in an input: ISO 8601 text only, as the document says.
Date = Annotated[date, BeforeValidator(_text_only)]
DateTime = Annotated[datetime, BeforeValidator(_text_only)]

# Far beyond any real page, and (MAX_PAGE - 1) * MAX_PAGE_SIZE still fits an SQL OFFSET.
MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 100

INVALID = "The input is not valid."
ROLE_TOO_LOW = "Your role does not allow this."


class ErrorOut(Schema):
    detail: str


class InvalidOut(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(
        ..., description="Messages by field; `__all__` for the input as a whole."
    )


class Invalid(Exception):
    """Input refused with messages by field (400); `detail` sums it up when one line can."""

    def __init__(self, errors: dict[str, list[str]], detail: str = INVALID) -> None:
        super().__init__(errors)
        self.errors = errors
        self.detail = detail


class BodyNotAnObject(ValueError):
    pass


class JsonObjectParser(Parser):
    """Request bodies are JSON objects: `[null]`, `1` or `"x"` are refused, not read as `{}`."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise BodyNotAnObject("The request body must be a JSON object.")
        return data


class Pages(PageNumberPagination):
    """Page-number pagination whose page and page size are bounded."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def __init__(self, page_size: int = 50, **kwargs: Any) -> None:
        super().__init__(page_size=page_size, max_page_size=MAX_PAGE_SIZE, **kwargs)


def _field_name(location: Sequence[Any]) -> str:
    """`("body", "payload", "topics", 0)` → `"topics.0"`; `("query", "page")` → `"page"`."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts and parts[0] in ("query", "path", "header", "cookie", "form", "file"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def validation_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's error list as messages by field."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(_field_name(error.get("loc", ())), []).append(str(error.get("msg")))
    return by_field


class ChorusAPI(NinjaAPI):
    """NinjaAPI with JSON-object bodies, one error shape, and those errors documented."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("parser", JsonObjectParser())
        super().__init__(**kwargs)
        self.add_exception_handler(Invalid, self._invalid)  # type: ignore[arg-type]
        self.add_exception_handler(HttpError, self._http_error)  # type: ignore[arg-type]
        self.add_exception_handler(ValidationError, self._validation_error)  # type: ignore[arg-type]
        # The access getters the pages use (chorus.*.access) refuse with PermissionDenied.
        self.add_exception_handler(PermissionDenied, self._permission_denied)  # type: ignore[arg-type]
        # The actions refuse what the forms cannot know (the last admin, a decided request).
        self.add_exception_handler(DjangoValidationError, self._refused)  # type: ignore[arg-type]

    def _invalid(self, request: HttpRequest, error: Invalid) -> HttpResponse:
        return self.create_response(
            request, {"detail": error.detail, "errors": error.errors}, status=400
        )

    def _http_error(self, request: HttpRequest, error: HttpError) -> HttpResponse:
        body: dict[str, Any] = {"detail": str(error)}
        if error.status_code in (400, 422):
            cause = error.__cause__
            if isinstance(cause, BodyNotAnObject):
                body = {"detail": str(cause), "errors": {"__all__": [str(cause)]}}
            elif isinstance(cause, ValueError):  # json.JSONDecodeError, UnicodeDecodeError
                message = "The request body is not valid JSON."
                body = {"detail": message, "errors": {"__all__": [message]}}
            else:
                body["errors"] = {"__all__": [str(error)]}
        return self.create_response(request, body, status=error.status_code)

    def _refused(self, request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
        messages = [str(message) for message in error.messages]
        body = {"detail": " ".join(messages), "errors": {"__all__": messages}}
        return self.create_response(request, body, status=400)

    def _permission_denied(self, request: HttpRequest, error: PermissionDenied) -> HttpResponse:
        return self.create_response(request, {"detail": ROLE_TOO_LOW}, status=403)

    def _validation_error(self, request: HttpRequest, error: ValidationError) -> HttpResponse:
        return self.create_response(
            request, {"detail": INVALID, "errors": validation_errors(error.errors)}, status=422
        )

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ErrorOut, InvalidOut):
            components.setdefault(model.__name__, model.model_json_schema())
        error = {"$ref": "#/components/schemas/ErrorOut"}
        invalid = {"$ref": "#/components/schemas/InvalidOut"}

        def answer(description: str, body: dict[str, str]) -> dict[str, Any]:
            return {"description": description, "content": {"application/json": {"schema": body}}}

        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if operation.get("requestBody") or 400 in responses:
                    responses[400] = answer("Bad Request", invalid)
                if operation.get("requestBody") or operation.get("parameters"):
                    responses[422] = answer("Unprocessable Content", invalid)
                if operation.get("security"):
                    responses.setdefault(401, answer("Unauthorized", error))
        return schema


def membership_of(request: HttpRequest) -> Membership:
    """The member the bearer token acts for."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def require(request: HttpRequest, role: str) -> Membership:
    """The token's member, or 403 if their role is below `role`."""
    membership = membership_of(request)
    if not membership.has_role(role):
        raise HttpError(403, ROLE_TOO_LOW)
    return membership


def form_errors(form: Any) -> dict[str, list[str]]:
    """A bound form's errors as messages by field (`__all__` for the form as a whole)."""
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


def validated(form: Any) -> dict[str, Any]:
    """The form's cleaned data, or 400 with its errors by field: the pages' rules, here."""
    if not form.is_valid():
        raise Invalid(form_errors(form))
    return dict(form.cleaned_data)


def current_values(form: Any, names: Sequence[str]) -> dict[str, Any]:
    """What an unbound form shows in these fields: the data a browser would send back."""
    return {name: form[name].value() for name in names}


def patched(form_class: Any, instance: Any, changes: dict[str, Any], **kwargs: Any) -> Any:
    """A form bound to the instance's current values with `changes` on top, validated.

    A PATCH through the page's own form: the fields left out keep their values, and one bad
    value answers 400 with its field named, changing nothing.
    """
    names = list(form_class.base_fields)
    data = {**current_values(form_class(instance=instance, **kwargs), names), **changes}
    form = form_class({k: v for k, v in data.items() if v is not None}, instance=instance, **kwargs)
    validated(form)
    return form
