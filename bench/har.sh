#!/usr/bin/env bash
# bench/har.sh: speed and peak memory of traceaudit's HAR reader against jq on
# the same generated HAR (240 entries of ~850 KB bodies, ~200 MB).
#
#   bench/har.sh              # REPEAT=3 runs each; the best run is reported
#   REPEAT=5 bench/har.sh
#
# Prints wall time, MB/s, CPU time (user+sys) and peak RSS per tool, and the
# ratios. On a shared machine wall time is noisy; CPU time is the steadier
# comparison. Files go to bench/out/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
repeat=${REPEAT:-3}
mkdir -p "$out"

if ! command -v jq >/dev/null || [ ! -x /usr/bin/time ]; then
	apt-get update -qq && apt-get install -y -qq jq time >/dev/null
fi

go build -o "$out/harbench" ./har/internal/harbench
har=$out/bench.har
[ -s "$har" ] || "$out/harbench" -gen "$har"
size=$(stat -c %s "$har")

# shellcheck source=bench/lib.sh
. bench/lib.sh

: >"$out/results"
run traceaudit "$out/harbench" -read "$har"
run jq-length jq '.log.entries | length' "$har"
run jq-fields jq -c '.log.entries[] | [.request.method,.request.url,.response.status]' "$har"

entries_reader=$(awk '{ print $4 }' "$out/traceaudit.out")
entries_jq=$(cat "$out/jq-length.out")
lines_jq=$(wc -l <"$out/jq-fields.out")
if [ "$entries_reader" != "$entries_jq" ] || [ "$entries_jq" != "$lines_jq" ]; then
	echo "entry counts differ: traceaudit $entries_reader, jq $entries_jq, jq -c $lines_jq" >&2
	exit 1
fi

echo "HAR: $har, $size bytes, $entries_jq entries; best of $repeat runs; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v size="$size" '
	{ label[NR] = $1; wall[NR] = $2; cpu[NR] = $3; rss[NR] = $4 }
	END {
		printf "%-12s %9s %9s %9s %12s %10s\n", "tool", "wall s", "MB/s", "cpu s", "MB/cpu-s", "peak RSS"
		for (i = 1; i <= NR; i++)
			printf "%-12s %9.3f %9.1f %9.3f %12.1f %7.1f MiB\n", label[i], wall[i], size/1e6/wall[i], cpu[i], size/1e6/cpu[i], rss[i]/1024
		for (i = 2; i <= NR; i++)
			printf "traceaudit vs %-10s %5.1fx faster (wall), %5.1fx (cpu), %5.1fx less peak memory\n", label[i], wall[i]/wall[1], cpu[i]/cpu[1], rss[i]/rss[1]
	}' "$out/results"
