#!/usr/bin/env bash
# bench/identical.sh: checks that two traceaudit binaries give byte-identical
# output on every trace in the repository (testdata/samples, the lab
# scenarios in each of their forms, and the corpus copies under the
# packages' testdata/), for scan, events and exchanges in JSON.
#
#   go build -o /some/old/traceaudit ./cmd/traceaudit    # at the commit before a change
#   go build -o /some/new/traceaudit ./cmd/traceaudit    # after it
#   bench/identical.sh /some/old/traceaudit /some/new/traceaudit [EXTRA_DIR...]
#
# A speed change must not change a single output byte: exit 0 when every
# output (stdout, and the exit code) is identical, 1 with the differing files
# listed otherwise. Fuzz corpora are left out (they are not traces).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY [EXTRA_DIR...]" >&2; exit 2; }
old=$1 new=$2
shift 2
cd "$(dirname "$0")/.."

files=()
while IFS= read -r f; do files+=("$f"); done < <(
	{
		find testdata/samples "$@" -type f
		find . -path ./bench/out -prune -o -path '*/testdata/*' -type f \
			\( -name '*.har' -o -name '*.har.gz' -o -name '*.zhar' -o -name '*.saz' -o -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print |
			grep -v '/fuzz/' | sed 's|^\./||'
	} | sort -u)

differ=0 n=0
for f in "${files[@]}"; do
	extra=()
	dir=$(dirname "$f")
	case $f in
	*.pcap | *.pcapng) [ -s "$dir/keys.log" ] && extra=(--keylog "$dir/keys.log") ;;
	esac
	for cmd in scan events exchanges; do
		args=("$cmd" -f json --progress never "${extra[@]}" "$f")
		[ "$cmd" = scan ] && args=(scan -f json --fail-on never --progress never "${extra[@]}" "$f")
		a=$("$old" "${args[@]}" 2>&1; echo "exit $?")
		b=$("$new" "${args[@]}" 2>&1; echo "exit $?")
		n=$((n + 1))
		if [ "$a" != "$b" ]; then
			echo "DIFFERS: $cmd $f"
			# diff exits 1 here: under pipefail that would end the script at the
			# first difference instead of listing them all.
			diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 10 || true
			differ=1
		fi
	done
done
echo "${#files[@]} files, $n outputs compared: $([ $differ = 0 ] && echo identical || echo DIFFERENT)"
exit $differ
