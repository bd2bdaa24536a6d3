#!/bin/bash
# Records a real sign-in over QUIC (HTTP/3): headless Chromium, forced onto
# QUIC for the provider's and the RP's hosts, signs in through the lab's
# ory/fosite provider and its server-side RP (testdata/lab, record -serve
# -public-https) behind an HTTP/3 front (testdata/lab/cmd/h3front, quic-go's
# http3 server; its HTTPS side on TCP carries the RP's back-channel token
# calls). tcpdump captures lo on port 443 only: the front's plain HTTP to its
# backends is the lab's, not what a user's machine would capture (port 8443
# for the port8443 story).
#   bash gen-quic.sh STORY OUT
# STORY: clean | reload (the RP renders its signed-in page at the callback
#        and keeps the transaction; the callback is loaded a second time, the
#        RP redeems the code again and fosite refuses it) | mismatch (the RP
#        sends an unregistered redirect_uri at authorize; fosite refuses it)
#        | zerortt (the browser visits both hosts first and waits until
#        their connections idle out (h3front -idle 2s); the sign-in's
#        connections resume those TLS sessions and send their first
#        requests in 0-RTT packets) | zerortt-rejected (the same, the front
#        resuming the sessions but refusing their 0-RTT data, h3front
#        -reject-0rtt: Chromium sends those requests again in 1-RTT) | retry (the front validates every
#        client's address with a Retry packet, h3front -retry) | port8443
#        (a clean sign-in with the front, issuer and redirect URI on port
#        8443: QUIC on a port other than 443) | rebind (the front relays
#        UDP 443 to its QUIC server on 4443 and moves each client's flow to
#        a new source port after its 8th datagram, a NAT rebinding as the
#        server sees it (h3front -rebind-after); tcpdump captures the
#        relay's side: udp port 4443 and tcp port 443) | v2 (QUIC version
#        2, RFC 9369: the front speaks only it, Chromium is started with
#        --quic-version=RFCv2)
# OUT: the capture (pcap); OUT's name with .keys.log holds the key log
#      (Chromium's and the RP client's), and with -dsb.pcapng the capture with
#      the key log embedded (editcap --inject-secrets).
# Needs root, tcpdump, chromium, editcap and Go.
set -eu
story=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
(cd "$here/../../../testdata/lab" && go build -o "$work/record" ./cmd/record && go build -o "$work/h3front" ./cmd/h3front)
keys=${out%.*}.keys.log
rm -f "$keys"
: >"$keys"
opb=19443 rpb=19080
port=443
[ "$story" = port8443 ] && port=8443
defect=
[ "$story" = reload ] && defect=-render-at-callback
[ "$story" = mismatch ] && defect="-authorize-redirect-uri https://app.localhost/callback2"
"$work/record" -serve -op-port $opb -rp-port $rpb -op-public $port -rp-public $port -public-https $defect \
	-keylog "$keys" -info "$work/info.json" -cert-out "$work/cert.pem" 2>"$work/serve.log" &
for _ in $(seq 50); do [ -s "$work/info.json" ] && break; sleep 0.2; done
front=
[ "$story" = qpack ] && front="-qpack-table 4096"
[ "$story" = zerortt ] && front="-idle 2s"
[ "$story" = zerortt-rejected ] && front="-idle 2s -reject-0rtt"
[ "$story" = retry ] && front="-retry"
[ "$story" = v2 ] && front="-v2"
[ "$story" = rebind ] && front="-quic-listen 127.0.0.1:4443 -rebind-after 8"
filter="udp port $port or tcp port $port"
[ "$story" = rebind ] && filter="udp port 4443 or tcp port 443"
"$work/h3front" -listen 127.0.0.1:$port -cert "$work/cert.pem" -spki-out "$work/spki" $front \
	-routes "auth.fosite.test=127.0.0.1:$opb,app.localhost=127.0.0.1:$rpb" 2>"$work/front.log" &
for _ in $(seq 50); do [ -s "$work/spki" ] && break; sleep 0.2; done
sleep 0.5
tcpdump -i lo -U -w "$out" "$filter" 2>"$work/tcpdump.log" &
dump=$!
sleep 1
j() { python3 -c "import json,sys; print(json.load(open('$work/info.json'))['$1'])"; }
drive=
[ "$story" = reload ] && drive=-reload
[ "$story" = mismatch ] && drive=-refused
[ "$story" = qpack ] && drive=-refused
[ "$story" = v2 ] && drive=-v2
case $story in zerortt*) drive="-warm https://app.localhost/favicon.ico,https://auth.fosite.test/favicon.ico -warm-wait 4s" ;; esac
SSLKEYLOGFILE=$keys "$work/h3front" -drive "$(j rp)/login" -spki "$(cat "$work/spki")" \
	-quic-hosts "auth.fosite.test:$port,app.localhost:$port" -user "$(j username)" -password "$(j password)" $drive
sleep 1
kill $dump
wait $dump || true
cat "$work/tcpdump.log" >&2
cat "$work/front.log" >&2
grep -E "token (issued|rejected)" "$work/serve.log" >&2 || true
editcap --inject-secrets "tls,$keys" "$out" "${out%.*}-dsb.pcapng"
