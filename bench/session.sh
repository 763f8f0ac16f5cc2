#!/bin/sh
# bench/session.sh -- fixsession against QuickFIX's executor, same client.
#
#   sh bench/session.sh [BUILD]        (BUILD defaults to build)
#
# Builds bench/sessload.c (the load client), bench/fillapp.c (the
# application behind fixsession) and bench/walmix.c (a WAL decoder) into
# BUILD/bench/, then measures, with
# sessload driving both servers the same way over 127.0.0.1:
#   a) QuickFIX's example executor (Debian's binary, started through
#      tests/interop/executor.sh, FileStore, screen log off): messages/s
#      each way (SESS_N orders as fast as the socket takes them, each
#      answered by a fill) and order-to-fill latency at SESS_RATE orders/s
#      open loop for SESS_SECS s; the throughput once more with the screen
#      log on, as Debian ships it
#   b) fixsession as the acceptor with `-- fillapp` behind it: first a
#      short run under strace that counts its fdatasync calls (the proof
#      that StoreDurability=full commits to the disk, in groups); a run
#      killed -9 after one second, whose WAL bench/walmix decodes into the
#      pages a commit writes, by table and index; then the
#      same two runs with StoreDurability=full, a check that the store holds
#      every order and fill the client counted, both runs again with
#      StoreDurability=normal, and both again with normal and StoreLog=Y
#      (the message log), then SESS_LONG orders at once with the log (the
#      rate at which its thread keeps up), with the same check of the store
#   c) idle memory: VmRSS of one fixsession with SESS_IDLE acceptor
#      sessions on one port, configured only and then with every one of
#      them logged on by an idle sessload; the executor the same way
#   d) the latency of a) and of fixsession with normal and StoreLog=Y
#      once more, and of fixsession with StoreDurability=process (no
#      sync, as the executor's FileStore) and StoreLog=Y, the three
#      servers running at once and their runs alternating, SESS_DUEL
#      rounds: the median p99 of each
#   e) the same servers for SESS_STEADY s at SESS_RATE without a pause,
#      SESS_STEADY_ROUNDS rounds taking turns as in d): the checkpoints a
#      5 s run misses come in it; median p99 and p50 of each
#   e') the same again while this script holds a PM QoS request of 0 us
#      on /dev/cpu_dma_latency (root only), so that no server pays for
#      waking a halted CPU: what fixsession's CpuDmaLatency=0 does
# sessload fails a run unless every order got exactly one fill matching
# it, with no gap in the sequence numbers and no reject; a failed run is
# never a figure.  Figures are printed with units and ratios fixsession /
# QuickFIX, and written as key=value lines (keys sess_*) to SESSION_RES
# when set (bench/run.sh sets it to its own results file) or else merged
# into BUILD/bench/results.txt.  Nothing passes or fails: what cannot be
# measured is reported as skipped, with the reason.
#
# Environment: SESS_N (100000), SESS_RATE (10000), SESS_SECS (5),
# SESS_RUNS (best of, 2), SESS_IDLE (100), SESS_LONG (1000000), SESS_DUEL
# (5), SESS_STEADY (30), SESS_STEADY_ROUNDS (3), SESS_GAP (2 s of quiet
# before each run of d and e), SESS_SPIN (0; 1: sessload -B, the client
# busy-waits between orders instead of sleeping, taking a CPU from the
# servers), CC.

set -u

B=${1:-build}
OUT=$B/bench
LIB=$B/lib/libfixutil.a
FIXSESSION=$B/bin/fixsession
FIXSTORE=$B/bin/fixstore
CC=${CC:-cc}
SESS_N=${SESS_N:-100000}
SESS_RATE=${SESS_RATE:-10000}
SESS_SECS=${SESS_SECS:-5}
SESS_RUNS=${SESS_RUNS:-2}
SESS_IDLE=${SESS_IDLE:-100}
SESS_LONG=${SESS_LONG:-1000000}
SPIN=
[ "${SESS_SPIN:-0}" = 1 ] && SPIN=-B
TOP=$(pwd)
if [ -n "${SESSION_RES:-}" ]; then
	RES=$SESSION_RES
	merge=0
else
	RES=$OUT/results.txt.sess
	merge=1
fi

mkdir -p "$OUT" || exit 5
# Absolute: the executor runs in its own directory and takes its
# FileStorePath relative to it.
W=$(cd "$OUT" && pwd)/session
[ "$merge" = 1 ] && { : > "$RES" || exit 5; }
rm -rf "$W"
mkdir -p "$W" || exit 5
KV=$RES
. "$(dirname "$0")/lib.sh"

children() {	# PID: the pids whose parent is PID
	cat /proc/[0-9]*/stat 2>/dev/null |
	    sed -n 's/^\([0-9]*\) (.*) . \([0-9]*\) .*/\1 \2/p' |
	    awk -v p="$1" '$2 == p { print $1 }'
}

rss_kb() {	# PID [FIELD]: VmRSS (or FIELD: RssAnon) in kB, or "skipped"
	r=$(sed -n "s/^${2:-VmRSS}:[[:space:]]*\([0-9]*\) kB/\1/p" \
	    "/proc/$1/status" 2>/dev/null)
	echo "${r:-skipped}"
}

mb() {	# kB -> MB (10^6 bytes) with one decimal, or what it was given
	num "$1" || { echo "$1"; return; }
	calc "sprintf(\"%.1f\", $1 * 1024 / 1e6)"
}

# sched PID...: "cpu_ns wait_ns" summed over every thread of the PIDs
# (/proc schedstat: time on a CPU, time runnable but waiting for one).
# A thread that ends between the two readings drops out of the sum.
sched() {
	for p in "$@"; do
		cat "/proc/$p/task/"*/schedstat 2>/dev/null
	done | awk '{ c += $1; w += $2 } END { printf "%.0f %.0f", c, w }'
}

# The server's processes whose CPU time the latency runs report.
SERVER_PIDS=
LOAD_FILLED=0	# fills counted by the clients since the server started

# load NAME PORT ARGS...: one sessload run into W/NAME.out; 0 when every
# order was filled and nothing went wrong.
load() {
	l_name=$1 l_port=$2
	shift 2
	# shellcheck disable=SC2086
	l_s0=$(sched $SERVER_PIDS)
	"$OUT/sessload" -j "$@" "127.0.0.1:$l_port" > "$W/$l_name.out" \
	    2> "$W/$l_name.err"
	l_rc=$?
	# shellcheck disable=SC2086
	l_s1=$(sched $SERVER_PIDS)
	echo "$l_s0 $l_s1" | awk '{ printf "srv_cpu_ms=%.0f srv_wait_ms=%.0f\n",
	    ($3 - $1) / 1e6, ($4 - $2) / 1e6 }' >> "$W/$l_name.out"
	f=$(get "$W/$l_name.out" filled)
	num "$f" && LOAD_FILLED=$((LOAD_FILLED + f))
	return $l_rc
}

# best NAME PORT KEY ARGS...: SESS_RUNS runs; the one with the highest
# KEY (reports_per_s) or, for p99_us, the lowest, is copied to W/NAME.out.
# Best of runs, as in bench/run.sh: the best run is the one the rest of the
# machine disturbed least, and both servers get the same treatment.  A
# failed run is never chosen; W/NAME.fail says how many failed and why.
# 1 when every run failed.
best() {
	b_name=$1 b_port=$2 b_key=$3
	shift 3
	b_best= b_i=0 b_fail=0
	rm -f "$W/$b_name.fail"
	while [ "$b_i" -lt "$SESS_RUNS" ]; do
		if load "$b_name.$b_i" "$b_port" "$@"; then
			b_v=$(get "$W/$b_name.$b_i.out" "$b_key")
			if [ -z "$b_best" ] || { [ "$b_key" = p99_us ] &&
			    [ "$(calc "$b_v < $b_best")" = 1 ]; } ||
			    { [ "$b_key" != p99_us ] &&
			    [ "$(calc "$b_v > $b_best")" = 1 ]; }; then
				b_best=$b_v
				cp "$W/$b_name.$b_i.out" "$W/$b_name.out"
			fi
		else
			b_fail=$((b_fail + 1))
			echo "$(why "$b_name.$b_i")" > "$W/$b_name.why"
			[ -z "$b_best" ] &&
			    cp "$W/$b_name.$b_i.out" "$W/$b_name.out"
		fi
		b_i=$((b_i + 1))
	done
	[ "$b_fail" -gt 0 ] && echo "$b_fail of $SESS_RUNS runs failed:" \
	    "$(cat "$W/$b_name.why")" > "$W/$b_name.fail"
	[ -n "$b_best" ]
}

why() {	# NAME: the reason a run failed, one line
	r=$(grep -v '^$' "$W/$1.err" 2>/dev/null | tail -n 1)
	[ -n "$r" ] || r="sessload exited without a reason"
	echo "$r"
}

failnote() {	# NAME: " (K of N runs failed: ...)" or nothing
	[ -f "$W/$1.fail" ] && echo " ($(cat "$W/$1.fail"))"
}

# report_max NAME KEYPREFIX LABEL: the throughput line of a run.  The
# orders and the fills cross in the same seconds, so one rate is both.
report_max() {
	o=$W/$1.out
	line "$3" "$(get "$o" reports_per_s) msgs/s each way" \
	    "($(get "$o" sent) orders in, $(get "$o" filled) fills out," \
	    "$(get "$o" elapsed_s) s)$(failnote "$1")"
	kv "${2}_orders_per_s" "$(get "$o" orders_per_s)"
	kv "${2}_reports_per_s" "$(get "$o" reports_per_s)"
}

report_lat() {	# NAME KEYPREFIX LABEL
	o=$W/$1.out
	line "$3" "p50 $(get "$o" p50_us)  p90 $(get "$o" p90_us)" \
	    " p99 $(get "$o" p99_us)  p99.9 $(get "$o" p999_us)" \
	    " max $(get "$o" max_us) us$(failnote "$1")"
	line "" "(client late: p50 $(get "$o" lag_p50_us)," \
	    "p99 $(get "$o" lag_p99_us) us; server on a CPU" \
	    "$(get "$o" srv_cpu_ms) ms, waiting for one" \
	    "$(get "$o" srv_wait_ms) ms)"
	for k in p50_us p90_us p99_us p999_us max_us lag_p50_us lag_p99_us \
	    srv_cpu_ms srv_wait_ms; do
		kv "${2}_$k" "$(get "$o" $k)"
	done
}

# ---- build ------------------------------------------------------------------

have_load=0
if [ ! -f "$LIB" ]; then
	echo "f) sessions: skipped ($LIB missing: run make all first)"
	skipped sess_qf_max_reports_per_s sess_fs_max_reports_per_s
	[ "$merge" = 1 ] && rm -f "$RES"
	exit 0
fi
if stale "$OUT/sessload" bench/sessload.c "$LIB"; then
	build sessload $CC $CFLAGS_B -o "$OUT/sessload" bench/sessload.c \
	    "$LIB" $PKG_LIBS -lm && have_load=1
else
	have_load=1
fi
if stale "$OUT/fillapp" bench/fillapp.c "$LIB"; then
	build fillapp $CC $CFLAGS_B -o "$OUT/fillapp" bench/fillapp.c \
	    "$LIB" $PKG_LIBS -lm || have_load=0
fi
have_mix=1
if stale "$OUT/walmix" bench/walmix.c; then
	build walmix $CC $CFLAGS_B -o "$OUT/walmix" bench/walmix.c \
	    $PKG_LIBS || have_mix=0
fi

LAT_N=$((SESS_RATE * SESS_SECS))
echo "f) sessions over 127.0.0.1, one load client for both servers" \
    "(bench/sessload, FIX.4.4, 141=Y)"
echo "   a run counts only if every order got exactly one fill matching it" \
    "(ClOrdID, Symbol, Side, CumQty) with no sequence gap and no reject"
echo "   max = $SESS_N orders as fast as the socket takes them; latency =" \
    "$SESS_RATE orders/s open loop for $SESS_SECS s, order due -> fill;" \
    "best of $SESS_RUNS runs"
if [ "$have_load" != 1 ]; then
	line "all" "skipped (sessload or fillapp did not build)"
	skipped sess_qf_max_reports_per_s sess_fs_max_reports_per_s
	[ "$merge" = 1 ] && rm -f "$RES"
	exit 0
fi
la=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
echo "   load average before: ${la:-unknown} (other work on the machine" \
    "shows up in every latency figure)"
kv sess_loadavg "${la:-unknown}"
kv sess_n "$SESS_N"
kv sess_rate "$SESS_RATE"
kv sess_secs "$SESS_SECS"
# The floor under StoreDurability=full: an order is committed before the
# application sees it and its fill before it is sent, two fsyncs in turn.
if "$OUT/sessload" -F "$W/fsync-probe" -n 300 > "$W/fsync.out" \
    2> "$W/fsync.err"; then
	line "disk: 4 KB overwrite + fdatasync" \
	    "p50 $(get "$W/fsync.out" fsync_p50_us)" \
	    " p99 $(get "$W/fsync.out" fsync_p99_us)" \
	    " max $(get "$W/fsync.out" fsync_max_us) us" \
	    "(two lie between an order and its fill under full)"
	kv sess_fsync_p50_us "$(get "$W/fsync.out" fsync_p50_us)"
	kv sess_fsync_p99_us "$(get "$W/fsync.out" fsync_p99_us)"
else
	line "disk: fdatasync" "skipped ($(tail -n 1 "$W/fsync.err"))"
fi
rm -f "$W/fsync-probe"

# ---- a) QuickFIX ------------------------------------------------------------

QF=$W/qf
QUIET='ScreenLogShowIncoming=N
ScreenLogShowOutgoing=N
ScreenLogShowEvents=N'
qf_max=skipped qf_p99=skipped qf_shipped=skipped have_qf=0
echo "a) QuickFIX 1.15 example executor (FileStore: fflush per message," \
    "never fsync; UseDataDictionary=N)"
if port=$(EXECUTOR_DEFAULTS=$QUIET sh tests/interop/executor.sh start "$QF" \
    2> "$W/qf-start.err"); then
	have_qf=1
	SERVER_PIDS=$(cat "$QF/executor.pid")
	load qf-warm "$port" -n 2000 -T 5 || true
	if best qf-max "$port" reports_per_s -n "$SESS_N" -r 0; then
		report_max qf-max sess_qf_max "max, screen log off"
		qf_max=$(get "$W/qf-max.out" reports_per_s)
	else
		line "max, screen log off" "skipped ($(why qf-max.0))"
		skipped sess_qf_max_reports_per_s
	fi
	if best qf-lat "$port" p99_us -n "$LAT_N" -r "$SESS_RATE" $SPIN; then
		report_lat qf-lat sess_qf_lat "latency at $SESS_RATE/s"
		qf_p99=$(get "$W/qf-lat.out" p99_us)
	else
		line "latency at $SESS_RATE/s" "skipped ($(why qf-lat.0))"
		skipped sess_qf_lat_p99_us
	fi
	kv sess_qf_rss_kb "$(rss_kb "$SERVER_PIDS")"
	sh tests/interop/executor.sh stop "$QF"
	# As Debian ships it: every message and event to stdout, a file.
	rm -rf "$QF.log"
	if port=$(sh tests/interop/executor.sh start "$QF.log" \
	    2> "$W/qf-start.err"); then
		SERVER_PIDS=$(cat "$QF.log/executor.pid")
		load qf-warm2 "$port" -n 2000 -T 5 || true
		if best qf-shipped "$port" reports_per_s -n "$SESS_N" -r 0; then
			report_max qf-shipped sess_qf_shipped \
			    "max, screen log on (as shipped)"
			qf_shipped=$(get "$W/qf-shipped.out" reports_per_s)
		else
			line "max, screen log on" \
			    "skipped ($(why qf-shipped.0))"
		fi
		sh tests/interop/executor.sh stop "$QF.log"
	else
		line "max, screen log on" "skipped (executor.sh:" \
		    "$(tail -n 1 "$W/qf-start.err"))"
	fi
else
	line "all" "skipped (executor.sh: $(tail -n 1 "$W/qf-start.err"))"
	skipped sess_qf_max_reports_per_s sess_qf_lat_p99_us
fi
SERVER_PIDS=

# ---- b) fixsession ----------------------------------------------------------

# fs_conf FILE PORT DURABILITY NSESS: an acceptor settings file;
# DURABILITY "normal+log" is StoreDurability=normal with StoreLog=Y.
fs_conf() {
	{
		printf '[DEFAULT]\nConnectionType=acceptor\n'
		printf 'SocketAcceptPort=%s\n' "$2"
		printf 'StartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n'
		printf 'UseDataDictionary=N\nStorePath=%s\n' "$1.db"
		printf 'StoreDurability=%s\n' "${3%+log}"
		[ "${3%+log}" != "$3" ] && printf 'StoreLog=Y\n'
		printf 'BeginString=FIX.4.4\nSenderCompID=EXECUTOR\n'
		if [ "$4" = 1 ]; then
			printf '\n[SESSION]\nTargetCompID=CLIENT1\n'
		else
			i=1
			while [ "$i" -le "$4" ]; do
				printf '\n[SESSION]\nTargetCompID=C%d\n' "$i"
				i=$((i + 1))
			done
		fi
	} > "$1"
}

FS_PID= PORT= FS_WRAP=
# fs_start NAME DURABILITY NSESS ARGS...: start fixsession in this shell
# (FS_PID; SERVER_PIDS with its application), listening on PORT.  With
# FS_WRAP set (a command prefix), FS_PID is the wrapper's and FS_CHILD
# fixsession's own.
fs_start() {
	name=$1 dur=$2 ns=$3
	shift 3
	try=0
	LOAD_FILLED=0
	while [ "$try" -lt 5 ]; do
		PORT=$(pick_port) || return 1
		rm -f "$W/$name.conf.db" "$W/$name.conf.db-wal" \
		    "$W/$name.conf.db-shm" "$W/$name.conf.db-log"
		fs_conf "$W/$name.conf" "$PORT" "$dur" "$ns"
		# shellcheck disable=SC2086
		$FS_WRAP "$FIXSESSION" -c "$W/$name.conf" "$@" < /dev/null \
		    > "$W/$name.stdout" 2> "$W/$name.stderr" &
		FS_PID=$!
		if wait_listen "$FS_PID" "$PORT"; then
			FS_CHILD=$FS_PID
			[ -n "$FS_WRAP" ] && FS_CHILD=$(children "$FS_PID")
			SERVER_PIDS="$FS_CHILD $(children "$FS_CHILD")"
			return 0
		fi
		stop_pid "$FS_PID"
		try=$((try + 1))
	done
	return 1
}

fs_stop() {
	[ -n "$FS_WRAP" ] && kill -TERM "$FS_CHILD" 2>/dev/null
	stop_pid "$FS_PID"
	SERVER_PIDS=
}

fs_why() {	# NAME: why fixsession failed
	r=$(grep -v '^$' "$W/$1.stderr" 2>/dev/null | tail -n 1)
	echo "${r:-no reason given}"
}

# store_check NAME: the store holds as many orders in and fills out as
# the clients counted, and fixstore verify finds no problem.
store_check() {
	db=$W/$1.conf.db
	if [ ! -x "$FIXSTORE" ]; then
		line "store after the runs" "skipped (fixstore not built)"
		return
	fi
	sid='FIX.4.4:EXECUTOR->CLIENT1'
	nd=$("$FIXSTORE" -S "$db" dump -e all -d in -m D "$sid" 2>&1 |
	    grep -c '35=D')
	n8=$("$FIXSTORE" -S "$db" dump -e all -d out -m 8 "$sid" 2>&1 |
	    grep -c '35=8')
	if "$FIXSTORE" -S "$db" verify > "$W/$1.verify" 2>&1; then
		v="verify: $(tail -n 1 "$W/$1.verify")"
	else
		v="fixstore verify FAILED: $(tail -n 1 "$W/$1.verify")"
	fi
	if [ "$nd" = "$LOAD_FILLED" ] && [ "$n8" = "$LOAD_FILLED" ]; then
		s="$nd orders in and $n8 fills out stored, as the clients"
		s="$s counted"
	else
		s="MISMATCH: $nd orders in and $n8 fills out stored, the"
		s="$s clients counted $LOAD_FILLED fills"
	fi
	line "store after the runs" "$s"
	line "" "$v"
	kv "sess_${2}_store_orders" "$nd"
	kv "sess_${2}_store_fills" "$n8"
	kv "sess_${2}_client_fills" "$LOAD_FILLED"
}

# fs_two NAME DURABILITY WHAT KEY [LONG]: fixsession (W/fs-NAME) with
# DURABILITY, its highest rate and its latency at SESS_RATE (kv keys KEY
# and KEY_lat), left in TWO_MAX and TWO_P99 ("skipped" when not measured);
# with LONG, then LONG orders as fast as it takes them, once (KEY_long, in
# TWO_LONG); 1 when it did not start.
fs_two() {
	TWO_MAX=skipped TWO_P99=skipped TWO_LONG=skipped
	if ! fs_start "fs-$1" "$2" 1 -q -- "$OUT/fillapp"; then
		line "$3" "skipped (fixsession did not start:" \
		    "$(fs_why "fs-$1"))"
		return 1
	fi
	port=$PORT
	load "fs-$1-warm" "$port" -n 2000 -T 5 || true
	if best "fs-$1-max" "$port" reports_per_s -n "$SESS_N" -r 0; then
		report_max "fs-$1-max" "$4" "max, $3"
		TWO_MAX=$(get "$W/fs-$1-max.out" reports_per_s)
	else
		line "max, $3" "skipped ($(why "fs-$1-max.0"))"
	fi
	if best "fs-$1-lat" "$port" p99_us -n "$LAT_N" -r "$SESS_RATE" \
	    $SPIN; then
		report_lat "fs-$1-lat" "${4}_lat" "latency at $SESS_RATE/s, $3"
		TWO_P99=$(get "$W/fs-$1-lat.out" p99_us)
	else
		line "latency at $SESS_RATE/s, $3" \
		    "skipped ($(why "fs-$1-lat.0"))"
	fi
	if [ -n "${5:-}" ]; then
		if load "fs-$1-long" "$port" -n "$5" -r 0; then
			report_max "fs-$1-long" "${4}_long" "sustained, $3"
			TWO_LONG=$(get "$W/fs-$1-long.out" reports_per_s)
		else
			line "sustained, $3" "skipped ($(why "fs-$1-long"))"
		fi
	fi
	fs_stop
}

fs_max=skipped fs_p99=skipped fs_normal=skipped fs_np99=skipped
fs_log=skipped fs_lp99=skipped fs_llong=skipped
echo "b) fixsession, acceptor, \`-- fillapp\` behind it, UseDataDictionary=N"
if [ ! -x "$FIXSESSION" ]; then
	line "all" "skipped ($FIXSESSION not built)"
	skipped sess_fs_max_reports_per_s sess_fs_lat_p99_us
else
	# Durability: count the fsyncs of a short run at the latency rate.
	DN=$((SESS_RATE / 5))
	[ "$DN" -lt 200 ] && DN=200
	for dur in full normal; do
		if ! command -v strace > /dev/null 2>&1; then
			line "fdatasync calls, $dur" "skipped (no strace)"
			continue
		fi
		FS_WRAP="strace -f --seccomp-bpf -qq -e trace=fsync,fdatasync
		    -o $W/fs-strace-$dur.trace"
		if fs_start "fs-strace-$dur" "$dur" 1 -q -- "$OUT/fillapp" &&
		    load "fs-strace-$dur" "$PORT" -n "$DN" -r "$SESS_RATE"; then
			fs_stop
			c=$(grep -c 'sync(' "$W/fs-strace-$dur.trace")
			line "fdatasync calls, $dur" "$c for $DN orders and" \
			    "$DN fills at $SESS_RATE/s (strace)"
			kv "sess_fs_${dur}_fsyncs" "$c"
			kv "sess_fs_${dur}_fsync_orders" "$DN"
		else
			fs_stop
			line "fdatasync calls, $dur" "skipped" \
			    "($(why "fs-strace-$dur"))"
		fi
	done
	FS_WRAP=
	# What a commit writes: fixsession killed -9 one second into a run
	# at the latency rate, its store copied and the WAL's last 2,000
	# commits named page by page (bench/walmix.c).
	if [ "$have_mix" = 0 ]; then
		line "store pages a commit, normal" "skipped (walmix did" \
		    "not build)"
	elif fs_start fs-mix normal 1 -q -- "$OUT/fillapp"; then
		"$OUT/sessload" -j -n $((SESS_RATE * 3)) -r "$SESS_RATE" -T 1 \
		    "127.0.0.1:$PORT" > "$W/fs-mix.out" 2> "$W/fs-mix.err" &
		m_load=$!
		sleep 1
		kill -KILL "$FS_PID" 2> /dev/null
		wait "$FS_PID" 2> /dev/null
		cp "$W/fs-mix.conf.db" "$W/mix.db" &&
		    cp "$W/fs-mix.conf.db-wal" "$W/mix.db-wal" &&
		    "$OUT/walmix" "$W/mix.db" > "$W/mix.out" 2> "$W/mix.err"
		m_rc=$?
		wait "$m_load"
		fs_stop
		if [ "$m_rc" = 0 ]; then
			line "store pages a commit, normal" \
			    "$(get "$W/mix.out" frames_per_commit) pages of" \
			    "$(get "$W/mix.out" page_size) B at $SESS_RATE" \
			    "orders/s ($(get "$W/mix.out" commits) commits" \
			    "in the WAL); by table and index, last 2000:"
			line "" "$(tr ' ' '\n' < "$W/mix.out" |
			    sed -n 's/^pages_\(.*\)=\(.*\)/\1 \2/p' |
			    tr '\n' ' ' | sed 's/ $//')"
			kv sess_fs_commit_pages "$(get "$W/mix.out" \
			    frames_per_commit)"
		else
			line "store pages a commit, normal" "skipped" \
			    "($(tail -n 1 "$W/mix.err" 2>/dev/null))"
		fi
		rm -f "$W/mix.db" "$W/mix.db-wal"
	else
		line "store pages a commit, normal" "skipped (fixsession" \
		    "did not start: $(fs_why fs-mix))"
	fi
	if fs_start fs-full full 1 -q -- "$OUT/fillapp"; then
		port=$PORT
		load fs-warm "$port" -n 2000 -T 5 || true
		if best fs-max "$port" reports_per_s -n "$SESS_N" -r 0; then
			report_max fs-max sess_fs_max \
			    "max, StoreDurability=full"
			fs_max=$(get "$W/fs-max.out" reports_per_s)
		else
			line "max, StoreDurability=full" \
			    "skipped ($(why fs-max.0))"
			skipped sess_fs_max_reports_per_s
		fi
		if best fs-lat "$port" p99_us -n "$LAT_N" -r "$SESS_RATE" \
		    $SPIN; then
			report_lat fs-lat sess_fs_lat \
			    "latency at $SESS_RATE/s, full"
			fs_p99=$(get "$W/fs-lat.out" p99_us)
		else
			line "latency at $SESS_RATE/s, full" \
			    "skipped ($(why fs-lat.0))"
			skipped sess_fs_lat_p99_us
		fi
		kv sess_fs_rss_kb "$(rss_kb "$FS_PID")"
		fs_stop
		store_check fs-full full
	else
		line "StoreDurability=full" "skipped (fixsession did not" \
		    "start: $(fs_why fs-full))"
		skipped sess_fs_max_reports_per_s sess_fs_lat_p99_us
	fi
	fs_two normal normal "StoreDurability=normal" sess_fs_normal
	fs_normal=$TWO_MAX fs_np99=$TWO_P99
	# The same with the message log: a commit is one write(2) to
	# STORE-log, moved into SQLite from a thread.  SESS_N orders fit in
	# the log, to be moved after the run; SESS_LONG orders show the rate
	# at which the thread keeps up.
	fs_two log normal+log "normal, StoreLog=Y" sess_fs_log "$SESS_LONG" &&
	    store_check fs-log log
	fs_log=$TWO_MAX fs_lp99=$TWO_P99 fs_llong=$TWO_LONG
fi

# ---- c) idle memory ---------------------------------------------------------

# idle_clients PORT PREFIX: SESS_IDLE idle sessloads C1..CN -> EXECUTOR;
# their pids in W/idle.pids; 0 once every one printed "logged on".
idle_clients() {
	: > "$W/idle.pids"
	mkdir -p "$W/idle"
	i=1
	while [ "$i" -le "$SESS_IDLE" ]; do
		"$OUT/sessload" -I -s "C$i" -t EXECUTOR "127.0.0.1:$1" \
		    > "$W/idle/$2-$i.out" 2> "$W/idle/$2-$i.err" &
		echo $! >> "$W/idle.pids"
		i=$((i + 1))
	done
	t=0
	while [ "$t" -lt 200 ]; do
		n=$(idle_count "$2")
		[ "$n" -ge "$SESS_IDLE" ] && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

idle_count() {	# PREFIX: how many idle clients logged on
	cat "$W"/idle/"$1"-*.out 2>/dev/null | grep -c 'logged on'
}

idle_stop() {
	for p in $(cat "$W/idle.pids" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $(cat "$W/idle.pids" 2>/dev/null); do
		wait "$p" 2>/dev/null
	done
	rm -f "$W/idle.pids"
}

# qf_multi PORT: an executor settings file with SESS_IDLE sessions.
qf_multi() {
	{
		printf '[DEFAULT]\nConnectionType=acceptor\n'
		printf 'SocketAcceptPort=%s\nSocketReuseAddress=Y\n' "$1"
		printf 'FileStorePath=%s\n' "$QF/store-idle"
		printf 'StartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n'
		printf 'UseDataDictionary=N\n%s\n' "$QUIET"
		printf 'BeginString=FIX.4.4\nSenderCompID=EXECUTOR\n'
		i=1
		while [ "$i" -le "$SESS_IDLE" ]; do
			printf '\n[SESSION]\nTargetCompID=C%d\n' "$i"
			i=$((i + 1))
		done
	} > "$QF/idle.cfg"
}

echo "c) idle memory, $SESS_IDLE acceptor sessions on one port (VmRSS," \
    "MB = 10^6 bytes; anonymous = RssAnon, the heap)"
fs_rc=skipped fs_rl=skipped qf_rc=skipped qf_rl=skipped
fs_ac=skipped fs_al=skipped qf_ac=skipped qf_al=skipped
per_sess() {	# logged-on configured: kB per session between the two
	num "$1" && num "$2" || { echo "n/a"; return; }
	calc "sprintf(\"%.1f\", ($1 - $2) / $SESS_IDLE)"
}
if [ ! -x "$FIXSESSION" ]; then
	line "fixsession" "skipped ($FIXSESSION not built)"
elif fs_start fs-idle full "$SESS_IDLE" -q; then
	port=$PORT
	sleep 0.5
	fs_rc=$(rss_kb "$FS_PID")
	fs_ac=$(rss_kb "$FS_PID" RssAnon)
	if idle_clients "$port" fs; then
		sleep 0.5
		fs_rl=$(rss_kb "$FS_PID")
		fs_al=$(rss_kb "$FS_PID" RssAnon)
	else
		fs_rl="skipped (only $(idle_count fs) of $SESS_IDLE logged on)"
	fi
	idle_stop
	fs_stop
	line "fixsession, configured" "$(mb "$fs_rc") MB (anonymous" \
	    "$(mb "$fs_ac") MB)"
	if num "$fs_rl"; then
		line "fixsession, all logged on" "$(mb "$fs_rl") MB" \
		    "(anonymous $(mb "$fs_al") MB;" \
		    "$(per_sess "$fs_al" "$fs_ac") kB more a session)"
	else
		line "fixsession, all logged on" "$fs_rl"
	fi
else
	line "fixsession" "skipped (did not start: $(fs_why fs-idle))"
fi
if [ "$have_qf" = 1 ] && [ -x "$QF/executor" ] && port=$(pick_port); then
	mkdir -p "$QF/store-idle"
	qf_multi "$port"
	(cd "$QF" && exec ./executor idle.cfg) > "$QF/idle.out" 2>&1 &
	qpid=$!
	if wait_listen "$qpid" "$port"; then
		sleep 0.5
		qf_rc=$(rss_kb "$qpid")
		qf_ac=$(rss_kb "$qpid" RssAnon)
		if idle_clients "$port" qf; then
			sleep 0.5
			qf_rl=$(rss_kb "$qpid")
			qf_al=$(rss_kb "$qpid" RssAnon)
		else
			qf_rl="skipped (only $(idle_count qf) of $SESS_IDLE" \
			    "logged on)"
		fi
		idle_stop
	fi
	stop_pid "$qpid"
	line "QuickFIX executor, configured" "$(mb "$qf_rc") MB (anonymous" \
	    "$(mb "$qf_ac") MB)"
	if num "$qf_rl"; then
		line "QuickFIX executor, all logged on" "$(mb "$qf_rl") MB" \
		    "(anonymous $(mb "$qf_al") MB;" \
		    "$(per_sess "$qf_al" "$qf_ac") kB more a session)"
	else
		line "QuickFIX executor, all logged on" "$qf_rl"
	fi
else
	line "QuickFIX executor" "skipped (executor not available)"
fi
kv sess_idle_sessions "$SESS_IDLE"
kv sess_fs_idle_rss_kb "$fs_rc"
kv sess_fs_idle_logged_on_rss_kb "$fs_rl"
kv sess_qf_idle_rss_kb "$qf_rc"
kv sess_qf_idle_logged_on_rss_kb "$qf_rl"
kv sess_fs_idle_anon_kb "$fs_ac"
kv sess_fs_idle_logged_on_anon_kb "$fs_al"
kv sess_qf_idle_anon_kb "$qf_ac"
kv sess_qf_idle_logged_on_anon_kb "$qf_al"

# ---- d) latency side by side ------------------------------------------------

# The p99 of one 5 s run here is set mostly by stalls of a few milliseconds
# that hit every program on the machine (late fills come in runs of 20 to
# 40 orders), so the best runs of a) and b), minutes apart, can differ by a
# factor of two for one server.  Here both servers run at once (the idle one
# takes no CPU) and their latency runs alternate, SESS_DUEL rounds, the
# first server of a round taking turns; each one's figure is the median of
# its p99s.
SESS_DUEL=${SESS_DUEL:-5}
SESS_STEADY=${SESS_STEADY:-30}
SESS_STEADY_ROUNDS=${SESS_STEADY_ROUNDS:-3}
# Each run starts SESS_GAP s after the one before: a fixsession with
# normal durability flushes and checkpoints in the lull after its run, and
# without a pause that landed in the next server's run (here, in six
# rounds where the process server followed it in four, its median p99 was
# 782 us with no pause and 500 us with 2 s; QuickFIX's 828 and 516).
SESS_GAP=${SESS_GAP:-2}
duel_qf=skipped duel_fs=skipped duel_fp=skipped
steady_qf=skipped steady_fs=skipped steady_fp=skipped
steadyq_qf=skipped steadyq_fs=skipped steadyq_fp=skipped
p50_steady_qf=skipped p50_steady_fs=skipped p50_steady_fp=skipped
p50_steadyq_qf=skipped p50_steadyq_fs=skipped p50_steadyq_fp=skipped
median() {	# FILE: the median of its numbers (lower middle), or empty
	sort -n "$1" |
	    awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# rounds TAG N SECS: N rounds, a run of SECS s at SESS_RATE for each
# server of $whos a round, the first server of a round taking turns; the
# p99s and p50s of each server's runs into W/TAG-WHO.p99 and .p50, why
# its failed runs failed into W/TAG-WHO.why.
rounds() {
	for who in $whos; do
		: > "$W/$1-$who.p99"
		: > "$W/$1-$who.p50"
		rm -f "$W/$1-$who.why"
	done
	i=0
	while [ "$i" -lt "$2" ]; do
		order=$whos k=0
		while [ "$k" -lt $((i % nwho)) ]; do
			order="${order#* } ${order%% *}"
			k=$((k + 1))
		done
		for who in $order; do
			use "$who"
			sleep "$SESS_GAP"
			if load "$1-$who.$i" "$p" -n $((SESS_RATE * $3)) \
			    -r "$SESS_RATE" $SPIN; then
				get "$W/$1-$who.$i.out" p99_us \
				    >> "$W/$1-$who.p99"
				get "$W/$1-$who.$i.out" p50_us \
				    >> "$W/$1-$who.p50"
			else
				why "$1-$who.$i" >> "$W/$1-$who.why"
			fi
		done
		i=$((i + 1))
	done
}
# round_line TAG WHO LABEL: WHO's line; its median p99 and p50 in TAG_WHO
# and p50_TAG_WHO, and the keys sess_TAG_WHO_p99_us and _p50_us.
round_line() {
	m=$(median "$W/$1-$2.p99")
	m50=$(median "$W/$1-$2.p50")
	f=
	[ -s "$W/$1-$2.why" ] && f=" ($(wc -l < "$W/$1-$2.why") runs" &&
	    f="$f failed: $(tail -n 1 "$W/$1-$2.why"))"
	if [ -n "$m" ]; then
		line "$3" "p99 $(tr '\n' ' ' < "$W/$1-$2.p99")us;" \
		    "median $m us, p50 median $m50 us$f"
		eval "$1_$2=\$m p50_$1_$2=\$m50"
		kv "sess_$1_$2_p99_us" "$m"
		kv "sess_$1_$2_p50_us" "$m50"
	else
		line "$3" "skipped$f"
		skipped "sess_$1_$2_p99_us"
	fi
}
# round_lines TAG: the lines of the three servers
round_lines() {
	round_line "$1" qf "QuickFIX"
	round_line "$1" fs "fixsession"
	if [ -n "$pport" ]; then
		round_line "$1" fp "fixsession, process"
	else
		line "fixsession, process" "skipped (did not start:" \
		    "$(fs_why fp-duel))"
		skipped "sess_$1_fp_p99_us"
	fi
}
# round_skip TAG REASON...: none of the three measured
round_skip() {
	rs_tag=$1
	shift
	line "all" "skipped ($*)"
	skipped "sess_${rs_tag}_qf_p99_us" "sess_${rs_tag}_fs_p99_us" \
	    "sess_${rs_tag}_fp_p99_us"
}
echo "d) latency at $SESS_RATE/s side by side: QuickFIX (screen log off)," \
    "fixsession (normal, StoreLog=Y) and fixsession (process, StoreLog=Y)" \
    "running at once, runs alternating, $SESS_DUEL runs each"
if [ "$have_qf" != 1 ] || [ ! -x "$FIXSESSION" ] || [ "$SESS_DUEL" -lt 1 ]; then
	line "all" "skipped (needs the executor and fixsession; SESS_DUEL" \
	    "$SESS_DUEL)"
elif ! qport=$(EXECUTOR_DEFAULTS=$QUIET sh tests/interop/executor.sh \
    start "$QF.duel" 2> "$W/qf-start.err"); then
	line "all" "skipped (executor.sh: $(tail -n 1 "$W/qf-start.err"))"
elif ! fs_start fs-duel normal+log 1 -q -- "$OUT/fillapp"; then
	sh tests/interop/executor.sh stop "$QF.duel"
	line "all" "skipped (fixsession did not start: $(fs_why fs-duel))"
else
	qpids=$(cat "$QF.duel/executor.pid") fpids=$SERVER_PIDS fport=$PORT
	fpid=$FS_PID
	whos="qf fs" nwho=2 ppids= pport= ppid=
	if fs_start fp-duel process+log 1 -q -- "$OUT/fillapp"; then
		ppids=$SERVER_PIDS pport=$PORT ppid=$FS_PID
		whos="qf fs fp" nwho=3
	fi
	# who: the server's pids in SERVER_PIDS, its port in p
	use() {
		case $1 in
		qf) SERVER_PIDS=$qpids p=$qport ;;
		fs) SERVER_PIDS=$fpids p=$fport ;;
		fp) SERVER_PIDS=$ppids p=$pport ;;
		esac
	}
	for who in $whos; do
		use "$who"
		load "duel-$who-warm" "$p" -n 2000 -T 5 || true
	done
	rounds duel "$SESS_DUEL" "$SESS_SECS"
	round_lines duel
	echo "e) latency at $SESS_RATE/s for $SESS_STEADY s without a pause," \
	    "the same servers, $SESS_STEADY_ROUNDS rounds"
	if [ "$SESS_STEADY" -ge 1 ] && [ "$SESS_STEADY_ROUNDS" -ge 1 ]; then
		rounds steady "$SESS_STEADY_ROUNDS" "$SESS_STEADY"
		round_lines steady
	else
		round_skip steady "SESS_STEADY $SESS_STEADY, SESS_STEADY_ROUNDS" \
		    "$SESS_STEADY_ROUNDS"
	fi
	# Writing 0 to the device asks the kernel to keep idle CPUs polling
	# for as long as the file is open; the servers started before it
	# was opened, so only this shell holds it.
	echo "e') the same with idle CPUs polling for all three servers: this" \
	    "script holds 0 us on /dev/cpu_dma_latency (fixsession's" \
	    "CpuDmaLatency=0, tuned's latency profiles)"
	if [ "$SESS_STEADY" -lt 1 ] || [ "$SESS_STEADY_ROUNDS" -lt 1 ]; then
		round_skip steadyq "as e"
	elif [ -w /dev/cpu_dma_latency ]; then
		exec 7> /dev/cpu_dma_latency
		printf 0 >&7
		rounds steadyq "$SESS_STEADY_ROUNDS" "$SESS_STEADY"
		exec 7>&-
		round_lines steadyq
	else
		round_skip steadyq "/dev/cpu_dma_latency is not writable:" \
		    "needs root"
	fi
	[ -n "$pport" ] && stop_pid "$ppid"
	FS_PID=$fpid
	fs_stop
	sh tests/interop/executor.sh stop "$QF.duel"
fi

# ---- ratios -----------------------------------------------------------------

r1=$(ratio "$fs_max" "$qf_max")
r2=$(ratio "$fs_p99" "$qf_p99")
r3=$(ratio "$fs_normal" "$qf_max")
r4=$(ratio "$fs_rl" "$qf_rl")
r5=$(ratio "$fs_al" "$qf_al")
r6=$(ratio "$fs_np99" "$qf_p99")
r7=$(ratio "$fs_log" "$qf_max")
r8=$(ratio "$fs_lp99" "$qf_p99")
r9=$(ratio "$fs_llong" "$qf_max")
r10=$(ratio "$duel_fs" "$duel_qf")
r11=$(ratio "$steady_fs" "$steady_qf")
r12=$(ratio "$duel_fp" "$duel_qf")
r13=$(ratio "$steady_fp" "$steady_qf")
r14=$(ratio "$steadyq_fs" "$steadyq_qf")
r15=$(ratio "$steadyq_fp" "$steadyq_qf")
r16=$(ratio "$p50_steady_fs" "$p50_steady_qf")
r17=$(ratio "$p50_steady_fp" "$p50_steady_qf")
r18=$(ratio "$p50_steadyq_fs" "$p50_steadyq_qf")
r19=$(ratio "$p50_steadyq_fp" "$p50_steadyq_qf")
echo "  ratios fixsession / QuickFIX (screen log off):"
line "msgs/s, full vs FileStore" "$r1 (goal > 1);" \
    "of the 50000/s goal: $(ratio "$fs_max" 50000) (goal >= 1)"
line "msgs/s, normal vs FileStore" "$r3"
line "p99 at $SESS_RATE/s, full" "$r2 (goal < 1);" \
    "of the 1000 us goal: $(ratio "$fs_p99" 1000) (goal < 1)"
line "p99 at $SESS_RATE/s, normal" "$r6"
line "msgs/s, normal, StoreLog=Y" "$r7; sustained $r9"
line "p99 at $SESS_RATE/s, StoreLog=Y" "$r8;" \
    "of the 1000 us goal: $(ratio "$fs_lp99" 1000) (goal < 1)"
line "the same side by side (d)" "$r10 (medians of $SESS_DUEL runs each)"
line "the same for $SESS_STEADY s (e)" "$r11; p50 $r16 (medians of" \
    "$SESS_STEADY_ROUNDS runs each)"
line "p99, process, StoreLog=Y (d)" "$r12; for $SESS_STEADY s (e) $r13," \
    "p50 $r17 (neither server syncs)"
line "(e') with idle CPUs polling" "p99 normal $r14, process $r15;" \
    "p50 normal $r18, process $r19"
line "RSS, $SESS_IDLE sessions logged on" "$r4; anonymous $r5" \
    "(lower is better)"
kv ratio_sess_max_full_qf "$r1"
kv ratio_sess_max_normal_qf "$r3"
kv ratio_sess_p99_qf "$r2"
kv ratio_sess_p99_normal_qf "$r6"
kv ratio_sess_max_log_qf "$r7"
kv ratio_sess_p99_log_qf "$r8"
kv ratio_sess_long_log_qf "$r9"
kv ratio_sess_duel_p99_log_qf "$r10"
kv ratio_sess_steady_p99_log_qf "$r11"
kv ratio_sess_duel_p99_process_qf "$r12"
kv ratio_sess_steady_p99_process_qf "$r13"
kv ratio_sess_steadyq_p99_log_qf "$r14"
kv ratio_sess_steadyq_p99_process_qf "$r15"
kv ratio_sess_steady_p50_log_qf "$r16"
kv ratio_sess_steady_p50_process_qf "$r17"
kv ratio_sess_steadyq_p50_log_qf "$r18"
kv ratio_sess_steadyq_p50_process_qf "$r19"
kv ratio_sess_idle_rss_qf "$r4"
kv ratio_sess_idle_anon_qf "$r5"

[ "$merge" = 1 ] && merge_results '^sess_\|^ratio_sess_'
exit 0
