"""The test suite's settings: the real ones, with only what costs time and proves nothing.

Processes a test starts inherit DJANGO_SETTINGS_MODULE (the Celery workers) unless the test
names the real settings (the stream tests' daphne runs `brokerage.settings`).
"""

from brokerage.settings import *  # noqa: F403

# The production hasher costs ~0.3 s a password; the suite signs up hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
