#!/bin/sh
# crash.sh -- kill a store writer at random moments and check what survives.
#
#   sh tests/store/crash.sh [ROUNDS [BUILD-DIR]]
#
# Each round starts build/tests/crash_writer on the store (a fresh one every
# fifth round, the same one otherwise) with full, normal or process
# durability, with or without the message log (StoreLog=Y), the six taking
# turns, SIGKILLs it after 20-300 ms, and runs the checker on what the
# writer last reported committed: verify finds nothing, no gaps, next
# numbers follow the last stored message, nothing reported committed is
# missing.  Prints one summary line; exit 0 or 1.
set -u
rounds=${1:-20}
build=${2:-${FIXU_BUILD:-build}}
w=$build/tests/crash_writer
if [ ! -x "$w" ]; then
	echo "crash.sh: $w not built" >&2
	exit 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/fixu-crash.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT INT TERM
db=$dir/store.db
pass=0 fail=0 commits=0 i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	if [ $((i % 5)) -eq 1 ]; then
		rm -f "$db" "$db-wal" "$db-shm" "$db-log"
	fi
	mode=
	case $((i % 6)) in
	0) mode=-N ;;
	2) mode=-L ;;
	3) mode=-LN ;;
	4) mode=-P ;;
	5) mode=-LP ;;
	esac
	"$w" $mode "$db" > "$dir/out" 2> "$dir/err" &
	pid=$!
	ms=$((20 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 281))
	sleep "$(printf '0.%03d' "$ms")"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# The last complete line: a line cut by the kill does not count.
	last=$(grep -E '^commit [0-9]+ out=[0-9]+ in=[0-9]+$' "$dir/out" |
	    tail -n 1)
	n=0 out=0 in=0
	if [ -n "$last" ]; then
		n=${last#commit }
		n=${n%% *}
		out=${last#* out=}
		out=${out%% *}
		in=${last##* in=}
	fi
	commits=$((commits + n))
	if [ -s "$dir/err" ]; then
		echo "round $i: writer said:" >&2
		sed 's/^/  /' "$dir/err" >&2
	fi
	if [ ! -f "$db" ]; then
		# Killed before it made the file: nothing was promised.
		pass=$((pass + 1))
		continue
	fi
	if "$w" -c "$db" "$out" "$in" > "$dir/check" 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "round $i (killed after $ms ms, $n commits):" >&2
		sed 's/^/  /' "$dir/check" >&2
		cp "$db" "$db.fail$i" 2>/dev/null
	fi
done
echo "crash test: $rounds rounds, $commits commits, $pass passed, $fail failed"
[ "$fail" -eq 0 ]
