# bench/lib.sh: shared by bench/har.sh and bench/pcap.sh (sourced, not run).
#
# run LABEL CMD...: runs CMD $repeat times under /usr/bin/time -v, output in
# $out/LABEL.out (stderr in $out/LABEL.err), and appends "label wall cpu
# rss_kb" for the best (lowest wall) run to $out/results.
run() {
	local label=$1
	shift
	local best=""
	for _ in $(seq "$repeat"); do
		/usr/bin/time -v -o "$out/$label.time" "$@" >"$out/$label.out" 2>"$out/$label.err"
		local line
		line=$(awk -v label="$label" '
			/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = (n == 3) ? p[1]*3600 + p[2]*60 + p[3] : p[1]*60 + p[2] }
			/User time \(seconds\)/ { cpu += $NF }
			/System time \(seconds\)/ { cpu += $NF }
			/Maximum resident set size/ { rss = $NF }
			END { printf "%s %.3f %.3f %d\n", label, wall, cpu, rss }' "$out/$label.time")
		if [ -z "$best" ] || awk -v a="$line" -v b="$best" 'BEGIN { split(a, x); split(b, y); exit !(x[2] < y[2]) }'; then
			best=$line
		fi
	done
	echo "$best" >>"$out/results"
}
