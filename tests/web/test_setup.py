"""Starting empty: the first-run set-up page and its code, creating organisations (command and
operator's page), and an organisation's own settings (name, logo, colour, language, zone)."""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from contextlib import redirect_stderr
from pathlib import Path

import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client, TestCase, override_settings
from PIL import Image

from chorus.__main__ import COMMAND_ALIASES, resolve_aliases
from chorus.orgs.models import AuditEntry, Invitation, Membership, Organization, Role, SetupCode
from chorus.orgs.setup import (
    SETUP_CODE_MAX_FAILURES,
    check_setup_code,
    do_set_up_instance,
    issue_setup_code,
)
from chorus.web.management.commands.serve import setup_announcement
from tests.base import OrgTestCase
from tests.factory import PASSWORD, make_org, make_user

User = get_user_model()
STRONG = "a-long-and-unusual-passphrase-42"


def setup_data(code: str, **overrides: str) -> dict[str, str]:
    data = {
        "code": code,
        "name": "Initech",
        "slug": "initech",
        "default_language": "fr",
        "time_zone": "Europe/Paris",
        "first_name": "Ines",
        "last_name": "Tech",
        "email": "ines@initech.example",
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(overrides)
    return data


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


class EmptyInstanceRedirectTests(TestCase):
    def test_a_page_visit_on_an_empty_instance_leads_to_set_up(self) -> None:
        for path in ("/", "/accounts/login/", "/orgs/", "/o/acme/"):
            response = self.client.get(path)
            self.assertRedirects(
                response, "/setup/", fetch_redirect_response=False, msg_prefix=path
            )
        self.assertEqual(self.client.get("/setup/").status_code, 200)

    def test_machines_and_files_are_not_redirected(self) -> None:
        self.assertEqual(self.client.get("/healthz").status_code, 200)
        self.assertEqual(self.client.get("/l/nope").status_code, 404)
        self.assertEqual(self.client.get("/api/v1/openapi.json").status_code, 200)
        self.assertEqual(self.client.get("/manifest.webmanifest").status_code, 200)

    def test_signed_in_people_reach_set_up_from_the_home_page(self) -> None:
        self.client.force_login(make_user(is_superuser=True))
        self.assertRedirects(self.client.get("/"), "/setup/", fetch_redirect_response=False)

    def test_no_redirect_once_an_organisation_exists(self) -> None:
        make_org("Acme", "acme")
        response = self.client.get("/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assertEqual(self.client.get("/accounts/login/").status_code, 200)
        self.assertEqual(self.client.get("/setup/").status_code, 404)


class SetupCodeTests(TestCase):
    def test_only_a_hash_is_stored_and_a_new_code_replaces_the_old(self) -> None:
        first = issue_setup_code()
        self.assertRegex(first, r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")
        row = SetupCode.objects.get()
        self.assertNotIn(first.replace("-", ""), row.code_hash.upper())
        self.assertEqual(check_setup_code(first.lower().replace("-", " ")), row)
        second = issue_setup_code()
        self.assertEqual(SetupCode.objects.count(), 1)
        with self.assertRaisesMessage(Exception, "not the right one"):
            check_setup_code(first)
        check_setup_code(second)

    def test_a_code_expires(self) -> None:
        with time_machine.travel("2026-03-01 09:00Z", tick=False):
            code = issue_setup_code()
        with time_machine.travel("2026-03-02 08:59Z", tick=False):
            check_setup_code(code)
        with (
            time_machine.travel("2026-03-02 09:01Z", tick=False),
            self.assertRaisesMessage(Exception, "no valid set-up code"),
        ):
            check_setup_code(code)

    def test_wrong_codes_are_counted_and_burn_the_code(self) -> None:
        code = issue_setup_code()
        for _ in range(SETUP_CODE_MAX_FAILURES):
            with self.assertRaisesMessage(Exception, "not the right one"):
                check_setup_code("AAAA-AAAA-AAAA")
        with self.assertRaisesMessage(Exception, "Too many wrong codes"):
            check_setup_code(code)

    def test_a_used_code_cannot_be_used_again(self) -> None:
        code = issue_setup_code()
        row = check_setup_code(code)
        do_set_up_instance(
            row,
            name="Initech",
            slug="initech",
            language="en",
            time_zone="UTC",
            first_name="Ines",
            last_name="",
            email="ines@initech.example",
            password=STRONG,
        )
        Organization.objects.all().delete()  # even on an emptied instance
        with self.assertRaisesMessage(Exception, "no valid set-up code"):
            check_setup_code(code)
        with self.assertRaisesMessage(Exception, "already used"):
            do_set_up_instance(
                row,
                name="Again",
                slug="again",
                language="en",
                time_zone="UTC",
                first_name="Eve",
                last_name="",
                email="eve@example.com",
                password=STRONG,
            )
        self.assertFalse(Organization.objects.exists())

    def test_serve_prints_a_code_on_an_empty_instance_only(self) -> None:
        lines = setup_announcement("127.0.0.1:8123")
        text = "\n".join(lines)
        self.assertIn("http://127.0.0.1:8123/setup/", text)
        code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text)
        assert code is not None
        check_setup_code(code.group(0))
        with self.settings(CHORUS_BASE_URL="https://chorus.example.com"):
            self.assertIn(
                "https://chorus.example.com/setup/", "\n".join(setup_announcement("0.0.0.0:80"))
            )
        make_org()
        self.assertEqual(setup_announcement("127.0.0.1:8123"), [])

    def test_setup_code_command(self) -> None:
        out = io.StringIO()
        call_command("setup-code", stdout=out)
        code = re.search(r"Set-up code: (\S+)", out.getvalue())
        assert code is not None
        check_setup_code(code.group(1))
        self.assertIn("/setup/", out.getvalue())
        make_org()
        with self.assertRaisesMessage(CommandError, "already has an organisation"):
            call_command("setup-code", stdout=io.StringIO())


class SetupPageTests(TestCase):
    def setUp(self) -> None:
        self.code = issue_setup_code()

    def test_the_page_creates_the_organisation_and_its_admin_and_signs_in(self) -> None:
        response = self.client.post("/setup/", setup_data(self.code))
        self.assertRedirects(response, "/o/initech/", fetch_redirect_response=False)
        org = Organization.objects.get()
        self.assertEqual(
            (org.name, org.slug, org.default_language, org.time_zone),
            ("Initech", "initech", "fr", "Europe/Paris"),
        )
        admin = User.objects.get(email="ines@initech.example")
        self.assertTrue(admin.check_password(STRONG))
        self.assertTrue(admin.is_superuser)
        self.assertEqual(Membership.objects.get(org=org).user, admin)
        self.assertEqual(Membership.objects.get(org=org).role, Role.ORG_ADMIN)
        self.assertEqual(int(self.client.session["_auth_user_id"]), admin.pk)
        self.assertEqual(self.client.get("/o/initech/").status_code, 200)
        self.assertIsNotNone(SetupCode.objects.get().used_at)
        # Gone for good.
        self.assertEqual(self.client.get("/setup/").status_code, 404)
        again = Client().post("/setup/", setup_data(self.code, slug="other", email="x@y.example"))
        self.assertEqual(again.status_code, 404)
        self.assertEqual(Organization.objects.count(), 1)

    def test_a_wrong_code_is_refused_and_counted(self) -> None:
        response = self.client.post("/setup/", setup_data("WRNG-WRNG-WRNG"))
        self.assertContains(response, "not the right one", status_code=400)
        self.assertFalse(Organization.objects.exists())
        self.assertFalse(User.objects.exists())
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertEqual(SetupCode.objects.get().failed_attempts, 1)
        for _ in range(SETUP_CODE_MAX_FAILURES - 1):
            self.client.post("/setup/", setup_data("WRNG-WRNG-WRNG"))
        response = self.client.post("/setup/", setup_data(self.code))
        self.assertContains(response, "Too many wrong codes", status_code=400)
        self.assertFalse(Organization.objects.exists())

    def test_bad_input_changes_nothing_and_costs_no_attempt(self) -> None:
        cases = [
            {"slug": "not a slug"},
            {"time_zone": "Mars/Olympus"},
            {"email": "nobody"},
            {"password2": "something-else-entirely"},
            {"password1": "short", "password2": "short"},
            {"name": ""},
            {"default_language": "de"},
        ]
        for overrides in cases:
            response = self.client.post("/setup/", setup_data(self.code, **overrides))
            self.assertEqual(response.status_code, 400, overrides)
        self.assertFalse(Organization.objects.exists())
        self.assertFalse(User.objects.exists())
        row = SetupCode.objects.get()
        self.assertEqual((row.failed_attempts, row.used_at), (0, None))

    def test_an_existing_account_address_is_refused(self) -> None:
        make_user("ines@initech.example")
        response = self.client.post("/setup/", setup_data(self.code))
        self.assertContains(response, "already exists", status_code=400)
        self.assertFalse(Organization.objects.exists())
        self.assertIsNone(SetupCode.objects.get().used_at)

    def test_the_page_asks_for_everything(self) -> None:
        response = self.client.get("/setup/")
        for name in ("code", "name", "slug", "default_language", "time_zone", "email", "password1"):
            self.assertContains(response, f'name="{name}"')
        self.assertContains(response, "chorus setup-code")


class CreateOrganisationCommandTests(TestCase):
    def run_command(self, *args: str) -> str:
        out = io.StringIO()
        call_command("create-organisation", *args, stdout=out)
        return out.getvalue()

    def test_creates_the_organisation_and_prints_the_admin_link(self) -> None:
        output = self.run_command(
            "--slug", "globex", "--name", "Globex", "--admin-email", "Hank@Globex.example",
            "--language", "fr", "--time-zone", "America/New_York",
        )  # fmt: skip
        org = Organization.objects.get(slug="globex")
        self.assertEqual(
            (org.name, org.default_language, org.time_zone), ("Globex", "fr", "America/New_York")
        )
        admin = User.objects.get(email="hank@globex.example")
        self.assertFalse(admin.has_usable_password())
        member = Membership.objects.get(org=org, user=admin)
        self.assertEqual(member.role, Role.ORG_ADMIN)
        invitation = Invitation.objects.get(org=org)
        self.assertEqual(invitation.role, Role.ORG_ADMIN)
        self.assertEqual(len(mail.outbox), 0)  # printed, not e-mailed
        link = re.search(r"https?://\S+/invitations/(\S+)/", output)
        assert link is not None, output
        # The link lets the admin choose a password and signs them in.
        path = link.group(0).split("//", 1)[1]
        path = path[path.index("/") :]
        page = self.client.get(path)
        self.assertEqual(page.status_code, 200)
        done = self.client.post(
            path, {"new_password1": STRONG, "new_password2": STRONG}, follow=True
        )
        self.assertEqual(done.status_code, 200)
        admin.refresh_from_db()
        self.assertTrue(admin.check_password(STRONG))
        self.assertEqual(int(self.client.session["_auth_user_id"]), admin.pk)
        self.assertEqual(self.client.get("/o/globex/").status_code, 200)

    def test_refuses_a_taken_slug_and_changes_nothing(self) -> None:
        make_org("Acme", "acme")
        before = (Organization.objects.count(), User.objects.count(), AuditEntry.objects.count())
        with self.assertRaisesMessage(CommandError, "The slug “acme” is already taken."):
            self.run_command("--slug", "acme", "--name", "Other", "--admin-email", "a@b.example")
        after = (Organization.objects.count(), User.objects.count(), AuditEntry.objects.count())
        self.assertEqual(before, after)
        self.assertFalse(User.objects.filter(email="a@b.example").exists())

    def test_refuses_bad_slug_email_or_time_zone(self) -> None:
        cases = [
            (["--slug", "no spaces", "--admin-email", "a@b.example"], "not a valid slug"),
            (["--slug", "ok", "--admin-email", "not-an-address"], "not a valid e-mail address"),
            (
                ["--slug", "ok", "--admin-email", "a@b.example", "--time-zone", "Paris"],
                "not a known time zone",
            ),
        ]
        for args, message in cases:
            with self.assertRaisesMessage(CommandError, message):
                self.run_command("--name", "Org", *args)
        self.assertFalse(Organization.objects.exists())
        self.assertFalse(User.objects.exists())

    def test_an_existing_account_becomes_admin_and_keeps_its_password(self) -> None:
        person = make_user("pat@example.com")
        self.run_command("--slug", "newco", "--name", "NewCo", "--admin-email", "pat@example.com")
        person.refresh_from_db()
        self.assertTrue(person.check_password(PASSWORD))
        self.assertTrue(
            Membership.objects.filter(org__slug="newco", user=person, role=Role.ORG_ADMIN).exists()
        )

    def test_the_console_script_takes_the_old_spellings_for_one_release(self) -> None:
        with redirect_stderr(io.StringIO()) as err:
            self.assertEqual(
                resolve_aliases(["chorus", "create_organisation", "--slug", "x"]),
                ["chorus", "create-organisation", "--slug", "x"],
            )
        self.assertIn(
            "`chorus create_organisation` is now `chorus create-organisation`", err.getvalue()
        )
        with redirect_stderr(io.StringIO()) as err:
            self.assertEqual(
                resolve_aliases(["chorus", "create-organisation"]),
                ["chorus", "create-organisation"],
            )
            self.assertEqual(
                resolve_aliases(["chorus", "help", "poll_sources"]),
                ["chorus", "help", "poll-sources"],
            )
            self.assertEqual(resolve_aliases(["chorus", "migrate"]), ["chorus", "migrate"])
        self.assertEqual(err.getvalue().count("is now"), 1)

    def test_every_alias_names_an_existing_command(self) -> None:
        from django.core.management import get_commands

        commands = get_commands()
        for old, new in COMMAND_ALIASES.items():
            self.assertIn(new, commands)
            self.assertNotIn(old, commands)


class OperatorPageTests(OrgTestCase):
    url = "/operator/organisations/"

    def setUp(self) -> None:
        self.operator = make_user("root@example.com", is_superuser=True)

    def data(self, **overrides: str) -> dict[str, str]:
        values = {
            "name": "Umbrella",
            "slug": "umbrella",
            "default_language": "en",
            "time_zone": "Asia/Tokyo",
            "admin_email": "wesker@umbrella.example",
        }
        values.update(overrides)
        return values

    def test_operators_list_and_create_organisations(self) -> None:
        self.login(self.operator)
        page = self.client.get(self.url)
        self.assertContains(page, "Acme")
        self.assertContains(page, "Globex")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(self.url, self.data())
        self.assertEqual(response.status_code, 200)
        org = Organization.objects.get(slug="umbrella")
        self.assertEqual(org.time_zone, "Asia/Tokyo")
        admin = Membership.objects.get(org=org)
        self.assertEqual(
            (admin.user.email, admin.role), ("wesker@umbrella.example", Role.ORG_ADMIN)
        )
        link = re.search(
            r'value="(http://testserver/invitations/[^"]+/)"', response.content.decode()
        )
        assert link is not None
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["wesker@umbrella.example"])
        self.assertIn(link.group(1), mail.outbox[0].body)
        self.assertTrue(
            AuditEntry.objects.filter(org=org, action="org.provision", actor=self.operator).exists()
        )

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.operator)
        for overrides in (
            {"slug": "acme"},
            {"slug": "ACME"},
            {"slug": "bad slug"},
            {"admin_email": "nope"},
            {"time_zone": "Nowhere/Land"},
        ):
            response = self.client.post(self.url, self.data(**overrides))
            self.assertEqual(response.status_code, 400, overrides)
        self.assertEqual(Organization.objects.count(), 2)
        self.assertFalse(User.objects.filter(email="wesker@umbrella.example").exists())
        self.assertEqual(len(mail.outbox), 0)

    def test_anyone_but_an_operator_gets_404(self) -> None:
        for person in (self.alice, self.oscar, self.amy):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 404)
            self.assertEqual(self.client.post(self.url, self.data()).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertFalse(Organization.objects.filter(slug="umbrella").exists())

    def test_wrong_method(self) -> None:
        self.login(self.operator)
        self.assertEqual(self.client.put(self.url).status_code, 405)


class OrganisationSettingsTests(OrgTestCase):
    url = "/o/acme/settings/organisation/"

    def setUp(self) -> None:
        self.media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.media, ignore_errors=True)
        override = override_settings(MEDIA_ROOT=self.media)
        override.enable()
        self.addCleanup(override.disable)

    def data(self, **overrides: object) -> dict[str, object]:
        values: dict[str, object] = {
            "name": "Acme Corp",
            "accent_color": "#0F766E",
            "default_language": "fr",
            "time_zone": "Europe/Paris",
        }
        values.update(overrides)
        return values

    def test_the_url_name_others_link_to(self) -> None:
        from django.urls import reverse

        self.assertEqual(reverse("org_settings_organisation", args=["acme"]), self.url)

    def test_an_admin_changes_name_colour_language_zone_and_logo_audited(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)
        logo = SimpleUploadedFile("../../My Logo.PNG", image_bytes("PNG"), content_type="text/html")
        response = self.client.post(self.url, self.data(logo=logo))
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        self.org.refresh_from_db()
        self.assertEqual(
            (self.org.name, self.org.accent_color, self.org.default_language, self.org.time_zone),
            ("Acme Corp", "#0f766e", "fr", "Europe/Paris"),
        )
        # Stored under a random name with its real format's extension, under the media root.
        self.assertRegex(self.org.logo.name, r"^orgs/logos/[\w-]+\.png$")
        stored = Path(self.media) / self.org.logo.name
        self.assertTrue(stored.exists())
        entry = AuditEntry.objects.get(org=self.org, action="org.change")
        self.assertEqual(entry.actor, self.alice)
        self.assertEqual(entry.changes["name"], ["Acme", "Acme Corp"])
        self.assertEqual(entry.changes["accent_color"], ["", "#0f766e"])
        self.assertEqual(entry.changes["time_zone"], ["UTC", "Europe/Paris"])
        self.assertEqual(entry.changes["default_language"], ["en", "fr"])
        self.assertEqual(entry.changes["logo"], [None, self.org.logo.name])
        # The header shows them (through a data- attribute: no inline style under the CSP).
        page = self.client.get("/o/acme/").content.decode()
        self.assertIn('data-accent-color="#0f766e"', page)
        self.assertIn(f'src="/media/{self.org.logo.name}"', page)
        self.assertNotRegex(page, r"\sstyle=")
        # A new logo replaces the old file; removing it deletes it.
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                self.url, self.data(logo=SimpleUploadedFile("l.jpg", image_bytes("JPEG")))
            )
        self.org.refresh_from_db()
        self.assertTrue(self.org.logo.name.endswith(".jpg"))
        self.assertFalse(stored.exists())
        jpeg = Path(self.media) / self.org.logo.name
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(self.url, self.data(remove_logo="on"))
        self.org.refresh_from_db()
        self.assertFalse(self.org.logo)
        self.assertFalse(jpeg.exists())

    def test_saving_unchanged_settings_writes_no_audit_entry(self) -> None:
        self.login(self.alice)
        self.client.post(
            self.url,
            self.data(name="Acme", accent_color="", default_language="en", time_zone="UTC"),
        )
        self.assertFalse(AuditEntry.objects.filter(action="org.change").exists())

    def test_invalid_colour_zone_or_logo_is_refused_and_changes_nothing(self) -> None:
        self.login(self.alice)
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        wide = image_bytes("PNG", (3000, 10))
        heavy = io.BytesIO()  # noise does not compress: about 750 KB
        Image.frombytes("RGB", (500, 500), os.urandom(750_000)).save(heavy, "PNG")
        cases = [
            ({"accent_color": "red"}, "six hexadecimal digits"),
            ({"accent_color": "#12345g"}, "six hexadecimal digits"),
            ({"time_zone": "Europe/Atlantis"}, "Europe/Atlantis is not one of the available"),
            (
                {"logo": SimpleUploadedFile("l.svg", svg, content_type="image/svg+xml")},
                "valid image",
            ),
            (
                {"logo": SimpleUploadedFile("l.gif", image_bytes("GIF"))},
                "must be a PNG, JPEG or WebP",
            ),
            ({"logo": SimpleUploadedFile("l.png", wide)}, "2048 pixels a side at most"),
            ({"logo": SimpleUploadedFile("l.png", heavy.getvalue())}, "512 KB at most."),
            ({"name": "  "}, "This field is required."),
        ]
        for overrides, expected in cases:
            response = self.client.post(self.url, self.data(**overrides))
            self.assertContains(response, expected, status_code=400, msg_prefix=str(overrides))
        self.org.refresh_from_db()
        self.assertEqual(
            (self.org.name, self.org.accent_color, self.org.time_zone), ("Acme", "", "UTC")
        )
        self.assertFalse(self.org.logo)
        self.assertFalse(AuditEntry.objects.filter(action="org.change").exists())
        self.assertFalse(any(Path(self.media).rglob("*.*")))

    def test_webp_is_accepted_and_the_size_is_limited(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url, self.data(logo=SimpleUploadedFile("l.webp", image_bytes("WEBP")))
        )
        self.assertEqual(response.status_code, 302)
        self.org.refresh_from_db()
        self.assertTrue(self.org.logo.name.endswith(".webp"))

    def test_only_org_admins_outsiders_get_404(self) -> None:
        for person in (self.paul, self.maya, self.amy):
            self.login(person)
            self.assertEqual(self.client.get(self.url).status_code, 403)
            self.assertEqual(self.client.post(self.url, self.data()).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, self.data()).status_code, 404)
        self.client.logout()
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.org.refresh_from_db()
        self.assertEqual(self.org.name, "Acme")

    def test_wrong_method(self) -> None:
        self.login(self.alice)
        self.assertEqual(self.client.delete(self.url).status_code, 405)


class ExpiryWithFrozenTimeTests(TestCase):
    def test_the_page_refuses_an_expired_code(self) -> None:
        with time_machine.travel("2026-03-01 09:00Z", tick=False):
            code = issue_setup_code()
        with time_machine.travel("2026-03-03 09:00Z", tick=False):
            response = self.client.post("/setup/", setup_data(code))
        self.assertContains(response, "no valid set-up code", status_code=400)
        self.assertFalse(Organization.objects.exists())


class MakeRunDemoSwitchTests(TestCase):
    def test_demo_if_enabled_does_nothing_when_chorus_demo_is_off(self) -> None:
        out = io.StringIO()
        with self.settings(CHORUS_DEMO=False):
            call_command("demo", "--if-enabled", stdout=out)
        self.assertIn("CHORUS_DEMO is off", out.getvalue())
        self.assertFalse(Organization.objects.exists())
