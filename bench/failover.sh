#!/bin/sh
# bench/failover.sh -- how fast a standby takes over, over many kills.
#
#   sh bench/failover.sh [BUILD]        (BUILD defaults to build)
#
# Runs examples/failover-drill.sh with FAIL_TRIALS trials (100) for each
# lease kind, each trial a SIGKILL of the primary while FAIL_SESSIONS
# clients stream FAIL_RATE orders/s and reconnect every FAIL_RECONNECT
# seconds (0.2): a file lease; an SQL lease (TTL FAIL_TTL, 2 s), which a
# standby on the same host takes as soon as it sees the holder's process
# gone; and an SQL lease taken only at its expiry (fixlock -E), as a
# standby on another host would.  From the drill's per-trial
# times it prints p50, p99 and max of each part of the recovery time,
# measured from the kill:
#   detection     the standby holds the lease
#   takeover      its fixsession serves the sessions again
#   counterparty  the last client is logged on again
# beside the goals: file-lease takeover within 100 ms, SQL-lease takeover
# within TTL + 300 ms, every client logged on within 1 s (file lease; the
# expiry path adds the TTL), and whether the drill found any order lost or
# filled twice in the whole run.  Figures go as key=value lines (keys
# fail_*) to FAIL_RES when set (bench/run.sh sets it), or else are merged
# into BUILD/bench/results.txt.  Nothing passes or fails here.
#
# Environment: FAIL_TRIALS (100), FAIL_TTL (2), FAIL_RATE (200),
# FAIL_SESSIONS (4), FAIL_RECONNECT (0.2), FAIL_KINDS ("file sql
# sql-expiry").

set -u

B=${1:-build}
OUT=$B/bench
FAIL_TRIALS=${FAIL_TRIALS:-100}
FAIL_TTL=${FAIL_TTL:-2}
FAIL_RATE=${FAIL_RATE:-200}
FAIL_SESSIONS=${FAIL_SESSIONS:-4}
FAIL_RECONNECT=${FAIL_RECONNECT:-0.2}
FAIL_KINDS=${FAIL_KINDS:-file sql sql-expiry}
if [ -n "${FAIL_RES:-}" ]; then
	RES=$FAIL_RES
	merge=0
else
	RES=$OUT/results.txt.fail
	merge=1
fi
mkdir -p "$OUT" || exit 5
[ "$merge" = 1 ] && { : > "$RES" || exit 5; }
KV=$RES
. "$(dirname "$0")/lib.sh"

echo "h) failover: $FAIL_TRIALS SIGKILLs of the primary per lease kind," \
    "$FAIL_SESSIONS clients at $FAIL_RATE orders/s, reconnect ${FAIL_RECONNECT}s"

# pct FILE COLUMN P: the P-th percentile (nearest rank) of a TSV column.
pct() {
	cut -f "$2" "$1" | sort -n | awk -v p="$3" '
	    { v[NR] = $1 }
	    END { if (NR == 0) { print "n/a"; exit }
	          i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1
	          if (i > NR) i = NR; print v[i] }'
}

for kind in $FAIL_KINDS; do
	tsv=$OUT/failover-$kind.tsv
	log=$OUT/failover-$kind.log
	k=$(echo "$kind" | tr - _)	# for the keys
	case $kind in
	sql-expiry) kopt="-k sql -E" ;;
	*) kopt="-k $kind" ;;
	esac
	bash examples/failover-drill.sh -q -b "$B" $kopt -m kill \
	    -t "$FAIL_TRIALS" -T "$FAIL_TTL" -r "$FAIL_RATE" \
	    -n "$FAIL_SESSIONS" -i "$FAIL_RECONNECT" -o "$tsv" > "$log" 2>&1
	rc=$?
	n=$(wc -l < "$tsv" 2>/dev/null || echo 0)
	if [ "$n" -eq 0 ]; then
		line "$kind lease" "skipped (the drill failed, exit $rc:" \
		    "$(tail -n 1 "$log"))"
		skipped "fail_${k}_trials"
		continue
	fi
	case $rc in
	0) verdict="none lost, none filled twice, store verified" ;;
	1) verdict="ORDER LOST OR FILLED TWICE, OR STORE BROKEN (see $log)" ;;
	*) verdict="drill exit $rc after $n trials (see $log)" ;;
	esac
	line "$kind lease, trials" "$n; $verdict"
	kv "fail_${k}_trials" "$n"
	kv "fail_${k}_drill_exit" "$rc"
	col=4
	for part in detection takeover counterparty; do
		p50=$(pct "$tsv" $col 50)
		p99=$(pct "$tsv" $col 99)
		max=$(pct "$tsv" $col 100)
		case $kind.$part in
		file.takeover) goal=100 ;;
		sql*.takeover) goal=$(calc "$FAIL_TTL * 1000 + 300") ;;
		file.counterparty|sql.counterparty) goal=1000 ;;
		sql-expiry.counterparty) goal=$(calc "$FAIL_TTL * 1000 + 1000") ;;
		*) goal= ;;
		esac
		if [ -n "$goal" ]; then
			g="; goal < $goal ms, p99/goal $(ratio "$p99" "$goal")"
		else
			g=
		fi
		line "  $part ms" "p50 $p50  p99 $p99  max $max$g"
		kv "fail_${k}_${part}_p50_ms" "$p50"
		kv "fail_${k}_${part}_p99_ms" "$p99"
		kv "fail_${k}_${part}_max_ms" "$max"
		col=$((col + 1))
	done
done

[ "$merge" = 1 ] && merge_results '^fail_'
exit 0
