#!/bin/sh
# Regenerates the *.tshark.tsv expectations: one line per HTTP request as
# tshark sees it: the frame where the request starts (the first TCP
# segment of its reassembled PDU, else the frame itself), method, target.
# h2c.pcapng is read twice, once decoding port 18080 as HTTP/2 (tshark has
# no prior-knowledge h2c heuristic), and the two lists merged by frame.
# Usage: sh gen-tshark.sh   (run in this directory; needs tshark)
set -eu
requests() {
	tshark -r "$@" -Y 'http.request || http2.headers.method' -T fields \
		-e frame.number -e tcp.segment -e http.request.method -e http.request.uri \
		-e http2.headers.method -e http2.headers.path 2>/dev/null |
		awk -F'\t' '{
			frame = $1
			if ($2 != "") { split($2, seg, ","); frame = seg[1] }
			if ($3 != "") print frame "\t" $3 "\t" $4; else print frame "\t" $5 "\t" $6
		}'
}
for f in *.pcap *.cap *.pcapng; do
	if [ "$f" = h2c.pcapng ]; then
		{ requests "$f"; requests "$f" -d tcp.port==18080,http2; } | sort -n -u >"$f.tshark.tsv"
	else
		requests "$f" >"$f.tshark.tsv"
	fi
done
