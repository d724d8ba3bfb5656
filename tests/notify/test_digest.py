"""Digest e-mails through a real local SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from chorus.feed.models import AmbassadorProfile
from chorus.notify.digest import send_due, unsubscribe_token
from chorus.notify.models import DigestSend
from chorus.program import actions as program_actions
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_topic, make_user
from tests.mail import Inbox, body, smtp_server


class DigestTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        topic = make_topic(cls.org, "Cloud")
        for number in range(3):
            make_item(cls.org, title=f"Cloud story {number}").topics.add(topic)
        cls.amy.first_name = "Amy"
        cls.amy.language = "en"
        cls.amy.save()
        cls.fanny = make_user("fanny@acme.example", first_name="Fanny", language="fr")
        cls.fanny_m = make_member(cls.org, user=cls.fanny)
        for member in (cls.amy_m, cls.fanny_m):
            profile = AmbassadorProfile.objects.create(
                org=cls.org, membership=member, languages=["en", "fr"]
            )
            profile.interests.add(topic)
        cls.ivy_m = make_member(cls.org, user=make_user("ivy@acme.example"), programme="invited")
        AmbassadorProfile.objects.create(org=cls.org, membership=cls.ivy_m)
        cls.leo_m = make_member(cls.org, user=make_user("leo@acme.example"))
        AmbassadorProfile.objects.create(org=cls.org, membership=cls.leo_m)
        program_actions.do_leave(cls.leo_m, anonymise=False)

    def send(self) -> tuple[Inbox, int]:
        with (
            smtp_server() as (inbox, port),
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=port,
                EMAIL_USE_TLS=False,
                CHORUS_BASE_URL="https://chorus.example",
            ),
        ):
            sent = send_due()
        return inbox, sent

    def test_english_and_french_digests_arrive_with_content_and_unsubscribe_headers(self) -> None:
        inbox, sent = self.send()
        self.assertEqual(sent, 2)
        english = inbox.to("amy@acme.example")[0]
        self.assertIn("ambassador digest", english["Subject"])
        self.assertIn("Hello Amy", body(english, "text/plain"))
        self.assertIn("Cloud story", body(english, "text/html"))
        self.assertIn("Matches your topics: Cloud", body(english, "text/plain"))
        unsubscribe = " ".join(english["List-Unsubscribe"].split())  # unfold the header
        self.assertRegex(unsubscribe, r"^<https://chorus\.example/digest/unsubscribe/[^>]+/>$")
        self.assertEqual(english["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        french = inbox.to("fanny@acme.example")[0]
        self.assertEqual(french["Content-Language"], "fr")
        self.assertIn("Bonjour Fanny", body(french, "text/plain"))
        self.assertIn("Vos résultats", body(french, "text/html"))

    def test_nobody_outside_the_programme_or_unsubscribed_gets_one(self) -> None:
        url = f"/digest/unsubscribe/{unsubscribe_token(self.fanny_m)}/"
        self.assertContains(self.client.get(url), "Unsubscribe")  # a confirmation page first
        self.assertEqual(self.client.post(url).status_code, 200)  # one click (RFC 8058)
        inbox, sent = self.send()
        self.assertEqual(sent, 1)
        self.assertEqual([m["To"] for m in inbox.messages], ["amy@acme.example"])
        self.assertEqual(AmbassadorProfile.objects.get(membership=self.fanny_m).digest, "never")

    def test_the_frequency_is_kept_and_a_forged_token_changes_nothing(self) -> None:
        self.send()
        _inbox, sent = self.send()
        self.assertEqual(sent, 0)  # weekly: not again the same day
        DigestSend.objects.update(sent_at=timezone.now() - timedelta(days=7))
        _inbox, sent = self.send()
        self.assertEqual(sent, 2)
        response = self.client.post("/digest/unsubscribe/forged-token/")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(AmbassadorProfile.objects.exclude(digest="weekly").count(), 0)
