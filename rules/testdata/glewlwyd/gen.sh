#!/bin/bash
# Records ../glewlwyd-STORY.har and ../glewlwyd-STORY.pcap: sign-ins against
# Glewlwyd 2.7.5 (Debian bookworm's glewlwyd package, its OpenID Connect
# plugin) by the small web app of ../opstories/rec.mjs (PKCE, a state cookie
# per sign-in, one verifier cookie, client_secret_basic), driven by Debian's
# headless Chromium through the DevTools protocol (../allauth/cdphar.mjs
# builds the HAR), captured with tcpdump on lo in the same run (plain HTTP:
# the browser's requests and the app's back channel). Glewlwyd runs from a
# configuration written here (port 4952, its own static file server for its
# web app, a SQLite database made fresh for each story from Debian's
# init.sqlite3.sql) and is set up through its administration API by
# setup.mjs; Debian's package links the web app's config.json to a
# directory (/etc/glewlwyd/config-2.7.json/config.json), so the web app is
# copied with that file in its place. The code-expired story's plugin keeps
# codes 2 seconds (code-duration) and its app waits 5 before redeeming.
# Needs root (tcpdump), apt-get install glewlwyd sqlite3, node 20 or later,
# chromium, openssl. Run from this directory: ./gen.sh [STORY ...]. Secrets
# are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= glw=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$glw" ] && kill "$glw" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/run/opstories" "$work/run/allauth" "$work/run/glewlwyd"
cp ../opstories/rec.mjs ../opstories/wants.mjs "$work/run/opstories/"
cp ../allauth/cdphar.mjs "$work/run/allauth/"
cp provider.mjs "$work/run/glewlwyd/"
cp -rL /usr/share/glewlwyd/webapp "$work/webapp"
rm -rf "$work/webapp/config.json" && cp /etc/glewlwyd/config-2.7.json/config.json "$work/webapp/config.json"
openssl genrsa -out "$work/key.pem" 2048 2>/dev/null
openssl req -x509 -key "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=glewlwyd 2>/dev/null
{
  cat <<CONF
port=4952
bind_address="127.0.0.1"
external_url="http://127.0.0.1:4952"
login_url="login.html"
static_files_path="$work/webapp/"
api_prefix="api"
log_mode="console"
log_level="DEBUG"
cookie_secure=0
cookie_same_site="lax"
session_expiration=2419200
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
add_x_frame_option_header_deny=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
hash_algorithm = "SHA512"
database = { type = "sqlite3" path = "$work/glewlwyd.db" };
CONF
  sed -n '/^static_files_mime_types/,$p' /etc/glewlwyd/glewlwyd.conf
} >"$work/glewlwyd.conf"
for s in ${*:-clean code-reuse redirect-mismatch two-tabs bad-secret pkce-mismatch code-expired}; do
  rm -f "$work/glewlwyd.db"
  zcat /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz | sqlite3 "$work/glewlwyd.db"
  glewlwyd -c "$work/glewlwyd.conf" >"$work/glewlwyd.log" 2>&1 & glw=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4952/config && break; sleep 0.5; done
  ttl=600
  [ "$s" = code-expired ] && ttl=2
  node setup.mjs "$work/key.pem" "$work/cert.pem" "$ttl"
  tcpdump -i lo -s 0 -U -w "$work/glewlwyd-$s.pcap" 'tcp port 4952 or tcp port 4953' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/run/opstories" && node --experimental-websocket --stack-trace-limit=0 rec.mjs ../glewlwyd/provider.mjs "$s" "$here/../glewlwyd-$s.har") \
    || echo "gen.sh: $s did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  kill "$glw"; wait "$glw" || true; glw=
  grep -E 'WARNING|ERROR' "$work/glewlwyd.log" | cut -c1-300 | sed 's/^/glewlwyd: /' || true
  # The captures kept: the stories whose cause is on the app's back
  # channel alone (and the clean sign-in); each is about 1.1 MB, most of it
  # the login app's scripts.
  case $s in clean|bad-secret|pkce-mismatch|code-expired) cp "$work/glewlwyd-$s.pcap" "$here/../glewlwyd-$s.pcap" ;; esac
done
ls -l "$here"/../glewlwyd-*.*
