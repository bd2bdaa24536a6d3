#!/bin/bash
# Records ../allauth-*.har: a Django 3.2 app signing in through django-allauth 0.51
# (Debian bookworm's python3-django and python3-django-allauth, with allauth's own
# locale files) against panva's oidc-provider 9.13.3, both on loopback over plain
# HTTP, driven by Debian's headless Chromium through the DevTools protocol (rec.mjs
# says what each story does and builds the HAR). The app's language comes from the
# browser's Accept-Language (LocaleMiddleware), or from LANGUAGE_CODE alone when a
# run sets LAB_NO_LOCALE_MIDDLEWARE. Needs node 20 or later with npm, chromium,
# python3-django-allauth. Run from this directory: ./gen.sh [STORY:LANG ...].
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
app=
trap '[ -n "$app" ] && kill "$app" 2>/dev/null; rm -rf "$work"' EXIT
cp package.json package-lock.json rec.mjs cdphar.mjs "$work/"
cp -r project "$work/project"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
runs=${*:-two-tabs:de two-tabs:fr two-tabs:es two-tabs:pt-br two-tabs:ru reload:ja lost-session:fr denied:de code:ja}
for r in $runs; do
  story=${r%%:*} lang=${r#*:}
  export LAB_DB="$work/db-$story-$lang.sqlite3" LAB_LANGUAGE=en-us
  unset LAB_NO_LOCALE_MIDDLEWARE
  accept="$lang,en"
  if [ "$story" = code ]; then
    # LANGUAGE_CODE chooses the language, the browser asks for English.
    story=two-tabs LAB_LANGUAGE=$lang accept="en-US,en"
    export LAB_NO_LOCALE_MIDDLEWARE=1
  fi
  (cd "$work/project" && /usr/bin/python3 manage.py migrate -v0 && /usr/bin/python3 manage.py shell < labop/setup_app.py)
  (cd "$work/project" && exec /usr/bin/python3 manage.py runserver 127.0.0.1:4862 --noreload >"$work/app.log" 2>&1) & app=$!
  sleep 2
  name=$story-$lang
  [ -n "${LAB_NO_LOCALE_MIDDLEWARE:-}" ] && name=$story-language-code-$lang
  (cd "$work" && node --experimental-websocket rec.mjs "$story" "$accept" "$here/../allauth-$name.har")
  kill "$app"; wait "$app" || true; app=
  sed 's/^/app: /' "$work/app.log"
done
ls -l "$here"/../allauth-*.har
