#!/bin/sh
# Regenerates the *.tshark.tsv expectations here and in zeek/: one line per
# HTTP request as tshark sees it: the frame where the request starts (the
# first TCP segment of its reassembled PDU, else the frame itself), method
# and target, sorted by frame. Several requests in one frame are split.
# h2c.pcapng is read twice, once decoding port 18080 as HTTP/2 (tshark has
# no prior-knowledge h2c heuristic), and the two lists merged; so is
# h2streams.pcap with port 18081. dup-lo-any.pcapng holds every packet
# twice, which tshark lists twice: TestCapturedTwice compares it with
# h2streams.pcap instead.
# Usage: sh gen-tshark.sh   (run in this directory; needs tshark)
set -eu
requests() {
	tshark -r "$@" -Y 'http.request || http2.headers.method' -T fields -E 'aggregator=/s' \
		-e frame.number -e tcp.segment -e http.request.method -e http.request.uri \
		-e http2.headers.method -e http2.headers.path 2>/dev/null |
		awk -F'\t' '{
			frame = $1
			if ($2 != "") { split($2, seg, " "); frame = seg[1] }
			if ($3 != "") { n = split($3, m, " "); split($4, u, " ") } else { n = split($5, m, " "); split($6, u, " ") }
			for (i = 1; i <= n; i++) print frame "\t" m[i] "\t" u[i]
		}'
}
for f in *.pcap *.cap *.pcapng zeek/*.pcap zeek/*.pcapng zeek/*.pcap.gz; do
	if [ "$f" = h2c.pcapng ]; then
		{ requests "$f"; requests "$f" -d tcp.port==18080,http2; } | sort -n -s -k1,1 -u >"$f.tshark.tsv"
	elif [ "$f" = h2streams.pcap ]; then
		{ requests "$f"; requests "$f" -d tcp.port==18081,http2; } | sort -n -s -k1,1 -u >"$f.tshark.tsv"
	elif [ "$f" = dup-lo-any.pcapng ]; then
		continue
	else
		requests "$f" | sort -n -s -k1,1 >"$f.tshark.tsv"
	fi
done
