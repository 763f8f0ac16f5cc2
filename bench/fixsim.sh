#!/bin/sh
# bench/fixsim.sh -- how much load fixsim can offer, and how right its
# latency figures are.
#
#   sh bench/fixsim.sh [BUILD]        (BUILD defaults to build)
#
# Builds bench/sink.c (a minimal acceptor that fills every order at once,
# after a fixed hold, or never), bench/sessload.c and bench/fillapp.c into
# BUILD/bench/, then, all over 127.0.0.1:
#   a) the rate fixsim load can offer: one session, FSIM_SECS seconds at
#      each rate of FSIM_RATES, against the sink filling every order and
#      against the sink answering none (-N: fixsim only sends); offered
#      and achieved orders/s, fixsim's own send lag, and the CPU it used
#      (GNU time); goal: at least 100,000 orders/s
#   b) latency accuracy: the sink holds each fill FSIM_HOLDS microseconds
#      (-d); fixsim's p50/p99 at FSIM_LAT_RATE orders/s, and the error
#      p50 - hold beside the sink's own lateness in releasing the fills
#   c) fixsim load and bench/sessload (section f's client) in turn against
#      the same peers at the same rate: the sink, then fixsession with
#      bench/fillapp behind it (StoreDurability FSIM_DURABILITY); their
#      p50/p99, best of FSIM_RUNS runs each, and the ratios
# Figures are printed with units and ratios and written as key=value lines
# (keys fsim_*, ratio_fsim_*) to FSIM_RES when set (bench/run.sh sets it to
# its own results file), or else merged into BUILD/bench/results.txt.
# Nothing passes or fails: what cannot be measured is reported as skipped,
# with the reason.
#
# Environment: FSIM_RATES ("100000 200000 400000 800000"), FSIM_SECS (1),
# FSIM_HOLDS ("0 1000 5000"), FSIM_LAT_RATE (5000), FSIM_LAT_SECS (2),
# FSIM_RUNS (best of, 3), FSIM_DURABILITY (normal), CC.

set -u

B=${1:-build}
OUT=$B/bench
LIB=$B/lib/libfixutil.a
FIXSIM=$B/bin/fixsim
FIXSESSION=$B/bin/fixsession
CC=${CC:-cc}
GNUTIME=/usr/bin/time
FSIM_RATES=${FSIM_RATES:-100000 200000 400000 800000}
FSIM_SECS=${FSIM_SECS:-1}
FSIM_HOLDS=${FSIM_HOLDS:-0 1000 5000}
FSIM_LAT_RATE=${FSIM_LAT_RATE:-5000}
FSIM_LAT_SECS=${FSIM_LAT_SECS:-2}
FSIM_RUNS=${FSIM_RUNS:-3}
FSIM_DURABILITY=${FSIM_DURABILITY:-normal}
GOAL=100000
if [ -n "${FSIM_RES:-}" ]; then
	RES=$FSIM_RES
	merge=0
else
	RES=$OUT/results.txt.fsim
	merge=1
fi

mkdir -p "$OUT" || exit 5
W=$(cd "$OUT" && pwd)/fixsim
[ "$merge" = 1 ] && { : > "$RES" || exit 5; }
rm -rf "$W"
mkdir -p "$W" || exit 5
KV=$RES
. "$(dirname "$0")/lib.sh"

# jget FILE KEY: a number from fixsim load -j; lat.K and lag.K are K of
# latency_us and send_lag_us.
jget() {
	case $2 in
	lat.*)	sed -n 's/.*"latency_us":{\([^}]*\)}.*/\1/p' "$1" ;;
	lag.*)	sed -n 's/.*"send_lag_us":{\([^}]*\)}.*/\1/p' "$1" ;;
	*)	cat "$1" ;;
	esac 2>/dev/null | tr ',{' '\n\n' |
	    sed -n "s/^\"${2#*.}\":\([0-9.]*\).*/\1/p" | head -n 1
}

# Whatever runs in the background is stopped on the way out.
SINK_PID='' FS_PID=''
cleanup() {
	[ -n "$SINK_PID" ] && stop_pid "$SINK_PID"
	[ -n "$FS_PID" ] && stop_pid "$FS_PID"
	SINK_PID='' FS_PID=''
}
trap cleanup EXIT
trap 'exit 5' INT TERM

# sink_start NAME ARGS...: the sink in the background (SINK_PID), its port
# in PORT; 1 when it did not start.
sink_start() {
	s_name=$1
	shift
	"$OUT/sink" "$@" > "$W/$s_name.sink" 2> "$W/$s_name.sink.err" &
	SINK_PID=$!
	i=0
	while [ "$i" -lt 100 ]; do
		PORT=$(get "$W/$s_name.sink" port)
		[ -n "$PORT" ] && return 0
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	stop_pid "$SINK_PID"
	SINK_PID=
	return 1
}

sink_stop() {	# the sink's final counts land in its .sink file
	stop_pid "$SINK_PID"
	SINK_PID=
}

sink_why() {	# NAME: why the sink did not start
	r=$(grep -v '^$' "$W/$1.sink.err" 2>/dev/null | tail -n 1)
	echo "${r:-no reason given}"
}

# fsim NAME PORT ARGS...: one fixsim load run, JSON in W/NAME.json, CPU
# (GNU time: elapsed user system) in W/NAME.time; its exit status.
fsim() {
	f_name=$1 f_port=$2
	shift 2
	if [ -x "$GNUTIME" ]; then
		"$GNUTIME" -o "$W/$f_name.time" -f '%e %U %S' "$FIXSIM" load \
		    -q -j "$@" "127.0.0.1:$f_port" > "$W/$f_name.json" \
		    2> "$W/$f_name.err"
	else
		"$FIXSIM" load -q -j "$@" "127.0.0.1:$f_port" \
		    > "$W/$f_name.json" 2> "$W/$f_name.err"
	fi
}

why() {	# NAME: the reason a run failed, one line
	r=$(grep -v '^$' "$W/$1.err" 2>/dev/null | tail -n 1)
	echo "${r:-exited without a reason}"
}

# cpu NAME: "user+system seconds" of a run, or "skipped".
cpu() {
	t=$(tail -n 1 "$W/$1.time" 2>/dev/null)
	case $t in
	*[0-9]\ *[0-9]\ *[0-9]) echo "$t" | awk '{ printf "%.2f", $2 + $3 }' ;;
	*) echo skipped ;;
	esac
}

# ---- build ------------------------------------------------------------------

if [ ! -f "$LIB" ]; then
	echo "g) fixsim: skipped ($LIB missing: run make all first)"
	skipped fsim_max_achieved_per_s
	[ "$merge" = 1 ] && rm -f "$RES"
	exit 0
fi
have_sink=0 have_load=0
if stale "$OUT/sink" bench/sink.c "$LIB"; then
	build sink $CC $CFLAGS_B -o "$OUT/sink" bench/sink.c "$LIB" \
	    $PKG_LIBS -lm && have_sink=1
else
	have_sink=1
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

echo "g) fixsim load over 127.0.0.1 against bench/sink (fills each order" \
    "as it reads it) and against fixsession"
if [ ! -x "$FIXSIM" ]; then
	line "all" "skipped ($FIXSIM not built)"
	skipped fsim_max_achieved_per_s
	[ "$merge" = 1 ] && rm -f "$RES"
	exit 0
fi
if [ "$have_sink" != 1 ]; then
	line "all" "skipped (sink did not build: $(grep -m 1 -o \
	    'error: .*\|undefined reference to .*' "$OUT/sink-build.log"))"
	skipped fsim_max_achieved_per_s
	[ "$merge" = 1 ] && rm -f "$RES"
	exit 0
fi
la=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
echo "   load average before: ${la:-unknown} (other work on the machine" \
    "shows up in every figure)"
kv fsim_loadavg "${la:-unknown}"
[ -x "$GNUTIME" ] || echo "   CPU figures skipped: $GNUTIME missing" \
    "(apt-get install time)"

# ---- a) the rate fixsim can offer --------------------------------------------

echo "a) offered rate, 1 session, $FSIM_SECS s per rate; goal: achieved" \
    ">= $GOAL orders/s (CPU = user + system of the whole fixsim process)"
kv fsim_secs "$FSIM_SECS"
max_fill=skipped max_silent=skipped
for mode in fill silent; do
	if [ "$mode" = silent ]; then
		sargs=-N drain=0 what="sink answers nothing"
	else
		sargs='' drain=5 what="sink fills"
	fi
	# shellcheck disable=SC2086
	if ! sink_start "rate-$mode" $sargs; then
		line "$what" "skipped (sink did not start:" \
		    "$(sink_why "rate-$mode"))"
		continue
	fi
	for r in $FSIM_RATES; do
		name=rate-$mode-$r
		n=$(calc "sprintf(\"%.0f\", $r * $FSIM_SECS)")
		fsim "$name" "$PORT" -r "$r" -c "$n" -w "$drain"
		rc=$?
		o=$W/$name.json
		sent=$(jget "$o" sent)
		k=fsim_${mode}_$r
		# Against the silent sink every order is unanswered: exit 1
		# is the expected end, and only what was sent counts.
		if ! num "$sent" || { [ "$mode" = fill ] && [ "$rc" != 0 ]; } ||
		    { [ "$mode" = silent ] && [ "$rc" != 1 ]; }; then
			note=$(why "$name")
			[ "$mode" = fill ] && num "$sent" &&
			    note="$(jget "$o" unanswered) of $sent unanswered"
			line "$r/s, $what" "skipped (fixsim exited $rc: $note)"
			skipped "${k}_achieved_per_s"
			continue
		fi
		ach=$(jget "$o" achieved_rate)
		c=$(cpu "$name")
		el=$(tail -n 1 "$W/$name.time" 2>/dev/null | cut -d' ' -f1)
		per=skipped pct=skipped
		if num "$c"; then
			per=$(calc "sprintf(\"%.2f\", $c * 1e6 / $sent)")
			pct=$(calc "sprintf(\"%.0f\", 100 * $c / $el)")
		fi
		a0=$(calc "sprintf(\"%.0f\", $ach)")
		line "$r/s, $what" "achieved $a0/s (x$(ratio "$ach" "$r"))," \
		    "send lag p50 $(jget "$o" lag.p50)" \
		    "p99 $(jget "$o" lag.p99) us"
		if [ "$mode" = fill ]; then
			extra=$(calc "sprintf(\"%.0f\", $(jget "$o" er_per_s))")
			extra="$extra fills/s in, p99 $(jget "$o" lat.p99) us"
		else
			extra="$sent orders sent"
		fi
		if num "$c"; then
			line "" "CPU $c s in $el s ($pct% of one CPU," \
			    "$per us an order); $extra"
		else
			line "" "CPU skipped (no $GNUTIME); $extra"
		fi
		kv "${k}_offered_per_s" "$r"
		kv "${k}_achieved_per_s" "$ach"
		kv "${k}_lag_p50_us" "$(jget "$o" lag.p50)"
		kv "${k}_lag_p99_us" "$(jget "$o" lag.p99)"
		kv "${k}_cpu_s" "$c"
		kv "${k}_cpu_us_per_order" "$per"
		if [ "$mode" = fill ]; then
			kv "${k}_fills_per_s" "$(jget "$o" er_per_s)"
			kv "${k}_p99_us" "$(jget "$o" lat.p99)"
			m=$max_fill
		else
			m=$max_silent
		fi
		if ! num "$m" || [ "$(calc "$ach > $m")" = 1 ]; then
			m=$ach
		fi
		if [ "$mode" = fill ]; then max_fill=$m; else max_silent=$m; fi
	done
	sink_stop
	so=$W/rate-$mode.sink
	if [ "$mode" = fill ]; then
		line "" "(the sink: $(get "$so" orders) orders in," \
		    "$(get "$so" fills) fills out," \
		    "$(get "$so" garbled) garbled)"
	else
		line "" "(the sink: $(get "$so" orders) orders in," \
		    "$(get "$so" garbled) garbled)"
	fi
done
r1=$(ratio "$max_fill" "$GOAL")
r2=$(ratio "$max_silent" "$GOAL")
num "$max_fill" && max_fill=$(calc "sprintf(\"%.0f\", $max_fill)")
num "$max_silent" && max_silent=$(calc "sprintf(\"%.0f\", $max_silent)")
line "best achieved, sink fills" "$max_fill orders/s: x$r1 of the goal" \
    "(goal >= 1)"
line "best achieved, sink answers nothing" "$max_silent orders/s: x$r2" \
    "of the goal"
kv fsim_max_achieved_per_s "$max_fill"
kv fsim_silent_max_achieved_per_s "$max_silent"
kv ratio_fsim_max_goal "$r1"
kv ratio_fsim_silent_max_goal "$r2"

# ---- b) latency accuracy ----------------------------------------------------

LAT_N=$(calc "sprintf(\"%.0f\", $FSIM_LAT_RATE * $FSIM_LAT_SECS)")
echo "b) latency accuracy: the sink holds each fill D us; $FSIM_LAT_RATE" \
    "orders/s for $FSIM_LAT_SECS s; error = p50 - D"
echo "   (the sink's own lateness in releasing fills, written - due, is" \
    "given beside: it is not fixsim's)"
kv fsim_lat_rate "$FSIM_LAT_RATE"
base=
for d in $FSIM_HOLDS; do
	k=fsim_hold_$d
	if ! sink_start "hold-$d" -d "$d"; then
		line "D = $d us" "skipped (sink did not start:" \
		    "$(sink_why "hold-$d"))"
		skipped "${k}_p50_us"
		continue
	fi
	fsim "hold-$d" "$PORT" -r "$FSIM_LAT_RATE" -c "$LAT_N" -w 5
	rc=$?
	sink_stop
	o=$W/hold-$d.json
	if [ "$rc" != 0 ]; then
		line "D = $d us" "skipped (fixsim exited $rc: $(why "hold-$d"))"
		skipped "${k}_p50_us"
		continue
	fi
	p50=$(jget "$o" lat.p50)
	p99=$(jget "$o" lat.p99)
	e=$(calc "sprintf(\"%.1f\", $p50 - $d)")
	so=$W/hold-$d.sink
	sl50=$(get "$so" late_p50_us)
	sl99=$(get "$so" late_p99_us)
	[ -z "$base" ] && [ "$d" = 0 ] && base=$e
	if [ "$d" = 0 ]; then
		aside="(the floor: loopback, sink and fixsim at work)"
	elif num "$base"; then
		aside="(sink late p50 $sl50 p99 $sl99 us; error - floor"
		aside="$aside $(calc "sprintf(\"%.1f\", $e - $base)") us)"
	else
		aside="(sink late p50 $sl50 p99 $sl99 us)"
	fi
	line "D = $d us" "p50 $p50  p99 $p99 us; error $e us $aside"
	line "" "(fixsim send lag p50 $(jget "$o" lag.p50)" \
	    "p99 $(jget "$o" lag.p99) us)"
	kv "${k}_p50_us" "$p50"
	kv "${k}_p99_us" "$p99"
	kv "${k}_err_us" "$e"
	kv "${k}_sink_late_p50_us" "$sl50"
	kv "${k}_sink_late_p99_us" "$sl99"
done

# ---- c) fixsim and sessload side by side ------------------------------------

# pair NAME PORT: FSIM_RUNS runs of each client in turn; the run with the
# lowest p99 of each is copied to W/NAME-fixsim.out and W/NAME-sessload.out
# as "p50_us=... p99_us=...".  A failed run is never chosen; W/NAME-CLIENT.why
# says why the last one failed.
pair() {
	p_name=$1 p_port=$2
	rm -f "$W/$p_name-fixsim.out" "$W/$p_name-sessload.out"
	p_i=0
	while [ "$p_i" -lt "$FSIM_RUNS" ]; do
		rn=$p_name-fixsim.$p_i
		if fsim "$rn" "$p_port" -r "$FSIM_LAT_RATE" -c "$LAT_N" -w 5 \
		    -t EXECUTOR; then
			pick "$p_name-fixsim" "$(jget "$W/$rn.json" lat.p50)" \
			    "$(jget "$W/$rn.json" lat.p99)"
		else
			why "$rn" > "$W/$p_name-fixsim.why"
		fi
		rn=$p_name-sessload.$p_i
		if "$OUT/sessload" -j -n "$LAT_N" -r "$FSIM_LAT_RATE" -T 5 \
		    "127.0.0.1:$p_port" > "$W/$rn.kv" 2> "$W/$rn.err"; then
			pick "$p_name-sessload" "$(get "$W/$rn.kv" p50_us)" \
			    "$(get "$W/$rn.kv" p99_us)"
		else
			why "$rn" > "$W/$p_name-sessload.why"
		fi
		p_i=$((p_i + 1))
	done
}

pick() {	# NAME P50 P99: keep the run if its p99 is the lowest so far
	num "$3" || return 0
	old=$(get "$W/$1.out" p99_us)
	if [ -z "$old" ] || [ "$(calc "$3 < $old")" = 1 ]; then
		echo "p50_us=$2 p99_us=$3" > "$W/$1.out"
	fi
}

# side NAME LABEL KEY: the lines and figures of one peer.
side() {
	echo "   $2:"
	for cl in fixsim sessload; do
		if [ -f "$W/$1-$cl.out" ]; then
			line "  $cl" "p50 $(get "$W/$1-$cl.out" p50_us)" \
			    " p99 $(get "$W/$1-$cl.out" p99_us) us"
		else
			line "  $cl" "skipped ($(cat "$W/$1-$cl.why" \
			    2>/dev/null))"
		fi
		for q in p50_us p99_us; do
			v=$(get "$W/$1-$cl.out" $q)
			kv "fsim_${3}_${cl}_$q" "${v:-skipped}"
		done
	done
	a50=$(get "$W/$1-fixsim.out" p50_us)
	b50=$(get "$W/$1-sessload.out" p50_us)
	a99=$(get "$W/$1-fixsim.out" p99_us)
	b99=$(get "$W/$1-sessload.out" p99_us)
	line "  fixsim / sessload" "p50 $(ratio "$a50" "$b50")" \
	    " p99 $(ratio "$a99" "$b99") (p50 should be near 1; the tail" \
	    "is the machine's)"
	kv "ratio_fsim_sessload_${3}_p50" "$(ratio "$a50" "$b50")"
	kv "ratio_fsim_sessload_${3}_p99" "$(ratio "$a99" "$b99")"
}

# fs_conf FILE PORT: the acceptor of section f, one session.
fs_conf() {
	{
		printf '[DEFAULT]\nConnectionType=acceptor\n'
		printf 'SocketAcceptAddress=127.0.0.1\n'
		printf 'SocketAcceptPort=%s\n' "$2"
		printf 'StartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=30\n'
		printf 'UseDataDictionary=N\nStorePath=%s\n' "$1.db"
		printf 'StoreDurability=%s\n' "$FSIM_DURABILITY"
		printf 'BeginString=FIX.4.4\nSenderCompID=EXECUTOR\n'
		printf '\n[SESSION]\nTargetCompID=CLIENT1\n'
	} > "$1"
}

# fs_start: fixsession -- fillapp in the background (FS_PID), on PORT.
fs_start() {
	try=0
	while [ "$try" -lt 5 ]; do
		PORT=$(pick_port) || return 1
		rm -f "$W/fs.conf.db" "$W/fs.conf.db-wal" "$W/fs.conf.db-shm"
		fs_conf "$W/fs.conf" "$PORT"
		"$FIXSESSION" -q -c "$W/fs.conf" -- "$OUT/fillapp" \
		    < /dev/null > "$W/fs.stdout" 2> "$W/fs.stderr" &
		FS_PID=$!
		i=0
		while [ "$i" -lt 200 ] && kill -0 "$FS_PID" 2>/dev/null; do
			port_busy "$PORT" && return 0
			sleep 0.05
			i=$((i + 1))
		done
		stop_pid "$FS_PID"
		FS_PID=
		try=$((try + 1))
	done
	return 1
}

echo "c) fixsim load and bench/sessload in turn, same peer, $FSIM_LAT_RATE" \
    "orders/s for $FSIM_LAT_SECS s, best p99 of $FSIM_RUNS runs each"
if [ "$have_load" != 1 ]; then
	line "all" "skipped (sessload or fillapp did not build)"
	skipped fsim_sink_sessload_p50_us fsim_fs_sessload_p50_us
else
	if sink_start pair-sink; then
		pair sink "$PORT"
		sink_stop
		side sink "bench/sink, fills at once" sink
	else
		line "sink" "skipped (sink did not start:" \
		    "$(sink_why pair-sink))"
	fi
	if [ ! -x "$FIXSESSION" ]; then
		line "fixsession" "skipped ($FIXSESSION not built)"
	elif fs_start; then
		pair fs "$PORT"
		stop_pid "$FS_PID"
		FS_PID=
		lbl="fixsession -- fillapp, StoreDurability=$FSIM_DURABILITY"
		side fs "$lbl" fs
	else
		r=$(grep -v '^$' "$W/fs.stderr" 2>/dev/null | tail -n 1)
		line "fixsession" "skipped (did not start: ${r:-no reason})"
	fi
fi

[ "$merge" = 1 ] && merge_results '^fsim_\|^ratio_fsim_'
exit 0
