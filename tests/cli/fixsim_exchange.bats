#!/usr/bin/env bats
# fixsim exchange and fixsim replay.
#
# (a) exchange as a filter: orders built with fixenc from readable text go
#     in, the answers come out as body fields; each answer is completed
#     with a header (fixenc -H) and checked against the dictionary of its
#     version with fixdec -V.
# (b) exchange behind a fixsession acceptor, serving a real QuickFIX C++
#     initiator (tests/interop/qf_initiator.cpp, built on demand by
#     tests/interop/qf_initiator.sh; skipped without libquickfix-dev), which
#     also checks every ExecutionReport against dicts/ with QuickFIX's own
#     validator.
# (c) replay of a short log into a fixsession acceptor whose application
#     writes what arrives to a file.
#
# Peers listen on a free port of 127.0.0.1 and are killed in teardown, pass
# or fail.  No test depends on how long anything takes.

load helpers

T=20240102-10:00:00

setup() {
	tmp="$BATS_TEST_TMPDIR"
	PIDS=
	command -v fixsim >/dev/null || skip "fixsim not built"
	fixsim exchange -h >/dev/null 2>&1 || skip "fixsim exchange not built"
}

teardown() {
	for p in $PIDS; do
		{ kill -TERM "$p" && wait "$p"; } 2>/dev/null
	done
	return 0
}

# msgs BEGIN: readable "TYPE|SEQ|BODY" lines on stdin -> wire messages,
# one a line, from CLIENT to EXEC.
msgs() {
	while IFS='|' read -r t s body; do
		printf '8=%s|35=%s|49=CLIENT|56=EXEC|34=%s|52=%s|%s\n' \
		    "$1" "$t" "$s" "$T" "$body"
	done | fixenc -n
}

# orders BEGIN N: N limit orders C1 .. CN, FIX.4.2+ style (TransactTime).
orders() {
	i=1
	while [ "$i" -le "$2" ]; do
		echo "D|$i|11=C$i|21=1|55=MSFT|54=1|60=$T|38=100|40=2|44=10.25|"
		i=$((i + 1))
	done | msgs "$1"
}

# rd FILE: the answers in readable form.
rd() {
	tr '\001' '|' < "$1"
}

# valid BEGIN FILE: every answer line of FILE (session prefixes removed)
# is a valid message of BEGIN once a header is put in front of it.
valid() {
	sed 's/^[^=]*\t//' "$2" |
	    fixenc -b "$1" -H -s EXEC -t CLIENT -n > "$tmp/full.fix" || {
		echo "fixenc refused an answer"
		return 1
	}
	n=$(wc -l < "$2")
	fixdec -V "$tmp/full.fix" > /dev/null 2> "$tmp/valid.err" || {
		cat "$tmp/valid.err"
		rd "$2"
		return 1
	}
	grep -q "fixdec: $n messages, 0 invalid, 0 garbled" "$tmp/valid.err" ||
	    { cat "$tmp/valid.err"; return 1; }
}

# has FILE PATTERN N: N answer lines match PATTERN (SOH as |).
has() {
	c=$(rd "$1" | grep -c -- "$2" || true)
	[ "$c" -eq "$3" ] || { echo "$c lines match '$2', not $3:"; rd "$1";
	    return 1; }
}

on_timeout() {
	cat "$tmp"/*.err 2>/dev/null | tail -n 20
}

# acceptor_cfg FILE BEGIN TARGET: a fixsession acceptor EXEC on $port.
acceptor_cfg() {
	cat > "$1" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptAddress=127.0.0.1
SocketAcceptPort=$port
SenderCompID=EXEC
NonStopSession=Y
HeartBtInt=30
UseDataDictionary=Y
StorePath=$tmp/acc.db

[SESSION]
BeginString=$2
TargetCompID=$3
CFG
}

# start_acc CFG [-- COMMAND ...]: fixsession in the background with its
# stdout in tmp/acc.out, once it listens.
start_acc() {
	cfg=$1
	shift
	fixsession -c "$cfg" "$@" < /dev/null > "$tmp/acc.out" \
	    2> "$tmp/acc.err" &
	acc_pid=$!
	PIDS="$PIDS $acc_pid"
	until_true 10 grep -q 'start: acceptor' "$tmp/acc.err"
}

lines_at_least() {	# N FILE
	[ -f "$2" ] && [ "$(wc -l < "$2")" -ge "$1" ]
}

# ---- (a) the exchange as a filter -------------------------------------------

@test "exchange: every order is acknowledged, then filled" {
	orders FIX.4.4 3 > "$tmp/in"
	fixsim exchange -s 1 < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
	has "$tmp/out" '^35=8|' 6
	for i in 1 2 3; do
		rd "$tmp/out" | grep "|11=C$i|" > "$tmp/o$i"
		sed -n 1p "$tmp/o$i" | grep -q '|150=0|39=0|.*|151=100|14=0|'
		sed -n 2p "$tmp/o$i" | grep -q '|150=F|39=2|.*|32=100|31=10.25|151=0|14=100|6=10.25|'
	done
	# FIX.4.4 has no ExecTransType.
	has "$tmp/out" '|20=' 0
	valid FIX.4.4 "$tmp/out"
	grep -q 'fixsim exchange: 3 orders, 3 fills, 0 rejects' "$tmp/err"
}

@test "exchange: partial fills leave the order open, a cancel closes it" {
	{
		orders FIX.4.4 2
		echo "F|9|41=C1|11=X1|55=MSFT|54=1|60=$T|38=100|" | msgs FIX.4.4
	} > "$tmp/in"
	fixsim exchange -p 100 -k 3 < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
	# An ack and three fills of 25 each, per order.
	has "$tmp/out" '|11=C1|.*|150=F|39=1|.*|32=25|' 3
	has "$tmp/out" '|11=C2|.*|150=F|39=1|.*|32=25|' 3
	has "$tmp/out" '|39=2|' 0
	rd "$tmp/out" | grep '|11=C1|' | tail -n 1 | grep -q '|151=25|14=75|'
	rd "$tmp/out" | tail -n 1 |
	    grep -q '^35=8|37=O1|11=X1|41=C1|.*|150=4|39=4|.*|151=0|14=75|'
	valid FIX.4.4 "$tmp/out"
}

@test "exchange: -x 100 rejects every order, without an ack" {
	orders FIX.4.2 4 > "$tmp/in"
	fixsim exchange -x 100 < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
	has "$tmp/out" '^35=8|.*|20=0|150=8|39=8|103=3|' 4
	has "$tmp/out" '|150=0|' 0
	valid FIX.4.2 "$tmp/out"
	grep -q 'fixsim exchange: 4 orders, 0 fills, 4 rejects' "$tmp/err"
	fixsim exchange -x 100 -R 1 < "$tmp/in" | tr '\001' '|' |
	    grep -c '|103=1|' | grep -qx 4
}

@test "exchange: replace and cancel open orders; refuse unknown ones" {
	msgs FIX.4.4 > "$tmp/in" <<EOF
D|1|11=A|21=1|55=IBM|54=2|60=$T|38=10|40=2|44=3|
G|2|41=A|11=B|21=1|55=IBM|54=2|60=$T|38=20|40=2|44=3.5|
F|3|41=B|11=C|55=IBM|54=2|60=$T|38=20|
F|4|41=B|11=D|55=IBM|54=2|60=$T|38=20|
G|5|41=Z|11=E|21=1|55=IBM|54=2|60=$T|38=20|40=2|44=3.5|
EOF
	fixsim exchange -f 0 < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
	rd "$tmp/out" > "$tmp/r"
	sed -n 1p "$tmp/r" | grep -q '^35=8|37=O1|11=A|.*|150=0|39=0|'
	sed -n 2p "$tmp/r" | grep -q '^35=8|37=O1|11=B|41=A|.*|150=5|39=0|.*|38=20|40=2|44=3.5|151=20|'
	sed -n 3p "$tmp/r" | grep -q '^35=8|37=O1|11=C|41=B|.*|150=4|39=4|.*|151=0|'
	# Canceled already: an OrderCancelReject, unknown order.
	sed -n 4p "$tmp/r" | grep -q '^35=9|37=NONE|11=D|41=B|39=8|434=1|102=1|'
	sed -n 5p "$tmp/r" | grep -q '^35=9|37=NONE|11=E|41=Z|39=8|434=2|102=1|'
	[ "$(wc -l < "$tmp/r")" -eq 5 ]
	valid FIX.4.4 "$tmp/out"
	grep -q '1 canceled, 1 replaced, 2 cancel rejects' "$tmp/err"
}

@test "exchange: other messages get a BusinessMessageReject, or a Reject before FIX.4.2" {
	echo "R|7|131=Q1|146=0|" | msgs FIX.4.4 > "$tmp/in44"
	fixsim exchange < "$tmp/in44" > "$tmp/out44" 2>/dev/null
	[ "$(rd "$tmp/out44")" = "35=j|45=7|372=R|380=3|58=unsupported message type|" ]
	valid FIX.4.4 "$tmp/out44"
	echo "R|8|131=Q1|55=IBM|" | msgs FIX.4.0 > "$tmp/in40"
	fixsim exchange < "$tmp/in40" > "$tmp/out40" 2>/dev/null
	[ "$(rd "$tmp/out40")" = "35=3|45=8|58=unsupported message type|" ]
	valid FIX.4.0 "$tmp/out40"
	# Administrative messages are the session's business: no answer.
	echo "0|9|" | msgs FIX.4.4 | fixsim exchange > "$tmp/out0" 2>/dev/null
	[ ! -s "$tmp/out0" ]
}

@test "exchange: every answer is valid in every FIX version" {
	for v in FIX.4.0 FIX.4.1 FIX.4.2 FIX.4.3 FIX.4.4 FIXT.1.1; do
		case $v in
		FIX.4.0)	cx='125=F|' tt= ;;
		FIX.4.1)	cx= tt= ;;
		*)		cx= tt="60=$T|" ;;
		esac
		{
			i=1
			while [ "$i" -le 12 ]; do
				echo "D|$i|11=C$i|21=1|55=MSFT|54=1|$tt""38=100|40=2|44=10|"
				i=$((i + 1))
			done
			echo "D|20|11=M1|21=1|55=IBM|54=2|$tt""38=7|40=1|"
			echo "G|21|41=C1|11=R1|21=1|55=MSFT|54=1|$tt""38=200|40=2|44=11|"
			echo "F|22|41=C2|11=K2|$cx""55=MSFT|54=1|$tt""38=100|"
			echo "F|23|41=NO|11=K3|$cx""55=MSFT|54=1|$tt""38=100|"
			echo "G|24|41=NO|11=K4|21=1|55=MSFT|54=1|$tt""38=200|40=2|44=11|"
			echo "D|25|11=C3|21=1|55=MSFT|54=1|$tt""38=0|40=2|44=10|"
			echo "R|26|131=Q1|55=MSFT|"
		} | msgs "$v" > "$tmp/in"
		fixsim exchange -s 5 -f 30 -p 30 -x 20 -k 2 < "$tmp/in" \
		    > "$tmp/out" 2> "$tmp/err"
		echo "$v"
		valid "$v" "$tmp/out"
		# Each dialect's ExecType: none in 4.0, 1/2 to 4.2, F after.
		case $v in
		FIX.4.0)	has "$tmp/out" '|150=' 0 ;;
		FIX.4.[12])	has "$tmp/out" '|150=F|' 0
				has "$tmp/out" '|20=0|' "$(rd "$tmp/out" |
				    grep -c '^35=8|')" ;;
		*)		has "$tmp/out" '|20=' 0
				has "$tmp/out" '|150=[12]|' 0 ;;
		esac
	done
}

@test "exchange: the same seed gives the same answers" {
	orders FIX.4.4 60 > "$tmp/in"
	fixsim exchange -s 42 -f 50 -p 25 -x 25 < "$tmp/in" > "$tmp/a" \
	    2>/dev/null
	fixsim exchange -s 42 -f 50 -p 25 -x 25 < "$tmp/in" > "$tmp/b" \
	    2>/dev/null
	fixsim exchange -s 43 -f 50 -p 25 -x 25 < "$tmp/in" > "$tmp/c" \
	    2>/dev/null
	cmp "$tmp/a" "$tmp/b"
	! cmp -s "$tmp/a" "$tmp/c" || { echo "seed 43 = seed 42"; false; }
	# Each fate happened at least once.
	[ "$(rd "$tmp/a" | grep -c '|150=8|')" -gt 0 ]
	[ "$(rd "$tmp/a" | grep -c '|150=F|39=1|')" -gt 0 ]
	[ "$(rd "$tmp/a" | grep -c '|150=F|39=2|')" -gt 0 ]
}

@test "exchange: session prefixes are kept; -d waits, then fills" {
	orders FIX.4.4 2 | sed 's/^/FIX.4.4:EXEC->CLIENT\t/' > "$tmp/in"
	orders FIX.4.2 1 | sed 's/^/FIX.4.2:EXEC->OTHER\t/' >> "$tmp/in"
	fixsim exchange -d 50 < "$tmp/in" > "$tmp/out" 2> "$tmp/err"
	has "$tmp/out" '^FIX.4.4:EXEC->CLIENT	35=8|' 4
	has "$tmp/out" '^FIX.4.2:EXEC->OTHER	35=8|.*|20=0|' 2
	# Both orders of a session are C1 and C2 of their own book.
	has "$tmp/out" '|11=C1|.*|39=2|' 2
	# With a delay every ack comes before the first fill.
	[ "$(rd "$tmp/out" | sed -n 1,3p | grep -c '|150=0|')" -eq 3 ]
	grep -q '3 orders, 3 fills' "$tmp/err"
}

@test "exchange: a line without a message is reported, the rest answered" {
	{
		orders FIX.4.4 1
		echo "not fix at all"
		echo "D|2|11=C2|21=1|55=MSFT|54=1|60=$T|38=5|40=1|" |
		    msgs FIX.4.4
	} > "$tmp/in"
	run fixsim exchange < "$tmp/in"
	[ "$status" -eq 3 ]
	echo "$output" | grep -q 'byte [0-9]*: .*a line without a FIX message'
	echo "$output" | tr '\001' '|' | grep -c '^35=8|' | grep -qx 4
	# Readable lines ('|') are read too.
	orders FIX.4.4 1 | fixdec | fixsim exchange -q > "$tmp/out"
	has "$tmp/out" '^35=8|' 2
}

@test "exchange: usage" {
	run fixsim exchange -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: fixsim exchange "* ]]
	run fixsim exchange -f 80 -x 30
	[ "$status" -eq 2 ]
	run fixsim exchange -p 101
	[ "$status" -eq 2 ]
	run fixsim exchange -Q
	[ "$status" -eq 2 ]
	run fixsim exchange extra
	[ "$status" -eq 2 ]
}

# ---- (b) behind fixsession, with a QuickFIX initiator ---------------------

# qf_run BEGIN N [EXCHANGE-ARGS]: a fixsession acceptor on a free port with
# fixsim exchange behind it; the QuickFIX initiator QF sends N orders.
qf_run() {
	v=$1 n=$2
	shift 2
	qf=$(sh "$top/tests/interop/qf_initiator.sh" 2> "$tmp/qfbuild.err")
	rc=$?
	[ "$rc" -ne 77 ] || skip "$(cat "$tmp/qfbuild.err")"
	[ "$rc" -eq 0 ] || { cat "$tmp/qfbuild.err"; return 1; }
	port=$(free_port)
	acceptor_cfg "$tmp/acc.cfg" "$v" QF
	cat > "$tmp/qf.cfg" <<CFG
[DEFAULT]
ConnectionType=initiator
SocketConnectHost=127.0.0.1
SocketConnectPort=$port
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
ReconnectInterval=1
ResetOnLogon=Y
FileStorePath=$tmp/qfstore
FileLogPath=$tmp/qflog
UseDataDictionary=Y
DataDictionary=$top/dicts/$(echo "$v" | tr -d .).xml

[SESSION]
BeginString=$v
SenderCompID=QF
TargetCompID=EXEC
CFG
	start_acc "$tmp/acc.cfg" -- fixsim exchange "$@"
	"$qf" "$tmp/qf.cfg" "$n" 30 > "$tmp/qf.out" 2> "$tmp/qf.err" ||
	    { cat "$tmp/qf.out" "$tmp/qf.err"; tail -n 20 "$tmp/acc.err";
	    return 1; }
}

@test "behind fixsession: a QuickFIX FIX.4.4 initiator gets every order filled" {
	qf_run FIX.4.4 50 -s 3
	cat "$tmp/qf.out"
	[ "$(cat "$tmp/qf.out")" = \
	    "sent 50 reports 100 acked 50 filled 50 rejected 0 rejects 0 logout 1" ]
	# What QuickFIX received is what fixsession sent: valid ERs only.
	tr '\001' '|' < "$tmp/qflog/FIX.4.4-QF-EXEC.messages.current.log" |
	    grep -c '|35=8|' | grep -qx 100
	# fixsession's SIGTERM reaches the exchange, which says what it did.
	kill -TERM "$acc_pid"
	wait "$acc_pid"
	grep -q '^fixsim exchange: 50 orders, 50 fills, 0 rejects;' \
	    "$tmp/acc.err"
}

@test "behind fixsession: a QuickFIX FIX.4.2 initiator, with rejects" {
	qf_run FIX.4.2 40 -s 9 -x 25
	cat "$tmp/qf.out"
	read -r _ sent _ reports _ acked _ filled _ rejected _ rejects _ lo \
	    < "$tmp/qf.out"
	[ "$sent" -eq 40 ] && [ "$rejects" -eq 0 ] && [ "$lo" -eq 1 ]
	[ "$rejected" -gt 0 ] && [ "$filled" -gt 0 ]
	[ $((filled + rejected)) -eq 40 ] && [ "$acked" -eq "$filled" ]
	[ "$reports" -eq $((2 * filled + rejected)) ]
}

# ---- (c) replay ----------------------------------------------------------

# replay_log FILE: a fixsession -l style log of CLIENT1 -> EXEC: a Logon,
# orders R1..R4 at +0.2 s, +0.4 s, +0.6 s, +0.6 s, an ExecutionReport
# from EXEC after each, and a resent copy of R2 (43=Y).
replay_log() {
	{
		echo "$T.000000 out 8=FIX.4.4|35=A|49=CLIENT1|56=EXEC|34=1|52=$T|98=0|108=30|"
		for i in 1 2 3 4; do
			s=$(( i < 4 ? i * 2 : 6 ))
			echo "$T.${s}00000 out 8=FIX.4.4|35=D|49=CLIENT1|56=EXEC|34=$((i + 1))|52=$T|11=R$i|21=1|55=MSFT|54=1|60=$T|38=100|40=2|44=10|"
			echo "$T.${s}50000 in 8=FIX.4.4|35=8|49=EXEC|56=CLIENT1|34=$((i + 1))|52=$T|37=O$i|11=R$i|17=E$i|150=0|39=0|55=MSFT|54=1|151=100|14=0|6=0|"
			[ "$i" -ne 3 ] ||
			    echo "$T.${s}60000 out 8=FIX.4.4|35=D|49=CLIENT1|56=EXEC|34=3|43=Y|122=$T|52=$T|11=R2|21=1|55=MSFT|54=1|60=$T|38=100|40=2|44=10|"
		done
	} > "$tmp/log.txt"
	# One fixenc for all: the messages, then each with its line prefix.
	cut -d' ' -f3 "$tmp/log.txt" | fixenc -n > "$tmp/log.wire"
	cut -d' ' -f1,2 "$tmp/log.txt" | sed 's/ / FIX.4.4:CLIENT1->EXEC /' |
	    paste -d' ' - "$tmp/log.wire" > "$1"
}

@test "replay -n: what would be sent, with the delays between" {
	replay_log "$tmp/s.log"
	run fixsim replay -n 127.0.0.1:9 "$tmp/s.log"
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = "0.000	35=D|11=R1|21=1|55=MSFT|54=1|60=$T|38=100|40=2|44=10|" ]
	[[ "${lines[1]}" == "0.200	35=D|11=R2|"* ]]
	[[ "${lines[2]}" == "0.200	35=D|11=R3|"* ]]
	[[ "${lines[3]}" == "0.000	35=D|11=R4|"* ]]
	[[ "${lines[4]}" == "fixsim replay: 4 would be sent as FIX.4.4:CLIENT1->EXEC over 0.400 s, 6 skipped" ]]
	# Twice as fast; the other direction; one MsgType.
	run fixsim replay -n -x 2 127.0.0.1:9 "$tmp/s.log"
	[[ "${lines[1]}" == "0.100	35=D|11=R2|"* ]]
	run fixsim replay -n -S EXEC -m 8 127.0.0.1:9 "$tmp/s.log"
	[[ "${lines[0]}" == "0.000	35=8|37=O1|11=R1|"* ]]
	[[ "${lines[4]}" == *" as FIX.4.4:EXEC->CLIENT1 over "* ]]
	run fixsim replay -n -m F 127.0.0.1:9 "$tmp/s.log"
	[ "$status" -eq 3 ]
}

@test "replay -n: times from SendingTime or a QuickFIX log prefix" {
	for s in 0 1 3; do
		echo "8=FIX.4.2|35=D|49=C|56=E|34=$((s + 2))|52=20240102-10:00:0$s.000|11=S$s|21=1|55=X|54=1|60=$T|40=1|"
	done | fixenc -n | fixdec > "$tmp/dec.log"
	run fixsim replay -n -x 4 127.0.0.1:9 "$tmp/dec.log"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -f1 | head -n 3 | tr '\n' ' ')" = \
	    "0.000 0.250 0.500 " ]
	sed 's/^/20240102-11:00:00.000000000 : /' "$tmp/dec.log" |
	    tr '|' '\001' > "$tmp/qf.log"
	sed -i '2s/^20240102-11:00:00.000/20240102-11:00:01.500/' \
	    "$tmp/qf.log"
	sed -i '3s/^20240102-11:00:00.000/20240102-11:00:01.500/' \
	    "$tmp/qf.log"
	run fixsim replay -n 127.0.0.1:9 "$tmp/qf.log"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -f1 | head -n 3 | tr '\n' ' ')" = \
	    "0.000 1.500 0.000 " ]
}

# replay_into ARGS...: replay tmp/s.log into an acceptor EXEC<-CLIENT1
# whose application is its stdout (tmp/acc.out).
replay_into() {
	replay_log "$tmp/s.log"
	port=$(free_port)
	acceptor_cfg "$tmp/acc.cfg" FIX.4.4 CLIENT1
	start_acc "$tmp/acc.cfg"
	run fixsim replay "$@" "127.0.0.1:$port" "$tmp/s.log"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "fixsim replay: 4 sent, 6 skipped" ]
	until_true 5 lines_at_least 4 "$tmp/acc.out"
	rd "$tmp/acc.out" > "$tmp/got"
	cat "$tmp/got"
	[ "$(wc -l < "$tmp/got")" -eq 4 ]
	# In order, numbered on from the new session's Logon, new times.
	i=1
	while [ "$i" -le 4 ]; do
		sed -n "${i}p" "$tmp/got" |
		    grep -q "^8=FIX.4.4|9=[0-9]*|35=D|34=$((i + 1))|49=CLIENT1|52=[0-9-]*:[0-9:.]*|56=EXEC|11=R$i|21=1|55=MSFT|"
		i=$((i + 1))
	done
	none_in "$tmp/got" "|52=$T|"
	none_in "$tmp/got" '|43=Y|'
}

none_in() {	# FILE PATTERN
	if grep -F -- "$2" "$1"; then
		echo "^ unexpected"
		return 1
	fi
}

@test "replay -x 0: every message arrives, in order" {
	replay_into -x 0
}

@test "replay: with the log's pacing" {
	replay_into -x 2
}

@test "replay: nobody listening is a session failure" {
	replay_log "$tmp/s.log"
	port=$(free_port)
	run fixsim replay "127.0.0.1:$port" "$tmp/s.log"
	[ "$status" -eq 4 ]
	[[ "${lines[${#lines[@]} - 1]}" == *"0 sent, 6 skipped, 4 not sent (no logon)" ]]
	run fixsim replay 127.0.0.1 "$tmp/s.log"
	[ "$status" -eq 2 ]
	run fixsim replay "127.0.0.1:$port" "$tmp/missing.log"
	[ "$status" -eq 5 ]
}

# ---- (d) -S: taking over from an exchange that died ------------------------

# phase N: run fixsim script, the session CLIENT -> EXEC on $port, with the
# lines of stdin after its connect.
phase() {
	{
		echo "session FIX.4.4 CLIENT EXEC"
		echo "connect within 10"
		cat
	} > "$tmp/phase$1.fixsim"
	fixsim script -v -p "$port" "$tmp/phase$1.fixsim" \
	    2> "$tmp/phase$1.err" || { cat "$tmp/phase$1.err"; return 1; }
}

# stop_acc SIGNAL: stop the acceptor started last and wait for it.
stop_acc() {
	kill "-$1" "$acc_pid"
	wait "$acc_pid" 2>/dev/null || true
}

# dump: the ExecutionReports the acceptor sent, readable.
dump() {
	fixstore -S "$tmp/acc.db" dump -d out 'FIX.4.4:EXEC->CLIENT' |
	    tr '\001' '|' | grep '|35=8|' || true
}

D="21=1|55=MSFT|54=1|60=$T|38=100|40=2|44=10"

# stored_unanswered: a store where an exchange answered order R0, then
# order R1 arrived while the application was one that answers nothing (a
# node that died after the commit); the acceptor is killed.
stored_unanswered() {
	port=$(free_port)
	acceptor_cfg "$tmp/acc.cfg" FIX.4.4 CLIENT
	start_acc "$tmp/acc.cfg" -- fixsim exchange
	printf '%s\n' logon "send 35=D|11=R0|$D" \
	    'expect any 35=8|11=R0|39=2' disconnect | phase 0
	stop_acc TERM
	start_acc "$tmp/acc.cfg" -- sh -c 'exec cat > /dev/null'
	printf '%s\n' 'set seq 3' logon "send 35=D|11=R1|$D" \
	    'send 35=1|112=T1' 'expect any 35=0|112=T1' disconnect | phase 1
	stop_acc KILL
	[ "$(dump | grep -c '|11=R1|')" -eq 0 ]
}

@test "exchange -S: an order stored but never answered is answered by the next exchange, once" {
	stored_unanswered
	start_acc "$tmp/acc.cfg" -- fixsim exchange -S "$tmp/acc.db"
	# The answers to R1 were stored before the client came back: it
	# logs on without a reset, sees the gap and asks for them.  Then it
	# sends R1 again, which is not filled twice, and a new order R2.
	printf '%s\n' 'set seq 6' logon 'send 35=2|7=6|16=0' \
	    'expect any 35=8|11=R1|150=0|39=0|43=Y' \
	    'expect any 35=8|11=R1|150=F|39=2|43=Y' \
	    "send 35=D|11=R1|$D" "send 35=D|11=R2|$D" \
	    'expect any 35=8|11=R2|150=F|39=2' logout | phase 2
	stop_acc TERM
	grep -q '^fixsim exchange: 2 orders, 2 fills, .* 1 recovered, 1 duplicate$' \
	    "$tmp/acc.err"
	dump | grep -o '|37=[^|]*|11=[^|]*|17=[^|]*|150=.' > "$tmp/ers"
	cat "$tmp/ers"
	# An ack and a fill for each order, nothing for the duplicate.
	[ "$(grep -c '|11=R1|' "$tmp/ers")" -eq 2 ]
	[ "$(grep -c '|11=R1|.*|150=F' "$tmp/ers")" -eq 1 ]
	[ "$(grep -c '|11=R2|' "$tmp/ers")" -eq 2 ]
	# The ids go on after the first exchange's: none repeats.
	grep -q '|37=O2|11=R1|17=E3|150=0' "$tmp/ers"
	grep -q '|37=O3|11=R2|17=E6|150=F' "$tmp/ers"
	[ "$(cut -d'|' -f4 "$tmp/ers" | sort -u | wc -l)" -eq 6 ]
}

@test "exchange -S: without FIXSESSION_ID every session of the store, answers prefixed" {
	stored_unanswered
	fixsim exchange -S "$tmp/acc.db" < /dev/null > "$tmp/out" 2> "$tmp/err"
	rd "$tmp/out"
	has "$tmp/out" '^FIX.4.4:EXEC->CLIENT	35=8|37=O2|11=R1|17=E3|150=0|' 1
	has "$tmp/out" '^FIX.4.4:EXEC->CLIENT	35=8|37=O2|11=R1|17=E4|150=F|39=2|' 1
	[ "$(wc -l < "$tmp/out")" -eq 2 ]
	grep -q ' 1 recovered, 0 duplicate$' "$tmp/err"
	# One session named: no prefix; a session the store lacks: nothing.
	FIXSESSION_ID='FIX.4.4:EXEC->CLIENT' fixsim exchange -q \
	    -S "$tmp/acc.db" < /dev/null > "$tmp/out1"
	has "$tmp/out1" '^35=8|37=O2|11=R1|' 2
	[ "$(wc -l < "$tmp/out1")" -eq 2 ]
	FIXSESSION_ID='FIX.4.4:EXEC->NOBODY' fixsim exchange -q \
	    -S "$tmp/acc.db" < /dev/null > "$tmp/out2"
	[ ! -s "$tmp/out2" ]
	# R1 again on the input, after it was answered from the store: a
	# duplicate, not answered a second time.
	echo "D|4|11=R1|$D|" | msgs FIX.4.4 |
	    sed 's/^/FIX.4.4:EXEC->CLIENT\t/' > "$tmp/again"
	fixsim exchange -S "$tmp/acc.db" < "$tmp/again" > "$tmp/out3" \
	    2> "$tmp/err3"
	[ "$(wc -l < "$tmp/out3")" -eq 2 ]
	grep -q ' 1 recovered, 1 duplicate$' "$tmp/err3"
}

@test "exchange -S: a store that cannot be read is an error" {
	run fixsim exchange -S "$tmp/missing.db" < /dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *"-S $tmp/missing.db: "*"No such file"* ]]
	echo "not a database" > "$tmp/junk.db"
	run fixsim exchange -S "$tmp/junk.db" < /dev/null
	[ "$status" -eq 3 ]
	port=$(free_port)
	acceptor_cfg "$tmp/acc.cfg" FIX.4.4 CLIENT
	start_acc "$tmp/acc.cfg"
	stop_acc TERM
	FIXSESSION_ID=nonsense run fixsim exchange -S "$tmp/acc.db" < /dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"session id 'nonsense'"* ]]
	run fixsim exchange -S
	[ "$status" -eq 2 ]
}
