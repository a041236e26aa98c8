"""The test suite's settings: the real ones, with only what costs time and proves nothing.

Processes a test starts inherit DJANGO_SETTINGS_MODULE (the Celery workers) unless the test
names the real settings (the stream tests' daphne runs `brokerage.settings`).
"""

from brokerage.settings import *  # noqa: F403

# The production hasher costs ~0.3 s a password; the suite signs up hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite makes thousands of requests a minute as a handful of users; the rate limit's own
# tests turn it back on.
API_RATE_LIMIT = None
API_ANON_RATE_LIMIT = None

# Django's test client logs in without a request, which django-axes refuses; the lockout's own
# tests turn it back on.
AXES_ENABLED = False
