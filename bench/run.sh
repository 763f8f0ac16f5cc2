#!/bin/sh
# bench/run.sh -- the figures `make bench` prints; see bench/README.
#
#   sh bench/run.sh [BUILD]        (BUILD defaults to build)
#
# Builds the bench programs into BUILD/bench/ from BUILD/lib/libfixutil.a,
# generates the traffic logs there once (kept for the next run), then
# measures: (a) libfixutil ns per message, (b) the log, (c) fixdec MB/s
# against tr(1) and QuickFIX C++ on the same file in the same run, (d)
# fixdec peak RSS, (e) the session store: fsync rate, appends, dumps and
# opening a big store, (f) sessions: fixsession against QuickFIX's
# executor under one load client (bench/session.sh, which also runs alone
# and has its own knobs, SESS_*), (g) fixsim: the rate fixsim load can
# offer, how accurate its latencies are, and fixsim beside sessload
# (bench/fixsim.sh, which also runs alone, knobs FSIM_*), (h) failover:
# 100 SIGKILLs of a primary per lease kind, the time to detection,
# takeover and clients logged on again (bench/failover.sh, knobs FAIL_*,
# about 7 minutes).  Every figure
# is printed with its unit and written as key=value to
# BUILD/bench/results.txt.  Nothing here passes or fails: a figure that
# cannot be measured is reported as skipped, with the reason.
#
# Environment: MICRO_N (iterations per run, 5000000), MICRO_RUNS (5),
# LOG_N (messages in the big log, 1000000), RUNS (best of, 3), CC, CXX;
# for (e) STORE_SECS (seconds per rate, 2), STORE_GROUP (appends per
# commit, 1000), STORE_DUMP_N (1000000), STORE_BIG (messages in the big
# store, 10000000), STORE_SESSIONS (1000).

set -u

B=${1:-build}
OUT=$B/bench
LIB=$B/lib/libfixutil.a
FIXDEC=$B/bin/fixdec
MICRO_N=${MICRO_N:-5000000}
MICRO_RUNS=${MICRO_RUNS:-5}
LOG_N=${LOG_N:-1000000}
RUNS=${RUNS:-3}
CC=${CC:-cc}
CXX=${CXX:-g++}
GNUTIME=/usr/bin/time
RES=$OUT/results.txt

mkdir -p "$OUT" || exit 5
: > "$RES.tmp" || exit 5
KV=$RES.tmp LINE_W=40
. "$(dirname "$0")/lib.sh"

now_ns() {
	date +%s%N
}

# best_wall INPUT CMD...: run CMD < INPUT > /dev/null RUNS times; print the
# fastest wall time in ns, or nothing when CMD failed.
best_wall() {
	in=$1
	shift
	best=
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(now_ns)
		"$@" < "$in" > /dev/null 2> "$OUT/last-stderr" || return 1
		t1=$(now_ns)
		dt=$((t1 - t0))
		if [ -z "$best" ] || [ "$dt" -lt "$best" ]; then
			best=$dt
		fi
		i=$((i + 1))
	done
	echo "$best"
}

mbps() {	# bytes ns -> MB/s (MB = 10^6 bytes)
	calc "sprintf(\"%.1f\", $1 * 1000 / $2)"
}

# ---- header -----------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null |
    head -n 1)
[ -n "$cpu" ] || cpu=unknown
ncpu=$(nproc 2>/dev/null || echo unknown)
ccver=$($CC --version 2>/dev/null | head -n 1)
echo "fixutil bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $ncpu CPUs, $cpu, $(uname -sr)"
echo "compiler: $ccver"
kv nproc "$ncpu"
kv cpu_model "$cpu"
kv kernel "$(uname -sr)"

if [ ! -f "$LIB" ]; then
	echo "bench: $LIB missing: run make all first" >&2
	exit 5
fi

# ---- build the bench programs ----------------------------------------------

have_genlog=0 have_micro=0 have_qf=0
if stale "$OUT/genlog" bench/genlog.c "$LIB"; then
	build genlog $CC $CFLAGS_B -o "$OUT/genlog" bench/genlog.c "$LIB" \
	    $PKG_LIBS -lm && have_genlog=1
else
	have_genlog=1
fi
if stale "$OUT/micro" bench/micro.c "$LIB"; then
	build micro $CC $CFLAGS_B -o "$OUT/micro" bench/micro.c "$LIB" \
	    $PKG_LIBS -lm && have_micro=1
else
	have_micro=1
fi
# QuickFIX 1.15's headers use dynamic exception specifications, which
# C++17 removed; C++14 is the newest standard they compile under.
if stale "$OUT/qf_parse" bench/qf_parse.cpp; then
	build qf_parse $CXX -O2 -std=c++14 -Wall -Wno-deprecated \
	    -o "$OUT/qf_parse" bench/qf_parse.cpp -lquickfix -lpthread &&
	    have_qf=1
else
	have_qf=1
fi

# ---- a) micro-benchmarks ----------------------------------------------------

echo
if [ "$have_micro" = 1 ] &&
    "$OUT/micro" -n "$MICRO_N" -r "$MICRO_RUNS" -d dicts > "$OUT/micro.out" \
    2> "$OUT/micro.err"; then
	get() { sed -n "s/^$1=//p" "$OUT/micro.out"; }
	mb=$(get msg_bytes)
	echo "a) libfixutil on one $mb-byte FIX.4.4 NewOrderSingle," \
	    "best of $MICRO_RUNS runs x $MICRO_N (goal <= 150 ns each)"
	line "parse (fixu_frame + fixu_msg_parse)" "$(get parse_ns) ns/msg"
	line "validate (FIX44.xml, FIXU_V_ALL)" "$(get validate_ns) ns/msg"
	line "parse + validate" "$(get parse_validate_ns) ns/msg"
	line "encode (begin + 15 adds + finish)" "$(get encode_ns) ns/msg"
	for k in parse_ns validate_ns parse_validate_ns encode_ns; do
		kv "micro_$k" "$(get $k)"
	done
	kv micro_msg_bytes "$mb"
	kv micro_iterations "$MICRO_N"
	kv micro_runs "$MICRO_RUNS"
else
	why="micro did not build: $(grep -m 1 -o \
	    'error: .*\|undefined reference to .*' "$OUT/micro-build.log")"
	[ "$have_micro" = 1 ] && why="micro failed: $(head -n 1 "$OUT/micro.err")"
	echo "a) libfixutil micro-benchmarks"
	line "parse, validate, encode" "skipped ($why)"
	kv micro_parse_ns skipped
fi

# ---- b) the logs ------------------------------------------------------------

BIG=$OUT/traffic-$LOG_N.qf.log
SMALL=$OUT/traffic-100000.qf.log
gen() {	# count file
	if [ -s "$2" ] && ! stale "$2" "$OUT/genlog"; then
		return 0
	fi
	"$OUT/genlog" -n "$1" -f qf -o "$2.tmp" && mv "$2.tmp" "$2"
}
echo
if [ "$have_genlog" = 1 ] && gen "$LOG_N" "$BIG" && gen 100000 "$SMALL"; then
	bytes=$(wc -c < "$BIG" | tr -d ' ')
	echo "b) log: $BIG"
	line "format" "QuickFIX file log, SOH inside, seed 1"
	line "messages" "$LOG_N"
	line "size" "$(calc "sprintf(\"%.1f\", $bytes / 1e6)") MB" \
	    "($(calc "sprintf(\"%.1f\", $bytes / $LOG_N)") bytes/line)"
	soh=$(printf '\001')
	line "mix" "$(grep -ao "${soh}35=[^$soh]*" "$BIG" | sort | uniq -c |
	    awk '{ sub(/^.35=/, "", $2); printf "%s%s %d", s, $2, $1; s = ", " }')"
	kv log_file "$BIG"
	kv log_messages "$LOG_N"
	kv log_bytes "$bytes"
	have_log=1
else
	echo "b) log: skipped (genlog did not build or failed)"
	have_log=0
fi

# ---- c) throughput ----------------------------------------------------------

echo
if [ "$have_log" = 1 ]; then
	echo "c) throughput on the $LOG_N-message log, best of $RUNS," \
	    "file in page cache (MB = 10^6 bytes)"
	cat "$BIG" > /dev/null

	trns=$(best_wall "$BIG" tr '\001' '|') || trns=
	[ -n "$trns" ] || { echo "bench: tr failed" >&2; exit 5; }
	tr_mbps=$(mbps "$bytes" "$trns")
	line "tr '\\001' '|'" "$tr_mbps MB/s" \
	    "($(calc "sprintf(\"%.3f\", $trns / 1e9)") s)"
	kv tr_mbps "$tr_mbps"

	fd_mbps=skipped fj_mbps=skipped
	for mode in default json; do
		if [ "$mode" = json ]; then
			set -- -j "$BIG"
			label="fixdec -j"
		else
			set -- "$BIG"
			label="fixdec"
		fi
		if [ ! -x "$FIXDEC" ]; then
			line "$label" "skipped (fixdec not built)"
			continue
		fi
		"$FIXDEC" "$@" < /dev/null > /dev/null 2> "$OUT/last-stderr"
		rc=$?
		if [ "$rc" != 0 ]; then
			line "$label" "skipped (fixdec exited $rc:" \
			    "$(head -c 60 "$OUT/last-stderr" | head -n 1))"
			continue
		fi
		if ! ns=$(best_wall /dev/null "$FIXDEC" "$@"); then
			line "$label" "skipped (fixdec failed on a rerun)"
			continue
		fi
		m=$(mbps "$bytes" "$ns")
		line "$label" "$m MB/s" \
		    "($(calc "sprintf(\"%.3f\", $ns / 1e9)") s)"
		if [ "$mode" = json ]; then fj_mbps=$m; else fd_mbps=$m; fi
	done
	kv fixdec_mbps "$fd_mbps"
	kv fixdec_json_mbps "$fj_mbps"

	qf_mbps=skipped qv_mbps=skipped qe_mbps=skipped
	if [ "$have_qf" = 1 ]; then
		for mode in parse validate encode; do
			case $mode in
			parse)	 flags= ;	label="QuickFIX Message(s, dd, true)" ;;
			validate) flags=-V ;	label="QuickFIX + DataDictionary::validate" ;;
			encode)	 flags="-V -e" ; label="QuickFIX + validate + toString()" ;;
			esac
			best=
			i=0
			while [ "$i" -lt "$RUNS" ]; do
				"$OUT/qf_parse" $flags -d dicts/FIX44.xml "$BIG" \
				    > "$OUT/qf.out" 2> "$OUT/qf.err" || break
				s=$(sed -n 's/^seconds=//p' "$OUT/qf.out")
				if [ -z "$best" ] ||
				    [ "$(calc "$s < $best")" = 1 ]; then
					best=$s
				fi
				i=$((i + 1))
			done
			if [ -z "$best" ]; then
				line "$label" "skipped (qf_parse failed:" \
				    "$(head -n 1 "$OUT/qf.err"))"
				continue
			fi
			n=$(sed -n 's/^messages=//p' "$OUT/qf.out")
			bad=$(sed -n 's/^bad=//p' "$OUT/qf.out")
			dict=$(sed -n 's/^dict=//p' "$OUT/qf.out")
			m=$(calc "sprintf(\"%.1f\", $bytes / $best / 1e6)")
			line "$label" "$m MB/s ($best s," \
			    "$(calc "sprintf(\"%.0f\", $best * 1e9 / $n)") ns/msg," \
			    "$n msgs, $bad rejected, dict $dict)"
			[ "$dict" = none ] &&
			    line "" "NOTE: without dictionary:" \
				"$(sed -n 's/^dict_error=//p' "$OUT/qf.out")"
			[ "$bad" != 0 ] && line "" "first rejection:" \
			    "$(sed -n 's/^first_error=//p' "$OUT/qf.out")"
			case $mode in
			parse)	 qf_mbps=$m ;;
			validate) qv_mbps=$m ;;
			encode)	 qe_mbps=$m ;;
			esac
		done
	else
		line "QuickFIX C++" "skipped (qf_parse did not build)"
	fi
	kv qf_mbps "$qf_mbps"
	kv qf_validate_mbps "$qv_mbps"
	kv qf_validate_encode_mbps "$qe_mbps"

	echo "  ratios:"
	r1=$(ratio "$fd_mbps" "$tr_mbps")
	r2=$(ratio "$fj_mbps" "$tr_mbps")
	r3=$(ratio "$fd_mbps" "$qf_mbps")
	r4=$(ratio "$fd_mbps" "$qv_mbps")
	r5=$(ratio "$fj_mbps" "$qf_mbps")
	line "fixdec / tr" "$r1 (goal >= 0.5)"
	line "fixdec -j / tr" "$r2"
	line "fixdec / QuickFIX parse" "$r3 (goal >= 5)"
	line "fixdec / QuickFIX parse+validate" "$r4"
	line "fixdec -j / QuickFIX parse" "$r5"
	kv ratio_fixdec_tr "$r1"
	kv ratio_fixdec_json_tr "$r2"
	kv ratio_fixdec_qf "$r3"
	kv ratio_fixdec_qf_validate "$r4"
	kv ratio_fixdec_json_qf "$r5"
else
	echo "c) throughput: skipped (no log)"
fi

# ---- d) memory --------------------------------------------------------------

echo
echo "d) fixdec peak RSS (GNU time %M)"
rss_big=skipped rss_small=skipped
if [ "$have_log" != 1 ]; then
	line "1M and 100k logs" "skipped (no log)"
elif [ ! -x "$FIXDEC" ]; then
	line "1M and 100k logs" "skipped (fixdec not built)"
elif [ ! -x "$GNUTIME" ]; then
	line "1M and 100k logs" "skipped ($GNUTIME missing: apt-get install time)"
else
	for f in "$SMALL" "$BIG"; do
		if "$GNUTIME" -f %M -o "$OUT/rss" "$FIXDEC" "$f" > /dev/null \
		    2> /dev/null; then
			r=$(tail -n 1 "$OUT/rss")
		else
			r=skipped
		fi
		if [ "$f" = "$BIG" ]; then rss_big=$r; else rss_small=$r; fi
	done
	line "$LOG_N-message log" "$rss_big KB"
	line "100000-message log" "$rss_small KB"
	line "ratio" "$(ratio "$rss_big" "$rss_small")"
fi
kv fixdec_rss_kb_big "$rss_big"
kv fixdec_rss_kb_100k "$rss_small"

# ---- e) the session store ---------------------------------------------------

echo
STORE_SECS=${STORE_SECS:-2}
STORE_GROUP=${STORE_GROUP:-1000}
STORE_DUMP_N=${STORE_DUMP_N:-1000000}
STORE_BIG=${STORE_BIG:-10000000}
STORE_SESSIONS=${STORE_SESSIONS:-1000}
FIXSTORE=$B/bin/fixstore
have_store=0
if stale "$OUT/store" bench/store.c "$LIB"; then
	build store $CC $CFLAGS_B -o "$OUT/store" bench/store.c "$LIB" \
	    $PKG_LIBS $(pkg-config --libs zlib 2>/dev/null) -lm &&
	    have_store=1
else
	have_store=1
fi
sget() { sed -n "s/^$1=//p" "$OUT/store.out" | tail -n 1; }
if [ "$have_store" != 1 ]; then
	echo "e) session store: skipped (store did not build: $(grep -m 1 -o \
	    'error: .*\|undefined reference to .*' "$OUT/store-build.log"))"
	kv store_fsync_per_s skipped
elif ! "$OUT/store" -d "$OUT" -t "$STORE_SECS" -g "$STORE_GROUP" \
    -D "$STORE_DUMP_N" -M "$STORE_BIG" -S "$STORE_SESSIONS" \
    > "$OUT/store.out" 2> "$OUT/store.err"; then
	echo "e) session store: skipped (store failed:" \
	    "$(grep -v '^$' "$OUT/store.err" | tail -n 1))"
	kv store_fsync_per_s skipped
else
	fs=$(sget fsync_per_s)
	echo "e) session store (SQLite WAL) in $OUT, $(sget msg_bytes)-byte" \
	    "NewOrderSingle/ExecutionReport pairs, ${STORE_SECS} s per rate"
	line "disk: write 256 B + fdatasync" "$fs fsyncs/s"
	line "append, 1 per commit, FULL" "$(sget one_full_per_s) msgs/s" \
	    "(x$(sget ratio_one_fsync) of fsync rate; goal >= 0.9)"
	line "append, $STORE_GROUP per commit, FULL" \
	    "$(sget group_full_per_s) msgs/s (goal >= 50000)"
	line "append, $STORE_GROUP per commit, NORMAL" \
	    "$(sget group_normal_per_s) msgs/s"
	line "append, 1 per commit, NORMAL" "$(sget one_normal_per_s) msgs/s"
	dn=$(sget dump_n)
	g=$(sget dump_gen_s)
	if [ "$g" = "0.0" ]; then g="reused"; else g="generated in $g s"; fi
	line "store of $dn msgs, 1 session" "$g"
	line "fixu_store_range, $dn msgs" "$(sget dump_per_s) msgs/s" \
	    "($(sget dump_s) s, best of 3; goal >= 500000)"
	fsd=skipped
	if [ -x "$FIXSTORE" ] && ns=$(best_wall /dev/null "$FIXSTORE" \
	    -S "$(sget dump_db)" dump "$(sget dump_session)"); then
		fsd=$(calc "sprintf(\"%.0f\", $dn * 1e9 / $ns)")
		line "fixstore dump S > /dev/null" "$fsd msgs/s" \
		    "($(calc "sprintf(\"%.3f\", $ns / 1e9)") s, best of $RUNS;" \
		    "$(ratio "$fsd" "$(sget dump_per_s)") of fixu_store_range)"
	elif [ -x "$FIXSTORE" ]; then
		line "fixstore dump S > /dev/null" "skipped (fixstore failed:" \
		    "$(head -n 1 "$OUT/last-stderr"))"
	else
		line "fixstore dump S > /dev/null" "skipped (fixstore not built)"
	fi
	g=$(sget open_gen_s)
	if [ "$g" = "0.0" ]; then g="reused"; else g="generated in $g s"; fi
	line "store of $(sget open_msgs) msgs, $(sget open_sessions) sessions" \
	    "$g"
	line "open + list sessions" "$(sget open_ms) ms (best of 5;" \
	    "goal < 50)"
	line "ratios:" "append 1/commit / fsync $(sget ratio_one_fsync)," \
	    "group FULL / 50000 $(ratio "$(sget group_full_per_s)" 50000)," \
	    "range / 500000 $(ratio "$(sget dump_per_s)" 500000)"
	for k in fsync_per_s one_full_per_s ratio_one_fsync group \
	    group_full_per_s group_normal_per_s one_normal_per_s msg_bytes \
	    dump_n dump_per_s dump_gen_s open_msgs open_sessions open_gen_s \
	    open_ms; do
		kv "store_$k" "$(sget $k)"
	done
	kv store_fixstore_dump_per_s "$fsd"
fi

# ---- f) sessions: fixsession against QuickFIX's executor ---------------------

echo
SESSION_RES="$RES.tmp" sh bench/session.sh "$B"

# ---- g) fixsim: the rate it offers and how right its latencies are ----------

echo
FSIM_RES="$RES.tmp" sh bench/fixsim.sh "$B"

# ---- h) failover: a standby taking over from a killed primary --------------

echo
FAIL_RES="$RES.tmp" sh bench/failover.sh "$B"

mv "$RES.tmp" "$RES"
echo
echo "key=value figures: $RES"
exit 0
