"""An OpenID provider built the way django-oauth-toolkit's documentation
builds one: a Django 3.2 site (one file) with oauth2_provider's URLs under
/o/, OIDC on (an RSA key), Django's own login view and DOT's own consent
page (Authorize or Cancel). gen.sh runs it with Debian bookworm's
python3-django-oauth-toolkit 1.7.0 (oauthlib 3.2.2) under Django's
runserver on http://127.0.0.1:4966.

  python3 provider.py setup          database, user alice, client web-app
  python3 provider.py runserver ...  Django's commands

Environment: DOT_DB (the SQLite file), DOT_KEY (the RSA key's PEM file),
DOT_CODE_TTL (AUTHORIZATION_CODE_EXPIRE_SECONDS, default DOT's 60),
DOT_PREFIX (where oauth2_provider.urls is included, default "o/").
All secrets are test-only values.
"""
import os
import sys

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY='test-only-django-secret-key-for-the-dot-provider',
    ALLOWED_HOSTS=['127.0.0.1', 'localhost'],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        'django.contrib.auth',
        'django.contrib.contenttypes',
        'django.contrib.sessions',
        'django.contrib.staticfiles',
        'oauth2_provider',
    ],
    MIDDLEWARE=[
        'django.middleware.security.SecurityMiddleware',
        'django.contrib.sessions.middleware.SessionMiddleware',
        'django.middleware.common.CommonMiddleware',
        'django.middleware.csrf.CsrfViewMiddleware',
        'django.contrib.auth.middleware.AuthenticationMiddleware',
    ],
    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': os.environ.get('DOT_DB', 'dot.sqlite3')}},
    DEFAULT_AUTO_FIELD='django.db.models.AutoField',
    STATIC_URL='/static/',
    LOGIN_URL='/accounts/login/',
    TEMPLATES=[{
        'BACKEND': 'django.template.backends.django.DjangoTemplates',
        'APP_DIRS': False,
        'OPTIONS': {
            'context_processors': ['django.template.context_processors.request', 'django.contrib.auth.context_processors.auth'],
            'loaders': [
                ('django.template.loaders.locmem.Loader', {
                    'registration/login.html': (
                        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>'
                        '<h1>Sign in</h1><form method="post" id="login">{% csrf_token %}{{ form.as_p }}'
                        '<input type="hidden" name="next" value="{{ next }}"><input type="submit" value="Sign in"></form></body></html>'),
                }),
                'django.template.loaders.app_directories.Loader',
            ],
        },
    }],
    OAUTH2_PROVIDER={
        'OIDC_ENABLED': True,
        'OIDC_RSA_PRIVATE_KEY': open(os.environ['DOT_KEY']).read() if os.environ.get('DOT_KEY') else '',
        'PKCE_REQUIRED': True,
        'SCOPES': {'openid': 'OpenID Connect scope', 'profile': 'Your name'},
        'AUTHORIZATION_CODE_EXPIRE_SECONDS': int(os.environ.get('DOT_CODE_TTL', '60')),
    },
)
django.setup()

from django.contrib.auth.views import LoginView  # noqa: E402
from django.urls import include, path  # noqa: E402

urlpatterns = [
    path('accounts/login/', LoginView.as_view()),
    path(os.environ.get('DOT_PREFIX', 'o/'), include('oauth2_provider.urls', namespace='oauth2_provider')),
]


def setup():
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command('migrate', verbosity=0)
    alice = User.objects.create_user('alice', password='test-only-password')
    Application.objects.create(
        name='Web app', client_id='web-app', client_secret='test-only-dot-client-secret',
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris='http://localhost:4967/callback', algorithm=Application.RS256_ALGORITHM, user=alice)


if __name__ == '__main__':
    if sys.argv[1:] == ['setup']:
        setup()
    else:
        from django.core.management import execute_from_command_line
        execute_from_command_line(sys.argv)
