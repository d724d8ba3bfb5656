"""Caption variants: spread across colleagues whose audiences overlap, measured, compared."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from chorus.analytics import figures
from chorus.content.models import Caption
from chorus.feed.models import AmbassadorProfile
from chorus.lib import variant_test
from chorus.links.models import LinkDay, TrackedLink
from chorus.orgs.models import Role
from chorus.sharing import variants
from chorus.sharing.models import Share
from tests.factory import (
    PASSWORD,
    make_caption,
    make_item,
    make_member,
    make_org,
    make_share,
    make_team,
)

pytestmark = pytest.mark.django_db

TEXTS = ["First angle on it", "Second angle on it", "Third angle on it", "Fourth angle on it"]


def item_with_variants(org, count=4, network="linkedin"):  # type: ignore[no-untyped-def]
    item = make_item(org)
    return item, [make_caption(item, network=network, text=TEXTS[i]) for i in range(count)]


def test_two_hundred_people_in_twelve_teams_teammates_never_share_a_variant_while_one_is_unused():
    org = make_org()
    teams = [make_team(org) for _ in range(12)]
    rng = random.Random(12)
    people = [make_member(org, team=teams[i % 12]) for i in range(200)]
    item, captions = item_with_variants(org)
    used: dict[int, set[int]] = {team.pk: set() for team in teams}
    rng.shuffle(people)
    for person in people:
        caption, count = variants.offer(person, item, "linkedin", "en")
        assert count == 4 and caption is not None
        by_team = used[person.team_id]
        if caption.pk in by_team:
            # Repeating a teammate's variant is allowed only once every variant is taken.
            assert by_team >= {c.pk for c in captions}, (person.pk, caption.pk, by_team)
        make_share(person, item, network="linkedin", caption=caption, status=Share.Status.PUBLISHED)
        by_team.add(caption.pk)
    # Spread evenly over the whole organisation too: 200 shares, 4 variants.
    counts = [Share.objects.filter(caption=c).count() for c in captions]
    assert max(counts) - min(counts) <= 12, counts


def test_teammates_opening_the_composer_together_get_different_variants():
    org = make_org()
    team = make_team(org)
    people = [make_member(org, team=team) for _ in range(3)]
    item, captions = item_with_variants(org, count=3)
    offered = {variants.offer(person, item, "linkedin", "en")[0].pk for person in people}
    assert offered == {c.pk for c in captions}


def test_show_me_another_cycles_through_every_variant():
    org = make_org()
    person = make_member(org)
    item, captions = item_with_variants(org)
    turns = [variants.offer(person, item, "linkedin", "en", turn)[0].pk for turn in range(8)]
    assert set(turns[:4]) == {c.pk for c in captions}
    assert turns[4:] == turns[:4]


def test_colleagues_on_the_same_site_count_before_the_rest_of_the_organisation():
    org = make_org()
    me, neighbour, far = (make_member(org) for _ in range(3))
    AmbassadorProfile.objects.create(org=org, membership=me, site="Lyon")
    AmbassadorProfile.objects.create(org=org, membership=neighbour, site="lyon")
    AmbassadorProfile.objects.create(org=org, membership=far, site="Oslo")
    item, (first, second) = item_with_variants(org, count=2)
    # Far away, someone used the second variant twice; next door, the first once.
    make_share(far, item, network="linkedin", caption=second)
    make_share(far, item, network="linkedin", caption=second)
    make_share(neighbour, item, network="linkedin", caption=first)
    assert variants.offer(me, item, "linkedin", "en")[0] == second


def test_captions_of_the_network_come_first_then_any_language():
    org = make_org()
    person = make_member(org)
    item = make_item(org)
    make_caption(item, network="x", text="For X")
    french = make_caption(item, network="linkedin", text="Pour LinkedIn", language="fr")
    assert variants.offer(person, item, "linkedin", "en") == (french, 1)
    assert variants.offer(person, item, "facebook", "de")[1] == 2


def test_the_composer_offers_another_and_records_the_variant_it_started_from():
    org = make_org()
    person = make_member(org)
    item, captions = item_with_variants(org, count=2, network="mastodon")
    client = Client()
    client.login(email=person.user.email, password=PASSWORD)
    url = reverse("compose", kwargs={"org": org.slug, "contentitem_id": item.pk})
    first = client.get(url, {"network": "mastodon"})
    assert first.status_code == 200
    offered = first.context["caption"]
    assert first.context["variant_count"] == 2
    assert "another=1" in first.content.decode()
    other = client.get(url, {"network": "mastodon", "another": "1"}).context["caption"]
    assert {offered.pk, other.pk} == {c.pk for c in captions}
    response = client.post(
        url,
        {
            "network": "mastodon",
            "text": "My own view on this, in my words.",
            "when": "now",
            "caption": str(other.pk),
        },
    )
    assert response.status_code == 302
    assert Share.objects.get(membership=person).caption == other


def test_the_composer_ignores_a_caption_of_another_item():
    org = make_org()
    person = make_member(org)
    item, captions = item_with_variants(org, count=1, network="mastodon")
    stranger = make_caption(make_item(org), network="mastodon", text="Elsewhere")
    client = Client()
    client.login(email=person.user.email, password=PASSWORD)
    url = reverse("compose", kwargs={"org": org.slug, "contentitem_id": item.pk})
    client.post(
        url,
        {
            "network": "mastodon",
            "text": "My own view on this, in my words.",
            "when": "now",
            "caption": str(stranger.pk),
        },
    )
    assert Share.objects.get(membership=person).caption == captions[0]


# --- Measured and compared ------------------------------------------------------------------


def published_with_clicks(person, item, caption, clicks, day=date(2026, 11, 2), **fields):  # type: ignore[no-untyped-def]
    link = TrackedLink.objects.create(
        org=item.org, ambassador=person, item=item, network="linkedin", destination=item.url
    )
    share = make_share(
        person,
        item,
        network="linkedin",
        caption=caption,
        link=link,
        status=Share.Status.PUBLISHED,
        published_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9),
        **fields,
    )
    LinkDay.objects.create(org=item.org, link=link, day=day, clicks=clicks, bot_clicks=5)
    return share


def test_variant_figures_match_the_raw_events():
    org = make_org()
    item, (first, second) = item_with_variants(org, count=2)
    people = [make_member(org) for _ in range(5)]
    published_with_clicks(people[0], item, first, 4, originality=0.5)
    published_with_clicks(people[1], item, first, 8, originality=0.7)
    published_with_clicks(people[2], item, second, 1, originality=0.2)
    make_share(people[3], item, network="linkedin", caption=second)  # a draft: not counted
    [group] = figures.variant_figures(item)
    one, two = group.variants
    assert (one.shares, one.clicks_per_share, round(one.own_words, 2)) == (2, 6.0, 0.6)
    assert (two.shares, two.clicks_per_share) == (1, 1.0)
    assert group.comparison.verdict == "not_enough_data"


def test_a_clearly_better_variant_is_named_and_equal_ones_are_not():
    org = make_org()
    item, (first, second) = item_with_variants(org, count=2)
    rng = random.Random(3)
    for _ in range(30):
        published_with_clicks(make_member(org), item, first, rng.randint(8, 14))
        published_with_clicks(make_member(org), item, second, rng.randint(1, 4))
    [group] = figures.variant_figures(item)
    assert group.comparison.verdict == "winner"
    assert group.leader_position == 1
    assert group.comparison.lift_low > 1.0  # more than twice as many clicks, surely

    other, (a, b) = item_with_variants(org, count=2)
    for _ in range(30):
        clicks = rng.randint(2, 9)
        published_with_clicks(make_member(org), other, a, clicks)
        published_with_clicks(make_member(org), other, b, clicks)
    [same] = figures.variant_figures(other)
    assert same.comparison.verdict == "no_clear_difference"
    assert same.comparison.lift_low < 0 < same.comparison.lift_high


def test_compare_is_stable_and_needs_enough_shares():
    assert variant_test.compare({1: [1.0, 2.0]}).verdict == "single"
    few = variant_test.compare({1: [1.0] * 19, 2: [9.0] * 30})
    assert few.verdict == "not_enough_data" and few.arms[1].mean == 9.0
    samples = {1: [float(i % 7) for i in range(40)], 2: [float(i % 5) for i in range(40)]}
    assert variant_test.compare(samples) == variant_test.compare(samples)


def test_the_variants_panel_is_for_programme_managers_of_the_organisation():
    org = make_org()
    item, _ = item_with_variants(org, count=2)
    manager = make_member(org, role=Role.PROGRAM_MANAGER)
    ambassador = make_member(org)
    outsider = make_member(make_org(), role=Role.ORG_ADMIN)
    url = reverse("item_variants", kwargs={"org": org.slug, "contentitem_id": item.pk})
    client = Client()
    client.login(email=manager.user.email, password=PASSWORD)
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-verdict="not_enough_data"' in page.content
    assert b"<html" not in client.get(url, HTTP_HX_REQUEST="true").content
    detail = client.get(reverse("item_detail", kwargs={"org": org.slug, "contentitem_id": item.pk}))
    assert url.encode() in detail.content
    client.login(email=ambassador.user.email, password=PASSWORD)
    assert client.get(url).status_code == 403
    client.login(email=outsider.user.email, password=PASSWORD)
    assert client.get(url).status_code == 404
    assert Caption.objects.filter(item=item).count() == 2


def test_the_verdict_changes_only_when_the_smallest_variant_doubles():
    assert [variant_test.checkpoint_for(n) for n in (20, 39, 40, 79, 80, 200)] == [
        20,
        20,
        40,
        40,
        80,
        160,
    ]
    rng = random.Random(5)
    a = [float(rng.randint(0, 12)) for _ in range(39)]
    b = [float(rng.randint(0, 12)) for _ in range(39)]
    at_twenty = variant_test.compare({1: a[:20], 2: b[:20]})
    # Nineteen more shares each, however lopsided, don't move the verdict before 40.
    later = variant_test.compare({1: a[:20] + [50.0] * 19, 2: b[:20] + [0.0] * 19})
    assert (later.verdict, later.leader, later.lift_low) == (
        at_twenty.verdict,
        at_twenty.leader,
        at_twenty.lift_low,
    )
    assert later.arms[0].mean != at_twenty.arms[0].mean  # the figures shown use every share
