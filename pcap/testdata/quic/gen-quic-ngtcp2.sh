#!/bin/bash
# Records HTTP/3 responses encoded with QPACK's dynamic table: Debian 12's
# ngtcp2-server (gtlsserver 0.12.1, HTTP/3 by nghttp3 0.8.0, whose encoder
# inserts response fields into the table Chromium allows) serves a page
# and its three subresources from a directory; headless Chromium, forced
# onto QUIC for qpack.test:443, loads the page (--dump-dom) with its key
# log (--ssl-key-log-file). tcpdump captures lo, udp port 443; the key log
# is embedded in OUT (editcap --inject-secrets).
#   bash gen-quic-ngtcp2.sh OUT.pcapng
# Needs root, ngtcp2-server, chromium, openssl, tcpdump and editcap.
set -eu
out=$1
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 2 \
	-subj /CN=qpack.test -addext subjectAltName=DNS:qpack.test 2>/dev/null
spki=$(openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
mkdir htdocs
cat >htdocs/index.html <<'HTML'
<!doctype html><html><head><title>qpack</title><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head><body><p>hello</p><img src="/pixel.txt"></body></html>
HTML
echo 'p{color:red}' >htdocs/style.css
echo 'console.log(1)' >htdocs/app.js
echo 'x' >htdocs/pixel.txt
/usr/sbin/gtlsserver -q -d htdocs 127.0.0.1 443 key.pem cert.pem >server.log 2>&1 &
sleep 0.5
tcpdump -i lo -U -w cap.pcap "udp port 443" 2>tcpdump.log &
dump=$!
sleep 1
timeout 30 chromium --headless --no-sandbox --disable-gpu --enable-quic --origin-to-force-quic-on=qpack.test:443 \
	--host-resolver-rules="MAP * 127.0.0.1" --ignore-certificate-errors-spki-list="$spki" \
	--ssl-key-log-file="$work/keys.log" --user-data-dir="$work/profile" --dump-dom https://qpack.test/index.html
sleep 1
kill $dump
wait $dump || true
cat tcpdump.log >&2
editcap --inject-secrets "tls,keys.log" cap.pcap "$out"
