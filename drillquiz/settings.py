"""DrillQuiz settings, read only from the environment.

With nothing set, the site runs on embedded defaults: SQLite and kombu's
filesystem broker under ``DRILLQUIZ_VAR_DIR`` (``./var``), so `make run` needs
no server. Set ``DJANGO_ENV=production`` for the hardened settings; every
secret then has to come from the environment (or a ``NAME_FILE`` it points to).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from kombu import Exchange, Queue

# Django classes generic in django-stubs (ModelAdmin[Lockout], ModelForm[User]) take [] at runtime too.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# FileAwareEnv reads NAME_FILE when set, for secrets mounted as files in Kubernetes.
env = environ.FileAwareEnv()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
# A misconfigured start stops with one line (SystemExit), not a traceback an operator has to read.
if DJANGO_ENV not in {"development", "production"}:
    raise SystemExit(f"error: DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
PRODUCTION = DJANGO_ENV == "production"

VAR_DIR = Path(env.str("DRILLQUIZ_VAR_DIR", default=str(BASE_DIR / "var")))

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise SystemExit("error: SECRET_KEY (or SECRET_KEY_FILE) must be set when DJANGO_ENV=production.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="development-only-not-secret-" + "x" * 32)

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "drillquiz.admin_site.AdminConfig",  # django.contrib.admin, with our AdminSite
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # naturaltime: "3 minutes ago" in the reader's language
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_celery_results",
    "drillquiz",  # the project's own commands (diffsettings with its secrets hidden)
    "accounts",
    "jobs",
    "notifications",
    "quiz",
    "translations",
    "backup",
    "axes",
    "django_prometheus",  # the web's request, latency and database metrics (drillquiz/metrics.py serves them)
    "monitoring",  # the exporter of queue, outbox, backup and beat gauges (`manage.py serve_metrics`)
]

MIDDLEWARE = [
    # First and last, so a request's count and latency cover every other middleware.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Then, so load-balancer probes answer before host checks and HTTPS redirects.
    "jobs.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a login that its backend refused into the lockout page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "drillquiz.urls"
WSGI_APPLICATION = "drillquiz.wsgi.application"
ASGI_APPLICATION = "drillquiz.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# Database: PostgreSQL through DATABASE_URL; SQLite under VAR_DIR otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):
    # Web, worker and beat share one file: WAL and IMMEDIATE transactions avoid "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env.bool("DATABASE_POOL", default=False):  # on by default in the web process: drillquiz/asgi.py
    # Under ASGI every request runs in a thread of its own, so a persistent connection is never reused
    # (CONN_MAX_AGE only piles them up): a pool per process bounds the connections and skips the connect.
    # Django requires CONN_MAX_AGE=0 with it; the health check replaces a connection a PostgreSQL restart killed.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=3.0),  # then a page fails rather than hangs
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# django-prometheus's wrapper of the same backend times every query (django_db_query_duration_seconds).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends.", 1
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis database 1 by convention (redis://host:6379/1); a file cache, shared by local processes, otherwise.
CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
# The same backend, timed (drillquiz_cache_operation_seconds); drillquiz.metrics says why not django-prometheus's.
CACHES["default"]["BACKEND"] = {
    "django.core.cache.backends.redis.RedisCache": "drillquiz.metrics.TimedRedisCache",
    "django.core.cache.backends.filebased.FileBasedCache": "drillquiz.metrics.TimedFileBasedCache",
}.get(CACHES["default"]["BACKEND"], CACHES["default"]["BACKEND"])
if CACHES["default"]["BACKEND"] == "drillquiz.metrics.TimedRedisCache":
    # A Redis that takes the connection but never answers (stopped, or cut off by the network) must fail
    # like one that refuses it, so a page falls back (drillquiz.once.CACHE_DOWN) instead of hanging.
    _cache_seconds = env.float("CACHE_SOCKET_TIMEOUT_SECONDS", default=1.0)
    if _cache_seconds <= 0:
        raise SystemExit(f"error: CACHE_SOCKET_TIMEOUT_SECONDS must be more than 0, not {_cache_seconds:g}.")
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=_cache_seconds, socket_timeout=_cache_seconds
    )
# How long the rendered questions of an exam or result page stay cached (quiz.page_blocks); 0: not cached.
PAGE_BLOCKS_CACHE_SECONDS = env.int("PAGE_BLOCKS_CACHE_SECONDS", default=3600)
# Live notifications go through Redis pub/sub (by default the cache's Redis server); without Redis each
# web process polls the database for all its open streams at once.
_cache_url = env.str("CACHE_URL", default="")
EVENTS_REDIS_URL = env.str("EVENTS_REDIS_URL", default=_cache_url if _cache_url.startswith("redis") else "")

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Log-in protection and password hashing (accounts/) ---------------------------------------------
# Argon2id (accounts/hashers.py: sized for a web pod) hashes new and changed passwords. PBKDF2 and Django's
# other default hashers stay listed so that existing hashes still verify; Django re-hashes them with
# Argon2 at the owner's next login.
# PASSWORD_HASHERS is read from the environment only so that bench/auth.py can compare hashers.
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "accounts.hashers.PodSizedArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)
# Threads that hash passwords, each holding 19 MiB: more than a pod's CPUs would only queue on them.
PASSWORD_HASHES_AT_ONCE = env.int("PASSWORD_HASHES_AT_ONCE", default=2)
if PASSWORD_HASHES_AT_ONCE < 1:
    raise SystemExit(f"error: PASSWORD_HASHES_AT_ONCE must be 1 or more, not {PASSWORD_HASHES_AT_ONCE}.")
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out client is refused before any password is hashed (the site's and Admin's login).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failures are counted in the cache (Redis in production): no database write per request or attempt.
# Axes' cache handler, except that a cache outage does not turn a login into a 500 (accounts/lockouts.py).
AXES_HANDLER = "accounts.lockouts.OutageTolerantCacheHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOGIN_COOLOFF_SECONDS", default=15 * 60))
# By username AND address together: a stranger guessing one learner's password from one address locks
# only that pair out, and the learner still logs in from their own address.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# Axes' own admin pages list its database tables, which the cache handler never fills; lockouts are
# recorded as accounts.Lockout rows instead (one write when a lockout starts, none per request).
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # its banner in every process and command says only what these settings say
if CACHES["default"]["BACKEND"] == "drillquiz.metrics.TimedFileBasedCache":
    # The embedded default on one machine: the file cache counts failures without an atomic increment,
    # so parallel attempts may count a few short. Production counts in Redis.
    SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# The client's address: REMOTE_ADDR alone unless AXES_IPWARE_PROXY_COUNT says how many X-Forwarded-For
# entries follow the client's (0 behind one ingress-nginx: just the address it saw). A header with more
# entries than that falls back to REMOTE_ADDR, so a client cannot choose its address with its own header.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=None)
if AXES_IPWARE_PROXY_COUNT is not None:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
# The password reset form: at most this many requests per client address and per email address
# (django-ratelimit, cache counters), the address found as for lockouts.
RATELIMIT_IP_META_KEY = "accounts.limits.client_address"
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="3/h")
# --- end of log-in protection ------------------------------------------------------------------------
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "quiz:exam-list"
LOGOUT_REDIRECT_URL = "quiz:home"

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("ko", "한국어"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise as they are.
WHITENOISE_ROOT = BASE_DIR / "public"

# Email: console output unless EMAIL_URL points at an SMTP server (smtp://user:pass@host:port).
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or ""
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="DrillQuiz <noreply@drillquiz.local>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# The site's public address, for links in emails sent by workers (no request to build them from).
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Outside services; each is optional and the features that use them say so when unset.
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")
SLACK_RETRY_BASE_SECONDS = env.float("SLACK_RETRY_BASE_SECONDS", default=2.0)
EMAIL_RETRY_BASE_SECONDS = env.float("EMAIL_RETRY_BASE_SECONDS", default=30.0)
TRANSLATION_PROVIDER = env.str("TRANSLATION_PROVIDER", default="pseudo")
if TRANSLATION_PROVIDER not in {"pseudo", "libretranslate", "deepl", "openai"}:
    raise SystemExit(
        f"error: TRANSLATION_PROVIDER must be pseudo, libretranslate, deepl or openai, not {TRANSLATION_PROVIDER!r}."
    )
TRANSLATION_API_URL = env.str("TRANSLATION_API_URL", default="")
TRANSLATION_API_KEY = env.str("TRANSLATION_API_KEY", default="")
# Learners would read "[ko] ..." pseudo text, or the source text with a notice on every page.
if PRODUCTION and TRANSLATION_PROVIDER == "pseudo":
    raise SystemExit(
        "error: TRANSLATION_PROVIDER must be libretranslate, deepl or openai when DJANGO_ENV=production "
        "(pseudo is labelled test text)."
    )
if PRODUCTION and TRANSLATION_PROVIDER in {"deepl", "openai"} and not TRANSLATION_API_KEY:
    raise SystemExit(
        f"error: TRANSLATION_API_KEY (or TRANSLATION_API_KEY_FILE) must be set for {TRANSLATION_PROVIDER} "
        "when DJANGO_ENV=production."
    )
TRANSLATION_MODEL = env.str("TRANSLATION_MODEL", default="gpt-4o-mini")
TRANSLATION_TIMEOUT = env.float("TRANSLATION_TIMEOUT", default=10.0)  # read timeout, seconds
TRANSLATION_RETRY_BASE_SECONDS = env.float("TRANSLATION_RETRY_BASE_SECONDS", default=10.0)

# Error reports (drillquiz/sentry.py): only with a DSN; without one, sentry-sdk is not even imported.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "development")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")  # the image tag, for example
SENTRY_SAMPLE_RATE = env.float("SENTRY_SAMPLE_RATE", default=1.0)  # share of errors sent
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)  # share of requests traced
if SENTRY_DSN:
    from drillquiz import sentry

    sentry.init(SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_RELEASE, SENTRY_SAMPLE_RATE, SENTRY_TRACES_SAMPLE_RATE)

# An exam file (Admin's import page, `manage.py import_exam`) larger than this is refused unread.
EXAM_FILE_MAX_BYTES: int = env.int("EXAM_FILE_MAX_BYTES", default=2 * 1024 * 1024)

# Database backups (backup/): where the files go, how long one may take, how often it is retried
# and how many are kept. BACKUP_DATABASE_URL may name a read-only role; it defaults to the site's.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_DATABASE_URL = env.str("BACKUP_DATABASE_URL", default="")
BACKUP_PG_BIN_DIR = env.str("BACKUP_PG_BIN_DIR", default="")  # empty: pg_dump and psql from PATH
BACKUP_TIME_LIMIT_SECONDS = env.int("BACKUP_TIME_LIMIT_SECONDS", default=600)
BACKUP_MAX_RETRIES = env.int("BACKUP_MAX_RETRIES", default=3)
BACKUP_RETRY_DELAY_SECONDS = env.float("BACKUP_RETRY_DELAY_SECONDS", default=300.0)
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_WEEKLY = env.int("BACKUP_KEEP_WEEKLY", default=4)
# A scheduled backup within this many seconds of another is the same one sent twice (a second beat).
BACKUP_SCHEDULE_WINDOW_SECONDS = env.int("BACKUP_SCHEDULE_WINDOW_SECONDS", default=3600)

# Celery: Redis database 0 as broker by convention; kombu's filesystem transport otherwise.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL: str = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
    }
else:
    # Above the longest hard time limit plus the longest retry countdown (backups: 21.5 min + 5 min),
    # so Redis never hands a running or waiting task to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=3600),
        # How often a worker looks for tasks whose worker died (every interval x throttle seconds).
        "unacked_restore_interval": env.int("BROKER_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("BROKER_RESTORE_THROTTLE", default=10),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = "jobs.results:RetryingDatabaseBackend"
# Storing a result waits out a database restart (up to about 5 minutes) instead of failing the task.
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 40
CELERY_RESULT_BACKEND_MAX_SLEEP_BETWEEN_RETRIES_MS = 10000
CELERY_CACHE_BACKEND = "django-cache"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = env.int("CELERY_RESULT_EXPIRES", default=7 * 24 * 3600)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
# drillquiz.messages refuses a task message (arguments and all, as JSON) larger than this, both ways.
TASK_MESSAGE_MAX_BYTES = env.int("TASK_MESSAGE_MAX_BYTES", default=1024 * 1024)
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the worker's database connection around every task (a connect, 8-10 ms,
# before each task's STARTED record): with this it does so only every 1,000 tasks, and
# drillquiz.celery closes a failed or outlived connection before each task as Django does before each
# request (CONN_MAX_AGE, CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = 1000
# A worker process runs one task at a time, so it keeps its connection this long (its CONN_MAX_AGE,
# set by drillquiz.celery when a worker starts): at the web's 0 it connected before every task.
WORKER_DATABASE_CONN_MAX_AGE = env.int("WORKER_DATABASE_CONN_MAX_AGE", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "drillquiz.beat:LeaderScheduler"
# A second beat waits while the leader holds its lock in Redis; it takes over this long after a crash.
BEAT_LEADER_TTL_SECONDS: int = env.int("BEAT_LEADER_TTL_SECONDS", default=30)
# Touched by beat on every tick (at least every 5 s); `manage.py beat_health` checks its age.
BEAT_HEARTBEAT_FILE = Path(env.str("BEAT_HEARTBEAT_FILE", default=str(VAR_DIR / "beat-heartbeat")))
# Metrics (Prometheus text format). The web serves django-prometheus's figures on WEB_METRICS_PORT (0: off;
# the image sets it), the exporter (`manage.py serve_metrics`) its gauges on METRICS_PORT; both bind
# METRICS_ADDRESS, never the site's port. A source (database, broker, cache) that does not answer within
# METRICS_SOURCE_TIMEOUT_SECONDS is reported unknown, so a scrape never hangs on an outage.
WEB_METRICS_PORT = env.int("WEB_METRICS_PORT", default=0)
METRICS_PORT = env.int("METRICS_PORT", default=9100)
METRICS_ADDRESS = env.str("METRICS_ADDRESS", default="127.0.0.1")
METRICS_SOURCE_TIMEOUT_SECONDS = env.float("METRICS_SOURCE_TIMEOUT_SECONDS", default=3.0)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
# Each queue has its own exchange and routing key: with one shared key a direct exchange on
# RabbitMQ would copy every job into every queue.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "translations", "notifications", "backups")
]
# Every task of ours is named here, so a new one cannot silently land on the wrong queue.
CELERY_TASK_ROUTES = {
    "jobs.tasks.ping": {"queue": "default"},
    "jobs.tasks.relay_outbox": {"queue": "default"},
    "accounts.tasks.send_welcome_email": {"queue": "notifications"},
    "notifications.tasks.send_slack_alert": {"queue": "notifications"},
    "quiz.tasks.send_due_review_reminders": {"queue": "notifications"},
    "quiz.tasks.send_review_reminder_chunk": {"queue": "notifications"},
    "quiz.tasks.reschedule_reviews": {"queue": "default"},
    # translations.tasks, under the names they had in quiz.tasks (kept for the messages already queued)
    "quiz.tasks.batch_save_translation_results": {"queue": "translations"},
    "quiz.tasks.translate_missing_batch": {"queue": "translations"},
    "quiz.tasks.fit_all_learner_parameters": {"queue": "default"},
    "quiz.tasks.fit_learner_parameters": {"queue": "default"},
    "backup.tasks.backup_database": {"queue": "backups"},
    "backup.tasks.prune_backups": {"queue": "backups"},
    "backup.tasks.restore_drill": {"queue": "backups"},
}

# Error pages hide secrets inside values too (URL passwords, the Slack webhook), not only by setting name.
DEFAULT_EXCEPTION_REPORTER_FILTER = "drillquiz.reporting.SecretsReporterFilter"
# Workers load it: `celery inspect conf` and `report` (Flower's worker page) then hide secrets the same way.
CELERY_IMPORTS = ["drillquiz.reporting"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "task_context": {"()": "drillquiz.log.TaskContextFilter"},
        "redact_secrets": {"()": "drillquiz.log.RedactSecretsFilter"},
    },
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(processName)s %(name)s [%(task_name)s %(task_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["task_context", "redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Browser security headers. Content-Security-Policy (django-csp): every script and style is a file under
# static/ (ours and Django Admin's), so no page needs 'unsafe-inline' or 'unsafe-eval';
# a template that wants inline code moves it to a static file instead of loosening this policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Questions may show images by https URL (Markdown, quiz/rich_text.py, which drops any other
        # scheme): an image runs no script, only editors write content, and Referrer-Policy keeps our
        # page addresses from the image's host, which does learn the reader's IP address.
        "img-src": ["'self'", "https:"],
        "connect-src": ["'self'"],  # the live notification stream, GET /notifications/stream
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],  # with X-Frame-Options DENY for older browsers
    },
}
# Links to other sites get no Referer; our own pages keep it, which Django's CSRF check over HTTPS needs.
SECURE_REFERRER_POLICY = "same-origin"
# A window opened from another site cannot reach ours through window.opener (nor ours theirs); Admin's
# related-object popups are same-origin and keep working.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Permissions-Policy (django-permissions-policy): the site uses none of these, so no page (nor anything
# injected into one) may ask for them.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
