"""The SCIM 2.0 service (RFC 7644) at /scim/v2/<organisation>/: discovery, Users, Groups.

Each organisation has its own base URL, so that a token is checked against the
organisation the request is about: a wrong, revoked or other organisation's token is 401
(with the same answer for an organisation that does not exist), and nothing is read or
changed. Every answer is `application/scim+json`; every error is an RFC 7644 §3.12 body
(`schemas`, `status`, `scimType` where one applies, `detail`).

Not supported, and said so in ServiceProviderConfig: bulk, sorting, ETags, password
changes. POST /.search answers 501 (RFC 7644 §3.12); filters go in the query string.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    ResponseParameters,
    SCIMException,
    ScimFilter,
)
from scim2_models.path import AttrPath, Comparison, LogicalExpr, Not, Present

from chorus.orgs.models import Membership, Team
from chorus.scim import actions, resources
from chorus.scim.access import get_group, get_user, teams_of, users_of
from chorus.scim.models import ScimGroup, ScimToken, ScimUser
from chorus.scim.resources import MAX_RESULTS, Group, GroupMember, User
from chorus.scim.tokens import Provisioner, authenticate

CONTENT_TYPE = "application/scim+json"


def scim_response(data: Any, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> HttpResponse:
    body = Error(status=status, scim_type=scim_type or None, detail=detail)
    response = scim_response(body.model_dump(), status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _from_exception(error: SCIMException) -> HttpResponse:
    return error_response(error.status, error.detail, error.scim_type or None)


class _NotAllowed(Exception):
    pass


def scim_view(*methods: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Check the token against the organisation in the URL, then call the view with a
    Provisioner; SCIM exceptions become SCIM error answers."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            scheme, _space, raw = request.headers.get("Authorization", "").partition(" ")
            token = authenticate(raw.strip(), org) if scheme.lower() == "bearer" else None
            if token is None:
                return error_response(401, "A valid bearer token of this organisation is needed.")
            if request.method not in methods:
                response = error_response(405, f"{request.method} is not allowed here.")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, Provisioner(token), *args, **kwargs)
            except SCIMException as error:
                return _from_exception(error)
            except ValidationError as error:
                first = Error.from_validation_errors(error.errors())[0]
                return error_response(first.status or 400, first.detail or "", first.scim_type)

        return wrapped

    return decorator


def _base(request: HttpRequest, token: ScimToken) -> str:
    return request.build_absolute_uri(reverse("scim_root", args=[token.org.slug]))


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidSyntaxException(detail="The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="The request body must be a JSON object.")
    return data


def _response_parameters(request: HttpRequest, model: type[Any]) -> ResponseParameters[Any]:
    return ResponseParameters[model].model_validate(  # type: ignore[valid-type]
        {
            "attributes": request.GET.get("attributes") or None,
            "excludedAttributes": request.GET.get("excludedAttributes") or None,
        }
    )


def _dump(resource: Any, context: Context, parameters: ResponseParameters[Any] | None) -> Any:
    return resource.model_dump(scim_ctx=context, response_parameters=parameters)


# --- Discovery -----------------------------------------------------------------------------


@scim_view("GET")
def root(request: HttpRequest, client: Provisioner) -> HttpResponse:
    raise NotFoundException(detail="See ServiceProviderConfig, ResourceTypes and Schemas.")


@scim_view("GET")
def service_provider_config(request: HttpRequest, client: Provisioner) -> HttpResponse:
    config = resources.service_provider_config()
    config.meta.location = _base(request, client.token) + "ServiceProviderConfig"  # type: ignore[union-attr]
    return scim_response(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listed(items: list[Any]) -> dict[str, Any]:
    model: Any = type(items[0])
    listing = ListResponse[model](  # type: ignore[valid-type]
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )
    return listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE)  # type: ignore[no-any-return]


def _locate(items: list[Any], base: str, folder: str) -> list[Any]:
    for item in items:
        item.meta.location = f"{base}{folder}/{item.id}"
    return items


def _one_of(items: list[Any], resource_id: str, missing: str) -> HttpResponse:
    """The discovery resource with this id, or the SCIM 404 saying `missing`."""
    for item in items:
        if item.id == resource_id:
            return scim_response(item.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
    raise NotFoundException(detail=missing)


@scim_view("GET")
def resource_types(request: HttpRequest, client: Provisioner) -> HttpResponse:
    items = _locate(resources.resource_types(), _base(request, client.token), "ResourceTypes")
    return scim_response(_listed(items))


@scim_view("GET")
def resource_type(request: HttpRequest, client: Provisioner, resource_id: str) -> HttpResponse:
    items = _locate(resources.resource_types(), _base(request, client.token), "ResourceTypes")
    return _one_of(items, resource_id, f"No resource type {resource_id}.")


@scim_view("GET")
def schemas(request: HttpRequest, client: Provisioner) -> HttpResponse:
    items = _locate(resources.schemas(), _base(request, client.token), "Schemas")
    return scim_response(_listed(items))


@scim_view("GET")
def schema(request: HttpRequest, client: Provisioner, resource_id: str) -> HttpResponse:
    items = _locate(resources.schemas(), _base(request, client.token), "Schemas")
    return _one_of(items, resource_id, f"No schema {resource_id}.")


@scim_view("POST")
def search(request: HttpRequest, client: Provisioner) -> HttpResponse:
    raise NotImplementedException(
        detail="Searching with POST is not supported: use GET with a filter."
    )


@scim_view("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, client: Provisioner, rest: str) -> HttpResponse:
    raise NotFoundException(detail="No such endpoint.")


# --- Resources as SCIM shows them ----------------------------------------------------------


def _scim_row(member: Membership) -> ScimUser | None:
    try:
        return member.scim  # type: ignore[attr-defined,no-any-return]
    except ScimUser.DoesNotExist:
        return None


def as_user(member: Membership, base: str) -> User:
    account = member.user
    scim = _scim_row(member)
    emails = scim.emails if scim is not None else []
    if not any(str(entry.get("value", "")).lower() == account.email for entry in emails):
        # Added by hand, or the person changed their address in Chorus since.
        emails = [{"value": account.email, "type": "work", "primary": True}]
    name = None
    if account.first_name or account.last_name:
        name = {"givenName": account.first_name or None, "familyName": account.last_name or None}
    modified = max(filter(None, [member.joined_at, scim.updated_at if scim else None]))
    return User.model_validate(
        {
            "id": str(member.pk),
            "externalId": (scim.external_id if scim else "") or None,
            "userName": (scim.user_name if scim else "") or account.email,
            "name": name,
            "emails": emails,
            "active": member.is_active and account.is_active,
            "meta": Meta(
                resource_type="User",
                created=member.joined_at,
                last_modified=modified,
                location=f"{base}Users/{member.pk}",
            ),
        }
    )


def as_group(team: Team, base: str) -> Group:
    try:
        scim: ScimGroup | None = team.scim  # type: ignore[attr-defined]
    except ScimGroup.DoesNotExist:
        scim = None
    members = [
        GroupMember.model_validate(
            {"value": str(member.pk), "$ref": f"{base}Users/{member.pk}", "type": "User"}
        )
        for member in team.members.all()
    ]
    modified = max(filter(None, [team.created_at, scim.updated_at if scim else None]))
    return Group(
        id=str(team.pk),
        external_id=(scim.external_id if scim else "") or None,
        display_name=team.name,
        members=members or None,
        meta=Meta(
            resource_type="Group",
            created=team.created_at,
            last_modified=modified,
            location=f"{base}Groups/{team.pk}",
        ),
    )


# --- Filters -------------------------------------------------------------------------------

# attribute (lower case) → (database lookup, compared case-insensitively)
USER_FILTERS = {
    "username": ("scim_user_name", True),
    "externalid": ("scim__external_id", False),
    "id": ("pk", False),
    "emails": ("user__email", True),
    "emails.value": ("user__email", True),
    "name.givenname": ("user__first_name", True),
    "name.familyname": ("user__last_name", True),
    "active": ("is_active", False),
}
GROUP_FILTERS = {
    "displayname": ("name", True),
    "externalid": ("scim__external_id", False),
    "id": ("pk", False),
    "members": ("members__pk", False),
    "members.value": ("members__pk", False),
}
OPERATORS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}


def filter_query(text: str, fields: dict[str, tuple[str, bool]]) -> Q:
    """A SCIM filter as a database condition; what cannot be one is 400 invalidFilter."""
    try:
        tree = ScimFilter(text).ast
    except SCIMException as error:
        raise InvalidFilterException(detail=f"The filter is not valid: {error.detail}") from None
    return _condition(tree, fields)


def _condition(node: Any, fields: dict[str, tuple[str, bool]]) -> Q:
    if isinstance(node, LogicalExpr):
        terms = [_condition(term, fields) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op.value == "and" else combined | term
        return combined
    if isinstance(node, Not):
        return ~_condition(node.expr, fields)
    if isinstance(node, Present):
        lookup, _insensitive = _field(node.attr_path, fields)
        present = Q(**{f"{lookup}__isnull": False})
        return (
            present & ~Q(**{lookup: ""}) if lookup.endswith(("_id", "email", "name")) else present
        )
    if isinstance(node, Comparison):
        lookup, insensitive = _field(node.attr_path, fields)
        operator = node.op.value
        value = node.value
        if lookup == "is_active":
            if operator not in ("eq", "ne") or not isinstance(value, bool):
                raise InvalidFilterException(detail="active compares with eq or ne and a boolean.")
            condition = (
                Q(is_active=value, user__is_active=True)
                if value
                else (Q(is_active=False) | Q(user__is_active=False))
            )
            return condition if operator == "eq" else ~condition
        if lookup.endswith("pk"):
            if operator not in ("eq", "ne"):
                raise InvalidFilterException(detail=f"{node.attr_path} compares with eq or ne.")
            text = str(value)
            condition = (
                Q(**{lookup: int(text)})
                if text.isascii() and text.isdigit() and len(text) <= 18
                else Q(pk__in=[])
            )
            return condition if operator == "eq" else ~condition
        if not isinstance(value, str):
            raise InvalidFilterException(detail=f"{node.attr_path} compares with a string.")
        if operator == "ne":
            return ~Q(**{f"{lookup}__{'iexact' if insensitive else 'exact'}": value})
        if operator not in OPERATORS:
            raise InvalidFilterException(detail=f"The operator {operator} is not supported here.")
        name = OPERATORS[operator]
        if insensitive:
            name = "i" + name
        return Q(**{f"{lookup}__{name}": value})
    raise InvalidFilterException(detail="This kind of filter is not supported here.")


def _field(path: AttrPath, fields: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    uri = (path.uri or "").lower()
    if uri and uri not in (resources.USER_SCHEMA.lower(), resources.GROUP_SCHEMA.lower()):
        raise InvalidFilterException(detail=f"Unknown schema {path.uri}.")
    key = path.attr.lower() + (f".{path.sub_attr.lower()}" if path.sub_attr else "")
    if key not in fields:
        raise InvalidFilterException(detail=f"Filtering on {path} is not supported.")
    return fields[key]


def _page(request: HttpRequest, rows: QuerySet[Any]) -> tuple[list[Any], int, int]:
    """The rows of the page `startIndex`/`count` ask for (RFC 7644 §3.4.2.4), the total
    and the start index actually used."""
    try:
        start = int(request.GET.get("startIndex") or 1)
        count = int(request.GET.get("count") or MAX_RESULTS)
    except ValueError:
        raise InvalidValueException(detail="startIndex and count are integers.") from None
    start = max(start, 1)
    count = min(max(count, 0), MAX_RESULTS)
    total = rows.count()
    # Past the end, no query: an OFFSET beyond 64 bits would be a database error.
    if not count or start > total:
        return [], total, start
    return list(rows[start - 1 : start - 1 + count]), total, start


def _listing(
    request: HttpRequest, items: list[Any], total: int, start: int, model: type[Any]
) -> HttpResponse:
    parameters = _response_parameters(request, model)
    listing = ListResponse[model](  # type: ignore[valid-type]
        total_results=total, start_index=start, items_per_page=len(items), resources=items
    )
    return scim_response(
        listing.model_dump(scim_ctx=Context.SEARCH_RESPONSE, response_parameters=parameters)
    )


# --- Users ---------------------------------------------------------------------------------


def _user_body(data: dict[str, Any], *, active: bool, context: Context) -> User:
    """Parse a User; `active` when the request leaves it out (see resources.py)."""
    keys = {key.lower() for key in data}
    if "active" not in keys:
        data["active"] = active
    if "emails" not in keys and isinstance(data.get("userName"), str):
        data["emails"] = [{"value": data["userName"], "primary": True}]
    return User.model_validate(data, scim_ctx=context)


@dataclass(frozen=True)
class ResourceKind:
    """What the Users and Groups endpoints do differently; the rest is `_collection` and
    `_resource`, once for both."""

    schema: type[User] | type[Group]
    path: str  # "Users", "Groups"
    filters: dict[str, Any]
    rows: Callable[[Any], QuerySet[Any]]
    get: Callable[[Any, str], Any]
    show: Callable[[Any, str], Any]
    # The request's body as a resource (`current`: the resource it replaces, if any).
    parse: Callable[[dict[str, Any], Context, Any], Any]
    # The resource as the values Chorus stores.
    read: Callable[[Any, Any, Any], Any]
    create: Callable[[Provisioner, Any], Any]
    replace: Callable[[Provisioner, Any, Any], Any]
    delete: Callable[[Provisioner, Any], None]


def _active(current: User | None) -> bool:
    """A User body without `active` keeps the current value (true for a new one)."""
    return True if current is None else bool(current.active)


USERS = ResourceKind(
    schema=User,
    path="Users",
    filters=USER_FILTERS,
    rows=users_of,
    get=get_user,
    show=as_user,
    parse=lambda data, context, current: _user_body(data, active=_active(current), context=context),
    read=lambda org, resource, current: actions.read_user(
        resource, active_default=_active(current)
    ),
    create=actions.do_create_user,
    replace=actions.do_replace_user,
    delete=actions.do_delete_user,
)
GROUPS = ResourceKind(
    schema=Group,
    path="Groups",
    filters=GROUP_FILTERS,
    rows=teams_of,
    get=get_group,
    show=as_group,
    parse=lambda data, context, current: Group.model_validate(data, scim_ctx=context),
    read=lambda org, resource, current: actions.read_group(org, resource),
    create=actions.do_create_group,
    replace=actions.do_replace_group,
    delete=actions.do_delete_group,
)


def _collection(request: HttpRequest, client: Provisioner, kind: ResourceKind) -> HttpResponse:
    """GET lists (filtered, paged), POST creates."""
    org = client.token.org
    base = _base(request, client.token)
    if request.method == "POST":
        resource = kind.parse(_body(request), Context.RESOURCE_CREATION_REQUEST, None)
        instance = kind.create(client, kind.read(org, resource, None))
        created = kind.show(kind.get(org, str(instance.pk)), base)
        return scim_response(
            _dump(created, Context.RESOURCE_CREATION_RESPONSE, None),
            201,
            Location=f"{base}{kind.path}/{instance.pk}",
        )
    rows = kind.rows(org)
    if request.GET.get("filter"):
        rows = rows.filter(filter_query(request.GET["filter"], kind.filters)).distinct()
    page, total, start = _page(request, rows)
    return _listing(request, [kind.show(row, base) for row in page], total, start, kind.schema)


def _resource(
    request: HttpRequest, client: Provisioner, resource_id: str, kind: ResourceKind
) -> HttpResponse:
    """GET shows, DELETE removes, PUT replaces, PATCH applies its operations."""
    org = client.token.org
    base = _base(request, client.token)
    instance = kind.get(org, resource_id)
    if request.method == "GET":
        parameters = _response_parameters(request, kind.schema)
        return scim_response(
            _dump(kind.show(instance, base), Context.RESOURCE_QUERY_RESPONSE, parameters)
        )
    if request.method == "DELETE":
        kind.delete(client, instance)
        return HttpResponse(status=204)
    current = kind.show(instance, base)
    if request.method == "PUT":
        resource = kind.parse(_body(request), Context.RESOURCE_REPLACEMENT_REQUEST, current)
        context = Context.RESOURCE_REPLACEMENT_RESPONSE
    else:
        patch = PatchOp[kind.schema].model_validate(  # type: ignore[name-defined]
            _body(request), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        resource = current
        patch.patch(resource)
        context = Context.RESOURCE_PATCH_RESPONSE
    kind.replace(client, instance, kind.read(org, resource, current))
    updated = kind.show(kind.get(org, resource_id), base)
    return scim_response(_dump(updated, context, None))


@scim_view("GET", "POST")
def users(request: HttpRequest, client: Provisioner) -> HttpResponse:
    return _collection(request, client, USERS)


@scim_view("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, client: Provisioner, resource_id: str) -> HttpResponse:
    return _resource(request, client, resource_id, USERS)


@scim_view("GET", "POST")
def groups(request: HttpRequest, client: Provisioner) -> HttpResponse:
    return _collection(request, client, GROUPS)


@scim_view("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, client: Provisioner, resource_id: str) -> HttpResponse:
    return _resource(request, client, resource_id, GROUPS)
