#!/usr/bin/env bats
# fixsim script: send/expect scripts and QuickFIX .def files, played
# against a real fixsession acceptor that each test starts on a free port
# of 127.0.0.1 (store and settings in the test's directory) and kills in
# teardown, pass or fail.  Behind the acceptor runs a one-line "exchange":
# sed answering each NewOrderSingle with two ExecutionReports, New then
# Filled (OrderID ORD1), that repeat the order's fields, and passing every
# other message back as it is.
# The .def tests use the acceptance suite's settings and tests/at's echo
# application; the one that plays the suite's own files skips when
# ../shared/quickfix-at is not there.

load helpers

setup() {
	tmp="$BATS_TEST_TMPDIR"
	PIDS=
	command -v fixsim > /dev/null || skip "fixsim not built"
	command -v fixsession > /dev/null || skip "fixsession not built"
	command -v python3 > /dev/null || skip "python3 not installed"
	port=$(free_port)
}

teardown() {
	for p in $PIDS; do
		{ kill -KILL "$p" && wait "$p"; } 2> /dev/null
	done
	return 0
}

# start_fs CFG CMD...: fixsession -c CFG -- CMD, once it has started.
start_fs() {
	cfg=$1
	shift
	(cd "$tmp" && exec fixsession -c "$cfg" -- "$@") > "$tmp/acc.out" \
	    2> "$tmp/acc.err" &
	PIDS="$PIDS $!"
	until_true 10 grep -q 'start: acceptor' "$tmp/acc.err"
}

# acceptor [KEY=VALUE ...]: the session of examples/acceptor.cfg,
# FIX.4.4 EXEC <- CLIENT1, on $port, with the sed exchange behind it.
acceptor() {
	cat > "$tmp/acc.cfg" <<-EOF
	[DEFAULT]
	ConnectionType=acceptor
	SocketAcceptAddress=127.0.0.1
	SocketAcceptPort=$port
	SenderCompID=EXEC
	StartTime=00:00:00
	EndTime=00:00:00
	HeartBtInt=30
	UseDataDictionary=Y
	StorePath=$tmp/acc.db
	StoreDurability=normal
	EOF
	for a in "$@"; do
		echo "$a" >> "$tmp/acc.cfg"
	done
	printf '\n[SESSION]\nBeginString=FIX.4.4\nTargetCompID=CLIENT1\n' \
	    >> "$tmp/acc.cfg"
	cat > "$tmp/exchange.sh" <<-'EOF'
	#!/bin/sh
	exec sed -u 's/^\(.*\x01\)35=D\x01\(.*\)$/\135=8\x0137=ORD1\x0117=EX1\x01150=0\x0139=0\x01\2\n\135=8\x0137=ORD1\x0117=EX2\x01150=F\x0139=2\x01\2/'
	EOF
	chmod +x "$tmp/exchange.sh"
	start_fs acc.cfg "$tmp/exchange.sh"
}

# script NAME: a script from stdin into $tmp/NAME.fixsim.
script() {
	cat > "$tmp/$1.fixsim"
}

@test "fixsim script: logon, an order, its acknowledgement, logout pass" {
	acceptor
	script order <<-'EOF'
	# Names from the dictionary, enum descriptions, a capture.
	session FIX.4.4 CLIENT1 EXEC
	connect 127.0.0.1:${PORT}
	logon
	set id A-${counter}
	send MsgType=NewOrderSingle|ClOrdID=${id}|HandlInst=1|Symbol=IBM|Side=BUY|TransactTime=${now}|OrderQty=100|OrdType=MARKET
	expect 35=8|11=${id}|ExecType=NEW|39=0|37=>orderid|55~=I.M|!58 within 5
	print order ${id} is ${orderid}, next seq ${seq}
	logout
	EOF
	PORT=$port run fixsim script "$tmp/order.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "order A-1 is ORD1, next seq 3" ]
	[ "${lines[1]}" = "fixsim: $tmp/order.fixsim: passed (3 checks)" ]
	# What went out: the header filled after MsgType, names as numbers.
	PORT=$port run fixsim script -v "$tmp/order.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^$tmp/order.fixsim:6: > 8=FIX.4.4|9=[0-9]*|35=D|49=CLIENT1|56=EXEC|34=2|52=[0-9]\{8\}-[0-9:]\{8\}\.[0-9]\{3\}|11=A-1|21=1|55=IBM|54=1|60=[0-9.:-]*|38=100|40=1|10=[0-9]\{3\}|\$" <<< "$output"
	grep -q "^$tmp/order.fixsim:7: < 8=FIX.4.4|.*|35=8|34=2|49=EXEC|" <<< "$output"
}

@test "fixsim script: a failed expect exits 1 with file:line, the condition, the message" {
	acceptor
	script fail <<-'EOF'
	session FIX.4.4 CLIENT1 EXEC
	connect
	logon
	send 35=D|11=B1|21=1|55=IBM|54=1|60=${now}|38=100|40=1
	expect 35=8|39=2
	print not reached
	EOF
	run fixsim script -p "$port" "$tmp/fail.fixsim"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "fixsim: $tmp/fail.fixsim:5: expect 35=8|39=2: OrdStatus (39) is 0, expected 2" ]
	[[ "${lines[1]}" == "  received  8=FIX.4.4|9="*"|35=8|34=2|49=EXEC|"*"|39=0|11=B1|"*"|10="[0-9][0-9][0-9]"|" ]]
	[ "${lines[2]}" = "fixsim: $tmp/fail.fixsim: failed" ]
	[[ "$output" != *"not reached"* ]]
}

@test "fixsim script: expect any passes over messages; silence and a close fail" {
	acceptor
	script any <<-'EOF'
	session FIX.4.4 CLIENT1 EXEC
	connect
	logon
	send 35=D|11=C1|21=1|55=IBM|54=1|60=${now}|38=1|40=1
	send 35=D|11=C2|21=1|55=IBM|54=2|60=${now}|38=2|40=1
	send 35=D|11=C3|21=1|55=IBM|54=1|60=${now}|38=3|40=1
	expect any 35=8|11=C3|Side=BUY|OrdStatus=FILLED
	expect 35=0|112=never within 0.3
	EOF
	run fixsim script -p "$port" "$tmp/any.fixsim"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "fixsim: $tmp/any.fixsim:8: expect 35=0|112=never: no message within 0.3 s" ]
	# A Logon from an unknown CompID: the acceptor hangs up.
	script closed <<-'EOF'
	session FIX.4.4 NOBODY EXEC
	connect
	send 35=A|98=0|108=30
	expect 35=A
	EOF
	run fixsim script -p "$port" "$tmp/closed.fixsim"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "fixsim: $tmp/closed.fixsim:4: expect 35=A: the connection is closed" ]
	sed -i 's/^expect 35=A$/expect disconnect within 5/' "$tmp/closed.fixsim"
	run fixsim script -p "$port" "$tmp/closed.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "fixsim script: bad scripts exit 2 before anything is sent" {
	# Nothing listens on $port: a mistake on a later line is found first.
	bad() {
		printf 'connect 127.0.0.1:%s\n%s\n' "$port" "$1" > "$tmp/bad.fixsim"
		run fixsim script "$tmp/bad.fixsim"
		echo "$output"
		[ "$status" -eq 2 ]
		[ "${lines[0]}" = "fixsim: $tmp/bad.fixsim:2: $2" ]
		[ "${lines[1]}" = "fixsim: $tmp/bad.fixsim: error" ]
	}
	bad 'frobnicate 1' "unknown command 'frobnicate'"
	bad 'send' "send: arguments missing"
	bad 'expect 35=0|58~=(' "expect: bad regular expression '('"
	bad 'expect 35=0 within soon' \
	    "bad time 'soon' after within: seconds, 0 to 86400"
	bad 'expect 35=0|=x' "expect: bad condition '=x'"
	bad 'expect 35=0|37=>seq' "expect: 'seq' cannot be a variable name"
	bad 'wait 1s' "wait: seconds, 0 to 86400"
	# Errors found when the line runs: still 2.
	printf 'print ${nosuch}\n' > "$tmp/var.fixsim"
	run fixsim script "$tmp/var.fixsim"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "fixsim: $tmp/var.fixsim:1: undefined variable 'nosuch'" ]
	printf 'print hello\nconnect 127.0.0.1:%s within 0\n' "$port" \
	    > "$tmp/conn.fixsim"
	run fixsim script "$tmp/conn.fixsim"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = hello ]
	[[ "${lines[1]}" == "fixsim: $tmp/conn.fixsim:2: connect to 127.0.0.1 port $port: Connection refused" ]]
	printf 'send 35=0\n' > "$tmp/noconn.fixsim"
	run fixsim script "$tmp/noconn.fixsim" "$tmp/nonexistent.fixsim"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"noconn.fixsim:1: cannot send: not connected"* ]]
	[[ "$output" == *"nonexistent.fixsim: No such file or directory"* ]]
}

@test "fixsim script: sendraw and a given CheckSum: the acceptor drops the message, then asks for the gap" {
	acceptor
	# The exact bytes of a Heartbeat with MsgSeqNum 2 and a bad CheckSum.
	now=$(date -u +%Y%m%d-%H:%M:%S)
	body="35=0|49=CLIENT1|56=EXEC|34=2|52=$now|"
	script raw <<-EOF
	session FIX.4.4 CLIENT1 EXEC
	connect
	logon
	sendraw 8=FIX.4.4|9=${#body}|${body}10=000|
	expect nothing within 0.5
	# Not counted by the acceptor: 2 is still the next one.
	send 35=1|112=T1
	expect 35=0|112=T1
	# A filled-in message with a CheckSum given: dropped as well.
	send 35=1|112=T2|10=001
	expect nothing within 0.5
	sendraw garbage\x01
	expect nothing within 0.5
	send 35=1|112=T3
	expect 35=2|BeginSeqNo=3|EndSeqNo=0
	disconnect
	EOF
	run fixsim script -v -p "$port" "$tmp/raw.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"raw.fixsim:4: > 8=FIX.4.4|9=${#body}|${body}10=000|"* ]]
	[[ "$output" == *"raw.fixsim:10: > 8=FIX.4.4|9="*"|35=1|49=CLIENT1|56=EXEC|34=3|52="*"|112=T2|10=001|"* ]]
	[[ "$output" == *"raw.fixsim:12: > garbage|"* ]]
	[[ "$output" == *"raw.fixsim:15: < 8=FIX.4.4|9="*"|35=2|34=3|"*"|7=3|16=0|10="* ]]
	[[ "$output" == *"passed (6 checks)"* ]]
}

@test "fixsim script: heartbeats: a TestRequest captured and answered by hand, then automatically" {
	acceptor
	script hb <<-'EOF'
	session FIX.4.4 CLIENT1 EXEC
	connect
	auto heartbeat off
	logon 108=1
	# Silent for a HeartBtInt: the acceptor asks.
	expect any 35=1|112=>req within 5
	send 35=0|112=${req}
	auto heartbeat on
	wait 2.5
	send 35=1|112=still-there
	expect 35=0|112=still-there
	logout
	EOF
	run fixsim script -v -p "$port" "$tmp/hb.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hb.fixsim:9: > (auto) 8=FIX.4.4|"*"|35=0|"* ]]
}

@test "fixsim script: include, -D, set, built-in variables, print" {
	mkdir -p "$tmp/lib"
	printf 'set greeting hello from ${who}\n' > "$tmp/lib/common.inc"
	script vars <<-'EOF'
	include lib/common.inc
	print ${greeting}
	print $greeting and $$who
	set counter 41
	print ${counter} ${counter}
	set seq 7
	print seq=${seq} begin=${begin} hbi=${hbi} timeout=${timeout}
	print ${now} ${now+60} ${date}
	print ${uuid}
	print ${HOMEX}
	EOF
	HOMEX=from-env run fixsim script -D who=bats -t 3 "$tmp/vars.fixsim"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from bats" ]
	[ "${lines[1]}" = 'hello from bats and $who' ]
	[ "${lines[2]}" = "42 43" ]
	[ "${lines[3]}" = "seq=7 begin=FIX.4.4 hbi=30 timeout=3" ]
	[[ "${lines[4]}" =~ ^[0-9]{8}-[0-9:]{8}\.[0-9]{3}\ [0-9]{8}-[0-9:]{8}\.[0-9]{3}\ [0-9]{8}$ ]]
	[[ "${lines[5]}" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[ "${lines[6]}" = from-env ]
	printf 'include nowhere.inc\n' > "$tmp/inc.fixsim"
	run fixsim script "$tmp/inc.fixsim"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "fixsim: $tmp/inc.fixsim:1: include $tmp/nowhere.inc: No such file or directory" ]
}

@test "fixsim script: -T writes TAP; of several files the worst status wins" {
	acceptor
	printf 'print one\n' > "$tmp/a.fixsim"
	printf 'session FIX.4.4 CLIENT1 EXEC\nconnect\nlogon\nexpect 35=0|112=x within 0.2\n' \
	    > "$tmp/b.fixsim"
	printf 'oops\n' > "$tmp/c.fixsim"
	run fixsim script -T -p "$port" "$tmp/a.fixsim" "$tmp/b.fixsim"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "1..2" ]
	[ "${lines[1]}" = "one" ]
	[ "${lines[2]}" = "ok 1 - $tmp/a.fixsim" ]
	[ "${lines[3]}" = "not ok 2 - $tmp/b.fixsim" ]
	[ "${lines[4]}" = "# $tmp/b.fixsim:4: expect 35=0|112=x: no message within 0.2 s" ]
	run fixsim script -T "$tmp/c.fixsim" "$tmp/a.fixsim"
	[ "$status" -eq 2 ]
	run fixsim script -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: fixsim script "* ]]
	run fixsim script
	[ "$status" -eq 2 ]
	run fixsim script -t 0 "$tmp/a.fixsim"
	[ "$status" -eq 2 ]
}

@test "fixsim script: the example scripts pass" {
	acceptor
	run fixsim script -p "$port" "$ex"/scripts/*.fixsim
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"acknowledged as order ORD1"* ]]
	[[ "$output" == *"defenses.fixsim: passed"* ]]
	[[ "$output" == *"order.fixsim: passed"* ]]
}

# at_acceptor: fixsession with the acceptance suite's settings (those of
# tests/at/run.sh) and the echo application, on $port.
at_acceptor() {
	echo="$top/$build/tests/at_echo"
	[ -x "$echo" ] || skip "tests/at_echo not built"
	cat > "$tmp/at.cfg" <<-EOF
	[DEFAULT]
	ConnectionType=acceptor
	SenderCompID=ISLD
	SocketAcceptPort=$port
	SocketAcceptAddress=127.0.0.1
	ResetOnLogon=Y
	StartTime=00:00:00
	EndTime=00:00:00
	UseDataDictionary=Y
	StorePath=$tmp/at.db
	StoreDurability=normal
	EOF
	for s in FIX.4.2:TW42 FIX.4.4:TW44; do
		printf '\n[SESSION]\nBeginString=%s\nTargetCompID=%s\n' \
		    "${s%%:*}" "${s#*:}"
	done >> "$tmp/at.cfg"
	start_fs at.cfg "$echo"
}

@test "fixsim script: .def files of the QuickFIX suite pass against fixsession" {
	suite="$top/../shared/quickfix-at"
	[ -f "$suite/fields.fmt" ] || skip "quickfix-at not found"
	at_acceptor
	d="$suite/server/fix44"
	run fixsim script -T -p "$port" "$d/1a_ValidLogonWithCorrectMsgSeqNum.def" \
	    "$d/2a_MsgSeqNumCorrect.def" "$d/3b_InvalidChecksum.def" \
	    "$d/14a_BadField.def" "$d/2d_GarbledMessage.def"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1..5" ]
	[ "${lines[1]}" = "ok 1 - fix44/1a_ValidLogonWithCorrectMsgSeqNum.def" ]
	[ "$(grep -c '^ok' <<< "$output")" -eq 5 ]
}

@test "fixsim script: a .def of our own: <TIME>, 9= and 10= added, eDISCONNECT" {
	at_acceptor
	tr '|' '\001' > "$tmp/own.def" <<-'EOF'
	iCONNECT
	I8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=30|
	E8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW44|98=0|108=30|10=0|
	# a TestRequest, sent with its own BodyLength and CheckSum
	I8=FIX.4.4|9=57|35=1|34=2|49=TW44|52=<TIME-1>|56=ISLD|112=T|10=000|
	I8=FIX.4.4|35=1|34=2|49=TW44|52=<TIME-1>|56=ISLD|112=T|
	E8=FIX.4.4|9=57|35=0|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW44|112=T|10=0|
	I8=FIX.4.4|35=5|34=3|49=TW44|52=<TIME>|56=ISLD|
	E8=FIX.4.4|9=51|35=5|34=3|49=ISLD|52=00000000-00:00:00.000|56=TW44|10=0|
	eDISCONNECT
	EOF
	run fixsim script -v -T -p "$port" "$tmp/own.def"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"own.def:5: > 8=FIX.4.4|9=57|35=1|34=2|"*"|112=T|10=000|"* ]]
	[[ "$output" == *"own.def:10: < (disconnect)"* ]]
	[[ "$output" == *"ok 1 - "*"/own.def"* ]]
}

@test "fixsim script: a .def that the engine does not meet fails with the line and both messages" {
	at_acceptor
	tr '|' '\001' > "$tmp/wrong.def" <<-'EOF'
	# the engine answers 108=30, not 31
	iCONNECT
	I8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=30|
	E8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW44|98=0|108=31|10=0|
	EOF
	run fixsim script -p "$port" "$tmp/wrong.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "fixsim: $tmp/wrong.def:4: field 9: expected 108=31, received 108=30" ]
	[[ "${lines[1]}" == "  expected  8=FIX.4.4|9=63|35=A|"*"|108=31|10=0|" ]]
	[[ "${lines[2]}" == "  received  8=FIX.4.4|9=63|35=A|34=1|49=ISLD|"*"|108=30|10="* ]]
	[ "${lines[3]}" = "fixsim: $tmp/wrong.def: failed" ]
	# The built-in fields.fmt serves a .def that comes without one.
	[ ! -e "$tmp/fields.fmt" ]
	# Without -p there is nothing to play against.
	run fixsim script "$tmp/wrong.def"
	[ "$status" -eq 2 ]
}
