#!/bin/bash
# failover-drill.sh -- fail an exchange over to its standby while clients
# stream orders, measure how long it took, and check that nothing was lost.
#
#   bash examples/failover-drill.sh [-EhKq] [-b build] [-i reconnect] [-k file|sql]
#        [-m kill|stop|switchover] [-n sessions] [-o results.tsv] [-r rate]
#        [-t trials] [-T ttl] [-w seconds]
#
# Two "nodes" on this host, a and b, each a process tree of its own:
#
#   fixlock -v [-f exec.lock | -T ttl] -I node-X exec \
#       fixsession -c X.cfg -- fixsim exchange -S exec.db
#
# with their own settings (node a listens on one port, node b on another)
# and one store, exec.db.  The node that holds the lease runs; the other
# waits on it, warm (fixlock -W: fixsession has read its settings and
# dictionaries and waits for the token).  fixsim load logs on as
# CLIENT1..N with both addresses and HeartBtInt 1, so a session that loses
# its node (or hears nothing from it for a heartbeat and a TestRequest)
# reconnects to the other every -i seconds; it streams orders at -r a
# second.  Each trial fails the primary over:
#
#   kill        SIGKILL to the primary's fixlock (the kernel kills its
#               fixsession, which dies with it, and with a file lease
#               releases the lock at once);
#   stop        SIGSTOP to the primary's whole process tree (SQL leases
#               only: a file lease has no deadline, so nothing would move);
#               once its lease expired the standby kills it (a process
#               stopped inside a write transaction would hold the store's
#               lock) and takes over; the clients notice the silence by
#               their heartbeats;
#   switchover  fixlock -x: the primary logs its sessions out and lets go.
#
# and prints the time from the failure to the standby holding the lease
# (detection), to its fixsession serving again (takeover), and to the last
# client logged on again (counterparty).  The failed node comes back as the
# new standby before the next trial.  At the end the clients stop, and the
# drill checks that every order was answered, none was filled twice (load
# tells a resent ExecutionReport, same ExecID, from a second fill), and
# that the store's sequence numbers and hash chains are whole (fixstore
# verify).  Exit 0 when all of that holds; 1 if an order was lost or filled
# twice or the store does not verify; 4 when a trial did not recover within
# -w seconds; 2 usage; 5 a tool is missing.
#
# An SQL lease whose holder died on this host is taken at once (fixlock
# checks the holder's process); -E makes the standby wait for the expiry
# instead, as a standby on another host would (fixlock -E).
#
# -o writes one line per trial: trial, kind, mode, then the three times in
# milliseconds.  Every process it started is stopped at the end and the
# scratch directory removed (-K keeps it and says where).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tools/net.sh"
build=build
kind=file
mode=kill
nsess=4
rate=200
trials=1
ttl=2
reconnect=0.2
maxwait=20
out=
quiet=0
keep=0
expiry=

usage() {
	sed -n '5,7p' "$0" | sed 's/^# *//; s/^bash examples/usage: bash examples/'
	exit "$1"
}

while getopts b:Ehi:k:Km:n:o:qr:t:T:w: opt; do
	case $opt in
	b) build=$OPTARG ;;
	E) expiry=-E ;;
	h) usage 0 ;;
	i) reconnect=$OPTARG ;;
	k) kind=$OPTARG ;;
	K) keep=1 ;;
	m) mode=$OPTARG ;;
	n) nsess=$OPTARG ;;
	o) out=$OPTARG ;;
	q) quiet=1 ;;
	r) rate=$OPTARG ;;
	t) trials=$OPTARG ;;
	T) ttl=$OPTARG ;;
	w) maxwait=$OPTARG ;;
	*) usage 2 ;;
	esac
done
case $kind in file|sql) ;; *) echo "drill: -k file or sql" >&2; exit 2 ;; esac
case $mode in kill|stop|switchover) ;; *) echo "drill: -m kill, stop or switchover" >&2; exit 2 ;; esac
if [ "$mode" = stop ] && [ "$kind" = file ]; then
	echo "drill: -m stop needs -k sql: a stopped holder keeps a file lease" >&2
	exit 2
fi
case $trials$nsess in *[!0-9]*) echo "drill: -t and -n are counts" >&2; exit 2 ;; esac

PATH="$top/$build/bin:$PATH"
FIXUTIL_DICT_PATH="$top/dicts"
export PATH FIXUTIL_DICT_PATH
for t in fixlock fixsession fixsim fixstore; do
	if [ ! -x "$top/$build/bin/$t" ]; then
		echo "drill: $build/bin/$t missing: run make all first" >&2
		exit 5
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/fixutil-drill.XXXXXX") || exit 5
store=$dir/exec.db
load_pid=
declare -A node_pid node_gen port
finish() {
	rc=$?
	for x in a b; do
		p=${node_pid[$x]:-}
		[ -n "$p" ] && { kill -CONT -- "-$p" 2>/dev/null; kill -KILL -- "-$p" 2>/dev/null; }
	done
	[ -n "$load_pid" ] && kill -KILL "$load_pid" 2>/dev/null
	wait 2>/dev/null
	if [ "$keep" = 1 ]; then
		echo "drill: kept $dir" >&2
	else
		rm -rf "$dir"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

say() {
	[ "$quiet" = 1 ] || printf '%s\n' "$*"
}

port[a]=$(pick_port)
port[b]=$(pick_port)
while [ "${port[b]}" = "${port[a]}" ]; do port[b]=$(pick_port); done

for x in a b; do
	{
		echo "[DEFAULT]"
		echo "ConnectionType=acceptor"
		echo "SenderCompID=EXEC"
		echo "SocketAcceptAddress=127.0.0.1"
		echo "SocketAcceptPort=${port[$x]}"
		echo "StartTime=00:00:00"
		echo "EndTime=00:00:00"
		echo "StorePath=$store"
		echo "LogoutTimeout=1"
		for i in $(seq "$nsess"); do
			echo "[SESSION]"
			echo "BeginString=FIX.4.4"
			echo "TargetCompID=CLIENT$i"
		done
	} > "$dir/$x.cfg"
	node_gen[$x]=0
done
if [ "$kind" = file ]; then
	lockopt=(-f "$dir/exec.lock")
else
	lockopt=(-T "$ttl" $expiry)
fi

# Times in the logs, as seconds since the epoch with microseconds:
# ISO 8601 (fixlock, fixsim load) and FIX's 20261204-15:22:33.104509.
epoch() {
	local t=$1
	case $t in
	????????-*) t="${t:0:4}-${t:4:2}-${t:6:2} ${t:9}" ;;
	*T*Z) t="${t%Z}"; t="${t/T/ }" ;;
	esac
	date -u -d "$t" +%s.%6N
}

ms() {	# from to: milliseconds between two epoch times
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

# start_node X: a new incarnation of node X, in a process group of its own.
start_node() {
	local x=$1
	node_gen[$x]=$((node_gen[$x] + 1))
	log=$dir/$x.${node_gen[$x]}.log
	setsid fixlock -v -W "${lockopt[@]}" -S "$store" -I "node-$x" exec \
	    fixsession -c "$dir/$x.cfg" -- fixsim exchange -q -S "$store" \
	    < /dev/null > /dev/null 2> "$log" &
	node_pid[$x]=$!
}

nodelog() {
	echo "$dir/$1.${node_gen[$1]}.log"
}

# wait_for SECONDS CMD...: poll every 10 ms.
wait_for() {
	local until=$((EPOCHSECONDS + $1))
	shift
	while [ "$EPOCHSECONDS" -le "$until" ]; do
		"$@" && return 0
		sleep 0.01
	done
	return 1
}

node_gone() {	# SID: no process of that session left but zombies
	! ps -o stat= -s "$1" 2>/dev/null | grep -qv '^Z'
}

acquired() {	# X: node X holds the lease and its sessions started
	grep -q ' acquired token ' "$(nodelog "$1")" 2>/dev/null &&
	    [ "$(grep -c ' start: ' "$(nodelog "$1")")" -ge "$nsess" ]
}

waiting() {	# X: node X waits for the lease
	grep -q ' waiting: ' "$(nodelog "$1")" 2>/dev/null
}

# The clients' logon events after line $1 of load.log, one per session.
logons_after() {
	tail -n "+$(($1 + 1))" "$dir/load.log" |
	    awk '$5 == "logon:" && $6 == "logged" { s[$4] = 1 } END { print length(s) }'
}

all_logged_on() {
	[ "$(logons_after "$1")" -ge "$nsess" ]
}

primary=a
standby=b
start_node a
wait_for "$maxwait" acquired a || { echo "drill: node a did not start" >&2; cat "$(nodelog a)" >&2; exit 4; }
start_node b
wait_for "$maxwait" waiting b || { echo "drill: node b does not wait on the lease" >&2; exit 4; }

fixsim load -v -j -q -t EXEC -n "$nsess" -r "$rate" -d 86400 -i "$reconnect" -H 1 -T 30 \
    -w 10 "127.0.0.1:${port[a]},127.0.0.1:${port[b]}" \
    > "$dir/load.json" 2> "$dir/load.log" &
load_pid=$!
wait_for "$maxwait" all_logged_on 0 || { echo "drill: the clients did not log on" >&2; cat "$dir/load.log" >&2; exit 4; }

say "drill: $kind lease${expiry:+ (-E: expiry only)}, $mode, $trials trial(s), $nsess sessions at $rate orders/s, reconnect every ${reconnect}s"
[ -n "$out" ] && : > "$out"
failed=0
for t in $(seq "$trials"); do
	sleep 0.5			# orders flowing through the primary
	mark=$(wc -l < "$dir/load.log")
	slog=$(nodelog "$standby")
	t0=$EPOCHREALTIME
	case $mode in
	kill) kill -KILL "${node_pid[$primary]}" ;;
	stop) kill -STOP -- "-${node_pid[$primary]}" ;;
	switchover) fixlock -x -q -S "$store" exec & ;;
	esac
	stage=
	wait_for "$maxwait" acquired "$standby" ||
	    stage="node $standby did not take the lease and start its sessions"
	[ -z "$stage" ] && ! wait_for "$maxwait" all_logged_on "$mark" &&
	    stage="the clients did not all log on to node $standby"
	if [ -n "$stage" ]; then
		echo "drill: trial $t: no recovery within ${maxwait}s: $stage" >&2
		echo "drill: node $standby's log, last lines:" >&2
		tail -n 15 "$slog" >&2
		echo "drill: the clients' log, last lines:" >&2
		tail -n 10 "$dir/load.log" >&2
		failed=4
		kill -CONT -- "-${node_pid[$primary]}" 2>/dev/null
		break
	fi
	t_acq=$(epoch "$(grep ' acquired token ' "$slog" | head -1 | cut -d' ' -f1)")
	t_ready=$(epoch "$(grep ' start: ' "$slog" | tail -1 | cut -d' ' -f1)")
	t_logon=$(tail -n "+$((mark + 1))" "$dir/load.log" |
	    awk '$5 == "logon:" && $6 == "logged" { t[$4] = $3 } END { for (s in t) print t[s] }' |
	    sort | tail -1)
	t_logon=$(epoch "$t_logon")
	t_fail=$(awk -v t="$t0" 'BEGIN { printf "%.6f", t }')
	d=$(ms "$t_fail" "$t_acq")
	k=$(ms "$t_fail" "$t_ready")
	c=$(ms "$t_fail" "$t_logon")
	say "trial $t: $mode node $primary: detection $d ms, takeover $k ms, counterparty $c ms"
	[ -n "$out" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$kind" "$mode" "$d" "$k" "$c" >> "$out"
	old=${node_pid[$primary]}
	case $mode in
	stop)	# The standby killed it when it took the lease over (it was
		# still there past its lease); or, resumed first, it found
		# its lease gone, stopped its fixsession and exited 1.
		kill -CONT -- "-$old" 2>/dev/null
		wait "$old"; st=$?
		case $st in
		1|137) ;;
		*) echo "drill: the stopped node exited $st" >&2; failed=1 ;;
		esac
		if ! wait_for 5 node_gone "$old"; then
			echo "drill: processes of the stopped node are still running" >&2
			failed=1
		fi ;;
	*)	wait "$old" 2>/dev/null ;;
	esac
	start_node "$primary"
	if ! wait_for "$maxwait" waiting "$primary"; then
		echo "drill: node $primary does not wait on the lease; its log:" >&2
		tail -n 15 "$(nodelog "$primary")" >&2
		failed=4
		break
	fi
	x=$primary; primary=$standby; standby=$x
done

# Stop the clients (they wait for the answers still due), then the nodes.
sleep 0.5
kill -INT "$load_pid"
wait "$load_pid"
load_pid=
kill -TERM "${node_pid[$primary]}" "${node_pid[$standby]}" 2>/dev/null
wait 2>/dev/null
node_pid=()

if ! jq -e . "$dir/load.json" > /dev/null 2>&1; then
	echo "drill: no summary from fixsim load" >&2
	tail -5 "$dir/load.log" >&2
	exit 1
fi
read -r sent filled unanswered overfilled resent < <(jq -r \
    '"\(.sent) \(.filled) \(.unanswered) \(.overfilled) \(.resent)"' "$dir/load.json")
say "orders: $sent sent, $filled filled, $unanswered unanswered, $overfilled filled twice ($resent reports resent)"
if ! fixstore -S "$store" verify > "$dir/verify.txt" 2>&1; then
	echo "drill: fixstore verify failed:" >&2
	cat "$dir/verify.txt" >&2
	failed=1
else
	say "store: $(tail -1 "$dir/verify.txt")"
fi
if [ "$unanswered" != 0 ] || [ "$overfilled" != 0 ] || [ "$sent" = 0 ]; then
	echo "drill: FAILED: orders lost or filled twice" >&2
	[ "$failed" = 0 ] && failed=1
fi
[ "$failed" = 0 ] && say "drill: passed: no order lost, none filled twice"
exit "$failed"
