"""Settings for the test suite: production settings with test-friendly services."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnop")

from chorus.settings import *  # noqa: F403
from chorus.settings import HUEY, STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inline; the real worker is exercised by the `serve` test.
HUEY = {**HUEY, "immediate": True}
# Shared feed contexts (chorus.feed.shared) in a folder of this test process, removed at exit.
CHORUS_FEED_DIR = tempfile.mkdtemp(prefix="chorus-test-feed-")
atexit.register(shutil.rmtree, CHORUS_FEED_DIR, True)
# Rate limits are switched on by the tests that check them.
ACCOUNT_RATE_LIMITS = False
# LinkedIn and X are offered in tests; their API addresses point at the local stand-ins.
CHORUS_LINKEDIN_CLIENT_ID = "test-linkedin-client"
CHORUS_LINKEDIN_CLIENT_SECRET = "test-linkedin-secret"
CHORUS_X_CLIENT_ID = "test-x-client"
CHORUS_X_CLIENT_SECRET = "test-x-secret"
