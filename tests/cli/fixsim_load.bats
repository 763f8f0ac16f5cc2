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
}

@test "load: -h prints the usage on stdout and exits 0" {
	command -v fixsim >/dev/null || skip "fixsim not built"
	run fixsim load -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: fixsim load"* ]]
	[[ "$output" == *"-I LIST"* ]]
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
