#!/usr/bin/env bats
# fixsim load against QuickFIX's example executor (the real binary from
# libquickfix-doc, started by tests/interop/executor.sh on a free port of
# 127.0.0.1 and stopped in teardown, pass or fail).  The executor fills
# every limit order at once and rejects what it does not take, so the
# counts of the JSON summary are known in advance.  Nothing here depends
# on timings: rates are low enough for any machine, and every wait has a
# generous bound that only a failure reaches.

load helpers

needs() {
	[ -d /usr/share/doc/libquickfix-doc/examples/executor/C++ ] ||
	    { echo "libquickfix-doc not installed"; return; }
	command -v fixsim >/dev/null || { echo "fixsim not built"; return; }
	command -v jq >/dev/null || echo "jq not installed"
}

setup() {
	tmp="$BATS_TEST_TMPDIR"
	ed=
}

teardown() {
	[ -n "${ed:-}" ] && sh "$top/tests/interop/executor.sh" stop "$ed"
	return 0
}

# executor: start one that accepts CLIENT1 and CLIENT2; sets $port.
executor() {
	why=$(needs)
	[ -z "$why" ] || skip "$why"
	ed="$tmp/ex"
	port=$(EXECUTOR_CLIENTS="CLIENT1 CLIENT2" \
	    sh "$top/tests/interop/executor.sh" start "$ed") || {
		echo "executor.sh start failed"
		return 1
	}
}

# j FILTER: a value of the JSON summary in $tmp/sum.json.
j() {
	jq -r "$1" "$tmp/sum.json"
}

@test "load: usage errors exit 2 with a message" {
	command -v fixsim >/dev/null || skip "fixsim not built"
	run fixsim load
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: fixsim load"* ]]
	run fixsim load -m limit=50,bogus=50 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-m: expected KIND=WEIGHT"* ]]
	run fixsim load -m limit=0 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim load -I gap,typo 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown injection 'typo'"* ]]
	run fixsim load -R 0.5 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-R needs -I"* ]]
	run fixsim load -I stale -R 2 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-R: expected a number from 0 to 1"* ]]
	run fixsim load -n 2 -s FIXED 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"one %d"* ]]
	run fixsim load -s 'A%sB' 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim load -r 0 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim load -b FIX.9.9 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim load -A 9 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-A is for FIXT.1.1"* ]]
	for a in localhost 127.0.0.1: :80 127.0.0.1:0 127.0.0.1:70000 h:1x; do
		run fixsim load "$a"
		[ "$status" -eq 2 ]
		[[ "$output" == *"expected HOST:PORT"* ]]
	done
	run fixsim load -x 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim load 127.0.0.1:1 extra
	[ "$status" -eq 2 ]
	# A list of addresses: each one checked.
	for a in 127.0.0.1:1, ,127.0.0.1:1 127.0.0.1:1,h:0 127.0.0.1:1,,h:2; do
		run fixsim load "$a"
		[ "$status" -eq 2 ]
		[[ "$output" == *"expected HOST:PORT"* ]]
	done
	run fixsim load -i 0 127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"-i: expected a number from 0.001 to 3600"* ]]
}

@test "load: -h prints the usage on stdout and exits 0" {
	command -v fixsim >/dev/null || skip "fixsim not built"
	run fixsim load -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: fixsim load"* ]]
	[[ "$output" == *"-I LIST"* ]]
	[[ "$output" == *"host:port[,host:port...]"* ]]
}

@test "load: two sessions, every order filled, histogram and plot written" {
	executor
	run fixsim load -q -j -n 2 -c 3000 -r 3000 -w 30 -S IBM,MSFT \
	    -o "$tmp/hist.txt" -g "$tmp/plot.svg" "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$tmp/sum.json"
	[ "$(j .sessions)" -eq 2 ]
	[ "$(j .sent)" -eq 3000 ]
	[ "$(j .by_kind.limit)" -eq 3000 ]
	[ "$(j .filled)" -eq 3000 ]
	[ "$(j .er_received)" -eq 3000 ]
	[ "$(j .unanswered)" -eq 0 ]
	[ "$(j .rejected)" -eq 0 ]
	[ "$(j .unknown_reports)" -eq 0 ]
	[ "$(j .latency_us.count)" -eq 3000 ]
	# Percentiles are ordered.
	j '[.latency_us.p50, .latency_us.p90, .latency_us.p99,
	    .latency_us["p99.9"], .latency_us.max] | . == sort' | grep -qx true
	# Both sessions sent orders.
	grep -aq '49=CLIENT1.*35=D\|35=D.*49=CLIENT1' "$ed/executor.out"
	grep -aq '49=CLIENT2.*35=D\|35=D.*49=CLIENT2' "$ed/executor.out"
	# The histogram: a header, then increasing bounds whose counts add up.
	head -n1 "$tmp/hist.txt" | grep -q '^#'
	awk '!/^#/ {
		if (NF != 2 || $1 !~ /^[0-9]+\.[0-9]+$/ || $2 !~ /^[0-9]+$/ ||
		    $1 + 0 <= last) bad++
		last = $1 + 0; n += $2
	} END { exit !(bad == 0 && n == 3000) }' "$tmp/hist.txt"
	xmllint --noout "$tmp/plot.svg"
	grep -q '<polyline' "$tmp/plot.svg"
	grep -q '99.999%' "$tmp/plot.svg"
}

@test "load: text summary on stderr without -j" {
	executor
	run fixsim load -q -c 10 -r 100 "127.0.0.1:$port"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sent 10 (limit 10"* ]]
	[[ "$output" == *"filled 10 "* ]]
	[[ "$output" == *"unanswered 0"* ]]
	[[ "$output" == *"p99.9"* ]]
}

@test "load: orders the executor refuses count as rejected, exit 1" {
	executor
	# The executor takes limit orders only: a market order gets a
	# session-level Reject, matched to the order by its RefSeqNum.
	run fixsim load -q -j -c 20 -r 200 -m market=1 "127.0.0.1:$port"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$tmp/sum.json"
	[ "$(j .sent)" -eq 20 ]
	[ "$(j .by_kind.market)" -eq 20 ]
	[ "$(j .rejected)" -eq 20 ]
	[ "$(j .unanswered)" -eq 0 ]
	[ "$(j .filled)" -eq 0 ]
}

@test "load: -I checksum: the executor drops the spoiled orders, asks for them again and fills them" {
	executor
	# Every order goes out with a wrong CheckSum and is ignored; the
	# next Heartbeat (HeartBtInt 1) shows the gap, the executor's
	# ResendRequest gets the stored, correct copies.
	run fixsim load -q -j -c 20 -r 200 -H 1 -w 30 -I checksum -R 1 \
	    "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$tmp/sum.json"
	[ "$(j .injected)" -eq 20 ]
	[ "$(j .filled)" -eq 20 ]
	[ "$(j .unanswered)" -eq 0 ]
	grep -aq 'Invalid message: Expected CheckSum' "$ed/executor.out"
	grep -aq 'Sent ResendRequest' "$ed/executor.out"
}

@test "load: -I gap: skipped numbers are gap-filled and every order filled" {
	executor
	run fixsim load -q -j -c 30 -r 300 -w 30 -I gap -R 1 "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" > "$tmp/sum.json"
	[ "$(j .injected)" -eq 30 ]
	[ "$(j .filled)" -eq 30 ]
	[ "$(j .unanswered)" -eq 0 ]
	# The executor asked for the missing numbers and got a gap fill.
	tr '\001' '|' < "$ed/executor.out" | grep -q '|35=2|'
	tr '\001' '|' < "$ed/executor.out" | grep -q '|35=4|.*|123=Y|'
}

@test "load: -I stale: an order with an old SendingTime is rejected, exit 1" {
	executor
	run fixsim load -q -j -c 1 -I stale -R 1 "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" > "$tmp/sum.json"
	[ "$(j .injected)" -eq 1 ]
	[ "$(j .rejected)" -eq 1 ]
	[ "$(j .filled)" -eq 0 ]
	tr '\001' '|' < "$ed/executor.out" | grep -q '|35=3|.*|373=10|'
}

@test "load: exit 4 when the sessions cannot log on" {
	executor
	run fixsim load -q -c 5 -T 1 -t NOBODY "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"CLIENT1->NOBODY: could not log on"* ]]
}

@test "load: two addresses, the first closed: the sessions log on at the second and every order is filled" {
	executor
	closed=$(free_port)
	rc=0
	fixsim load -j -v -n 2 -c 20 -r 100 -i 0.2 -w 30 \
	    "127.0.0.1:$closed,127.0.0.1:$port" > "$tmp/sum.json" \
	    2> "$tmp/ev.txt" || rc=$?
	cat "$tmp/sum.json" "$tmp/ev.txt"
	[ "$rc" -eq 0 ]
	[ "$(j .sent)" -eq 20 ]
	[ "$(j .filled)" -eq 20 ]
	[ "$(j .unanswered)" -eq 0 ]
	[ "$(j .overfilled)" -eq 0 ]
	[ "$(j .resent)" -eq 0 ]
	# Each session was refused at the first address, then went on to
	# the second, once.
	for c in CLIENT1 CLIENT2; do
		grep -q " $c connect: 127.0.0.1:$closed: Connection refused\$" \
		    "$tmp/ev.txt"
		[ "$(grep -c " $c connect: connected to 127.0.0.1:$port\$" \
		    "$tmp/ev.txt")" -eq 1 ]
		[ "$(grep -c " $c logon: logged on " "$tmp/ev.txt")" -eq 1 ]
	done
}

@test "load: -v writes every session event, with the UTC time, in one format" {
	executor
	d0=$(date -u +%F)
	rc=0
	fixsim load -j -v -c 5 -r 100 "127.0.0.1:$port" > "$tmp/sum.json" \
	    2> "$tmp/ev.txt" || rc=$?
	d1=$(date -u +%F)
	cat "$tmp/ev.txt"
	[ "$rc" -eq 0 ]
	# Every line of stderr is an event: "fixsim load: TIME ID KIND: TEXT".
	if grep -Ev '^fixsim load: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z CLIENT1 [a-z]+: .+$' \
	    "$tmp/ev.txt"; then
		echo "^ not an event line"
		false
	fi
	# The events of a run, in order, on the day it ran (UTC).
	awk '{ print $4, $5, $6, $7 }' "$tmp/ev.txt" > "$tmp/kinds"
	[ "$(sed -n 1p "$tmp/kinds")" = "CLIENT1 connect: connected to" ]
	[ "$(sed -n 2p "$tmp/kinds")" = "CLIENT1 logon: Logon sent" ]
	[ "$(sed -n 3p "$tmp/kinds")" = "CLIENT1 logon: logged on" ]
	grep -qx 'CLIENT1 logout: Logout sent' "$tmp/kinds"
	cut -c14-23 "$tmp/ev.txt" | sort -u > "$tmp/days"
	grep -qx -e "$d0" -e "$d1" "$tmp/days"
}

# node_cfg FILE PORT: one node of a failover pair: an acceptor EXECUTOR for
# CLIENT1 and CLIENT2 on PORT, the store shared.
node_cfg() {
	cat > "$1" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptAddress=127.0.0.1
SocketAcceptPort=$2
SenderCompID=EXECUTOR
NonStopSession=Y
HeartBtInt=30
StorePath=$tmp/fo.db

[SESSION]
BeginString=FIX.4.4
TargetCompID=CLIENT1

[SESSION]
BeginString=FIX.4.4
TargetCompID=CLIENT2
CFG
}

started() {	# ERRFILE N: N sessions of a fixsession started
	[ "$(grep -c ' start: acceptor' "$1" 2>/dev/null)" -ge "$2" ]
}

logons() {	# N: fixsim load logged on N times in all
	[ "$(grep -c ' logon: logged on ' "$tmp/ev.txt" 2>/dev/null)" -ge "$1" ]
}

filled_some() {	# the primary's store holds fills
	fixstore -S "$tmp/fo.db" dump -d out -m 8 'FIX.4.4:EXECUTOR->CLIENT1' \
	    2>/dev/null | tr '\001' '|' | grep -q '|39=2|'
}

@test "load: failover: the primary is killed, the clients go on at the standby; no order lost, none filled twice" {
	command -v fixsession >/dev/null || skip "fixsession not built"
	command -v jq >/dev/null || skip "jq not installed"
	p1=$(free_port)
	p2=$(free_port)
	node_cfg "$tmp/n1.cfg" "$p1"
	node_cfg "$tmp/n2.cfg" "$p2"
	fixsession -c "$tmp/n1.cfg" -- fixsim exchange -S "$tmp/fo.db" \
	    < /dev/null > /dev/null 2> "$tmp/n1.err" &
	n1=$!
	until_true 10 started "$tmp/n1.err" 2
	fixsim load -j -v -n 2 -c 1000 -r 200 -i 0.2 -w 60 \
	    "127.0.0.1:$p1,127.0.0.1:$p2" > "$tmp/sum.json" \
	    2> "$tmp/ev.txt" &
	ld=$!
	until_true 30 logons 2
	until_true 30 filled_some
	# The primary dies with orders in flight; the standby takes its
	# store over, and its exchanges answer what the primary left.
	kill -KILL "$n1"
	wait "$n1" 2>/dev/null || true
	fixsession -c "$tmp/n2.cfg" -- fixsim exchange -S "$tmp/fo.db" \
	    < /dev/null > /dev/null 2> "$tmp/n2.err" &
	n2=$!
	rc=0
	wait "$ld" || rc=$?
	kill -TERM "$n2"
	wait "$n2" || true
	cat "$tmp/sum.json"
	grep -v ' inject: ' "$tmp/ev.txt" | grep -v ' logged on \| Logon sent' |
	    tail -n 20
	grep 'fixsim exchange:' "$tmp/n2.err"
	[ "$rc" -eq 0 ]
	[ "$(j .sent)" -eq 1000 ]
	[ "$(j .filled)" -eq 1000 ]
	[ "$(j .unanswered)" -eq 0 ]
	[ "$(j .overfilled)" -eq 0 ]
	# Both sessions logged on again, at the standby.
	[ "$(grep -c ' logon: logged on ' "$tmp/ev.txt")" -eq 4 ]
	for c in CLIENT1 CLIENT2; do
		grep -q " $c connect: connected to 127.0.0.1:$p2\$" "$tmp/ev.txt"
	done
	fixstore -S "$tmp/fo.db" verify
}
