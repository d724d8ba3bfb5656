"""Contract stand-ins for LinkedIn and X, built from the documented request/response shapes.

Neither network can run here, so each stand-in is a small threaded HTTP server on
127.0.0.1 (a free port) that implements only the routes Chorus calls, with the request
checks and answers their documentation describes (summarised in the LinkedIn and X sections
of the project's social-networks reference). Where the documentation is silent the
behaviour is marked "stand-in's choice". Use one as a context manager; it stops itself.

LinkedIn (learn.microsoft.com/linkedin: authorization-code-flow, sign-in-with-linkedin-v2,
posts-api, versioning, protocol-version, little-text-format, rate-limits):

- `GET /oauth/v2/authorization` (response_type=code, client_id, redirect_uri, state, scope)
  → 302 to redirect_uri with `code` and `state`. The consent is given at once by the member
  set with `sign_in` (stand-in's choice: there is no person to click "Allow").
- `POST /oauth/v2/accessToken` (form: grant_type=authorization_code, code, redirect_uri,
  client_id, client_secret) → `{access_token, expires_in: 5184000, scope, id_token}`; a bad
  code → 400 `{error: "invalid_request", error_description}`, bad client → 401.
- `POST /oauth/v2/revoke` (form: token, client_id, client_secret) → 200, empty.
- `GET /v2/userinfo` (Bearer) → `{sub, name, given_name, family_name, picture, locale,
  email}`.
- `POST /rest/posts` (Bearer, `LinkedIn-Version: YYYYMM` required: missing → 400
  VERSION_MISSING, retired → 426; `X-Restli-Protocol-Version: 2.0.0`) with the documented
  body (author, commentary, visibility, distribution, lifecycleState,
  isReshareDisabledByAuthor, optional content.article{source, title, description}) → 201,
  empty body, post URN in `x-restli-id`. The same commentary twice from one author → 422
  with `errorDetails.inputErrors[].code = "DUPLICATE_POST"`. The commentary is little text:
  an unescaped reserved character cuts the stored text there, as LinkedIn silently does.
  401 invalid/expired token, 403 missing `w_member_social` or another author.
- `POST /rest/images?action=initializeUpload` (images-api; version and protocol headers,
  `w_member_social`) `{initializeUploadRequest: {owner}}` with the caller as owner (else
  403) → 200 `{value: {uploadUrlExpiresAt, uploadUrl, image: "urn:li:image:…"}}`; the
  bytes then go to `uploadUrl` with `PUT` and the same token → 201 (the stand-in checks
  they are a JPEG, PNG or GIF: stand-in's choice of 400 otherwise). A post names its images
  in `content.media {id, altText}` (one) or `content.multiImage.images [{id, altText}]`
  (2 to 20, multiimage-post-api); an image not uploaded, or another member's → 422.
- `GET /rest/socialMetadata/{URL-encoded post URN}` (social-metadata-api; same version and
  protocol headers; Bearer with the restricted `r_member_social`, the member's own posts
  only, else 403) → `{entity, reactionSummaries: {TYPE: {reactionType, count}},
  commentSummary: {count, topLevelCount}, commentsState}`; an unknown post → 404; a URN
  left unencoded in the path → 400 (stand-in's choice). `react` and `comment` set counts.

X (docs.x.com: oauth-2-0/authorization-code, x-api/posts/manage-tweets, rate-limits,
response-codes-and-errors, counting-characters):

- `GET /i/oauth2/authorize` (response_type=code, client_id, redirect_uri, scope, state,
  code_challenge, code_challenge_method=S256) → 302 to redirect_uri with `state`, `code`;
  the user set with `sign_in` consents (stand-in's choice, as above).
- `POST /2/oauth2/token` (form; confidential client: HTTP Basic, public: `client_id`):
  `grant_type=authorization_code` (code, redirect_uri, code_verifier; the stand-in checks
  BASE64URL(SHA256(code_verifier)) == code_challenge) or `grant_type=refresh_token`
  (refresh_token; rotated: the old one stops working) → `{token_type: "bearer",
  expires_in: 7200, access_token, scope, refresh_token (with offline.access)}`; a bad
  grant → 400 `{error: "invalid_request", error_description}`.
- `POST /2/oauth2/revoke` (form: token, same client authentication) → `{revoked: true}`.
- `GET /2/users/me` (Bearer) → `{data: {id, name, username}}`.
- `POST /2/tweets` `{"text"}` (Bearer, tweet.write) → 201 `{data: {id, text,
  edit_history_tweet_ids}}`; over 280 weighted characters (twitter-text: URLs 23, CJK and
  emoji 2) → 400 invalid-request problem (stand-in's choice of status); the same text twice
  from one user → 403 "You are not allowed to create a Tweet with duplicate content.".
- `GET /2/users/:id/tweets` (max_results 5-100, default 10; `tweet.fields=entities,
  created_at`) → `{data: [{id, text, edit_history_tweet_ids, entities?, created_at?}],
  meta: {result_count, newest_id, oldest_id}}`, newest first, links shown as 23-character
  t.co addresses with `entities.urls[].expanded_url` giving the original.
- `POST /2/media/upload` (x-api/media/upload-media; multipart `media` and
  `media_category=tweet_image`; `media.write`) → 200 `{data: {id, media_key, size,
  expires_after_secs, image: {image_type, w, h}}}`; over 5 MB or not an image → 400.
  `POST /2/media/metadata` (x-api/media/metadata-create) `{id, metadata: {alt_text:
  {text}}}` → 200 `{data: {id, associated_metadata: {alt_text}}}`; alt text over 1,000
  characters → 400. A post names them in `media.media_ids` (1 to 4, the poster's own
  uploads, else 400).
- `GET /2/tweets?ids=a,b&tweet.fields=public_metrics` (x-api/posts/lookup, metrics; 1-100
  numeric ids, tweet.read and users.read) → `{data: [{id, text, edit_history_tweet_ids,
  public_metrics?: {retweet_count, reply_count, like_count, quote_count, bookmark_count,
  impression_count}}], errors?: [{value, detail, title: "Not Found Error", resource_type,
  parameter, resource_id, type}]}`: posts that do not exist are reported under `errors`,
  not `data` (`data` is absent when none exists). `engage` sets the counts.
- Errors are problem JSON `{title, detail, type, status}`; a 429 carries
  `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset` (epoch seconds).

Switches (`expire`, `throttle`, `server_error`, `slow`, `fail`) simulate what the real
services do now and then. State sits behind one lock and each answer takes microseconds,
so many worker processes can publish at once and `count_posts` says how many times each
text was posted.
"""

from __future__ import annotations

import base64
import contextlib
import email
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import twitter_text


@dataclass(frozen=True)
class Call:
    """One request as a route handler sees it."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def form(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def bearer(self) -> str:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # dict or list → JSON; None → empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """What the next matching request meets: an error answer, a late answer, or both."""

    status: int | None  # None: the request is served normally
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class StandIn:
    """A threaded HTTP server on 127.0.0.1 whose routes are the subclass's `_<route>`
    methods, run one at a time under the stand-in's lock."""

    # (method, path pattern, route name); the handler is the method named "_" + route.
    routes: ClassVar[list[tuple[str, str, str]]] = []
    # The route that creates posts: where switches apply unless told otherwise.
    posting_route: ClassVar[str] = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._faults: dict[str, list[Fault]] = {}
        self._routes = [(m, re.compile(p), name) for m, p, name in self.routes]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.calls: list[Call] = []
        self.port = 0

    # --- life cycle ---

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

            def do_PUT(self) -> None:
                standin._handle(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # Two worker processes with a few threads each may connect at the same moment.
            request_queue_size = 128

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        # A short poll interval lets `stop` return at once instead of after half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()  # ends any slow answer at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # --- switches ---

    def fail(
        self,
        status: int,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        route: str = "",
    ) -> None:
        """Answer the next `times` requests of `route` (default: the posting route) with
        this status, without serving them."""
        fault = Fault(status, body, dict(headers or {}))
        self._add_fault(route or self.posting_route, fault, times)

    def slow(self, seconds: float, *, times: int = 1, route: str = "") -> None:
        """Serve the next `times` requests of `route` normally (a post is created) but
        answer only after `seconds`, so a client with a shorter timeout never hears back."""
        self._add_fault(route or self.posting_route, Fault(None, delay=seconds), times)

    def server_error(self, status: int = 503, *, times: int = 1, route: str = "") -> None:
        """Answer the next `times` requests with a 5xx, creating nothing."""
        self.fail(status, body=self._server_error_body(status), times=times, route=route)

    def seen(self, route: str) -> list[Call]:
        """Return the requests a route received, oldest first."""
        with self._lock:
            return [call for call in self.calls if call.route == route]

    def _add_fault(self, route: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(route, []).extend([fault] * times)

    def _server_error_body(self, status: int) -> Any:
        return None

    # --- serving ---

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        found = self._route(method, parts.path)
        if found is None:
            self._send(handler, Reply(404, {"title": "Not Found", "status": 404}))
            return
        name, params = found
        call = Call(
            method=method,
            path=parts.path,
            route=name,
            query={key: values[0] for key, values in parse_qs(parts.query).items()},
            headers={key.lower(): value for key, value in handler.headers.items()},
            body=body,
            params=params,
        )
        with self._lock:
            self.calls.append(call)
            queue = self._faults.get(name)
            fault = queue.pop(0) if queue else None
            if fault is not None and fault.status is not None:
                reply = Reply(fault.status, fault.body, fault.headers)
            else:
                try:
                    reply = getattr(self, f"_{name}")(call)
                except (ValueError, UnicodeDecodeError):
                    reply = Reply(400, {"title": "Bad Request", "status": 400})
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        self._send(handler, reply)

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        for route_method, pattern, name in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return name, match.groupdict()
        return None

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        # The client may have given up already (a slow answer).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler.send_response(reply.status)
            if data:
                handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)


def _redirect(redirect_uri: str, params: dict[str, str]) -> Reply:
    separator = "&" if "?" in redirect_uri else "?"
    return Reply(302, None, {"Location": f"{redirect_uri}{separator}{urlencode(params)}"})


def _s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- LinkedIn ------------------------------------------------------------------------------

LINKEDIN_SCOPES = frozenset({"openid", "profile", "email", "w_member_social"})
LINKEDIN_TOKEN_SECONDS = 5_184_000  # 60 days
LITTLE_TEXT_RESERVED = frozenset("\\|{}@[]()<>#*_~")
_LITTLE_HASHTAG = re.compile(r"\{hashtag\|(?:\\#|#|\uff03)\|((?:\\.|[^\\{}|])*)\}")
_LITTLE_MENTION = re.compile(r"@\[((?:\\.|[^\\\]])*)\]\((urn:li:[a-zA-Z]+:[^)]+)\)")
_LITTLE_ESCAPE = re.compile(r"\\(.)")
_POST_KEYS = frozenset(
    {
        "author",
        "commentary",
        "visibility",
        "distribution",
        "lifecycleState",
        "isReshareDisabledByAuthor",
    }
)


def decode_little_text(commentary: str) -> str:
    """Return the text a reader sees for a little-text commentary: escapes undone,
    `{hashtag|\\#|tag}` as "#tag", `@[Name](urn)` as "Name", and the text cut at the first
    unescaped reserved character, as LinkedIn silently does."""
    out: list[str] = []
    position = 0
    while position < len(commentary):
        character = commentary[position]
        if character == "\\" and position + 1 < len(commentary):
            out.append(commentary[position + 1])
            position += 2
            continue
        for pattern, render in (
            (_LITTLE_HASHTAG, lambda m: "#" + _LITTLE_ESCAPE.sub(r"\1", m.group(1))),
            (_LITTLE_MENTION, lambda m: _LITTLE_ESCAPE.sub(r"\1", m.group(1))),
        ):
            match = pattern.match(commentary, position)
            if match:
                out.append(render(match))
                position = match.end()
                break
        else:
            if character in LITTLE_TEXT_RESERVED:
                break
            out.append(character)
            position += 1
    return "".join(out)


@dataclass
class LinkedInMember:
    sub: str
    name: str
    email: str = ""

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.sub}"


@dataclass
class LinkedInPost:
    urn: str
    author: str  # urn:li:person:…
    commentary: str  # as sent (little text)
    text: str  # as a reader sees it
    body: dict[str, Any]
    version: str
    reactions: dict[str, int] = field(default_factory=dict)  # LIKE, PRAISE, EMPATHY…
    comments: int = 0


@dataclass
class _Grant:
    subject: str
    scope: frozenset[str]
    expires_at: float
    redirect_uri: str = ""
    code_challenge: str = ""


class LinkedInStandIn(StandIn):
    """LinkedIn's OAuth endpoints, userinfo and the Posts API (see the module docstring)."""

    routes = [
        ("GET", r"/oauth/v2/authorization", "authorization"),
        ("POST", r"/oauth/v2/accessToken", "access_token"),
        ("POST", r"/oauth/v2/revoke", "revoke"),
        ("GET", r"/v2/userinfo", "userinfo"),
        ("POST", r"/rest/posts", "posts"),
        ("GET", r"/rest/socialMetadata/(?P<urn>[^/]+)", "social_metadata"),
        ("POST", r"/rest/images", "images"),
        ("PUT", r"/dms-uploads/(?P<upload>[^/]+)", "image_upload"),
    ]
    posting_route = "posts"

    def __init__(
        self, client_id: str = "chorus-linkedin", client_secret: str = "linkedin-secret"
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.members: dict[str, LinkedInMember] = {}
        self.posts: list[LinkedInPost] = []
        self.retired_versions: set[str] = set()
        self.signed_in: LinkedInMember | None = None
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _Grant] = {}
        self._post_ids = itertools.count(7_400_000_000_000_000_001)
        # urn:li:image:… → (owner URN, upload id, the bytes once uploaded)
        self.images: dict[str, tuple[str, str, bytes | None]] = {}

    def settings(self) -> dict[str, str]:
        """The Chorus settings (also environment variables) that aim LinkedIn here."""
        return {
            "CHORUS_LINKEDIN_CLIENT_ID": self.client_id,
            "CHORUS_LINKEDIN_CLIENT_SECRET": self.client_secret,
            "CHORUS_LINKEDIN_API_URL": self.url,
            "CHORUS_LINKEDIN_OAUTH_URL": f"{self.url}/oauth/v2",
        }

    # --- test helpers and switches ---

    def add_member(self, name: str = "Ada Lovelace", email: str = "") -> LinkedInMember:
        member = LinkedInMember(sub=secrets.token_urlsafe(7), name=name, email=email)
        with self._lock:
            self.members[member.sub] = member
        return member

    def sign_in(self, member: LinkedInMember) -> None:
        """Make `member` the person who approves the next authorization requests."""
        self.signed_in = member

    def issue_token(
        self,
        member: LinkedInMember,
        scope: str = "openid profile w_member_social",
        expires_in: int = LINKEDIN_TOKEN_SECONDS,
    ) -> str:
        """Return a live access token for `member`, as if they had connected."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = _Grant(
                member.sub, frozenset(scope.split()), time.time() + expires_in
            )
        return token

    def expire(self, token: str | None = None) -> None:
        """Expire one access token, or every one: they then answer 401."""
        with self._lock:
            for key, grant in self._tokens.items():
                if token is None or key == token:
                    grant.expires_at = 0

    def retire_version(self, version: str) -> None:
        """Make `LinkedIn-Version: version` answer 426, as a sunset version does."""
        with self._lock:
            self.retired_versions.add(version)

    def throttle(self, *, times: int = 1, route: str = "") -> None:
        """Answer the next posts (or requests of `route`) with LinkedIn's daily-limit 429
        (it carries no Retry-After)."""
        self.fail(
            429,
            body={
                "status": 429,
                "serviceErrorCode": 101,
                "code": "TOO_MANY_REQUESTS",
                "message": "Resource level throttle DAY limit for calls to this resource "
                "is reached.",
            },
            times=times,
            route=route,
        )

    def react(self, urn: str, reaction: str = "LIKE", count: int = 1) -> None:
        """Add `count` reactions of one type to a post, as other members would."""
        with self._lock:
            post = next(post for post in self.posts if post.urn == urn)
            post.reactions[reaction] = post.reactions.get(reaction, 0) + count

    def comment(self, urn: str, count: int = 1) -> None:
        """Add `count` comments to a post."""
        with self._lock:
            post = next(post for post in self.posts if post.urn == urn)
            post.comments += count

    def count_posts(self, text: str | None = None, author: str | None = None) -> int:
        """Count the posts with this reader-visible text (compared after NFC) and/or author
        (URN or member id)."""
        wanted = unicodedata.normalize("NFC", text) if text is not None else None
        with self._lock:
            return sum(
                1
                for post in self.posts
                if (wanted is None or post.text == wanted)
                and (author is None or author in (post.author, post.author.rsplit(":", 1)[-1]))
            )

    def _server_error_body(self, status: int) -> Any:
        return {"status": status, "message": "Internal Server Error"}

    # --- routes ---

    def _authorization(self, call: Call) -> Reply:
        query = call.query
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return Reply(400, {"error": "invalid_request", "error_description": "client_id"})
        redirect_uri = query["redirect_uri"]
        state = query.get("state", "")
        scope = frozenset(query.get("scope", "").split())
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        if not scope or not scope <= LINKEDIN_SCOPES:
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        member = self.signed_in or next(iter(self.members.values()), None)
        if member is None:
            return _redirect(redirect_uri, {"error": "user_cancelled_login", "state": state})
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Grant(member.sub, scope, time.time() + 1800, redirect_uri)
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _access_token(self, call: Call) -> Reply:
        form = call.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return Reply(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        if form.get("grant_type") != "authorization_code":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": ""})
        grant = self._codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant.expires_at < time.time()
            or grant.redirect_uri != form.get("redirect_uri")
        ):
            return Reply(
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Unable to retrieve access token: appid/redirect "
                    "uri/code verifier does not match authorization code. Or authorization "
                    "code expired.",
                },
            )
        token = secrets.token_urlsafe(24)
        self._tokens[token] = _Grant(
            grant.subject, grant.scope, time.time() + LINKEDIN_TOKEN_SECONDS
        )
        answer: dict[str, Any] = {
            "access_token": token,
            "expires_in": LINKEDIN_TOKEN_SECONDS,
            "scope": ",".join(sorted(grant.scope)),
            "token_type": "Bearer",
        }
        if "openid" in grant.scope:
            answer["id_token"] = self._id_token(grant.subject)
        return Reply(200, answer)

    def _revoke(self, call: Call) -> Reply:
        form = call.form()
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return Reply(401, {"error": "invalid_client", "error_description": ""})
        self._tokens.pop(form.get("token", ""), None)
        return Reply(200)

    def _userinfo(self, call: Call) -> Reply:
        grant, refusal = self._authorize(call)
        if refusal:
            return refusal
        assert grant is not None
        if not {"openid", "profile"} <= grant.scope:
            return self._forbidden("Not enough permissions to access: userinfo.GET.NO_VERSION")
        member = self.members[grant.subject]
        given, _, family = member.name.partition(" ")
        info = {
            "sub": member.sub,
            "name": member.name,
            "given_name": given,
            "family_name": family,
            "picture": f"https://media.licdn.com/dms/image/{member.sub}/profile.jpg",
            "locale": {"country": "US", "language": "en"},
        }
        if "email" in grant.scope and member.email:
            info |= {"email": member.email, "email_verified": True}
        return Reply(200, info)

    def _posts(self, call: Call) -> Reply:
        version = call.headers.get("linkedin-version", "")
        refusal = self._version_refusal(call)
        if refusal:
            return refusal
        grant, refusal = self._authorize(call)
        if refusal:
            return refusal
        assert grant is not None
        if "w_member_social" not in grant.scope:
            return self._forbidden(
                f"Not enough permissions to access: partnerApiPostsExternal.CREATE.{version}"
            )
        if not call.headers.get("content-type", "").startswith("application/json"):
            return self._error(415, "UNSUPPORTED_MEDIA_TYPE", "Send application/json.")
        body = call.json()
        problem = _post_shape_problem(body)
        if problem:
            return self._error(422, "UNPROCESSABLE_ENTITY", problem)
        author = f"urn:li:person:{grant.subject}"
        if body["author"] != author:
            return self._forbidden(f"Member is not authorized to post as {body['author']}")
        for image_urn in _image_urns(body):
            owner, _upload, data = self.images.get(image_urn, ("", "", None))
            if owner != author or data is None:
                return self._error(
                    422, "UNPROCESSABLE_ENTITY", f"{image_urn} is not an uploaded image of yours."
                )
        text = decode_little_text(body["commentary"])
        if len(text) > 3000:
            # Stand-in's choice of answer; the 3,000 limit comes from third-party sources.
            return self._error(422, "UNPROCESSABLE_ENTITY", "/commentary is too long.")
        for post in self.posts:
            if post.author == author and post.commentary == body["commentary"]:
                return Reply(
                    422,
                    {
                        "status": 422,
                        "errorDetailType": "com.linkedin.common.error.BadRequest",
                        "message": f"Content is a duplicate of {post.urn}",
                        "errorDetails": {
                            "inputErrors": [
                                {
                                    "description": "Duplicate post is detected",
                                    "input": {},
                                    "code": "DUPLICATE_POST",
                                }
                            ]
                        },
                    },
                )
        urn = f"urn:li:share:{next(self._post_ids)}"
        self.posts.append(LinkedInPost(urn, author, body["commentary"], text, body, version))
        return Reply(201, None, {"x-restli-id": urn})

    def _images(self, call: Call) -> Reply:
        refusal = self._version_refusal(call)
        if refusal:
            return refusal
        grant, refusal = self._authorize(call)
        if refusal:
            return refusal
        assert grant is not None
        if call.query.get("action") != "initializeUpload":
            return self._error(400, "BAD_REQUEST", "Unknown action.")
        if "w_member_social" not in grant.scope:
            return self._forbidden("Not enough permissions to access: images.ACTION")
        body = call.json()
        request = body.get("initializeUploadRequest") if isinstance(body, dict) else None
        owner = request.get("owner") if isinstance(request, dict) else None
        if owner != f"urn:li:person:{grant.subject}":
            return self._forbidden(f"Member is not authorized to upload as {owner}")
        upload = secrets.token_urlsafe(12)
        urn = f"urn:li:image:C4E10AQ{secrets.token_urlsafe(9)}"
        self.images[urn] = (owner, upload, None)
        return Reply(
            200,
            {
                "value": {
                    "uploadUrlExpiresAt": int((time.time() + 3600) * 1000),
                    "uploadUrl": f"{self.url}/dms-uploads/{upload}",
                    "image": urn,
                }
            },
        )

    def _image_upload(self, call: Call) -> Reply:
        grant, refusal = self._authorize(call)
        if refusal:
            return refusal
        assert grant is not None
        for urn, (owner, upload, _data) in self.images.items():
            if upload == call.params["upload"]:
                if owner != f"urn:li:person:{grant.subject}":
                    return self._forbidden("This upload belongs to another member.")
                if not call.body.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8")):
                    return self._error(400, "BAD_REQUEST", "The upload is not a JPG, PNG or GIF.")
                self.images[urn] = (owner, upload, call.body)
                return Reply(201)
        return self._error(404, "NOT_FOUND", "No such upload.")

    def image_bytes(self, urn: str) -> bytes | None:
        """What was uploaded for an image, or None."""
        return self.images.get(urn, ("", "", None))[2]

    def _social_metadata(self, call: Call) -> Reply:
        refusal = self._version_refusal(call)
        if refusal:
            return refusal
        grant, refusal = self._authorize(call)
        if refusal:
            return refusal
        assert grant is not None
        version = call.headers["linkedin-version"]
        if "r_member_social" not in grant.scope:
            return self._forbidden(
                f"Not enough permissions to access: socialMetadata.GET.{version}"
            )
        if ":" in call.params["urn"]:
            return self._error(400, "ILLEGAL_ARGUMENT", "The URN in the path must be encoded.")
        urn = unquote(call.params["urn"])
        post = next((post for post in self.posts if post.urn == urn), None)
        if post is None:
            return self._error(404, "NOT_FOUND", f"Not found: {urn}")
        if post.author != f"urn:li:person:{grant.subject}":
            return self._forbidden(f"Member is not authorized to read {urn}")
        return Reply(
            200,
            {
                "entity": urn,
                "reactionSummaries": {
                    kind: {"reactionType": kind, "count": count}
                    for kind, count in post.reactions.items()
                    if count
                },
                "commentSummary": {"count": post.comments, "topLevelCount": post.comments},
                "commentsState": "OPEN",
            },
        )

    # --- helpers ---

    def _version_refusal(self, call: Call) -> Reply | None:
        """The answer to a request without a live LinkedIn-Version and Rest.li 2.0.0."""
        version = call.headers.get("linkedin-version", "")
        if not version:
            return self._error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            )
        if not re.fullmatch(r"\d{6}(\.\d{2})?", version):
            return self._error(400, "INVALID_VERSION", f"Invalid version {version!r}.")
        if version in self.retired_versions:
            return self._error(
                426, "NONEXISTENT_VERSION", f"Requested version {version} is not active"
            )
        if call.headers.get("x-restli-protocol-version") != "2.0.0":
            # Stand-in's choice: the Posts API documents the header as required.
            return self._error(400, "ILLEGAL_ARGUMENT", "X-Restli-Protocol-Version 2.0.0.")
        return None

    def _authorize(self, call: Call) -> tuple[_Grant | None, Reply | None]:
        grant = self._tokens.get(call.bearer())
        if grant is None:
            return None, self._error(401, "INVALID_ACCESS_TOKEN", "Invalid access token")
        if grant.expires_at < time.time():
            return None, self._error(
                401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"
            )
        return grant, None

    def _forbidden(self, message: str) -> Reply:
        return self._error(403, "ACCESS_DENIED", message)

    def _error(self, status: int, code: str, message: str) -> Reply:
        return Reply(status, {"status": status, "code": code, "message": message})

    def _id_token(self, subject: str) -> str:
        # Stand-in's choice: signed with the client secret (HS256); LinkedIn uses RS256.
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        now = int(time.time())
        claims = {
            "iss": "https://www.linkedin.com/oauth",
            "aud": self.client_id,
            "sub": subject,
            "iat": now,
            "exp": now + 3600,
        }
        payload = _b64url(json.dumps(claims).encode())
        signature = hmac.new(
            self.client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256
        ).digest()
        return f"{header}.{payload}.{_b64url(signature)}"


def _post_shape_problem(body: Any) -> str:
    """Return what is wrong with a Posts API body, or "" when it has the documented shape."""
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    missing = _POST_KEYS - body.keys()
    if missing:
        return f"Missing fields: {', '.join(sorted(missing))}."
    unknown = body.keys() - _POST_KEYS - {"content"}
    if unknown:
        return f"Unrecognized fields: {', '.join(sorted(unknown))}."
    if not isinstance(body["author"], str) or not body["author"].startswith("urn:li:"):
        return "/author must be a URN."
    if not isinstance(body["commentary"], str):
        return "/commentary must be a string."
    if body["visibility"] not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN"):
        return "/visibility is not a known value."
    distribution = body["distribution"]
    if (
        not isinstance(distribution, dict)
        or distribution.get("feedDistribution") not in ("MAIN_FEED", "NONE")
        or not isinstance(distribution.get("targetEntities", []), list)
        or not isinstance(distribution.get("thirdPartyDistributionChannels", []), list)
    ):
        return "/distribution is malformed."
    if body["lifecycleState"] not in ("PUBLISHED", "DRAFT"):
        return "/lifecycleState is not a known value."
    if not isinstance(body["isReshareDisabledByAuthor"], bool):
        return "/isReshareDisabledByAuthor must be a boolean."
    if "content" in body:
        content = body["content"]
        if isinstance(content, dict) and set(content) in ({"media"}, {"multiImage"}):
            return _media_shape_problem(content)
        article = content.get("article") if isinstance(content, dict) else None
        if not isinstance(article, dict) or set(content) != {"article"}:
            return "/content must hold one article, one media or a multiImage."
        if not isinstance(article.get("source"), str) or not re.match(
            r"https?://", article["source"]
        ):
            return "/content/article/source must be an http(s) URL."
        if not isinstance(article.get("title"), str) or not article["title"]:
            return "/content/article/title is required."
        if not isinstance(article.get("description", ""), str):
            return "/content/article/description must be a string."
    return ""


def _media_shape_problem(content: dict[str, Any]) -> str:
    """Check `content.media` (one image) or `content.multiImage` (2 to 20 images)."""
    if "media" in content:
        images = [content["media"]]
    else:
        multi = content["multiImage"]
        images = multi.get("images") if isinstance(multi, dict) else None
        if not isinstance(images, list) or not 2 <= len(images) <= 20:
            return "/content/multiImage/images must hold 2 to 20 images."
    for image in images:
        if not isinstance(image, dict) or not str(image.get("id", "")).startswith("urn:li:image:"):
            return "Each image needs an id, an urn:li:image URN."
        if not isinstance(image.get("altText", ""), str) or len(image.get("altText", "")) > 4086:
            return "altText is a string of at most 4,086 characters."
    return ""


def _image_urns(body: dict[str, Any]) -> list[str]:
    content = body.get("content") or {}
    if "media" in content:
        return [content["media"]["id"]]
    if "multiImage" in content:
        return [image["id"] for image in content["multiImage"]["images"]]
    return []


# --- X ---------------------------------------------------------------------------------------

X_SCOPES = frozenset(
    {
        "tweet.read",
        "tweet.write",
        "users.read",
        "offline.access",
        "like.read",
        "follows.read",
        "media.write",
    }
)
X_MAX_IMAGE_BYTES = 5 * 1024 * 1024
X_MAX_ALT_TEXT = 1000
X_TOKEN_SECONDS = 7200
X_MAX_WEIGHTED_LENGTH = 280
X_PUBLIC_METRICS = (
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
    "bookmark_count",
    "impression_count",
)
X_MAX_LOOKUP_IDS = 100


@dataclass
class XUser:
    id: str
    username: str
    name: str


@dataclass
class Tweet:
    id: str
    author_id: str
    text: str  # as sent, NFC
    created_at: str
    media_ids: list[str] = field(default_factory=list)
    public_metrics: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(X_PUBLIC_METRICS, 0)
    )


class XStandIn(StandIn):
    """X's OAuth 2.0 endpoints, users/me and posts (see the module docstring)."""

    routes = [
        ("GET", r"/i/oauth2/authorize", "authorize"),
        ("POST", r"/2/oauth2/token", "token"),
        ("POST", r"/2/oauth2/revoke", "revoke"),
        ("GET", r"/2/users/me", "me"),
        ("POST", r"/2/tweets", "tweets"),
        ("GET", r"/2/tweets", "lookup"),
        ("GET", r"/2/users/(?P<user_id>\d+)/tweets", "timeline"),
        ("POST", r"/2/media/upload", "media_upload"),
        ("POST", r"/2/media/metadata", "media_metadata"),
    ]
    posting_route = "tweets"

    def __init__(self, client_id: str = "chorus-x", client_secret: str = "x-secret") -> None:
        """An empty `client_secret` makes Chorus a public client (client_id in the form)."""
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.users: dict[str, XUser] = {}
        self.tweets: list[Tweet] = []
        self.signed_in: XUser | None = None
        self._codes: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._user_ids = itertools.count(1_500_000_001)
        self._tweet_ids = itertools.count(1_860_000_000_000_000_001)
        self._media_ids = itertools.count(1_880_000_000_000_000_001)
        # media id → (uploader's user id, bytes, alt text)
        self.media: dict[str, tuple[str, bytes, str]] = {}

    def settings(self) -> dict[str, str]:
        """The Chorus settings (also environment variables) that aim X here."""
        return {
            "CHORUS_X_CLIENT_ID": self.client_id,
            "CHORUS_X_CLIENT_SECRET": self.client_secret,
            "CHORUS_X_API_URL": self.url,
            "CHORUS_X_AUTHORIZE_URL": f"{self.url}/i/oauth2/authorize",
        }

    # --- test helpers and switches ---

    def add_user(self, username: str = "ada", name: str = "Ada Lovelace") -> XUser:
        with self._lock:
            user = XUser(str(next(self._user_ids)), username, name)
            self.users[user.id] = user
        return user

    def sign_in(self, user: XUser) -> None:
        """Make `user` the person who approves the next authorization requests."""
        self.signed_in = user

    def issue_tokens(
        self,
        user: XUser,
        scope: str = "tweet.read tweet.write users.read offline.access",
        expires_in: int = X_TOKEN_SECONDS,
    ) -> dict[str, Any]:
        """Return a live token answer for `user`, as if they had connected."""
        with self._lock:
            return self._new_tokens(user.id, frozenset(scope.split()), expires_in)

    def expire(self, token: str | None = None) -> None:
        """Expire an access token, or spend a refresh token; with no argument, every
        access token expires."""
        with self._lock:
            self._refresh.pop(token or "", None)
            for key, grant in self._access.items():
                if token is None or key == token:
                    grant.expires_at = 0

    def throttle(
        self, *, times: int = 1, reset_in: int = 900, limit: int = 100, route: str = ""
    ) -> None:
        """Answer the next posts (or requests of `route`) with 429 and rate-limit headers
        resetting in `reset_in` seconds from now (epoch seconds in `x-rate-limit-reset`)."""
        self.fail(
            429,
            body=_problem(429, "Too Many Requests", "Too Many Requests"),
            headers={
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(time.time()) + reset_in),
            },
            times=times,
            route=route,
        )

    def engage(self, tweet_id: str, **counts: int) -> None:
        """Add to a post's public metrics, e.g. `engage(id, like_count=3, reply_count=1)`."""
        with self._lock:
            tweet = next(tweet for tweet in self.tweets if tweet.id == tweet_id)
            for name, count in counts.items():
                if name not in X_PUBLIC_METRICS:
                    raise ValueError(f"Not a public metric: {name}")
                tweet.public_metrics[name] += count

    def count_posts(self, text: str | None = None, author: str | None = None) -> int:
        """Count the posts with this text (compared after NFC) and/or author (id or
        username)."""
        wanted = unicodedata.normalize("NFC", text) if text is not None else None
        with self._lock:
            usernames = {user.id: user.username for user in self.users.values()}
            return sum(
                1
                for tweet in self.tweets
                if (wanted is None or tweet.text == wanted)
                and (author is None or author in (tweet.author_id, usernames[tweet.author_id]))
            )

    def _server_error_body(self, status: int) -> Any:
        return _problem(status, "Service Unavailable", "Service Unavailable")

    # --- routes ---

    def _authorize(self, call: Call) -> Reply:
        query = call.query
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return Reply(400, {"error": "invalid_request"})
        redirect_uri = query["redirect_uri"]
        state = query.get("state", "")
        scope = frozenset(query.get("scope", "").split())
        if (
            query.get("response_type") != "code"
            or not query.get("code_challenge")
            or query.get("code_challenge_method") != "S256"
            or not state
        ):
            return _redirect(redirect_uri, {"error": "invalid_request", "state": state})
        if not scope or not scope <= X_SCOPES:
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        user = self.signed_in or next(iter(self.users.values()), None)
        if user is None:
            return _redirect(redirect_uri, {"error": "access_denied", "state": state})
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Grant(
            user.id, scope, time.time() + 30, redirect_uri, query["code_challenge"]
        )
        return _redirect(redirect_uri, {"state": state, "code": code})

    def _token(self, call: Call) -> Reply:
        form = call.form()
        refusal = self._client_refusal(call, form)
        if refusal:
            return refusal
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self._codes.pop(form.get("code", ""), None)
            if (
                grant is None
                or grant.expires_at < time.time()
                or grant.redirect_uri != form.get("redirect_uri")
                or not hmac.compare_digest(
                    _s256(form.get("code_verifier", "")), grant.code_challenge
                )
            ):
                return Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the authorization code was invalid.",
                    },
                )
            return Reply(200, self._new_tokens(grant.subject, grant.scope, X_TOKEN_SECONDS))
        if grant_type == "refresh_token":
            grant = self._refresh.pop(form.get("refresh_token", ""), None)
            if grant is None:
                return Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "error_description": "Value passed for the token was invalid.",
                    },
                )
            return Reply(200, self._new_tokens(grant.subject, grant.scope, X_TOKEN_SECONDS))
        return Reply(400, {"error": "unsupported_grant_type"})

    def _revoke(self, call: Call) -> Reply:
        form = call.form()
        refusal = self._client_refusal(call, form)
        if refusal:
            return refusal
        token = form.get("token", "")
        self._access.pop(token, None)
        self._refresh.pop(token, None)
        return Reply(200, {"revoked": True})

    def _me(self, call: Call) -> Reply:
        grant, refusal = self._bearer(call, {"users.read", "tweet.read"})
        if refusal:
            return refusal
        assert grant is not None
        user = self.users[grant.subject]
        return Reply(200, {"data": {"id": user.id, "name": user.name, "username": user.username}})

    def _tweets(self, call: Call) -> Reply:
        grant, refusal = self._bearer(call, {"tweet.read", "tweet.write", "users.read"})
        if refusal:
            return refusal
        assert grant is not None
        body = call.json()
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            return _invalid_request("text", "The `text` field is required.")
        text = unicodedata.normalize("NFC", body["text"])
        if twitter_text.parse_tweet(text).weightedLength > X_MAX_WEIGHTED_LENGTH:
            return _invalid_request("text", "The `text` field is too long.")
        media_ids = (body.get("media") or {}).get("media_ids", [])
        if not isinstance(media_ids, list) or len(media_ids) > 4:
            return _invalid_request("media.media_ids", "media_ids holds 1 to 4 media ids.")
        for media_id in media_ids:
            if self.media.get(str(media_id), ("",))[0] != grant.subject:
                return _invalid_request("media.media_ids", f"Unknown media id {media_id}.")
        for tweet in self.tweets:
            if tweet.author_id == grant.subject and tweet.text == text:
                return Reply(
                    403,
                    _problem(
                        403,
                        "Forbidden",
                        "You are not allowed to create a Tweet with duplicate content.",
                    ),
                )
        tweet = Tweet(
            str(next(self._tweet_ids)),
            grant.subject,
            text,
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            [str(media_id) for media_id in media_ids],
        )
        self.tweets.append(tweet)
        shown, _entities = _shortened(tweet)
        return Reply(
            201, {"data": {"id": tweet.id, "text": shown, "edit_history_tweet_ids": [tweet.id]}}
        )

    def _media_upload(self, call: Call) -> Reply:
        grant, refusal = self._bearer(call, {"media.write"})
        if refusal:
            return refusal
        assert grant is not None
        parts = _multipart(call)
        if "media" not in parts or parts.get("media_category", (b"",))[0] != b"tweet_image":
            return _invalid_request("media", "Send `media` with media_category=tweet_image.")
        data = parts["media"][0]
        if len(data) > X_MAX_IMAGE_BYTES:
            return _invalid_request("media", "The image is over 5 MB.")
        kinds = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"RIFF": "image/webp"}
        kind = next((mime for magic, mime in kinds.items() if data.startswith(magic)), "")
        if not kind:
            return _invalid_request("media", "The file is not a supported image.")
        media_id = str(next(self._media_ids))
        self.media[media_id] = (grant.subject, data, "")
        return Reply(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"3_{media_id}",
                    "size": len(data),
                    "expires_after_secs": 86400,
                    "image": {"image_type": kind},
                }
            },
        )

    def _media_metadata(self, call: Call) -> Reply:
        grant, refusal = self._bearer(call, {"media.write"})
        if refusal:
            return refusal
        assert grant is not None
        body = call.json()
        media_id = str(body.get("id", "")) if isinstance(body, dict) else ""
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text") if media_id else None
        if media_id not in self.media or self.media[media_id][0] != grant.subject:
            return _invalid_request("id", f"Unknown media id {media_id}.")
        if not isinstance(alt, str) or len(alt) > X_MAX_ALT_TEXT:
            return _invalid_request("metadata.alt_text.text", "Alt text is 1 to 1,000 characters.")
        owner, data, _old = self.media[media_id]
        self.media[media_id] = (owner, data, alt)
        return Reply(
            200, {"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}}
        )

    def _lookup(self, call: Call) -> Reply:
        _grant, refusal = self._bearer(call, {"tweet.read", "users.read"})
        if refusal:
            return refusal
        ids = [value for value in call.query.get("ids", "").split(",") if value]
        if not ids or len(ids) > X_MAX_LOOKUP_IDS or not all(value.isdigit() for value in ids):
            return _invalid_request("ids", "ids must be 1 to 100 comma-separated post ids.")
        fields = set(call.query.get("tweet.fields", "").split(",")) - {""}
        by_id = {tweet.id: tweet for tweet in self.tweets}
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for post_id in ids:
            tweet = by_id.get(post_id)
            if tweet is None:
                errors.append(
                    {
                        "value": post_id,
                        "detail": f"Could not find tweet with ids: [{post_id}].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "ids",
                        "resource_id": post_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                )
                continue
            shown, _entities = _shortened(tweet)
            item: dict[str, Any] = {
                "id": tweet.id,
                "text": shown,
                "edit_history_tweet_ids": [tweet.id],
            }
            if "public_metrics" in fields:
                item["public_metrics"] = dict(tweet.public_metrics)
            data.append(item)
        answer: dict[str, Any] = {}
        if data:
            answer["data"] = data
        if errors:
            answer["errors"] = errors
        return Reply(200, answer)

    def _timeline(self, call: Call) -> Reply:
        _grant, refusal = self._bearer(call, {"tweet.read", "users.read"})
        if refusal:
            return refusal
        user_id = call.params["user_id"]
        if user_id not in self.users:
            return Reply(404, _problem(404, "Not Found Error", f"Could not find user {user_id}."))
        raw_max = call.query.get("max_results", "10")
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            return _invalid_request("max_results", "max_results must be between 5 and 100.")
        fields = set(call.query.get("tweet.fields", "").split(",")) - {""}
        theirs = [tweet for tweet in reversed(self.tweets) if tweet.author_id == user_id]
        items = []
        for tweet in theirs[: int(raw_max)]:
            shown, entities = _shortened(tweet)
            item: dict[str, Any] = {
                "id": tweet.id,
                "text": shown,
                "edit_history_tweet_ids": [tweet.id],
            }
            if "entities" in fields and entities:
                item["entities"] = {"urls": entities}
            if "created_at" in fields:
                item["created_at"] = tweet.created_at
            items.append(item)
        meta: dict[str, Any] = {"result_count": len(items)}
        if items:
            meta |= {"newest_id": items[0]["id"], "oldest_id": items[-1]["id"]}
            return Reply(200, {"data": items, "meta": meta})
        return Reply(200, {"meta": meta})

    # --- helpers ---

    def _new_tokens(self, user_id: str, scope: frozenset[str], expires_in: int) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = _Grant(user_id, scope, time.time() + expires_in)
        answer: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": expires_in,
            "access_token": access,
            "scope": " ".join(sorted(scope)),
        }
        if "offline.access" in scope:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = _Grant(user_id, scope, float("inf"))
            answer["refresh_token"] = refresh
        return answer

    def _client_refusal(self, call: Call, form: dict[str, str]) -> Reply | None:
        if self.client_secret:
            expected = (
                "Basic "
                + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            )
            if not hmac.compare_digest(call.headers.get("authorization", ""), expected):
                return Reply(
                    401,
                    {
                        "error": "unauthorized_client",
                        "error_description": "Missing valid authorization header",
                    },
                )
        elif form.get("client_id") != self.client_id:
            return Reply(401, {"error": "invalid_client", "error_description": "client_id"})
        return None

    def _bearer(self, call: Call, scopes: set[str]) -> tuple[_Grant | None, Reply | None]:
        grant = self._access.get(call.bearer())
        if grant is None or grant.expires_at < time.time():
            return None, Reply(401, _problem(401, "Unauthorized", "Unauthorized"))
        if not scopes <= grant.scope:
            return None, Reply(403, _problem(403, "Forbidden", "Missing scopes."))
        return grant, None


def _multipart(call: Call) -> dict[str, tuple[bytes, str]]:
    """The parts of a multipart/form-data body: name → (bytes, content type)."""
    message = email.message_from_bytes(
        b"Content-Type: " + call.headers.get("content-type", "").encode() + b"\r\n\r\n" + call.body
    )
    parts: dict[str, tuple[bytes, str]] = {}
    for part in message.walk() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            parts[name] = (payload if isinstance(payload, bytes) else b"", part.get_content_type())
    return parts


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def _invalid_request(parameter: str, message: str) -> Reply:
    return Reply(
        400,
        {
            "errors": [{"parameters": {parameter: []}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )


def _shortened(tweet: Tweet) -> tuple[str, list[dict[str, Any]]]:
    """Return the text as X shows it (each link as a t.co address) and its URL entities."""
    pieces: list[str] = []
    entities: list[dict[str, Any]] = []
    position = 0
    length = 0
    for index, found in enumerate(twitter_text.extract_urls_with_indices(tweet.text)):
        start, end = found["indices"]
        before = tweet.text[position:start]
        original = str(found["url"])
        digest = hashlib.sha256(f"{tweet.id}:{index}:{original}".encode()).digest()
        short = "https://t.co/" + _b64url(digest).replace("-", "a").replace("_", "b")[:10]
        expanded = original if "://" in original else f"http://{original}"
        length += len(before)
        entities.append(
            {
                "start": length,
                "end": length + len(short),
                "url": short,
                "expanded_url": expanded,
                "display_url": expanded.split("://", 1)[1][:27],
            }
        )
        pieces += [before, short]
        length += len(short)
        position = end
    pieces.append(tweet.text[position:])
    return "".join(pieces), entities
