#!/bin/sh
# run.sh -- run every test and print one summary line.
#
#   sh tests/run.sh BUILD-DIR
#
# Unit tests print TAP; bats prints TAP with --tap; fuzz drivers replay
# their corpus plus a bounded number of random inputs.  The last line is
# "N passed, N failed[, N skipped]"; the exit status is 1 if any failed.
set -u
build=${1:-build}
top=$(pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/fixutil-check.XXXXXX")
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0

export FIXUTIL_DICT_PATH="$top/dicts"
export PATH="$top/$build/bin:$PATH"
export FIXU_BUILD="$build"
export LC_ALL=C

# tap NAME FILE: count a TAP stream, show failures.
tap() {
	p=$(grep -c '^ok ' "$2" | head -n1)
	f=$(grep -c '^not ok ' "$2" | head -n1)
	s=$(grep -ci '^ok .*# skip' "$2" | head -n1)
	p=$((p - s))
	plan=$(grep -c '^1\.\.' "$2")
	if [ "$plan" -eq 0 ]; then
		echo "  $1: no test plan (crashed?)"
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '  %-28s %5d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
	if [ "$f" -ne 0 ]; then
		grep -A6 '^not ok ' "$2" | sed 's/^/    /' | head -n 60
		[ "$plan" -eq 0 ] && tail -n 20 "$2" | sed 's/^/    /'
	fi
}

echo "unit tests:"
for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	"$t" > "$log/$n.tap" 2>&1
	tap "$n" "$log/$n.tap"
done

echo "fuzz drivers (bounded):"
for f in "$build"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	c=tests/fuzz/corpus/${n#fuzz_}
	if "$f" -r 20000 -s 1 "$c" > "$log/$n.out" 2>&1; then
		pass=$((pass + 1))
		printf '  %-28s passed (%s)\n' "$n" "$(tail -n1 "$log/$n.out")"
	else
		fail=$((fail + 1))
		printf '  %-28s FAILED\n' "$n"
		tail -n 30 "$log/$n.out" | sed 's/^/    /'
	fi
done

echo "store crash test (bounded; make crash-test runs more):"
if [ -x "$build/tests/crash_writer" ]; then
	if sh tests/store/crash.sh 20 "$build" > "$log/crash.out" 2>&1; then
		pass=$((pass + 1))
		printf '  %-28s passed (%s)\n' crash "$(tail -n1 "$log/crash.out")"
	else
		fail=$((fail + 1))
		printf '  %-28s FAILED\n' crash
		tail -n 30 "$log/crash.out" | sed 's/^/    /'
	fi
fi

# The bats files run FIXU_TEST_LANES (3) at a time: most of their time is
# spent waiting on servers, sockets and timers, not on the CPU.  Under the
# sanitizers every tool is several times slower and the tests wait on one
# another's CPU, so there they run one at a time (a fixsim.1 example
# failed once beside two other lanes under ASan).  The k-th
# file picks its free ports from a range of 400 of its own, so two files
# running together never pick the same port.
#
# Nothing may hang the run: a test gets FIXU_TEST_TIMEOUT seconds (bats
# fails it as "timeout"), a file four times that before it is killed.  A
# line says when each file is done, so a run cut short still shows where
# it was; the counts follow in file order.
echo "command-line tests:"
lanes=3 tmo=300
[ -n "${FIXU_SANITIZE:-}" ] && lanes=1 tmo=600
export BATS_TEST_TIMEOUT="${FIXU_TEST_TIMEOUT:-$tmo}"
i=0
for b in tests/cli/*.bats; do
	[ -f "$b" ] && printf '%s %d\n' "$b" "$i"
	i=$((i + 1))
done | xargs -P "${FIXU_TEST_LANES:-$lanes}" -L 1 sh -c '
	lo=$((20000 + $3 % 30 * 400)) n=$(basename "$2" .bats) t0=$(date +%s)
	FIXU_PORT_LO=$lo FIXU_PORT_HI=$((lo + 399)) timeout -k 10 \
	    $((BATS_TEST_TIMEOUT * 4)) bats --tap "$2" > "$1/$n.tap" 2>&1
	rc=$?
	[ $rc -eq 124 ] || [ $rc -eq 137 ] &&
	    echo "not ok - $n.bats killed after $((BATS_TEST_TIMEOUT * 4)) s" >> "$1/$n.tap"
	printf "    %s done in %d s\n" "$n" $(($(date +%s) - t0))' _ "$log"
for b in tests/cli/*.bats; do
	[ -f "$b" ] || continue
	n=$(basename "$b" .bats)
	tap "$n" "$log/$n.tap"
done

# The QuickFIX acceptance suite (../shared/quickfix-at; skipped when absent):
# in process against the state machine, then over TCP against fixsession.
echo "session conformance (QuickFIX acceptance suite):"
at=${FIXU_AT_DIR:-$top/../shared/quickfix-at}
if [ -d "$at/server" ]; then
	if [ -x "$build/tests/at_inproc" ]; then
		for d in fix40 fix41 fix42 fix43 fix44 fix50 fix50sp1 \
		    fix50sp2 validate; do
			ls "$at/server/$d"/*.def
		done > "$log/at.list"
		cut -f1 tests/at/exceptions | grep -v '^#' |
		    sed 's|^|/|; s|$|$|' > "$log/at.except"
		n=$(grep -c -f "$log/at.except" "$log/at.list")
		grep -v -f "$log/at.except" "$log/at.list" |
		    xargs "$build/tests/at_inproc" > "$log/at_inproc.tap" 2>&1
		tap at_inproc "$log/at_inproc.tap"
		echo "    ($n skipped: tests/at/exceptions)"
		skip=$((skip + n))
	fi
	if [ -x "$build/bin/fixsim" ]; then
		FIXU_AT_DIR=$at sh tests/at/run.sh "$build" > "$log/at_tcp.tap" 2>&1
		tap at_fixsession "$log/at_tcp.tap"
	fi
else
	echo "  skipped: $at not found"
	skip=$((skip + 1))
fi

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
