#!/usr/bin/env bash
# bench/pcap.sh: speed and peak memory of traceaudit's capture reader against
# tshark listing the same HTTP requests, on a generated pcap of many
# interleaved keep-alive connections (CONNS=2000 makes about 46 MB).
#
#   bench/pcap.sh                  # REPEAT=1 run each
#   CONNS=8000 REPEAT=3 bench/pcap.sh
#
# Prints wall time, MB/s, CPU time (user+sys) and peak RSS per tool. On a
# shared machine wall time is noisy; CPU time is the steadier comparison.
# Files go to bench/out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
repeat=${REPEAT:-1}
conns=${CONNS:-2000}
mkdir -p "$out"

if ! command -v tshark >/dev/null || [ ! -x /usr/bin/time ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark time >/dev/null
fi

go build -o "$out/pcapbench" ./pcap/internal/pcapbench
cap=$out/big-$conns.pcap
[ -s "$cap" ] || "$out/pcapbench" -o "$cap" -conns "$conns"
size=$(stat -c %s "$cap")

# shellcheck source=bench/lib.sh
. bench/lib.sh

: >"$out/results"
run traceaudit "$out/pcapbench" -read "$cap"
run tshark tshark -r "$cap" -Y http.request -T fields -e http.request.method -e http.request.uri

reqs_ta=$(awk '{ print $2 }' "$out/traceaudit.out")
reqs_ts=$(wc -l <"$out/tshark.out")
if [ "$reqs_ta" != "$reqs_ts" ]; then
	echo "request counts differ: traceaudit $reqs_ta, tshark $reqs_ts" >&2
	exit 1
fi

echo "capture: $cap, $size bytes, $reqs_ts requests; best of $repeat runs; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v size="$size" '
	{ label[NR] = $1; wall[NR] = $2; cpu[NR] = $3; rss[NR] = $4 }
	END {
		printf "%-12s %9s %9s %9s %12s %10s\n", "tool", "wall s", "MB/s", "cpu s", "MB/cpu-s", "peak RSS"
		for (i = 1; i <= NR; i++)
			printf "%-12s %9.3f %9.1f %9.3f %12.1f %7.1f MiB\n", label[i], wall[i], size/1e6/wall[i], cpu[i], size/1e6/cpu[i], rss[i]/1024
		for (i = 2; i <= NR; i++)
			printf "traceaudit vs %-10s %5.1fx faster (wall), %5.1fx (cpu), %5.1fx less peak memory\n", label[i], wall[i]/wall[1], cpu[i]/cpu[1], rss[i]/rss[1]
	}' "$out/results"
