"""The SCIM resources Chorus serves, as scim2-models classes: what /Schemas publishes, what
requests are parsed into and what responses are serialised from.

Why scim2-models, and not django-scim2 or scim2-filter-parser: django-scim2 serves one
directory per instance from the user model, authenticates through Django's own users and
reads its configuration from settings, where Chorus has one directory per organisation
(a member is a Membership, a group a Team) and a token per organisation. scim2-models is
the pydantic models of RFC 7643/7644 with the protocol's rules built in: request contexts
(readOnly attributes refused or dropped), ``attributes``/``excludedAttributes``, PATCH
operations applied to a resource (paths, value filters, atomicity), and a filter parser
whose tree we turn into a database query. scim2-filter-parser would add a second grammar
for the one part scim2-models already parses. scim2-tester, which the suite runs against
the server, is written by the same people on the same models, so the two read the RFCs
the same way.

The schemas published are Chorus's own subset of the core schemas (RFC 7643 §2 lets a
service provider say which attributes it supports): only what is stored is declared, so a
client never writes an attribute that would silently vanish. Two attributes the core schema
makes optional are required here, because a member always has them: ``emails`` (an account
has an e-mail address) and ``active``. A request that leaves them out still works: the
e-mail address is then the userName, and ``active`` is true on creation and unchanged on
replacement (see chorus/scim/views.py).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Returned,
    Schema,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

# The most resources one page of a list gives (RFC 7644 §3.4.2.4 lets the server cap it).
MAX_RESULTS = 200


class Name(ComplexAttribute):
    given_name: str | None = None
    """The given name of the User: the account's first name."""

    family_name: str | None = None
    """The family name of the User: the account's last name."""


class Email(ComplexAttribute):
    value: Annotated[str | None, Required.true] = None
    """An e-mail address; the primary one (or the first) is the one Chorus writes to."""

    type: str | None = Field(None, examples=["work", "home", "other"])
    """A label indicating the address's function, e.g. 'work'."""

    primary: bool | None = None
    """Whether this is the address Chorus uses."""


class User(Resource[Any]):
    """A member of the organisation."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique identifier for the User within the organisation, typically the address
    the person signs in with at the identity provider."""

    name: Name | None = None
    """The components of the User's name."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """E-mail addresses for the User; the primary one is the address of the account."""

    active: Annotated[bool | None, Required.true] = None
    """Whether the person may use Chorus; false ends their sessions and API tokens and
    takes them out of the ambassador programme."""

    Emails: ClassVar[type[ComplexAttribute]] = Email


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    """The id of a User of the organisation."""

    ref: Annotated[Reference[User] | None, Mutability.immutable] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    """The URI of the User."""

    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])
    """Always 'User': teams do not contain teams."""


class Group(Resource[Any]):
    """A team of the organisation. A person is in one team at most: adding them to a
    group takes them out of the one they were in."""

    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The team's name, unique in the organisation."""

    members: list[GroupMember] | None = None
    """The members of the team."""

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


def service_provider_config() -> ServiceProviderConfig:
    """What this server supports (RFC 7643 §5)."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme.model_validate(
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A token made on the organisation's SCIM settings page or "
                    "by `chorus scim-token --org SLUG`, sent as `Authorization: Bearer <token>`.",
                    "primary": True,
                }
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig"),
    )


def resource_types() -> list[ResourceType]:
    return [
        ResourceType.model_validate(
            {
                "id": name,
                "name": name,
                "description": description,
                "endpoint": f"/{name}s",
                "schema": schema,
                "meta": {"resourceType": "ResourceType"},
            }
        )
        for name, description, schema in (
            ("User", "A member of the organisation", USER_SCHEMA),
            ("Group", "A team of the organisation", GROUP_SCHEMA),
        )
    ]


def schemas() -> list[Schema]:
    """The schemas /Schemas lists: the two resources, then the three that describe the
    discovery resources themselves (RFC 7643 §7 asks for them)."""
    found = []
    for model in (User, Group, ServiceProviderConfig, ResourceType, Schema):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema")
        found.append(schema)
    return found


def returned_always(model: type[Resource[Any]]) -> set[str]:
    """Names of attributes a response always carries (id, schemas...)."""
    return {
        name
        for name in model.model_fields
        if model.get_field_annotation(name, Returned) == Returned.always
    }
