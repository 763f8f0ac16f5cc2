#!/bin/sh
# demo.sh -- what `make demo` runs: the main job, on the embedded store.
#
#   sh examples/demo.sh [BUILD-DIR]          (BUILD-DIR defaults to build)
#
# In a temporary directory it writes the settings of an acceptor, EXEC,
# with four sessions CLIENT1..CLIENT4 on a free port of 127.0.0.1 and its
# SQLite store beside them, and runs it: `fixsession -- fixsim exchange`,
# one exchange a session, which acknowledges and fills most orders, fills
# some in part and rejects a few.  `fixsim load` then logs on as the four
# clients and sends orders open loop (limit and market orders, cancels,
# replaces); when it is done the acceptor is stopped and the demo shows
# the traffic decoded by fixdec from fixsession's message log, the load
# summary, what the exchanges did, and the store as fixstore sees it.
#
# Every process it started is stopped and the directory removed at the
# end, whatever happened; DEMO_KEEP=1 keeps the directory (the store, the
# message log, the summary as JSON, the latency histogram and its SVG
# plot) and says where.  Exit 0 when every step worked and every order
# was answered; else the status of the step that failed (4 when orders
# went unanswered).  DEMO_ORDERS (4000) and DEMO_RATE (1000 a second)
# size the load.
set -u
. "$(dirname "$0")/../tools/net.sh"
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/$build/bin:$PATH"
FIXUTIL_DICT_PATH="$top/dicts"
export PATH FIXUTIL_DICT_PATH
orders=${DEMO_ORDERS:-4000}
rate=${DEMO_RATE:-1000}
nsess=4

for t in fixsession fixsim fixdec fixstore; do
	if [ ! -x "$top/$build/bin/$t" ]; then
		echo "demo: $build/bin/$t missing: run make all first" >&2
		exit 5
	fi
done

bold() {
	if [ -t 1 ]; then
		printf '\n\033[1m%s\033[0m\n' "$*"
	else
		printf '\n%s\n' "$*"
	fi
}

# step CMD: show a command, run it in the demo directory; its status.
step() {
	bold "\$ $*"
	sh -c "$*"
}

acc_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixutil-demo.XXXXXX") || exit 5
finish() {
	rc=$?
	if [ -n "$acc_pid" ]; then
		kill -TERM "$acc_pid" 2>/dev/null
		wait "$acc_pid" 2>/dev/null
	fi
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		echo
		echo "demo: kept $tmp (store exec.db, message log exec.log," \
		    "load.json, latency.svg)"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 5' INT TERM HUP

fail() {	# STATUS MESSAGE...: stop the demo
	s=$1
	shift
	echo "demo: FAILED: $*" >&2
	exit "$s"
}

# settings PORT: the acceptor's settings file, acc.cfg.
settings() {
	{
		echo "# The exchange of the demo: EXEC, one session a client."
		echo "[DEFAULT]"
		echo "ConnectionType=acceptor"
		echo "SocketAcceptAddress=127.0.0.1"
		echo "SocketAcceptPort=$1"
		echo "SenderCompID=EXEC"
		echo "BeginString=FIX.4.4"
		echo "StartTime=00:00:00"
		echo "EndTime=00:00:00"
		echo "HeartBtInt=30"
		echo "UseDataDictionary=Y"
		echo "StorePath=exec.db"
		i=1
		while [ "$i" -le "$nsess" ]; do
			printf '\n[SESSION]\nTargetCompID=CLIENT%d\n' "$i"
			i=$((i + 1))
		done
	} > acc.cfg
}

# jget KEY: a number from load.json (lat.K: K of latency_us).
jget() {
	case $1 in
	lat.*)	sed -n 's/.*"latency_us":{\([^}]*\)}.*/\1/p' load.json ;;
	*)	cat load.json ;;
	esac | tr ',{' '\n\n' | sed -n "s/^\"${1#*.}\":\([0-9.]*\).*/\1/p" |
	    head -n 1
}

cd "$tmp" || exit 5
echo "fixutil demo in $tmp: an exchange behind fixsession, four clients" \
    "from fixsim load"

# ---- the acceptor -------------------------------------------------------

xch="fixsim exchange -s 1 -f 85 -p 10 -x 5"
port=$(pick_port) || fail 5 "no free port on 127.0.0.1"
settings "$port"
step "cat acc.cfg && fixsession -n -c acc.cfg" || fail $? "the settings"
bold "\$ fixsession -c acc.cfg -l exec.log -- $xch &"
try=0
while :; do
	# shellcheck disable=SC2086
	fixsession -c acc.cfg -l exec.log -- $xch < /dev/null \
	    > acceptor.out 2> acceptor.err &
	acc_pid=$!
	i=0
	while [ "$i" -lt 100 ] && kill -0 "$acc_pid" 2>/dev/null &&
	    [ "$(grep -c 'start: acceptor' acceptor.err)" -lt "$nsess" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$acc_pid" 2>/dev/null && [ "$i" -lt 100 ]; then
		break
	fi
	kill -TERM "$acc_pid" 2>/dev/null
	wait "$acc_pid" 2>/dev/null
	acc_pid=
	try=$((try + 1))
	if ! grep -q 'Address already in use' acceptor.err || [ "$try" = 5 ]
	then
		cat acceptor.err >&2
		fail 5 "fixsession did not start"
	fi
	# Taken between the look and the bind: another port.
	port=$(pick_port) || fail 5 "no free port on 127.0.0.1"
	echo "(that port was taken; SocketAcceptPort=$port instead)"
	settings "$port"
	rm -f exec.db exec.db-wal exec.db-shm exec.log
done
echo "listening on 127.0.0.1:$port (pid $acc_pid): 85% of the orders" \
    "filled at once, 10% in part, 5% rejected"

# ---- the clients --------------------------------------------------------

step "fixsim load -n $nsess -s 'CLIENT%d' -t EXEC -r $rate -c $orders \\
    -m limit=80,market=10,cancel=5,replace=5 -S IBM,MSFT,AAPL,ORCL -w 2 \\
    -j -o latency.hist -g latency.svg 127.0.0.1:$port > load.json"
load_rc=$?
kill -TERM "$acc_pid" 2>/dev/null
wait "$acc_pid"
acc_rc=$?
acc_pid=
[ "$acc_rc" = 0 ] || { cat acceptor.err >&2; fail "$acc_rc" "fixsession"; }
# fixsim load says 1 when orders went unanswered or were rejected; the
# exchange rejects on purpose, so only the counts tell a failure.
sent=$(jget sent)
unanswered=$(jget unanswered)
case $load_rc in
0|1)	;;
*)	fail "$load_rc" "fixsim load exited $load_rc" ;;
esac
[ -n "$sent" ] && [ -n "$unanswered" ] || fail 5 "no summary in load.json"

# ---- the traffic --------------------------------------------------------

step "fixdec -A -P exec.log | head -n 10" || fail $? "fixdec"
step "fixdec -m ExecutionReport -e OrdStatus=1 exec.log | head -n 2" ||
    fail $? "fixdec"
step "fixdec -v -m 8 -e OrdStatus=8 exec.log | sed '/^\$/q'" ||
    fail $? "fixdec"

# ---- the summary --------------------------------------------------------

bold "the load, from load.json:"
echo "  $(jget sessions) sessions, $sent orders in $(jget duration_s) s:" \
    "offered $(jget offered_rate)/s, achieved $(jget achieved_rate)/s"
echo "  limit $(jget limit), market $(jget market), cancel $(jget cancel)," \
    "replace $(jget replace)"
echo "  acknowledged $(jget acknowledged), filled $(jget filled)," \
    "partially filled $(jget partially_filled), rejected $(jget rejected),"
echo "  cancelled $(jget cancelled), cancel rejected" \
    "$(jget cancel_rejected), unanswered $unanswered;" \
    "$(jget er_received) execution reports"
echo "  latency us, order due to first answer: p50 $(jget lat.p50)" \
    " p90 $(jget lat.p90)  p99 $(jget lat.p99)  p99.9 $(jget lat.p99.9)" \
    " max $(jget lat.max)"
echo "  (StoreDurability=full: each order is committed before the" \
    "exchange sees it, each answer before it is sent)"
bold "the exchanges, one a session (their last words on fixsession's stderr):"
grep 'fixsim exchange:' acceptor.err | sed 's/^/  /'

step "fixstore -S exec.db list && fixstore -S exec.db verify" ||
    fail $? "fixstore"
# What the store kept must be what the clients sent: every order, cancel
# and replace in.
stored=0
i=1
while [ "$i" -le "$nsess" ]; do
	n=$(fixstore -S exec.db dump -e all -d in -m D,F,G \
	    "FIX.4.4:EXEC->CLIENT$i" | grep -c '35=[DFG]')
	stored=$((stored + n))
	i=$((i + 1))
done
echo
echo "the store holds $stored orders, cancels and replaces in;" \
    "fixsim load sent $sent"
[ "$stored" = "$sent" ] || fail 4 "the store and the client disagree"
[ "$sent" = "$orders" ] || fail 4 "$sent of $orders orders sent"
[ "$unanswered" = 0 ] || fail 4 "$unanswered orders unanswered"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
	echo "the latency plot: $tmp/latency.svg (open it in a browser)"
else
	echo "(DEMO_KEEP=1 make demo keeps the directory: the store, the" \
	    "message log, load.json and a latency plot, latency.svg)"
fi
echo "demo: ok"
exit 0
