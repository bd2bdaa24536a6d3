#!/bin/bash
# Records ../dex-STORY.har and ../dex-STORY.pcap: sign-ins against Dex v2.45.1
# (github.com/dexidp/dex at 11d2eeb52b42, memory storage, the static password
# connector, its approval page; config.yaml) by kubelogin v1.34.0
# (`kubectl oidc-login get-token`, a native app with a loopback redirect and
# PKCE) and by a small web app (rec.mjs), both built from the Go module proxy,
# driven by Debian's headless Chromium through the DevTools protocol (rec.mjs
# says what each story does; ../allauth/cdphar.mjs builds the HAR), captured
# with tcpdump on lo in the same run (Dex and the loopback callbacks are plain
# HTTP). Needs root (tcpdump), node 20 or later, Go and chromium. Run from this
# directory: sudo ./gen.sh [STORY ...]. Neither program enters traceaudit's
# module: they are built in a temporary directory. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= dex=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$dex" ] && kill "$dex" 2>/dev/null; rm -rf "$work"' EXIT
cp rec.mjs ../allauth/cdphar.mjs config.yaml "$work/"
# Dex and kubelogin carry replace directives (Dex's api/v2, kubelogin none but
# its module list is not served), so each is built from its module's source.
build() { # module version dir pkg out
  d=$(go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp -r "$d" "$work/$3" && chmod -R u+w "$work/$3"
  sed -i '/=> \.\//d' "$work/$3/go.mod"
  (cd "$work/$3" && GOFLAGS=-mod=mod go build -o "$work/bin/$5" "$4")
}
DEX=${DEX:-} KUBELOGIN=${KUBELOGIN:-}
if [ -z "$DEX" ]; then build github.com/dexidp/dex v0.0.0-20260303133905-11d2eeb52b42 dex ./cmd/dex dex; DEX="$work/bin/dex"; fi
if [ -z "$KUBELOGIN" ]; then build github.com/int128/kubelogin v1.34.0 kubelogin . kubelogin; KUBELOGIN="$work/bin/kubelogin"; fi
export KUBELOGIN OPEN="$work/open.sh" OPENED="$work/opened"
printf '#!/bin/sh\necho "$1" >> "%s"\n' "$OPENED" > "$OPEN"; chmod +x "$OPEN"
for s in ${*:-kubelogin-clean kubelogin-unregistered-port kubelogin-second-instance kubelogin-wrong-secret kubelogin-opened-twice kubelogin-denied webapp-reload}; do
  rm -f "$OPENED"
  "$DEX" serve "$work/config.yaml" >"$work/dex.log" 2>&1 & dex=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:5556/dex/.well-known/openid-configuration && break; sleep 0.5; done
  tcpdump -i lo -s 0 -U -w "$work/dex-$s.pcap" 'tcp port 5556 or tcp port 8000 or tcp port 18000 or tcp port 4893' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work" && node --experimental-websocket --stack-trace-limit=0 rec.mjs "$s" "$here/../dex-$s.har")
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  kill "$dex"; wait "$dex" || true; dex=
  grep -E 'level=(ERROR|WARN)|login successful|unregistered' "$work/dex.log" | sed 's/^/dex: /' || true
  cp "$work/dex-$s.pcap" "$here/../dex-$s.pcap"
done
ls -l "$here"/../dex-*.*
