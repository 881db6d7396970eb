"""The test suite's settings: the site's own, with what only slows tests down or reaches outside.

Every process a test starts (web, worker, beat) inherits DJANGO_SETTINGS_MODULE, so they use these too.
"""

from drillquiz.settings import *  # noqa: F403
from drillquiz.settings import PASSWORD_HASHERS as SITE_PASSWORD_HASHERS
from drillquiz.settings import env

# Argon2 costs ~25 ms a hash on purpose; tests hash thousands of passwords. The site's hashers stay
# listed so their hashes verify, and tests of hashing itself put SITE_PASSWORD_HASHERS back.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *SITE_PASSWORD_HASHERS]

# Mail stays in memory (django.core.mail.outbox) unless EMAIL_URL names a server: the tests of
# sending use a real SMTP server (the smtp_server fixture, or EMAIL_URL for the processes they start).
EMAIL_BACKEND = env.email_url("EMAIL_URL", default="memorymail://")["EMAIL_BACKEND"]
