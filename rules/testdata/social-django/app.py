# A Django 3.2 site signing in through social-auth-app-django 5.0 (social-core
# 4.3's generic OpenID Connect backend, "oidc"), in one file, set up as
# social-auth's documentation shows: social_django in INSTALLED_APPS, its urls
# (/login/oidc/, /complete/oidc/), SOCIAL_AUTH_OIDC_OIDC_ENDPOINT, KEY and
# SECRET, and its SocialAuthExceptionMiddleware with LOGIN_ERROR_URL, whose page
# shows Django's messages. DEBUG off (the middleware handles social-auth's
# exceptions only then). Its configuration comes from the environment gen.sh
# sets; `python3 app.py migrate` prepares the database, `python3 app.py
# runserver …` serves it. Secrets are test-only values.
import os
import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="test-only-django-secret-key-of-the-social-auth-app",
    ALLOWED_HOSTS=["localhost", "127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "social_django",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "social_django.middleware.SocialAuthExceptionMiddleware",
    ],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages", "social_django.context_processors.backends"]}}],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["LAB_DB"]}},
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    AUTHENTICATION_BACKENDS=["social_core.backends.open_id_connect.OpenIdConnectAuth", "django.contrib.auth.backends.ModelBackend"],
    SOCIAL_AUTH_OIDC_OIDC_ENDPOINT=os.environ.get("LAB_OP", "http://127.0.0.1:4941"),
    SOCIAL_AUTH_OIDC_KEY="social-app",
    SOCIAL_AUTH_OIDC_SECRET=os.environ.get("LAB_CLIENT_SECRET", ""),
    SOCIAL_AUTH_LOGIN_REDIRECT_URL="/",
    LOGIN_ERROR_URL="/login-error/",
    USE_TZ=True,
    # The exceptions the site answers with its 500 page, in gen.sh's output.
    LOGGING={"version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}},
             "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}, "social": {"handlers": ["console"], "level": "INFO"}}},
)

import django  # noqa: E402

django.setup()

from django.contrib import messages  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils.html import escape  # noqa: E402


def home(request):
    if request.user.is_authenticated:
        return HttpResponse(f'<!DOCTYPE html><title>Home</title><p id="who">Signed in as {escape(request.user.username)}</p>')
    return HttpResponse('<!DOCTYPE html><title>Home</title><a id="login" href="/login/oidc/">Sign in</a>')


def login_error(request):
    # The page LOGIN_ERROR_URL names, showing the middleware's message.
    shown = "".join(f'<p class="error">{escape(m)}</p>' for m in messages.get_messages(request))
    return HttpResponse(f'<!DOCTYPE html><title>Sign-in failed</title><h1>Sign-in failed</h1>{shown}<a href="/login/oidc/">Try again</a>')


urlpatterns = [
    path("", home),
    path("login-error/", login_error),
    path("", include("social_django.urls", namespace="social")),
]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0]] + sys.argv[1:])
