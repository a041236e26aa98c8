"""Loaded by pytest before Django (`-p brokerage.pytest_plugin`): test-only defaults.

The settings refuse to start without a secret key and redirect to HTTPS in production mode;
the suite runs the production configuration with only those two relaxed. An unset REDIS_URL
makes the settings start the embedded Redis, shared with any process a test starts.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
