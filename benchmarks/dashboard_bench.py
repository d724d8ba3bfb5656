"""The programme dashboard over 1 M shares and 10 M clicks, on PostgreSQL.

Run through `benchmarks/dashboard`. A scratch database is created on the server given by
`--postgres URL` (or CHORUS_TEST_POSTGRES_URL; default postgres://postgres@127.0.0.1:5432/
postgres) and dropped at the end. A child process migrates it and fills one organisation
with SQL (generate_series): people in teams with profiles and opt-in dates, campaigns and
items, `--shares` published shares over `--days` days (more recent ones more frequent, some
people much more active than others), a tracked link per (person, item, network), about
`--clicks` clicks on them in the days after each share (a fifth of them bots, visitors
coming back), their daily rollup (LinkDay, as the click ingestion writes it) and a
conversion for about one human click in a hundred. Filling is not timed. Then:

- the rollups are built with `chorus.analytics.rollups.rebuild` (what `chorus
  rebuild-rollups` runs), timed, then vacuumed and analysed (as autovacuum would);
- the dashboard page (Django's test client, a program manager logged in) is requested
  `--requests` times with different periods and filters: p50, p95, max;
- a one-day refresh (what the worker does each minute after a share) is timed;
- a month's activity detail as CSV (the largest export) and every dashboard table as CSV
  are timed;
- baseline, in the same run: the dashboard's main figures (totals, per day, per network,
  team and campaign, top content, active ambassadors) computed from the raw shares, clicks
  and conversions for the first `--baseline` filter sets, and the ratio of its median to
  the rollups' median on the same filter sets.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def sql(statement: str, params: list[Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return int(cursor.rowcount or 0)


@contextmanager
def bulk_loading(*models: Any) -> Iterator[None]:
    """Drop the tables' indexes and constraints (the primary key apart) while they are
    filled, and put them back after: building them once is much faster than row by row."""
    from django.db import connection

    saved: list[str] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype <> 'p'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                saved.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = %s::regclass)",
                [table, table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                saved.append(definition)
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        # Indexes first, then the constraints that may lean on them.
        for statement in sorted(saved, key=lambda text: text.startswith("ALTER")):
            cursor.execute(statement)


def column_values(model: Any, known: dict[str, str]) -> tuple[str, str]:
    """The INSERT column list and SELECT expressions for every concrete column of `model`:
    the known expressions, else the field's default, else NULL (so the filling keeps up
    with fields added later)."""
    from django.db import connection

    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        names.append(connection.ops.quote_name(column))
        if column in known:
            values.append(known[column])
            continue
        default = field.get_default() if field.has_default() else None
        if default is None:
            if not field.null and field.get_internal_type() in ("DateTimeField",):
                values.append("now()")
            elif not field.null and field.empty_strings_allowed:
                values.append("''")
            elif not field.null:
                raise SystemExit(f"{model.__name__}.{column} needs a value in the benchmark.")
            else:
                values.append("NULL")
        elif isinstance(default, bool):
            values.append("true" if default else "false")
        elif isinstance(default, (int, float)):
            values.append(str(default))
        elif isinstance(default, (dict, list)):
            values.append("'{}'::jsonb" if isinstance(default, dict) else "'[]'::jsonb")
        else:
            values.append("'" + str(default).replace("'", "''") + "'")
    return ", ".join(names), ", ".join(values)


def fill(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """The organisation, its program manager, and what was made."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from chorus.content.models import Campaign, ContentItem
    from chorus.links.models import Click, Conversion, LinkDay, TrackedLink
    from chorus.orgs.actions import do_create_organization
    from chorus.orgs.models import Membership, Role, Team
    from chorus.sharing.models import Share

    sql("SET synchronous_commit = off")
    User = get_user_model()
    admin = User.objects.create_user("bench-admin@example.com", "x" * 16)
    org = do_create_organization("Bench", "bench", admin)
    manager_user = User.objects.create_user("bench-pm@example.com", "x" * 16)
    manager = Membership.objects.create(org=org, user=manager_user, role=Role.PROGRAM_MANAGER)
    teams = Team.objects.bulk_create(Team(org=org, name=f"Team {n}") for n in range(args.teams))
    users = User.objects.bulk_create(
        (User(email=f"person{n}@example.com", password="!") for n in range(args.people)),
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        (
            Membership(
                org=org,
                user=user,
                role=Role.AMBASSADOR,
                team=None if n % 25 == 24 else teams[n % len(teams)],
            )
            for n, user in enumerate(users)
        ),
        batch_size=5000,
    )
    objectives = ["awareness", "employer_brand", "recruiting", "social_selling", "lead_generation"]
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            org=org,
            name=f"Campaign {n}",
            slug=f"campaign-{n}",
            objective=objectives[n % len(objectives)],
        )
        for n in range(args.campaigns)
    )
    ContentItem.objects.bulk_create(
        (
            ContentItem(
                org=org,
                title=f"Article {n}",
                url=f"https://www.example.com/{n}",
                canonical_url=f"https://www.example.com/{n}",
                status="published",
                campaign=campaigns[n % len(campaigns)] if n % 3 else None,
            )
            for n in range(args.items)
        ),
        batch_size=5000,
    )
    org_id, days = org.pk, args.days
    quote = connection.ops.quote_name
    # Participation and profile of everyone (opt-in over the period, a few never).
    from chorus.feed.models import AmbassadorProfile
    from chorus.program.models import Participation

    names, values = column_values(
        Participation,
        {
            "org_id": "%s",
            "membership_id": "m.id",
            "status": "CASE WHEN random() < 0.9 THEN 'active' ELSE 'invited' END",
            "token": "md5(m.id::text || random()::text)",
            "invited_at": f"now() - (random() * {days}) * interval '1 day'",
            "opted_in_at": "NULL",
        },
    )
    sql(
        f"INSERT INTO {quote(Participation._meta.db_table)} ({names}) SELECT {values} "
        f"FROM {quote(Membership._meta.db_table)} m WHERE m.org_id = %s AND m.role = 'ambassador'",
        [org_id, org_id],
    )
    sql(
        f"UPDATE {quote(Participation._meta.db_table)} SET opted_in_at = invited_at "
        f"+ random() * interval '10 days' WHERE org_id = %s AND status = 'active'",
        [org_id],
    )
    names, values = column_values(
        AmbassadorProfile,
        {
            "org_id": "%s",
            "membership_id": "m.id",
            "networks": "jsonb_build_object('linkedin', jsonb_build_object('size', "
            "(ARRAY['small','medium','large','huge'])[1 + floor(random() * 4)::int]), "
            "'x', jsonb_build_object('size', "
            "(ARRAY['small','medium','large'])[1 + floor(random() * 3)::int]))",
            "languages": "'[\"en\"]'::jsonb",
        },
    )
    sql(
        f"INSERT INTO {quote(AmbassadorProfile._meta.db_table)} ({names}) SELECT {values} "
        f"FROM {quote(Membership._meta.db_table)} m WHERE m.org_id = %s AND m.role = 'ambassador'",
        [org_id, org_id],
    )
    with bulk_loading(Share, TrackedLink, Click, LinkDay, Conversion):
        # Shares: some people much more active (random()^2 on the index), more recent ones more
        # frequent (random()^1.4 on the age).
        names, values = column_values(
            Share,
            {
                "org_id": "%s",
                "membership_id": "p.ids[1 + floor(power(random(), 2) * p.n)::int]",
                "item_id": "i.ids[1 + floor(power(random(), 1.5) * i.n)::int]",
                "network": "(ARRAY['linkedin','linkedin','x','mastodon','bluesky','facebook'])"
                "[1 + floor(random() * 6)::int]",
                "method": "CASE WHEN random() < 0.6 THEN 'api' ELSE 'intent' END",
                "text": "'A post in my own words'",
                "originality": "round(random()::numeric, 2)",
                "near_duplicates": "CASE WHEN random() < 0.15 THEN 1 ELSE 0 END",
                "status": "CASE WHEN random() < 0.96 THEN 'published' ELSE 'failed' END",
                "published_at": f"now() - power(random(), 1.4) * {days} * interval '1 day'",
                "idempotency_key": "gen_random_uuid()",
            },
        )
        people = (
            f"(SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM "
            f"{quote(Membership._meta.db_table)} WHERE org_id = %s AND role = 'ambassador') p"
        )
        items = (
            f"(SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM "
            f"{quote(ContentItem._meta.db_table)} WHERE org_id = %s) i"
        )
        sql(
            f"INSERT INTO {quote(Share._meta.db_table)} ({names}) SELECT {values} "
            f"FROM generate_series(1, %s) g, {people}, {items}",
            [org_id, args.shares, org_id, org_id],
        )
        sql(
            f"UPDATE {quote(Share._meta.db_table)} SET published_at = NULL "
            f"WHERE org_id = %s AND status <> 'published'",
            [org_id],
        )
        # One tracked link per (person, item, network) shared, born with its first share.
        names, values = column_values(
            TrackedLink,
            {
                "org_id": "%s",
                "code": "substr(md5(s.membership_id::text || '/' || s.item_id || '/' || s.network), 1, 16)",
                "ambassador_id": "s.membership_id",
                "item_id": "s.item_id",
                "network": "CASE WHEN s.network = 'facebook' THEN 'facebook' ELSE s.network END",
                "url": "'https://www.example.com/' || s.item_id",
                "destination": "'https://www.example.com/' || s.item_id",
                "campaign_id": "c.campaign_id",
                "share_ref": "md5(random()::text)",
                "created_at": "s.first",
            },
        )
        sql(
            f"INSERT INTO {quote(TrackedLink._meta.db_table)} ({names}) SELECT {values} FROM "
            f"(SELECT membership_id, item_id, network, min(published_at) AS first "
            f"FROM {quote(Share._meta.db_table)} WHERE org_id = %s AND status = 'published' "
            f"GROUP BY membership_id, item_id, network) s "
            f"JOIN {quote(ContentItem._meta.db_table)} c ON c.id = s.item_id",
            [org_id, org_id],
        )
        links = TrackedLink.objects.filter(org=org).count()
        average = max(1, round(args.clicks / max(links, 1)))
        # Clicks: about `average` per link, in the ten days after it was made (most on the first),
        # a fifth of them bots, visitors sometimes coming back to the same link.
        names, values = column_values(
            Click,
            {
                "org_id": "%s",
                "link_id": "l.id",
                "event_id": "md5(l.id::text || '-' || g)",
                "occurred_at": "least(now(), l.created_at + power(random(), 3) * interval '10 days')",
                "visitor": "md5(l.id::text || '/' || floor(random() * (g + 1))::text)",
                "is_bot": "random() < 0.2",
            },
        )
        sql(
            f"INSERT INTO {quote(Click._meta.db_table)} ({names}) SELECT {values} "
            f"FROM {quote(TrackedLink._meta.db_table)} l CROSS JOIN LATERAL "
            f"generate_series(1, floor(random() * (2 * %s + 1) + 0 * l.id)::int) g "
            f"WHERE l.org_id = %s",
            [org_id, average, org_id],
        )
        # Their daily rollup, as the click ingestion writes it.
        names, values = column_values(
            LinkDay,
            {
                "org_id": "%s",
                "link_id": "c.link_id",
                "day": "(c.occurred_at AT TIME ZONE 'UTC')::date",
                "clicks": "count(*) FILTER (WHERE NOT c.is_bot)",
                "bot_clicks": "count(*) FILTER (WHERE c.is_bot)",
                "unique_visitors": "count(DISTINCT c.visitor) FILTER (WHERE NOT c.is_bot)",
            },
        )
        sql(
            f"INSERT INTO {quote(LinkDay._meta.db_table)} ({names}) SELECT {values} "
            f"FROM {quote(Click._meta.db_table)} c WHERE c.org_id = %s "
            f"GROUP BY c.link_id, (c.occurred_at AT TIME ZONE 'UTC')::date",
            [org_id, org_id],
        )
        names, values = column_values(
            Conversion,
            {
                "org_id": "%s",
                "kind": "(ARRAY['lead','lead','signup','purchase'])[1 + floor(random() * 4)::int]",
                "value": "round((random() * 500)::numeric, 2)",
                "currency": "'EUR'",
                "occurred_at": "c.occurred_at + interval '1 hour'",
                "click_id": "c.id",
                "link_id": "l.id",
                "ambassador_id": "l.ambassador_id",
                "item_id": "l.item_id",
                "campaign_id": "l.campaign_id",
                "network": "l.network",
            },
        )
        sql(
            f"INSERT INTO {quote(Conversion._meta.db_table)} ({names}) SELECT {values} "
            f"FROM {quote(Click._meta.db_table)} c JOIN {quote(TrackedLink._meta.db_table)} l "
            f"ON l.id = c.link_id WHERE c.org_id = %s AND NOT c.is_bot AND random() < 0.01",
            [org_id, org_id],
        )
    sql("ANALYZE")
    made = {
        "people": args.people,
        "shares": Share.objects.filter(org=org).count(),
        "published": Share.objects.filter(org=org, status="published").count(),
        "links": links,
        "clicks": Click.objects.filter(org=org).count(),
        "link_days": LinkDay.objects.filter(org=org).count(),
        "conversions": Conversion.objects.filter(org=org).count(),
    }
    return org, manager, made


def already_filled() -> tuple[Any, Any, dict[str, Any]]:
    """The organisation, its program manager and what it holds, in a kept database."""
    from chorus.links.models import Click, Conversion, LinkDay, TrackedLink
    from chorus.orgs.models import Membership, Organization, Role
    from chorus.sharing.models import Share

    org = Organization.objects.get(slug="bench")
    manager = Membership.objects.get(org=org, role=Role.PROGRAM_MANAGER)
    made = {
        "people": Membership.objects.filter(org=org, role=Role.AMBASSADOR).count(),
        "shares": Share.objects.filter(org=org).count(),
        "published": Share.objects.filter(org=org, status="published").count(),
        "links": TrackedLink.objects.filter(org=org).count(),
        "clicks": Click.objects.filter(org=org).count(),
        "link_days": LinkDay.objects.filter(org=org).count(),
        "conversions": Conversion.objects.filter(org=org).count(),
    }
    return org, manager, made


def filter_sets(org: Any, count: int) -> list[dict[str, Any]]:
    """`count` different dashboard requests: periods, teams, campaigns, networks and mixes."""
    import random

    from chorus.content.models import Campaign
    from chorus.orgs.models import Team

    rng = random.Random(5)
    teams = list(Team.objects.filter(org=org).values_list("pk", flat=True))
    campaigns = list(Campaign.objects.filter(org=org).values_list("pk", flat=True))
    networks = ["linkedin", "x", "mastodon", "bluesky", "facebook"]
    today = datetime.now(UTC).date()
    month_start = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    periods: list[dict[str, Any]] = [
        {"period": "30"},
        {"period": "7"},
        {"period": "90"},
        {"period": "365"},
        {"period": "last_month"},
        {"period": "custom", "start": month_start.isoformat(), "end": month_end.isoformat()},
    ]
    sets = list(periods)
    while len(sets) < count:
        params = dict(rng.choice(periods))
        for name, choices in (("team", teams), ("campaign", campaigns), ("network", networks)):
            if rng.random() < 0.45:
                params[name] = rng.choice(choices)
        sets.append(params)
    return sets[:count]


def baseline(org_id: int, params: dict[str, Any], member: Any) -> dict[str, Any]:
    """The dashboard's main figures computed from raw events, with the ORM's aggregates."""
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncDate

    from chorus.analytics.forms import DashboardFilterForm
    from chorus.links.models import Click, Conversion
    from chorus.sharing.models import Share

    form = DashboardFilterForm(member, params)
    form.is_valid()
    scope = form.scope()
    start = datetime.combine(scope.start, datetime.min.time(), UTC)
    end = datetime.combine(scope.end + timedelta(days=1), datetime.min.time(), UTC)
    shares = Share.objects.filter(
        org_id=org_id, status="published", published_at__gte=start, published_at__lt=end
    )
    clicks = Click.objects.filter(org_id=org_id, occurred_at__gte=start, occurred_at__lt=end)
    conversions = Conversion.objects.filter(
        org_id=org_id, occurred_at__gte=start, occurred_at__lt=end
    )
    if scope.team_id:
        shares = shares.filter(membership__team_id=scope.team_id)
        clicks = clicks.filter(link__ambassador__team_id=scope.team_id)
        conversions = conversions.filter(ambassador__team_id=scope.team_id)
    if scope.campaign_id:
        shares = shares.filter(item__campaign_id=scope.campaign_id)
        clicks = clicks.filter(link__campaign_id=scope.campaign_id)
        conversions = conversions.filter(campaign_id=scope.campaign_id)
    if scope.network:
        shares = shares.filter(network=scope.network)
        clicks = clicks.filter(link__network=scope.network)
        conversions = conversions.filter(network=scope.network)
    human = Q(is_bot=False)
    result: dict[str, Any] = {
        "shares": shares.aggregate(n=Count("id"), active=Count("membership", distinct=True)),
        "clicks": clicks.aggregate(n=Count("id", filter=human), bots=Count("id", filter=~human)),
        "conversions": conversions.aggregate(n=Count("id"), value=Sum("value")),
    }
    day = TruncDate("published_at", tzinfo=UTC)
    result["share_days"] = list(shares.annotate(d=day).values("d").annotate(n=Count("id")))
    click_day = TruncDate("occurred_at", tzinfo=UTC)
    result["click_days"] = list(
        clicks.filter(human).annotate(d=click_day).values("d").annotate(n=Count("id"))
    )
    for name, share_key, click_key in (
        ("network", "network", "link__network"),
        ("team", "membership__team_id", "link__ambassador__team_id"),
        ("campaign", "item__campaign_id", "link__campaign_id"),
    ):
        result[f"shares_by_{name}"] = list(shares.values(share_key).annotate(n=Count("id")))
        result[f"clicks_by_{name}"] = list(
            clicks.filter(human).values(click_key).annotate(n=Count("id"))
        )
    result["top_items"] = list(shares.values("item_id").annotate(n=Count("id")).order_by("-n")[:10])
    return result


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from chorus.analytics import rollups
    from chorus.analytics.models import MemberMonth, SegmentDay, ShareDay

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.reuse:
        org, manager, made = already_filled()
    else:
        org, manager, made = fill(args)
    filled = time.perf_counter() - started

    started = time.perf_counter()
    if args.reuse and not args.rebuild:
        result, built = rollups.RebuildResult(), 0.0
        rollups.refresh(limit=10_000)  # what a migration may have noted
    else:
        result = rollups.rebuild(org)
        built = time.perf_counter() - started
    # What autovacuum does soon after on a live database (and index-only scans need).
    sql("VACUUM ANALYZE")
    segments = SegmentDay.objects.filter(org=org).count()
    from django.db.models import Count

    per_level = dict(
        SegmentDay.objects.filter(org=org).values_list("level").annotate(n=Count("id"))
    )
    share_days = ShareDay.objects.filter(org=org).count()

    client = Client(HTTP_HOST="localhost")
    client.force_login(manager.user)
    sets = filter_sets(org, args.requests)
    client.get("/o/bench/dashboard/")  # warm: settings row, session, templates
    timings = []
    for params in sets:
        started = time.perf_counter()
        response = client.get("/o/bench/dashboard/", params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, params)
    # The figures alone (what chorus.analytics computes), without the page around them.
    from chorus.analytics import figures
    from chorus.analytics.forms import DashboardFilterForm

    figure_timings = []
    for params in sets:
        form = DashboardFilterForm(manager, params)
        form.is_valid()
        started = time.perf_counter()
        figures.dashboard(form.scope())
        figure_timings.append((time.perf_counter() - started) * 1000)
    raw_timings = []
    for params in sets[: args.baseline]:
        started = time.perf_counter()
        baseline(org.pk, params, manager)
        raw_timings.append((time.perf_counter() - started) * 1000)

    # What the worker does after a share is published today.
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    rollups.rebuild_days(org.pk, [today])
    one_day = (time.perf_counter() - started) * 1000

    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - timedelta(days=1)
    month = {"period": "custom", "start": month_start.isoformat(), "end": month_end.isoformat()}
    started = time.perf_counter()
    response = client.get("/o/bench/dashboard/export.csv", {**month, "table": "activity"})
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    activity = time.perf_counter() - started
    started = time.perf_counter()
    for name in ("summary", "over_time", "networks", "teams", "campaigns", "content", "kpis"):
        response = client.get("/o/bench/dashboard/export.csv", {**month, "table": name})
        b"".join(response.streaming_content)
    tables = time.perf_counter() - started
    started = time.perf_counter()
    response = client.get("/o/bench/dashboard/export.xlsx", month)
    xlsx = time.perf_counter() - started

    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    same = timings[: args.baseline]
    print(
        f"dashboard ({connection.vendor}, cpus={os.cpu_count()}): {made['people']:,} people, "
        f"{made['shares']:,} shares ({made['published']:,} published) over {args.days} days, "
        f"{made['links']:,} links, {made['clicks']:,} clicks ({made['link_days']:,} link-days), "
        f"{made['conversions']:,} conversions"
    )
    if not args.reuse:
        print(f"  filled in {filled:.0f} s (not counted)")
    built_how = f"built (rollups.rebuild) in {built:.1f} s: {result.days} days" if built else "kept"
    print(
        f"  rollups {built_how}: {share_days:,} ShareDay rows, {segments:,} SegmentDay rows, "
        f"{MemberMonth.objects.filter(org=org).count():,} MemberMonth rows"
    )
    print(
        "    SegmentDay rows per level: "
        + ", ".join(f"{k}: {v:,}" for k, v in sorted(per_level.items()))
    )
    print(
        f"  dashboard page, {len(timings)} requests with different filters: "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(timings):.0f} ms "
        f"(target p95 <= 500 ms: {'met' if p95 <= 500 else 'NOT met'})"
    )
    print(
        f"  figures.dashboard() alone, same requests: p50 {percentile(figure_timings, 50):.0f} ms, "
        f"p95 {percentile(figure_timings, 95):.0f} ms, max {max(figure_timings):.0f} ms"
    )
    print(
        f"  baseline from raw events, first {len(raw_timings)} filter sets: "
        f"median {statistics.median(raw_timings):.0f} ms, max {max(raw_timings):.0f} ms; "
        f"rollup page on the same sets: median {statistics.median(same):.0f} ms; "
        f"ratio {statistics.median(raw_timings) / statistics.median(same):.1f}x"
    )
    print(f"  one day's rebuild (the worker after a share): {one_day:.0f} ms")
    print(
        f"  export of {month_start:%B %Y}: activity detail CSV {activity:.1f} s ({lines - 1:,} "
        f"lines; target <= 10 s: {'met' if activity <= 10 else 'NOT met'}), the seven dashboard "
        f"tables as CSV {tables:.1f} s, XLSX {xlsx:.1f} s"
    )
    slowest = sorted(zip(timings, sets, strict=True), key=lambda pair: -pair[0])[:3]
    for elapsed, params in slowest:
        print(f"    slowest: {elapsed:.0f} ms {params}")


def run_child(database_url: str, args: argparse.Namespace) -> None:
    var = Path(tempfile.mkdtemp(prefix="chorus-dashboard-bench-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        SECRET_KEY="benchmark-secret-key-0123456789-abcdefghijk",
        CHORUS_VAR_DIR=str(var),
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        CHORUS_LOG_LEVEL="WARNING",
        CHORUS_ALLOWED_HOSTS="localhost",
        CHORUS_HUEY_IMMEDIATE="1",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATABASE_URL=database_url,
    )
    command = [sys.executable, __file__, "--child", *sys.argv[1:]]
    try:
        subprocess.run(command, env=env, cwd=ROOT, check=True)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=1_000_000)
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--items", type=int, default=3_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--campaigns", type=int, default=30)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--requests", type=int, default=40, help="Dashboard requests timed.")
    parser.add_argument("--baseline", type=int, default=6, help="Raw-event baselines timed.")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CHORUS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
        help="A PostgreSQL server URL: a scratch database is created there and dropped.",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the scratch database (to look into it); say its name.",
    )
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="Measure again on a database kept by --keep (migrated, not filled again).",
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="With --reuse: rebuild the rollups (and time it) before measuring.",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args)
        return
    import psycopg

    if args.reuse:
        run_child(args.postgres.rsplit("/", 1)[0] + "/" + args.reuse, args)
        return
    name = f"chorus_dashboard_bench_{os.getpid()}"
    with psycopg.connect(args.postgres, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        run_child(args.postgres.rsplit("/", 1)[0] + "/" + name, args)
    finally:
        if args.keep:
            print(f'  kept the database {name}: drop it with DROP DATABASE "{name}"')
        else:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
