#!/bin/sh
# Regenerates the *.tshark.txt expectations: the HTTP requests tshark finds
# in each decrypted capture, one "frame<TAB>method<TAB>path<TAB>protocol" line per request
# (HTTP/2 frames carrying several HEADERS give several lines), then the
# protocol: HTTP/1 or HTTP/2.
# Run from this directory: sh gen-tshark.sh. Captures shared with the pcap
# reader are read from its testdata ($pcapdata); the outputs are written here.
set -eu
pcapdata=../../testdata
gen() { # capture [keylog]
	base=$(basename "${1%.*}")
	out="$base.tshark.txt"
	{
		echo "# $(tshark --version | head -n 1)"
		tshark -r "$1" ${2:+-o "tls.keylog_file:$2"} \
			-Y 'http.request || http2.headers.method' -T fields -E aggregator=' ' \
			-e frame.number -e http.request.method -e http.request.uri \
			-e http2.headers.method -e http2.headers.path 2>/dev/null |
			awk -F '\t' '{
				m = $2 $4; p = $3 $5; proto = ($2 != "") ? "HTTP/1" : "HTTP/2"
				n = split(m, ms, " "); split(p, ps, " ")
				for (i = 1; i <= n; i++) printf "%s\t%s\t%s\t%s\n", $1, ms[i], ps[i], proto
			}'
	} >"$out"
	# The response status codes tshark finds, sorted (HTTP/1.0 responses
	# that end at connection close are not marked as responses by tshark).
	{
		echo "# $(tshark --version | head -n 1)"
		tshark -r "$1" ${2:+-o "tls.keylog_file:$2"} \
			-Y 'http.response || http2.headers.status' -T fields -E aggregator=' ' \
			-e http.response.code -e http2.headers.status 2>/dev/null |
			tr '\t ' '\n\n' | grep . | sort -n
	} >"$base.tshark-status.txt"
}
# http-chunked-ssl.pcapng keeps its key in the section header comment, which
# tshark does not read: hand it over as a key log.
keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
strings "$pcapdata/http-chunked-ssl.pcapng" | grep '^CLIENT_RANDOM ' >"$keys"
gen "$pcapdata/http-chunked-ssl.pcapng" "$keys"
gen "$pcapdata/tls12-decryption.pcap" tls12-decryption.DERIVED.keys
gen tls12-decryption-dsb.pcapng
gen "$pcapdata/fluxzy-example.com-conn1.pcapng" fluxzy-example.com-conn1.nsskeylog
gen fluxzy-example.com-conn1-dsb.pcapng
gen fluxzy-grpc-samples-conn9.pcapng fluxzy-grpc-samples-conn9.nsskeylog
gen fluxzy-pink-floyd-conn14.pcapng fluxzy-pink-floyd-conn14.nsskeylog
gen openssl-tls12.pcapng openssl-tls12.keys
gen openssl-tls13.pcapng openssl-tls13.keys
cp openssl-tls13.pcapng noearly.pcapng
gen noearly.pcapng openssl-tls13-noearly.keys
mv noearly.tshark.txt openssl-tls13-noearly.tshark.txt
mv noearly.tshark-status.txt openssl-tls13-noearly.tshark-status.txt
rm noearly.pcapng
gen openssl-tls13-rejected.pcapng openssl-tls13-rejected.keys
gen openssl-tls12-reneg.pcapng openssl-tls12-reneg.keys
cp openssl-tls12-reneg.pcapng first.pcapng
gen first.pcapng openssl-tls12-reneg-first.keys
mv first.tshark.txt openssl-tls12-reneg-first.tshark.txt
mv first.tshark-status.txt openssl-tls12-reneg-first.tshark-status.txt
rm first.pcapng
gen fluxzy-pink-floyd-conn14-gap.pcapng fluxzy-pink-floyd-conn14.nsskeylog
gen lab-clean-zitadel-h2.pcap lab-clean-zitadel-h2.keys
gen lab-clean-fosite-http1-tls.pcap lab-clean-fosite-http1-tls.keys
gen openssl-tls10-11.pcapng openssl-tls10-11.keys
