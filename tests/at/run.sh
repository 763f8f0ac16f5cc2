#!/bin/sh
# run.sh -- the QuickFIX acceptance suite against fixsession, as TAP.
#
#   sh tests/at/run.sh BUILD [DIR|FILE.def ...]
#
# Run from the top of the tree.  The suite is read from ../shared/quickfix-at
# (or $FIXU_AT_DIR); without it the run is skipped.  DIR names a directory
# of the suite's server/ (fix42) or any directory of .def files; the default
# is every version directory and validate/ (not future/, which the original
# suite does not run either).
#
# Every .def gets a fresh fixsession: its own settings file, an empty store
# and a free port on 127.0.0.1, with the echo application (BUILD/tests/
# at_echo) as its child command; "fixsim script" plays the file (with the
# suite's fields.fmt and its default waits: 20 s for an E line, 10 s for
# eDISCONNECT), then fixsession gets SIGTERM (SIGKILL a few seconds later).
# Files run $FIXU_AT_JOBS at a time (default: four per CPU, at least 8),
# since most of the time goes to heartbeat tests waiting; the TAP stream
# lists them in a stable order, and a failure carries fixsim's report and
# the end of fixsession's output.  A file that fails there is played once
# more, alone, when the lanes are done (see below); if it passes then, its
# line says so and carries the first failure.
# Files listed in tests/at/exceptions are reported as skipped, with the
# reason given there.
#
# Exit: 0 all passed (or skipped), 1 some failed, 2 usage.
set -u

usage() {
	echo "usage: sh tests/at/run.sh BUILD [DIR|FILE.def ...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$1
shift
top=$(pwd)
case $build in
/*) ;;
*) build=$top/$build ;;
esac
suite=${FIXU_AT_DIR:-$top/../shared/quickfix-at}
[ -d "$suite" ] && suite=$(cd "$suite" && pwd)

skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

[ -f "$suite/fields.fmt" ] && [ -d "$suite/server" ] ||
    skip "quickfix-at not found"
for p in bin/fixsession bin/fixsim tests/at_echo; do
	[ -x "$build/$p" ] || skip "$p not built"
done

export FIXUTIL_DICT_PATH="$top/dicts" LC_ALL=C
. "$top/tools/net.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/fixutil-at.XXXXXX") || exit 5
lanes=
trap 'rm -rf "$work"' EXIT
trap 'for l in $lanes; do kill -TERM "$l" 2> /dev/null; done; wait; exit 130' \
    HUP INT PIPE TERM

# The list of files, in order.
[ $# -gt 0 ] || set -- fix40 fix41 fix42 fix43 fix44 fix50 fix50sp1 \
    fix50sp2 validate
: > "$work/list"
for a in "$@"; do
	if [ -f "$a" ]; then
		echo "$a" >> "$work/list"
		continue
	fi
	d=$a
	[ -d "$d" ] || d=$suite/server/$a
	if [ ! -d "$d" ]; then
		echo "run.sh: $a: no such directory in the suite" >&2
		exit 2
	fi
	ls "$d" | grep '\.def$' | sort | sed "s|^|$d/|" >> "$work/list"
done
total=$(wc -l < "$work/list" | tr -d ' ')

# free_port: a free port (tools/net.sh) not taken by another lane (mkdir
# is atomic); a clash with something outside only costs a retry.
free_port() {
	k=0
	while [ $k -lt 50 ]; do
		p=$(pick_port) || return 1
		if mkdir "$work/port.$p" 2> /dev/null; then
			echo "$p"
			return 0
		fi
		k=$((k + 1))
	done
	return 1
}

write_cfg() {	# DIR PORT
	cat > "$1/at.cfg" <<-EOF
	[DEFAULT]
	ConnectionType=acceptor
	SenderCompID=ISLD
	SocketAcceptPort=$2
	SocketAcceptAddress=127.0.0.1
	ResetOnLogon=Y
	StartTime=00:00:00
	EndTime=00:00:00
	UseDataDictionary=Y
	StorePath=$1/at.db
	StoreDurability=normal
	EOF
	for s in FIX.4.0:TW40 FIX.4.1:TW41 FIX.4.2:TW42 FIX.4.3:TW43 \
	    FIX.4.4:TW44 FIX.4.4:TW; do
		printf '\n[SESSION]\nBeginString=%s\nTargetCompID=%s\n' \
		    "${s%%:*}" "${s#*:}"
	done >> "$1/at.cfg"
	printf '\n[SESSION]\nBeginString=FIX.4.4\n%s\n%s\n' \
	    TargetCompID=NO_CHECK_FIELDS_HAVE_VALUES \
	    ValidateFieldsHaveValues=N >> "$1/at.cfg"
	for s in TW50:FIX.5.0 TW50SP1:FIX.5.0SP1 TW50SP2:FIX.5.0SP2; do
		printf '\n[SESSION]\nBeginString=FIXT.1.1\n%s\n%s\n' \
		    "TargetCompID=${s%%:*}" "DefaultApplVerID=${s#*:}"
	done >> "$1/at.cfg"
}

# stop PID: SIGTERM, then SIGKILL if it is still there after 3 s.
stop() {
	kill -TERM "$1" 2> /dev/null
	i=0
	while kill -0 "$1" 2> /dev/null && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# run_one N FILE: play one file; the result is $work/N.tap.
run_one() {
	n=$1 def=$2
	d=$work/$n
	mkdir -p "$d"
	name=$(echo "$def" | awk -F/ '{ print (NF > 1 ? $(NF-1) "/" : "") $NF }')
	try=0 pid=
	while [ $try -lt 3 ]; do
		rm -f "$d/at.db" "$d/at.db-wal" "$d/at.db-shm"
		port=$(free_port) || break
		write_cfg "$d" "$port"
		(cd "$d" && exec "$build/bin/fixsession" -c at.cfg -- \
		    "$build/tests/at_echo") > "$d/fixsession.out" 2>&1 &
		pid=$!
		wait_listen "$pid" "$port" && break
		stop "$pid"
		pid=
		try=$((try + 1))
	done
	if [ -z "$pid" ]; then
		{
			echo "not ok $n - $name"
			echo "# fixsession did not start:"
			tail -n 10 "$d/fixsession.out" | sed 's/^/#   /'
		} > "$work/$n.tap"
		return
	fi
	"$build/bin/fixsim" script -T -f "$suite/fields.fmt" -p "$port" \
	    "$def" > "$d/fixsim.tap" 2> "$d/fixsim.err"
	rc=$?
	stop "$pid"
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name" > "$work/$n.tap"
		return
	fi
	{
		echo "not ok $n - $name"
		grep '^#' "$d/fixsim.tap"
		sed 's/^/# /' "$d/fixsim.err"
		echo "# fixsession's output ended with:"
		tail -n 15 "$d/fixsession.out" | tr '\001' '|' | sed 's/^/#   /'
	} > "$work/$n.tap"
}

# exception NAME: the reason fixutil does not pass this file, or nothing.
exception() {
	awk -F'\t' -v f="$1" '$1 == f { print $2; exit }' \
	    "$top/tests/at/exceptions"
}

# lane: take the next unclaimed file (mkdir is atomic) until none is left.
lane() {
	pid=
	trap '[ -n "$pid" ] && stop "$pid"; exit 143' TERM
	n=0
	while read -r def; do
		n=$((n + 1))
		mkdir "$work/claim.$n" 2> /dev/null || continue
		why=$(exception "${def##*/}")
		if [ -n "$why" ]; then
			name=$(echo "$def" | awk -F/ '{ print $(NF-1) "/" $NF }')
			echo "ok $n - $name # SKIP $why" > "$work/$n.tap"
			continue
		fi
		run_one "$n" "$def"
	done < "$work/list"
}

jobs=${FIXU_AT_JOBS:-}
if [ -z "$jobs" ]; then
	jobs=$(( $(nproc 2> /dev/null || echo 2) * 4 ))
	[ "$jobs" -ge 8 ] || jobs=8
fi
start=$(date +%s)
echo "1..$total"
j=0
while [ $j -lt "$jobs" ]; do
	lane &
	lanes="$lanes $!"
	j=$((j + 1))
done
wait

# A file that failed among the parallel lanes is played once more, alone.
# Some files log on with HeartBtInt=2 and expect a reply before the first
# Heartbeat; on a loaded machine (sanitizer builds, two CPUs) a round trip
# can take longer than that.  The rerun asserts exactly the same script;
# a file that passes only there is reported with its first failure.
n=0 reruns=0
while [ $n -lt "$total" ]; do
	n=$((n + 1))
	grep -q '^not ok' "$work/$n.tap" 2> /dev/null || continue
	mv "$work/$n.tap" "$work/$n.first"
	run_one "$n" "$(sed -n "${n}p" "$work/list")"
	if grep -q '^ok' "$work/$n.tap"; then
		reruns=$((reruns + 1))
		{
			sed 's/$/ # passed when rerun alone/;q' "$work/$n.tap"
			echo "# the run among the parallel lanes failed:"
			sed '1d; s/^#/#  /' "$work/$n.first"
		} > "$work/$n.tmp"
		mv "$work/$n.tmp" "$work/$n.tap"
	fi
done

n=0 failed=0
while [ $n -lt "$total" ]; do
	n=$((n + 1))
	if [ -f "$work/$n.tap" ]; then
		cat "$work/$n.tap"
		grep -q '^not ok' "$work/$n.tap" && failed=$((failed + 1))
	else
		echo "not ok $n - $(sed -n "${n}p" "$work/list") # no result"
		failed=$((failed + 1))
	fi
done
echo "# $((total - failed)) of $total passed in $(( $(date +%s) - start ))" \
    "s ($reruns of them when rerun alone)"
[ $failed -eq 0 ]
