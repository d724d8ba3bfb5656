"""Outbound webhooks: registering endpoints (page and API), events written with the change,
signed delivery to a real receiver on 127.0.0.1, retries, order, replay and disabling."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from chorus.analytics.webhooks import emit_daily_figures
from chorus.content.actions import do_set_items_status, do_suggest
from chorus.content.models import ContentItem
from chorus.lib.crypto import decrypt
from chorus.links.actions import record_conversion
from chorus.orgs.models import AuditEntry
from chorus.program.actions import do_leave, do_opt_in
from chorus.program.models import Participation
from chorus.sharing.publishing import publish_share
from chorus.webhooks import delivery
from chorus.webhooks.actions import do_create_endpoint, do_replay
from chorus.webhooks.events import EVENT_TYPES, emit
from chorus.webhooks.models import DeliveryAttempt, Endpoint, Message
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_share, make_token, make_user
from tests.servers import free_port, wait_for
from tests.webhook_receiver import receiver

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOOPBACK = override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)


def endpoint_for(test: OrgTestCase, url: str, events: list[str]) -> tuple[Endpoint, str]:
    return do_create_endpoint(test.alice_m, url=url, events=events)


class ApiTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.alice_token = make_token(cls.alice_m)[1]
        cls.paul_token = make_token(cls.paul_m)[1]
        cls.oscar_token = make_token(cls.oscar_m)[1]

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def test_register_gives_the_secret_once_and_keeps_it_encrypted(self) -> None:
        body = {"url": "https://hooks.example.com/chorus", "events": ["share.published"]}
        response = self.call("post", "/webhooks", self.alice_token, body)
        self.assertEqual(response.status_code, 201, response.content)
        created = response.json()
        self.assertTrue(created["secret"].startswith("whsec_"))
        self.assertEqual(created["events"], ["share.published"])
        endpoint = Endpoint.objects.get(pk=created["id"], org=self.org)
        self.assertNotIn(created["secret"], endpoint.secret_encrypted)
        self.assertEqual(decrypt(endpoint.secret_encrypted), created["secret"])
        shown = self.call("get", f"/webhooks/{endpoint.pk}", self.alice_token).json()
        self.assertNotIn("secret", shown)
        listed = self.call("get", "/webhooks", self.alice_token).json()
        self.assertEqual([item["id"] for item in listed["items"]], [endpoint.pk])
        self.assertNotIn("secret", listed["items"][0])
        self.assertTrue(AuditEntry.objects.filter(org=self.org, action="webhook.create").exists())

    def test_patch_and_delete(self) -> None:
        endpoint, _secret = endpoint_for(self, "https://hooks.example.com/a", ["share.failed"])
        response = self.call(
            "patch",
            f"/webhooks/{endpoint.pk}",
            self.alice_token,
            {"events": ["share.failed", "figures.daily"], "is_active": False},
        )
        self.assertEqual(response.status_code, 200, response.content)
        endpoint.refresh_from_db()
        self.assertEqual(endpoint.events, ["share.failed", "figures.daily"])
        self.assertFalse(endpoint.is_active)
        refused = self.call(
            "patch", f"/webhooks/{endpoint.pk}", self.alice_token, {"events": ["nope"]}
        )
        self.assertEqual(refused.status_code, 400)
        endpoint.refresh_from_db()
        self.assertEqual(endpoint.events, ["share.failed", "figures.daily"])
        self.assertEqual(
            self.call("delete", f"/webhooks/{endpoint.pk}", self.alice_token).status_code, 204
        )
        self.assertFalse(Endpoint.objects.filter(pk=endpoint.pk).exists())

    def test_bad_input_is_refused_and_creates_nothing(self) -> None:
        cases = [
            ({"url": "ftp://hooks.example.com/", "events": ["share.failed"]}, 400, "url"),
            ({"url": "not a url", "events": ["share.failed"]}, 400, "url"),
            ({"url": "http://10.0.0.5/hook", "events": ["share.failed"]}, 400, "url"),
            ({"url": "http://127.0.0.1:8000/hook", "events": ["share.failed"]}, 400, "url"),
            ({"url": "http://[::1]/hook", "events": ["share.failed"]}, 400, "url"),
            ({"url": "http://169.254.169.254/latest", "events": ["share.failed"]}, 400, "url"),
            ({"url": "http://localhost/hook", "events": ["share.failed"]}, 400, "url"),
            ({"url": "https://u:p@hooks.example.com/", "events": ["share.failed"]}, 400, "url"),
            ({"url": "https://hooks.example.com/", "events": ["share.exploded"]}, 400, "events"),
            ({"url": "https://hooks.example.com/", "events": []}, 400, "events"),
            ({"url": "https://hooks.example.com/", "events": "share.failed"}, 422, "events"),
            ({"url": "https://hooks.example.com/"}, 422, "events"),
        ]
        for body, status, field in cases:
            with self.subTest(body=body):
                response = self.call("post", "/webhooks", self.alice_token, body)
                self.assertEqual(response.status_code, status, response.content)
                self.assertIn(field, response.json()["errors"])
        self.assertFalse(Endpoint.objects.exists())

    def test_roles_and_isolation(self) -> None:
        endpoint, _secret = endpoint_for(self, "https://hooks.example.com/a", ["share.failed"])
        body = {"url": "https://hooks.example.com/", "events": ["share.failed"]}
        self.assertEqual(self.call("post", "/webhooks", self.paul_token, body).status_code, 403)
        self.assertEqual(self.call("get", "/webhooks", self.paul_token).status_code, 403)
        self.assertEqual(
            self.call("get", f"/webhooks/{endpoint.pk}", self.paul_token).status_code, 403
        )
        for method in ("get", "delete"):
            response = self.call(method, f"/webhooks/{endpoint.pk}", self.oscar_token)
            self.assertEqual(response.status_code, 404)
        self.assertEqual(self.call("get", "/webhooks", self.oscar_token).json()["items"], [])
        self.assertEqual(self.call("get", "/webhooks/999999", self.alice_token).status_code, 404)
        self.assertTrue(Endpoint.objects.filter(pk=endpoint.pk).exists())


class PageTests(OrgTestCase):
    def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(self) -> None:
        self.login(self.alice)
        url = reverse("webhooks", kwargs={"org": self.org.slug})
        settings_page = self.client.get(reverse("org_settings", kwargs={"org": self.org.slug}))
        self.assertContains(settings_page, url)
        response = self.client.post(
            url, {"url": "https://hooks.example.com/x", "events": ["content.published"]}
        )
        self.assertEqual(response.status_code, 200)
        endpoint = Endpoint.objects.get(org=self.org)
        self.assertContains(response, endpoint.secret)
        self.assertNotContains(self.client.get(url), endpoint.secret)
        detail = reverse(
            "webhook_detail", kwargs={"org": self.org.slug, "endpoint_id": endpoint.pk}
        )
        self.assertNotContains(self.client.get(detail), endpoint.secret)

    def test_bad_input_on_the_page_creates_nothing(self) -> None:
        self.login(self.alice)
        url = reverse("webhooks", kwargs={"org": self.org.slug})
        response = self.client.post(url, {"url": "http://192.168.1.2/", "events": ["nope"]})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Endpoint.objects.exists())

    def test_roles_outsiders_and_methods(self) -> None:
        endpoint, _secret = endpoint_for(self, "https://hooks.example.com/a", ["share.failed"])
        for number in range(3):  # the page's query count does not grow with the messages
            emit(self.org, "share.failed", {"id": number})
        message = Message.objects.order_by("id").first()
        assert message is not None
        pages = [
            reverse("webhooks", kwargs={"org": self.org.slug}),
            reverse("webhook_detail", kwargs={"org": self.org.slug, "endpoint_id": endpoint.pk}),
        ]
        replay = reverse(
            "webhook_replay",
            kwargs={"org": self.org.slug, "endpoint_id": endpoint.pk, "message_id": message.pk},
        )
        self.login(self.paul)
        for page in pages:
            self.assertEqual(self.client.get(page).status_code, 403)
        self.assertEqual(self.client.post(replay).status_code, 403)
        self.login(self.oscar)
        for page in pages:
            self.assertEqual(self.client.get(page).status_code, 404)
        self.assertEqual(self.client.post(replay).status_code, 404)
        own_org = reverse(
            "webhook_detail", kwargs={"org": self.other_org.slug, "endpoint_id": endpoint.pk}
        )
        self.assertEqual(self.client.get(own_org).status_code, 404)
        self.login(self.alice)
        self.assertEqual(self.client.get(replay).status_code, 405)
        missing = reverse("webhook_detail", kwargs={"org": self.org.slug, "endpoint_id": 999999})
        self.assertEqual(self.client.get(missing).status_code, 404)
        with self.assertNumQueries(8):
            self.assertEqual(self.client.get(pages[1]).status_code, 200)


class EventTests(OrgTestCase):
    """Each event is written to the outbox with the change that causes it, and only then."""

    def setUp(self) -> None:
        self.endpoint, _secret = endpoint_for(self, "https://hooks.example.com/", list(EVENT_TYPES))

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for message in Message.objects.order_by("id"):
            body = json.loads(message.body)
            self.assertEqual(set(body), {"type", "timestamp", "data"})
            self.assertEqual(body["type"], message.event_type)
            found.append((message.event_type, body["data"]))
        return found

    def test_suggestion_and_rollback(self) -> None:
        do_suggest(self.amy_m, url="https://example.com/a", text="Read this", note="")
        self.assertEqual(self.events()[0][0], "suggestion.created")
        self.assertEqual(self.events()[0][1]["member_id"], self.amy_m.pk)
        try:
            with transaction.atomic():
                do_suggest(self.amy_m, url="https://example.com/b", text="", note="")
                raise RuntimeError("the change fails after the event was written")
        except RuntimeError:
            pass
        self.assertEqual(len(self.events()), 1)

    def test_content_published_once(self) -> None:
        item = make_item(self.org, status=ContentItem.Status.DRAFT)
        do_set_items_status(self.paul_m, [item], ContentItem.Status.PUBLISHED)
        do_set_items_status(self.paul_m, [item], ContentItem.Status.PUBLISHED)
        self.assertEqual(self.events(), [("content.published", self.events()[0][1])])
        self.assertEqual(self.events()[0][1]["id"], item.pk)

    def test_programme_join_and_leave(self) -> None:
        member = make_member(self.org, user=make_user("newbie@acme.example"), programme="invited")
        do_opt_in(member)
        do_leave(member, anonymise=False)
        types = [event for event, _data in self.events()]
        self.assertEqual(types, ["member.joined_programme", "member.left_programme"])
        self.assertEqual(self.events()[0][1]["email"], "newbie@acme.example")
        self.assertEqual(Participation.objects.get(membership=member).status, "left")

    def test_share_failed_and_conversion(self) -> None:
        share = make_share(
            self.amy_m, make_item(self.org), status="scheduled", scheduled_for=timezone.now()
        )
        self.assertEqual(publish_share(share.pk), "failed")  # Amy has no connection
        conversion, created = record_conversion(
            self.org, kind="sale", refs=[], value=Decimal("12.50"), currency="eur"
        )
        self.assertTrue(created)
        events = self.events()
        self.assertEqual([event for event, _data in events], ["share.failed", "conversion.created"])
        self.assertEqual(events[0][1]["error_code"], "no_connection")
        self.assertEqual(events[1][1]["value"], "12.50")
        self.assertEqual(events[1][1]["id"], conversion.pk)  # type: ignore[union-attr]

    def test_only_subscribed_active_endpoints_of_the_organisation_get_an_event(self) -> None:
        do_create_endpoint(self.oscar_m, url="https://globex.example/", events=list(EVENT_TYPES))
        endpoint_for(self, "https://narrow.example/", ["figures.daily"])
        do_suggest(self.amy_m, url="https://example.com/a", text="", note="")
        self.assertEqual(
            set(Message.objects.values_list("endpoint_id", flat=True)), {self.endpoint.pk}
        )

    def test_daily_figures_once_a_day(self) -> None:
        with time_machine.travel(START, tick=False):
            self.assertEqual(emit_daily_figures(), 1)
            self.assertEqual(emit_daily_figures(), 0)
        ((event, data),) = self.events()
        self.assertEqual(event, "figures.daily")
        self.assertEqual(data["day"], "2026-03-01")
        self.assertIn("shares", data)
        self.assertIn("active_ambassadors", data)


@LOOPBACK
class DeliveryTests(OrgTestCase):
    """Delivery to a real receiver on 127.0.0.1 that checks signatures with `standardwebhooks`."""

    def suggest(self, count: int) -> list[Message]:
        for number in range(count):
            do_suggest(self.amy_m, url=f"https://example.com/{number}", text="", note="")
        return list(Message.objects.order_by("id"))

    def test_signed_delivery_in_order(self) -> None:
        with time_machine.travel(START, tick=False):
            endpoint, secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver(secret) as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                messages = self.suggest(3)
                self.assertEqual(delivery.deliver_due(), 3)
                self.assertEqual(hook.acked_ids(3), [m.message_id for m in messages])
                self.assertEqual(hook.rejected, [])
                self.assertEqual(hook.acknowledged[0]["type"], "suggestion.created")
        statuses = set(Message.objects.values_list("status", flat=True))
        self.assertEqual(statuses, {Message.Status.DELIVERED})
        self.assertEqual(DeliveryAttempt.objects.filter(outcome="delivered").count(), 3)

    def test_a_wrong_secret_is_refused_by_the_receiver(self) -> None:
        with time_machine.travel(START, tick=False):
            endpoint, _secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver("whsec_" + "A" * 43 + "=") as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                self.suggest(1)
                self.assertEqual(delivery.deliver_due(), 0)
                self.assertEqual(len(hook.rejected), 1)
        attempt = DeliveryAttempt.objects.get()
        self.assertEqual((attempt.outcome, attempt.status_code), ("http_error", 401))

    def test_a_failing_message_holds_back_later_ones_and_backs_off(self) -> None:
        traveller = time_machine.travel(START, tick=False)
        clock = traveller.start()
        try:
            endpoint, secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver(secret) as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                first, second, third = self.suggest(3)
                hook.fail_times[first.message_id] = 3
                delays = []
                for _round in range(3):
                    self.assertEqual(delivery.deliver_due(), 0)
                    first.refresh_from_db()
                    delays.append(first.next_attempt_at - datetime.now(UTC))
                    # Not due yet: nothing is sent, and the later messages still wait.
                    self.assertEqual(delivery.deliver_due(), 0)
                    clock.move_to(first.next_attempt_at)
                self.assertEqual(hook.received, [first.message_id] * 3)
                self.assertEqual(delivery.deliver_due(), 3)
                self.assertEqual(
                    hook.acked_ids(3), [first.message_id, second.message_id, third.message_id]
                )
        finally:
            traveller.stop()
        base = delivery.BASE_DELAY
        for failures, delay in enumerate(delays, start=1):
            full = base * 2 ** (failures - 1)
            self.assertTrue(full / 2 <= delay <= full, (failures, delay))
        self.assertEqual(first.delivery_attempts.count(), 4)
        endpoint.refresh_from_db()
        self.assertIsNone(endpoint.failing_since)

    def test_given_up_after_a_day_then_disabled_and_admins_told(self) -> None:
        french = make_user("admin2@acme.example", language="fr")
        make_member(self.org, "org_admin", french)
        traveller = time_machine.travel(START, tick=False)
        clock = traveller.start()
        try:
            endpoint, secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver(secret) as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                hook.fail_all = True
                first, second = self.suggest(2)
                while Message.objects.get(pk=first.pk).status == Message.Status.PENDING:
                    delivery.deliver_due()
                    clock.shift(timedelta(hours=1))
                first.refresh_from_db()
                self.assertEqual(first.status, Message.Status.FAILED)
                self.assertGreaterEqual(datetime.now(UTC) - START, timedelta(hours=24))
                self.assertLess(datetime.now(UTC) - START, timedelta(hours=26))
                # The next message goes once the first is given up.
                self.assertEqual(set(hook.received), {first.message_id, second.message_id})
                with self.captureOnCommitCallbacks(execute=True):
                    for hour in range(24 * 5):
                        if hour % 6 == 0:  # events keep coming, and keep failing
                            self.suggest(1)
                        delivery.deliver_due()
                        clock.shift(timedelta(hours=1))
                endpoint.refresh_from_db()
                self.assertFalse(endpoint.is_active)
                sent_before = len(hook.received)
                do_suggest(self.amy_m, url="https://example.com/later", text="", note="")
                clock.shift(timedelta(days=1))
                delivery.deliver_due()
                self.assertEqual(len(hook.received), sent_before)
        finally:
            traveller.stop()
        self.assertEqual(
            sorted(message.to[0] for message in mail.outbox),
            ["admin2@acme.example", "alice@acme.example"],
        )
        languages = {
            message.to[0]: message.extra_headers["Content-Language"] for message in mail.outbox
        }
        self.assertEqual(languages["admin2@acme.example"], "fr")
        self.assertIn(endpoint.url, mail.outbox[0].body)

    def test_replay_sends_the_same_message_again(self) -> None:
        with time_machine.travel(START, tick=False):
            endpoint, secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver(secret) as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                (message,) = self.suggest(1)
                delivery.deliver_due()
                do_replay(self.alice_m, message)
                self.assertEqual(delivery.deliver_due(), 1)
                self.assertEqual(hook.acked_ids(2), [message.message_id] * 2)
                bodies = {json.dumps(entry["data"]) for entry in hook.acknowledged}
                self.assertEqual(len(bodies), 1)
        replays = list(message.delivery_attempts.order_by("id").values_list("replay", flat=True))
        self.assertEqual(replays, [False, True])

    def test_the_ssrf_guard_applies_to_deliveries(self) -> None:
        with time_machine.travel(START, tick=False):
            endpoint, secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
            with receiver(secret) as hook:
                Endpoint.objects.filter(pk=endpoint.pk).update(url=hook.url)
                self.suggest(1)
                with override_settings(CHORUS_ALLOW_PRIVATE_URLS=False):
                    self.assertEqual(delivery.deliver_due(), 0)
                self.assertEqual(hook.received, [])
        self.assertEqual(DeliveryAttempt.objects.get().outcome, "blocked_address")

    def test_two_workers_never_deliver_one_endpoint_at_once(self) -> None:
        endpoint, _secret = endpoint_for(self, "http://127.0.0.1:1/", ["suggestion.created"])
        self.assertTrue(delivery.claim(endpoint.pk, "worker-a"))
        self.assertFalse(delivery.claim(endpoint.pk, "worker-b"))
        self.suggest(1)
        self.assertEqual(delivery.deliver_endpoint(endpoint.pk, "worker-b"), 0)
        self.assertFalse(DeliveryAttempt.objects.exists())
        delivery.release(endpoint.pk, "worker-a")
        self.assertTrue(delivery.claim(endpoint.pk, "worker-b"))


def read_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@LOOPBACK
class ReceiverKilledTests(OrgTestCase):
    """The receiver is killed mid-run: nothing is lost, nothing it acknowledged comes again."""

    def start_receiver(self, port: int, secret: str, log: Path, *extra: str) -> subprocess.Popen:  # type: ignore[type-arg]
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.webhook_receiver", "--port", str(port)),
                *("--secret", secret, "--log", str(log), "--travel", str(time.time())),
                *extra,
            ],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        self.assertEqual(process.stdout.readline().strip(), "ready")
        return process

    def test_killed_receiver(self) -> None:
        held_after = 5
        port = free_port()
        processes: list[subprocess.Popen] = []  # type: ignore[type-arg]
        traveller = time_machine.travel(time.time(), tick=True)
        clock = traveller.start()
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "acknowledged.jsonl"
            inflight = Path(str(log) + ".inflight")
            try:
                _endpoint, secret = endpoint_for(
                    self, f"http://127.0.0.1:{port}/hooks", ["suggestion.created"]
                )
                for number in range(12):
                    do_suggest(self.amy_m, url=f"https://example.com/{number}", text="", note="")
                ids = list(Message.objects.order_by("id").values_list("message_id", flat=True))
                first = self.start_receiver(port, secret, log, "--hold-after", str(held_after))
                processes.append(first)

                def kill_when_a_request_is_in_flight() -> None:
                    wait_for(inflight.exists, 30, "a request held by the receiver")
                    first.send_signal(signal.SIGKILL)

                killer = threading.Thread(target=kill_when_a_request_is_in_flight)
                killer.start()
                self.assertEqual(delivery.deliver_due(), held_after)
                killer.join(timeout=30)
                first.wait(timeout=10)
                acked = [json.loads(line)["id"] for line in read_lines(log)]
                self.assertEqual(acked, ids[:held_after])
                self.assertEqual(read_lines(inflight), [ids[held_after]])
                statuses = list(Message.objects.order_by("id").values_list("status", flat=True))
                self.assertEqual(statuses, ["delivered"] * held_after + ["pending"] * 7)
                # Only the message in flight was tried; the later ones wait for it.
                self.assertEqual(DeliveryAttempt.objects.exclude(outcome="delivered").count(), 1)

                clock.shift(timedelta(hours=2))
                processes.append(self.start_receiver(port, secret, log))
                self.assertEqual(delivery.deliver_due(), 12 - held_after)
                wait_for(lambda: len(read_lines(log)) >= 12, 30, "every acknowledgement")
                acked = [json.loads(line)["id"] for line in read_lines(log)]
                self.assertEqual(acked, ids)  # each once, in order
            finally:
                traveller.stop()
                for process in processes:
                    if process.poll() is None:
                        process.kill()
                    process.wait(timeout=10)
                    if process.stdout:
                        process.stdout.close()
        self.assertEqual(
            set(Message.objects.values_list("status", flat=True)), {Message.Status.DELIVERED}
        )


@LOOPBACK
class ApiReplayTests(OrgTestCase):
    def test_messages_are_listed_and_replayed_through_the_api(self) -> None:
        token = make_token(self.alice_m)[1]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        endpoint, _secret = endpoint_for(self, "http://127.0.0.1:9/", ["suggestion.created"])
        with time_machine.travel(START, tick=False):
            do_suggest(self.amy_m, url="https://example.com/a", text="", note="")
            delivery.deliver_due()  # nothing listens on port 9: refused
        listed = self.client.get(f"/api/v1/webhooks/{endpoint.pk}/messages", **headers).json()
        (item,) = listed["items"]
        self.assertEqual((item["status"], item["attempts"]), ("pending", 1))
        path = f"/api/v1/webhooks/{endpoint.pk}/messages/{item['id']}/replay"
        with time_machine.travel(START + timedelta(minutes=1), tick=False):
            response = self.client.post(path, **headers)
        self.assertEqual(response.status_code, 202, response.content)
        message = Message.objects.get()
        self.assertTrue(message.replay_requested)
        self.assertEqual(message.next_attempt_at, START + timedelta(minutes=1))
        oscar = {"HTTP_AUTHORIZATION": f"Bearer {make_token(self.oscar_m)[1]}"}
        self.assertEqual(self.client.post(path, **oscar).status_code, 404)
