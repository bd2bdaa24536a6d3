#!/usr/bin/env bash
# bench/run.sh: one command for traceaudit's speed and peak memory on large
# inputs, against the tools people use today, and on a batch of files.
#
#   bench/run.sh                 # everything; ~10 minutes on a loaded 2-core machine,
#                                # most of it `scan` of the 300 MB pcap
#   REPEAT=3 bench/run.sh        # median (by wall time) of 3 runs per measurement
#   PROFILE=1 bench/run.sh       # also CPU and heap profiles of `scan` per reader on the
#                                # 10x inputs, top frames printed, profiles in bench/out/*.prof
#                                # (PROFILE="har saz": only those)
#   SKIP=batch bench/run.sh      # skip a part: any of har pcap saz batch (space separated)
#   BENCH_OUT=/some/dir bench/run.sh  # work somewhere else than bench/out
#
# What it does, in one run:
#   1. builds traceaudit once, static (bench/out/traceaudit), and the generators of
#      har/internal/harbench, pcap/internal/pcapbench and saz/internal/har2saz;
#   2. generates into bench/out/ (ignored by git; kept between runs):
#      a HAR at 1x (24 entries of ~850 KB, ~20 MB) and 10x (240 entries, ~200 MB),
#      HARs shaped like real ones: 20,000 entries (~220 MB), 100,000 small
#      entries (~170 MB) and a customer-like one (2,000 entries, mostly
#      base64 images, ~55 MB),
#      a pcap at 1x (1,300 keep-alive connections, ~30 MB) and 10x (13,000, ~300 MB)
#      and a customer-like one (444 connections, 2,220 requests, mostly gzip and br
#      scripts, JSON, images and fonts, ~60 MB) and one of 3,000 connections open
#      at once (~32 MB; cap-wide-read is the capture reader alone),
#      a SAZ of SAZ_SESSIONS (4,000) sessions (~33 MB) and one of
#      SAZ_BIG_SESSIONS (9,000, ~74 MB, the size of issue 18's SAZ);
#   3. times `traceaudit exchanges -f jsonl` and `traceaudit scan -f json` on
#      each, and jq (HAR), tshark (pcap), unzip -p | grep (SAZ) extracting the
#      same requests (SAZ: two peers, unzip -p of the whole archive, which
#      inflates every member as traceaudit does, and of the request members
#      raw/*_c.txt only, ~5 % of the bytes); checks the request counts agree; prints wall time,
#      MB/s, CPU time, peak RSS (/usr/bin/time -v) and the ratios;
#   4. prints peak RSS of `scan` at 1x and 10x (memory must stay flat; the
#      goal is <= 64 MiB on the 200 MB HAR), and the table of issue 18: scan
#      against jq, tshark and unzip -p, wall time, ratio and peak RSS;
#   5. builds bench/out/batch/ (~200 mixed traces: copies of testdata/samples,
#      the lab scenarios and the SAZ lab fixtures under varied names, plus
#      broken files), scans it with -j 1 and -j 2, prints files/s and checks
#      the two outputs are identical.
#
# Wall time on a shared machine is noisy; CPU time (user+sys) is the steadier
# comparison. The load average is printed with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench/out}
repeat=${REPEAT:-1}
saz_sessions=${SAZ_SESSIONS:-4000}
saz_big_sessions=${SAZ_BIG_SESSIONS:-9000}
skip=" ${SKIP:-} "
mkdir -p "$out"

need=()
command -v jq >/dev/null || need+=(jq)
command -v tshark >/dev/null || need+=(tshark)
command -v unzip >/dev/null || need+=(unzip)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== build"
ta=$out/traceaudit
# Built as the README's static binary: with cgo, the dynamic loader and the C
# library (linked for net's resolver, which traceaudit never calls) add ~1.5 ms
# to each start, a twentieth of the customer-like capture's scan.
CGO_ENABLED=0 go build -o "$ta" ./cmd/traceaudit
go build -o "$out/harbench" ./har/internal/harbench
go build -o "$out/pcapbench" ./pcap/internal/pcapbench

echo "== inputs (bench/out, generated once)"
gen_har() { # FILE ENTRIES [HARBENCH FLAGS...]
	[ -s "$1" ] || "$out/harbench" -gen "$1" -entries "$2" "${@:3}" >/dev/null
}
gen_pcap() { # FILE CONNS [PCAPBENCH FLAGS...]
	[ -s "$1" ] || "$out/pcapbench" -o "$1" -conns "$2" "${@:3}" >/dev/null
}
profile=${PROFILE:-}
[ "$profile" = 1 ] && profile="har pcap saz"
profile=" $profile "
# needed KIND: the inputs of KIND are measured or profiled.
needed() { [[ $skip != *" $1 "* || $profile == *" $1 "* ]]; }
inputs=()
if needed har; then
	gen_har "$out/har-1x.har" 24
	gen_har "$out/har-10x.har" 240
	# Shaped like real HARs: many entries, where per-entry costs show
	# (20,000 of ~11 KB; 100,000 of ~1.7 KB; one in ten a token request
	# answered with an Entra-shaped token response), and a customer's (a
	# sign-in, then mostly base64 images).
	gen_har "$out/har-20k.har" 20000 -body-bytes 9500
	gen_har "$out/har-100k.har" 100000 -body-bytes 100
	gen_har "$out/har-customer.har" 2000 -body-kb 30 -customer
	inputs+=("$out/har-1x.har" "$out/har-10x.har" "$out/har-20k.har" "$out/har-100k.har" "$out/har-customer.har")
fi
if needed pcap; then
	gen_pcap "$out/cap-1x.pcap" 1300
	gen_pcap "$out/cap-10x.pcap" 13000
	# Shaped like a customer's: a sign-in, then 2,200 requests for gzip and
	# br scripts, styles and JSON (chunked or not), images and fonts.
	gen_pcap "$out/cap-customer.pcap" 444 -customer
	# 3,000 connections open at once: what the reader holds per connection.
	gen_pcap "$out/cap-wide.pcap" 6000 -concurrent 3000 -per-conn 2 -body 2000
	inputs+=("$out/cap-1x.pcap" "$out/cap-10x.pcap" "$out/cap-customer.pcap" "$out/cap-wide.pcap")
fi
# gen_saz FILE SESSIONS: a HAR of small entries (16 KB bodies, every tenth
# a token request answered with tokens), converted the way the SAZ lab fixtures are: one session
# per entry.
gen_saz() {
	[ -s "$1" ] && return
	"$out/harbench" -gen "$out/saz-src.har" -entries "$2" -body-kb 16 >/dev/null
	go run ./saz/internal/har2saz/mkfixture.go "$out/saz-src.har" "$1"
	rm -f "$out/saz-src.har"
}
saz=$out/sessions-$saz_sessions.saz
saz_big=$out/sessions-$saz_big_sessions.saz
if needed saz; then
	gen_saz "$saz" "$saz_sessions"
	gen_saz "$saz_big" "$saz_big_sessions"
	inputs+=("$saz" "$saz_big")
fi
for f in "${inputs[@]}"; do
	printf '  %-32s %8.1f MB\n' "$f" "$(stat -c %s "$f" | awk '{ print $1 / 1e6 }')"
done

results=$out/results.tsv
: >"$results"

# measure LABEL INPUT CMD...: runs CMD $repeat times under /usr/bin/time -v
# (stdout to $out/LABEL.out) and appends to $results the median run by wall
# time: label, input bytes, wall s, cpu s, peak RSS KiB, exit status.
# Exit status 1 is normal for traceaudit scan (findings) and grep -c (none).
measure() {
	local label=$1 input=$2
	shift 2
	local size runs=""
	size=$(du -sbL "$input" | cut -f1)
	for _ in $(seq "$repeat"); do
		/usr/bin/time -v -o "$out/$label.time" "$@" >"$out/$label.out" 2>"$out/$label.err" || true
		runs+=$(awk -v label="$label" -v size="$size" '
			/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
			/User time \(seconds\)/ { cpu += $NF }
			/System time \(seconds\)/ { cpu += $NF }
			/Maximum resident set size/ { rss = $NF }
			/Exit status/ { status = $NF }
			/Command terminated by signal/ { status = "sig" $NF }
			END { printf "%s\t%d\t%.3f\t%.3f\t%d\t%s\n", label, size, wall, cpu, rss, status }' "$out/$label.time")$'\n'
	done
	local med
	med=$(printf '%s' "$runs" | sort -t$'\t' -k3,3n | sed -n "$(((repeat + 1) / 2))p")
	printf '%s\n' "$med" >>"$results"
	printf '  %s\n' "$med"
}

# field LABEL N: column N of LABEL's line in $results.
field() { awk -F'\t' -v l="$1" -v n="$2" '$1 == l { print $n }' "$results"; }

# check_counts WHAT A B: the two tools must see the same number of requests.
mismatch=0
check_counts() {
	if [ "$2" != "$3" ]; then
		echo "  MISMATCH $1: traceaudit $2, reference $3" >&2
		mismatch=1
	else
		echo "  $1: both see $2 requests"
	fi
}

# jsonl_lines LABEL: request lines in a traceaudit exchanges -f jsonl output.
jsonl_lines() { wc -l <"$out/$1.out"; }

if [[ $skip != *" har "* ]]; then
	echo "== HAR"
	for size in 1x 10x; do
		measure "har-$size-scan" "$out/har-$size.har" "$ta" scan -f json --progress never "$out/har-$size.har"
	done
	measure har-10x-exchanges "$out/har-10x.har" "$ta" exchanges -f jsonl --progress never "$out/har-10x.har"
	measure har-10x-jq "$out/har-10x.har" jq -c '.log.entries[] | [.request.method,.request.url,.response.status]' "$out/har-10x.har"
	check_counts HAR "$(jsonl_lines har-10x-exchanges)" "$(jsonl_lines har-10x-jq)"
	for shape in 20k 100k customer; do
		f=$out/har-$shape.har
		measure "har-$shape-scan" "$f" "$ta" scan -f json --progress never "$f"
		measure "har-$shape-jq" "$f" jq -c '.log.entries[] | [.request.method,.request.url,.response.status]' "$f"
		check_counts "HAR $shape" "$(grep -m1 -o '"exchanges": [0-9]*' "$out/har-$shape-scan.out" | grep -o '[0-9]*$')" "$(jsonl_lines "har-$shape-jq")"
	done
fi

if [[ $skip != *" pcap "* ]]; then
	echo "== pcap"
	for size in 1x 10x; do
		measure "cap-$size-scan" "$out/cap-$size.pcap" "$ta" scan -f json --progress never "$out/cap-$size.pcap"
	done
	measure cap-10x-exchanges "$out/cap-10x.pcap" "$ta" exchanges -f jsonl --progress never "$out/cap-10x.pcap"
	measure cap-10x-tshark "$out/cap-10x.pcap" tshark -r "$out/cap-10x.pcap" -Y http.request -T fields -e http.request.method -e http.request.full_uri
	check_counts pcap "$(jsonl_lines cap-10x-exchanges)" "$(jsonl_lines cap-10x-tshark)"
	f=$out/cap-customer.pcap
	measure cap-customer-scan "$f" "$ta" scan -f json --progress never "$f"
	measure cap-customer-exchanges "$f" "$ta" exchanges -f jsonl --progress never "$f"
	measure cap-customer-tshark "$f" tshark -r "$f" -Y http.request -T fields -e http.request.method -e http.request.full_uri
	check_counts "pcap customer" "$(jsonl_lines cap-customer-exchanges)" "$(jsonl_lines cap-customer-tshark)"
	f=$out/cap-wide.pcap
	measure cap-wide-scan "$f" "$ta" scan -f json --progress never "$f"
	measure cap-wide-read "$f" "$out/pcapbench" -read "$f"
fi

if [[ $skip != *" saz "* ]]; then
	echo "== SAZ"
	# Two peers, as unzip -p concatenates members: the whole archive
	# (every member inflated and CRC-checked, as traceaudit does; issue 18's
	# peer) and the request members only (raw/*_c.txt, ~5 % of the bytes).
	# Timed as issue 18 ran them: grep -c of lines starting a request. A
	# request body without a final newline runs into the next request line,
	# so the counts are checked apart, untimed, with request lines counted
	# wherever they start (responses and _m.xml hold none).
	unzip_time='unzip -p "$1" ${2:+"$2"} | grep -a -c -E "^[A-Z]+ (https?://|/)[^ ]* HTTP/[0-9.]+"'
	unzip_count() { unzip -p "$1" ${2:+"$2"} | grep -a -o -E "[A-Z]+ (https?://|/)[^ ]* HTTP/[0-9.]+" | wc -l; }
	for f in "$saz" "$saz_big"; do
		l=saz-$(basename "$f" .saz | sed 's/^sessions-//')
		measure "$l-scan" "$f" "$ta" scan -f json --progress never "$f"
		measure "$l-exchanges" "$f" "$ta" exchanges -f jsonl --progress never "$f"
		measure "$l-unzip-all" "$f" sh -c "$unzip_time" sh "$f"
		measure "$l-unzip-req" "$f" sh -c "$unzip_time" sh "$f" 'raw/*_c.txt'
		check_counts "SAZ $l, whole archive" "$(jsonl_lines "$l-exchanges")" "$(unzip_count "$f")"
		check_counts "SAZ $l, request members" "$(jsonl_lines "$l-exchanges")" "$(unzip_count "$f" 'raw/*_c.txt')"
	done
fi

if [[ $skip != *" batch "* ]]; then
	echo "== batch"
	batch=$out/batch
	rm -rf "$batch"
	mkdir -p "$batch"
	pool=()
	for f in testdata/samples/*.har testdata/samples/*.pcap* testdata/lab/scenarios/*/trace.har \
		testdata/lab/scenarios/*/capture.pcap testdata/lab/scenarios/*/capture-dsb.pcapng saz/testdata/lab/*.saz; do
		[ -s "$f" ] && pool+=("$f")
	done
	# Varied names and depths: ticket folders, customer-style names, and
	# every seventh file without its extension (the format is sniffed).
	n=0
	while [ "$n" -lt 192 ]; do
		src=${pool[$((n % ${#pool[@]}))]}
		dir=$batch/ticket-$((1000 + n % 23))/$((n % 3))
		mkdir -p "$dir"
		base=$(basename "$(dirname "$src")")-$(basename "$src")
		name=case$((n * 7919 % 100000))-$base
		[ $((n % 7)) -eq 3 ] && name=${name%.*}
		cp "$src" "$dir/$name"
		n=$((n + 1))
	done
	# Broken files: truncated in the middle, garbage, empty, not a trace.
	mkdir -p "$batch/broken"
	head -c 3000 testdata/samples/okta-har-analyzer-sample.har >"$batch/broken/truncated.har"
	head -c 5000 testdata/samples/code-expired.pcapng >"$batch/broken/truncated.pcapng"
	head -c 4000 saz/testdata/lab/refresh-fosite.saz >"$batch/broken/truncated.saz"
	head -c 65536 /dev/urandom >"$batch/broken/garbage.pcap"
	: >"$batch/broken/empty.har"
	printf 'not a trace\n' >"$batch/broken/notes.txt"
	{ printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00'; head -c 4000 /dev/urandom; } >"$batch/broken/bad-header.pcap"
	files=$(find "$batch" -type f | wc -l)
	for j in 1 2; do
		measure "batch-j$j" "$batch" "$ta" scan -f json --progress always -j "$j" "$batch"
	done
	if cmp -s "$out/batch-j1.out" "$out/batch-j2.out" && [ "$(field batch-j1 6)" = "$(field batch-j2 6)" ]; then
		echo "  -j 1 and -j 2: identical output ($(wc -c <"$out/batch-j1.out") bytes), exit $(field batch-j1 6)"
	else
		echo "  MISMATCH: -j 1 and -j 2 outputs differ (see $out/batch-j1.out, $out/batch-j2.out)" >&2
		mismatch=1
	fi
	echo "  closing summary (-j 2): $(tr '\r' '\n' <"$out/batch-j2.err" | grep -v '^\s*$' | tail -n 1)"
fi

echo
echo "== results: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) (at the end), median of $repeat run(s)"
awk -F'\t' -v files="${files:-0}" -v bigsaz="$saz_big_sessions" '
	{ label[NR] = $1; size[NR] = $2; wall[NR] = $3; cpu[NR] = $4; rss[NR] = $5; st[NR] = $6; at[$1] = NR }
	END {
		printf "%-20s %9s %8s %9s %8s %10s %10s %5s\n", "case", "input MB", "wall s", "MB/s", "cpu s", "MB/cpu-s", "peak RSS", "exit"
		for (i = 1; i <= NR; i++) {
			w = wall[i] > 0 ? wall[i] : 0.001; c = cpu[i] > 0 ? cpu[i] : 0.001
			printf "%-20s %9.1f %8.2f %9.1f %8.2f %10.1f %6.1f MiB %5s\n", label[i], size[i]/1e6, wall[i], size[i]/1e6/w, cpu[i], size[i]/1e6/c, rss[i]/1024, st[i]
		}
		print ""
		split("har-10x-jq cap-10x-tshark saz-" bigsaz "-unzip-all", refs, " ")
		split("har-10x-exchanges cap-10x-exchanges saz-" bigsaz "-exchanges", ours, " ")
		for (k = 1; k <= 3; k++) {
			r = at[refs[k]]; o = at[ours[k]]
			if (!r || !o) continue
			printf "%-18s vs %-15s wall %6.2fx, cpu %6.2fx faster; peak RSS %6.1f vs %6.1f MiB\n", ours[k], refs[k], wall[r]/wall[o], cpu[r]/cpu[o], rss[o]/1024, rss[r]/1024
		}
		print ""
		split("har cap", kinds, " ")
		for (k = 1; k <= 2; k++) {
			a = at[kinds[k] "-1x-scan"]; b = at[kinds[k] "-10x-scan"]
			if (!a || !b) continue
			printf "memory, scan %-4s 1x %6.1f MB -> %5.1f MiB; 10x %6.1f MB -> %5.1f MiB (x%.2f for x%.1f input)\n", kinds[k], size[a]/1e6, rss[a]/1024, size[b]/1e6, rss[b]/1024, rss[b]/rss[a], size[b]/size[a]
		}
		if (at["har-10x-scan"]) {
			m = rss[at["har-10x-scan"]]/1024
			printf "goal: scan of the 200 MB HAR within 64 MiB: %s (%.1f MiB)\n", m <= 64 ? "met" : "NOT met", m
		}
		for (j = 1; j <= 2; j++) {
			b = at["batch-j" j]
			if (b) printf "batch -j %d: %d files in %.2f s: %.1f files/s, %.1f MB/s, cpu %.2f s, peak RSS %.1f MiB\n", j, files, wall[b], files/wall[b], size[b]/1e6/wall[b], cpu[b], rss[b]/1024
		}
	}' "$results"

# The table of issue 18: scan (every rule) against the tool people would
# use to get at the same requests, side by side in this run. Wall time is
# what a user waits; CPU time (user + sys) is steadier on a shared machine.
echo
echo "| case | traceaudit scan wall (cpu) | peer wall (cpu) | ratio wall (cpu) | peak RSS |"
echo "|---|---:|---:|---:|---:|"
for row in "har-20k-scan har-20k-jq jq HAR, 20,000 entries" "har-100k-scan har-100k-jq jq HAR, 100,000 small entries" \
	"har-customer-scan har-customer-jq jq HAR, 2,000 entries, base64 images" "har-10x-scan har-10x-jq jq HAR, 240 entries of 850 KB" \
	"cap-10x-scan cap-10x-tshark tshark pcap, 13,000 connections" \
	"cap-customer-scan cap-customer-tshark tshark pcap, 2,220 requests, compressed bodies, images" \
	"saz-$saz_sessions-scan saz-$saz_sessions-unzip-all unzip-p SAZ, $saz_sessions sessions, peer: whole archive" \
	"saz-$saz_sessions-scan saz-$saz_sessions-unzip-req unzip-p-req SAZ, $saz_sessions sessions, peer: request members only" \
	"saz-$saz_big_sessions-scan saz-$saz_big_sessions-unzip-all unzip-p SAZ, $saz_big_sessions sessions, peer: whole archive" \
	"saz-$saz_big_sessions-scan saz-$saz_big_sessions-unzip-req unzip-p-req SAZ, $saz_big_sessions sessions, peer: request members only"; do
	set -- $row
	ours=$1 ref=$2 peer=$3
	shift 3
	[ -n "$(field "$ours" 3)" ] && [ -n "$(field "$ref" 3)" ] || continue
	awk -v name="$*" -v peer="$peer" -v size="$(field "$ours" 2)" -v w="$(field "$ours" 3)" -v c="$(field "$ours" 4)" \
		-v pw="$(field "$ref" 3)" -v pc="$(field "$ref" 4)" -v rss="$(field "$ours" 5)" 'BEGIN {
		if (peer == "unzip-p") peer = "unzip -p"
		if (peer == "unzip-p-req") peer = "unzip -p raw/*_c.txt"
		w = w > 0 ? w : 0.001; c = c > 0 ? c : 0.001
		printf "| %s, %.0f MB | %.2f s (%.2f s) | %s %.2f s (%.2f s) | %.1fx (%.1fx) | %.1f MiB |\n", name, size/1e6, w, c, peer, pw, pc, pw/w, pc/c, rss/1024
	}'
done

if [ -n "${profile// /}" ]; then
	echo
	echo "== CPU and heap profiles through the CLI (go test -bench BenchmarkCLI)"
	for kind in $profile; do
		case $kind in
		har) file=$out/har-10x.har ;;
		pcap) file=$out/cap-10x.pcap ;;
		saz) file=$saz ;;
		*) echo "PROFILE: unknown input $kind (har, pcap, saz)" >&2 && exit 2 ;;
		esac
		file=$(realpath "$file")
		TRACEAUDIT_BENCH_FILE=$file go test -run '^$' -bench '^BenchmarkCLIFile$/^scan$' -benchtime 1x \
			-cpuprofile "$out/cpu-$kind.prof" -memprofile "$out/mem-$kind.prof" -o "$out/traceaudit.test" ./cmd/traceaudit >"$out/bench-$kind.txt" ||
			{ cat "$out/bench-$kind.txt" >&2 && exit 1; }
		echo "-- $kind: $(grep '^BenchmarkCLIFile' "$out/bench-$kind.txt")"
		go tool pprof -top -nodecount 12 "$out/traceaudit.test" "$out/cpu-$kind.prof" 2>/dev/null | sed -n '/^ *flat/,$p'
		echo "   heap (alloc_space):"
		go tool pprof -sample_index=alloc_space -top -nodecount 8 "$out/traceaudit.test" "$out/mem-$kind.prof" 2>/dev/null | sed -n '/^ *flat/,$p'
	done
fi

exit "$mismatch"
