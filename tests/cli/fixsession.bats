#!/usr/bin/env bats
# fixsession as a daemon: signals, SIGHUP, Logon credentials, bad input on
# the socket, slow and flooding peers, a peer that never logs on, restart
# on the store, and the settings checks.  Every test starts its own
# acceptor on a free port of 127.0.0.1 with its store in the test's
# directory, and kills whatever it started in teardown, pass or fail.
# The counterparty is a second fixsession (an initiator) or fixpeer.py,
# which speaks raw FIX over TCP and says on its stdout what it saw.  The
# application of each fixsession is the test, writing into a FIFO held
# open on fd 7 (the acceptor) or fd 8 (the initiator).

load helpers

ACC1='FIX.4.4:EXEC->C1'
ACC2='FIX.4.4:EXEC->C2'
INI='FIX.4.4:C1->EXEC'

setup() {
	tmp="$BATS_TEST_TMPDIR"
	PIDS=
	peerpy="$top/tests/cli/fixpeer.py"
	command -v fixsession >/dev/null || skip "fixsession not built"
	command -v fixstore >/dev/null || skip "fixstore not built"
	command -v python3 >/dev/null || skip "python3 not installed"
	port=$(free_port)
}

teardown() {
	for p in $PIDS; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null
	done
	exec 7>&- 8>&-
	[ -n "${nobody_dir:-}" ] && rm -rf "$nobody_dir"
	return 0
}

# start_fs NAME FD CFG [ARG ...]: fixsession -c CFG reading the FIFO
# tmp/NAME.in, which the test holds open on FD; stdout and stderr are
# appended to tmp/NAME.out and tmp/NAME.err.  The pid is in $NAME_pid.
start_fs() {
	name=$1 fd=$2 cfg=$3
	shift 3
	[ -p "$tmp/$name.in" ] || mkfifo "$tmp/$name.in"
	eval "exec $fd<>\"\$tmp/$name.in\""
	fixsession -c "$cfg" "$@" < "$tmp/$name.in" >> "$tmp/$name.out" \
	    2>> "$tmp/$name.err" 3>&- 7>&- 8>&- &
	eval "${name}_pid=$!"
	PIDS="$PIDS $!"
}

# start_acc CFG [ARG ...]: the acceptor "acc" on fd 7, once it listens.
start_acc() {
	start_fs acc 7 "$@"
	until_true 10 grep -q 'start: acceptor' "$tmp/acc.err"
}

# peer NAME ARG ...: fixpeer.py in the background, its output in
# tmp/NAME.peer; the pid is in $NAME_pid.
peer() {
	name=$1
	shift
	python3 "$peerpy" -p "$port" "$@" > "$tmp/$name.peer" 2>&1 3>&- 7>&- 8>&- &
	eval "${name}_pid=$!"
	PIDS="$PIDS $!"
}

# on_timeout: what every process said, for a failing test's output (without
# the TestRequests and Heartbeats).
on_timeout() {
	for f in "$tmp"/*.err "$tmp"/*.peer; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tr '\001' '|' < "$f" | grep -v '|35=[01]|\|^hb \|^sent ' |
		    cut -c1-240 | tail -n 25
	done
}

count() {	# FILE PATTERN: lines of FILE (SOH as |) matching PATTERN
	tr '\001' '|' < "$1" | grep -c -- "$2"
}

at_least() {	# N FILE PATTERN
	[ "$(count "$2" "$3")" -ge "$1" ]
}

# stopped PID: wait for PID (it must end within 6 s) and check that it
# exited 0.
stopped() {
	until_true 6 gone "$1" || return 1
	rc=0
	wait "$1" || rc=$?
	[ "$rc" -eq 0 ] || { echo "exit status $rc"; on_timeout; return 1; }
}

# none FILE PATTERN: no line of FILE (SOH as |) matches PATTERN.  (A
# "! cmd" line would not fail a bats test.)
none() {
	if tr '\001' '|' < "$1" | grep -- "$2"; then
		echo "^ unexpected in $1"
		return 1
	fi
}

# calm FILE SESSION: the session's only disconnect was its last Logout.
calm() {
	if grep "$2 disconnect: " "$1" |
	    grep -v 'disconnect: logged out$\|transport down after the Logout exchange$'; then
		echo "^ unexpected in $1"
		return 1
	fi
}

# before FILE PAT1 PAT2: a line matching PAT1 comes before one matching
# PAT2 (SOH as |).
before() {
	tr '\001' '|' < "$1" | awk -v a="$2" -v b="$3" '
		$0 ~ a && !sa { sa = NR }
		$0 ~ b && sa && NR > sa { ok = 1 }
		END { exit !ok }' || {
		echo "$1: no '$2' before '$3'"
		return 1
	}
}

# ord ID: an order in readable form, for an application to send.
ord() {
	echo "35=D|11=$1|21=1|55=IBM|54=1|60=20240102-10:00:00.000|38=1|40=1|"
}

# logon_pair: acceptor (session C1) and initiator, both logged on.
logon_pair() {
	acceptor_cfg "$tmp/acc.cfg" C1
	initiator_cfg "$tmp/ini.cfg"
	start_acc "$tmp/acc.cfg"
	start_fs ini 8 "$tmp/ini.cfg"
	until_true 10 grep -q "$ACC1 logon: logged on" "$tmp/acc.err"
	until_true 10 grep -q "$INI logon: logged on" "$tmp/ini.err"
}

# signal_logout SIG WHO OTHER: SIG to fixsession WHO (acc or ini) logs it
# out: WHO sends a Logout, OTHER answers it, both record it, WHO exits 0.
signal_logout() {
	sig=$1 who=$2 other=$3
	logon_pair
	eval "pid=\$${who}_pid"
	kill -"$sig" "$pid"
	stopped "$pid"
	# WHO: Logout out, then the answer in.
	before "$tmp/$who.err" ' out 8=FIX\.4\.4\|.*\|35=5\|' \
	    ' in 8=FIX\.4\.4\|.*\|35=5\|'
	grep -q 'logout: Logout sent' "$tmp/$who.err"
	grep -q 'logout: Logout received' "$tmp/$who.err"
	# OTHER: Logout in (with why), then its answer out.
	until_true 5 grep -q 'disconnect: logged out' "$tmp/$other.err"
	before "$tmp/$other.err" ' in 8=FIX\.4\.4\|.*\|35=5\|' \
	    ' out 8=FIX\.4\.4\|.*\|35=5\|'
	grep -q 'logout: Logout received: fixsession is shutting down' \
	    "$tmp/$other.err"
	# Both stores hold both Logouts.
	for s in "acc.db $ACC1" "ini.db $INI"; do
		set -- $s
		[ "$(fixstore -S "$tmp/$1" dump -d in -m 5 "$2" | wc -l)" -eq 1 ]
		[ "$(fixstore -S "$tmp/$1" dump -d out -m 5 "$2" | wc -l)" -eq 1 ]
	done
}

@test "SIGTERM to the initiator: Logout, answered, exit 0" {
	signal_logout TERM ini acc
}

@test "SIGINT to the acceptor: Logout, answered, exit 0" {
	signal_logout INT acc ini
}

@test "SIGTERM to the acceptor: Logout, answered, exit 0" {
	signal_logout TERM acc ini
}

@test "SIGINT to the initiator: Logout, answered, exit 0" {
	signal_logout INT ini acc
}

@test "SIGHUP adds a session appended to the file; the running one goes on" {
	# -p: lines carry session ids, so that SIGHUP may add sessions to a
	# file that starts with one (fixsession(1), -p).
	acceptor_cfg "$tmp/acc.cfg" C1
	start_acc "$tmp/acc.cfg" -p
	peer p1 -s C1 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p1.peer"

	# A broken addition is reported with its line; nothing changes.
	cp "$tmp/acc.cfg" "$tmp/good.cfg"
	printf '\n[SESSION]\nBeginString=FIX.4.4\nTargetCompID=C2\n%s\n' \
	    HeartBtInt=x >> "$tmp/acc.cfg"
	line=$(wc -l < "$tmp/acc.cfg")
	kill -HUP "$acc_pid"
	until_true 5 grep -q "acc.cfg:$line: HeartBtInt" "$tmp/acc.err"
	grep "acc.cfg:$line:" "$tmp/acc.err" | grep -q 'not reloaded'
	run python3 "$peerpy" -p "$port" -s C2 logon
	echo "$output"
	[ "$status" -eq 1 ]
	until_true 5 grep -q 'Logon for unknown session' "$tmp/acc.err"

	# The right addition: C2 logs on, C1 was never disturbed.
	cp "$tmp/good.cfg" "$tmp/acc.cfg"
	printf '\n[SESSION]\nBeginString=FIX.4.4\nTargetCompID=C2\n' \
	    >> "$tmp/acc.cfg"
	kill -HUP "$acc_pid"
	until_true 5 grep -q 're-read, 1 session added' "$tmp/acc.err"
	peer p2 -s C2 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p2.peer"
	grep -q "$ACC2 logon: logged on" "$tmp/acc.err"
	n=$(count "$tmp/p1.peer" '^hb ')
	until_true 10 at_least $((n + 3)) "$tmp/p1.peer" '^hb '

	# The application talks to both sessions by their ids.
	printf '%s\t%s\n' "$ACC1" "$(ord TOC1)" "$ACC2" "$(ord TOC2)" >&7
	until_true 5 grep -q '^app 11=TOC1$' "$tmp/p1.peer"
	until_true 5 grep -q '^app 11=TOC2$' "$tmp/p2.peer"
	touch "$tmp/stop"
	stopped "$p1_pid"
	stopped "$p2_pid"
	at_least 1 "$tmp/acc.out" "^$ACC1	8=FIX.4.4|.*|11=C1-1|"
	at_least 1 "$tmp/acc.out" "^$ACC2	8=FIX.4.4|.*|11=C2-1|"
	calm "$tmp/acc.err" "$ACC1"
	[ "$(grep -c "$ACC1 logon: logged on" "$tmp/acc.err")" -eq 1 ]
	fixstore -S "$tmp/acc.db" list -q | grep -qx "$ACC2"
}

@test "SIGHUP without -p adds no session to a file that had one" {
	acceptor_cfg "$tmp/acc.cfg" C1
	start_acc "$tmp/acc.cfg"
	peer p1 -s C1 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p1.peer"
	printf '\n[SESSION]\nBeginString=FIX.4.4\nTargetCompID=C2\n' \
	    >> "$tmp/acc.cfg"
	kill -HUP "$acc_pid"
	until_true 5 grep -q "fixsession: $ACC2: not added" "$tmp/acc.err"
	run python3 "$peerpy" -p "$port" -s C2 logon
	echo "$output"
	[ "$status" -eq 1 ]
	until_true 5 grep -q 'Logon for unknown session' "$tmp/acc.err"
	# C1 goes on, its lines still without a session id.
	n=$(count "$tmp/p1.peer" '^hb ')
	until_true 10 at_least $((n + 3)) "$tmp/p1.peer" '^hb '
	touch "$tmp/stop"
	stopped "$p1_pid"
	calm "$tmp/acc.err" "$ACC1"
	at_least 1 "$tmp/acc.out" '^8=FIX.4.4|.*|11=C1-1|'
	none "$tmp/acc.out" "^$ACC1"
}

@test "Logon credentials: wrong or none refused; the password never shown" {
	pw='Pw-7Hq2-stapler-horse'
	printf '%s\n' "$pw" > "$tmp/pw"
	printf '%s\n' 'Pw-7Hq2-stapler-hors' > "$tmp/wrong"
	acceptor_cfg "$tmp/acc.cfg" C1
	start_acc "$tmp/acc.cfg" -l "$tmp/acc.log"
	run fixstore -S "$tmp/acc.db" passwd -u user1 -p "$tmp/pw" "$ACC1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$pw"* ]]

	# Without credentials, with a wrong password, with a wrong user:
	# a Logout with a Text, then the connection is closed.
	for creds in "" "-u user1 -P $tmp/wrong" "-u user2 -P $tmp/pw" \
	    "-u user1"; do
		run python3 "$peerpy" -p "$port" -s C1 logon --expect refused \
		    $creds
		echo "$output"
		[ "$status" -eq 0 ]
		echo "$output" | grep -q '^refused: .'
		echo "$output" | grep -q '^closed$'
	done
	[ "$(grep -c "$ACC1 auth: " "$tmp/acc.err")" -eq 4 ]
	none "$tmp/acc.err" "$ACC1 logon: logged on"

	# The right ones, from the peer and from a fixsession initiator.
	run python3 "$peerpy" -p "$port" -s C1 logon -u user1 -P "$tmp/pw" \
	    --logout
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^logged on$'
	initiator_cfg "$tmp/ini.cfg" Username=user1 "Password=$pw" \
	    ResetOnLogon=Y
	start_fs ini 8 "$tmp/ini.cfg" -l "$tmp/ini.log"
	until_true 10 grep -q "$INI logon: logged on" "$tmp/ini.err"
	kill -TERM "$ini_pid"
	stopped "$ini_pid"
	[ "$(grep -c "$ACC1 logon: logged on" "$tmp/acc.err")" -eq 2 ]
	kill -TERM "$acc_pid"
	stopped "$acc_pid"

	# The Logons are in the logs and the stores, masked ...
	fixstore -S "$tmp/acc.db" dump -e all -d in -m A "$ACC1" > "$tmp/dump"
	fixstore -S "$tmp/ini.db" dump -e all -d out -m A "$INI" >> "$tmp/dump"
	[ "$(count "$tmp/dump" '|554=\*\**|')" -ge 3 ]
	at_least 2 "$tmp/acc.log" "$ACC1 in 8=.*|554=\*\**|"
	at_least 1 "$tmp/ini.log" "$INI out 8=.*|554=\*\**|"
	# ... and the password is nowhere: not on stderr, not in the message
	# logs, not in a dump, not in the bytes of the stores.
	for d in acc.db ini.db; do
		fixstore -S "$tmp/$d" dump -e all "$(fixstore -S "$tmp/$d" \
		    list -q)" >> "$tmp/dump"
		fixstore -S "$tmp/$d" show "$(fixstore -S "$tmp/$d" list -q)" \
		    >> "$tmp/dump"
	done
	for f in "$tmp"/acc.err "$tmp"/ini.err "$tmp"/acc.log "$tmp"/ini.log \
	    "$tmp"/dump "$tmp"/*.db*; do
		[ -f "$f" ] || continue
		if grep -a -q -F -- "$pw" "$f"; then
			echo "the password is in $f"
			return 1
		fi
	done
	# (The stores were there to be searched.)
	[ -s "$tmp/acc.db" ]
	[ -s "$tmp/ini.db" ]
}

# badinput CASES: fixpeer.py's bad input CASES on session C1 while C2 (a
# hold peer) runs; then C2 must still answer and exchange orders.
badinput() {
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	start_acc "$tmp/acc.cfg"
	peer p2 -s C2 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p2.peer"
	printf '%s\t%s\n' "$ACC2" "$(ord TOC2-1)" >&7

	# After each bad message the session answers a TestRequest and the
	# other session answers two more (fixpeer.py checks both).
	run python3 "$peerpy" -p "$port" -s C1 badinput --cases "$1" \
	    --watch "$tmp/p2.peer"
	echo "$output" | tr '\001' '|' | cut -c1-200
	printf '%s\t%s\n' "$ACC2" "$(ord TOC2-2)" >&7
	[ "$status" -eq 0 ]
	for c in $(echo "$1" | tr , ' '); do
		echo "$output" | grep -q "^case $c: ok$"
	done

	# The daemon is up; the garbled input was logged and ignored, none
	# of it reached the application; the good order after it did, once.
	kill -0 "$acc_pid"
	[ "$(grep -c "$ACC1 garbled: " "$tmp/acc.err")" -ge \
	    "$(echo "$1" | tr , '\n' | wc -l)" ]
	[ "$(count "$tmp/acc.out" "^$ACC1	8=FIX.4.4|.*|11=AFTERBAD|")" -eq 1 ]
	none "$tmp/acc.out" '11=\(BADSUM\|HUGELEN\|NOTYPE\|TOOBIG\|TRUNC\)'

	# C2 went on both ways: its orders all reached stdout, ours reached
	# it, and it logs out normally.
	until_true 10 grep -q '^app 11=TOC2-2$' "$tmp/p2.peer"
	grep -q '^app 11=TOC2-1$' "$tmp/p2.peer"
	touch "$tmp/stop"
	stopped "$p2_pid"
	grep '^sent 11=' "$tmp/p2.peer" | cut -d= -f2 | sort > "$tmp/sent"
	tr '\001' '|' < "$tmp/acc.out" | grep "^$ACC2	" |
	    grep -o '|11=[^|]*|' | cut -d= -f2 | tr -d '|' | sort > "$tmp/got"
	[ -s "$tmp/sent" ]
	diff "$tmp/sent" "$tmp/got"
	# Every line is one whole order with its session id.
	[ "$(count "$tmp/acc.out" \
	    '^FIX.4.4:EXEC->C[12]	8=FIX\.4\.4|9=[0-9]*|35=D|.*|10=[0-9]\{3\}|$')" \
	    -eq "$(wc -l < "$tmp/acc.out")" ]
	[ "$(grep -c "$ACC2 logon: logged on" "$tmp/acc.err")" -eq 1 ]
	calm "$tmp/acc.err" "$ACC2"
}

@test "bad input mid-session: ignored, the daemon and other sessions go on" {
	badinput checksum,junk,bodylength,msgtype,toobig
	grep "$ACC1 garbled: " "$tmp/acc.err" | grep -q 'CheckSum'
	grep "$ACC1 garbled: " "$tmp/acc.err" | grep -q 'BodyLength'
	grep "$ACC1 garbled: " "$tmp/acc.err" | grep -q 'limit'
}

@test "a truncated message does not hold up the whole messages after it" {
	badinput truncated
}

@test "a message trickled a byte at a time is delivered whole" {
	acceptor_cfg "$tmp/acc.cfg" C1
	start_acc "$tmp/acc.cfg"
	run python3 "$peerpy" -p "$port" -s C1 trickle --seconds 2
	echo "$output"
	[ "$status" -eq 0 ]
	want=$(echo "$output" | sed -n 's/^trickle //p')
	[ -n "$want" ]
	[ "$(wc -l < "$tmp/acc.out")" -eq 1 ]
	[ "$(tr '\001' '|' < "$tmp/acc.out")" = "$want" ]
}

@test "a connection without a Logon is closed after LogonTimeout" {
	acceptor_cfg "$tmp/acc.cfg" LogonTimeout=1 C1 C2
	start_acc "$tmp/acc.cfg"
	peer p2 -s C2 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p2.peer"
	run python3 "$peerpy" -p "$port" -s C1 idle
	echo "$output"
	[ "$status" -eq 0 ]
	# Closed by the acceptor (fixpeer.py gives up after 5 s), and not
	# at once: after about a second.
	t=$(echo "$output" | sed -n 's/^closed after \([0-9.]*\) s$/\1/p')
	[ -n "$t" ]
	awk -v t="$t" 'BEGIN { exit !(t >= 0.9) }'
	grep -q ' - reject: .*no Logon within 1 s: disconnected' "$tmp/acc.err"
	# C2 is still logged on and answering.
	n=$(count "$tmp/p2.peer" '^hb ')
	until_true 10 at_least $((n + 3)) "$tmp/p2.peer" '^hb '
	touch "$tmp/stop"
	stopped "$p2_pid"
	calm "$tmp/acc.err" "$ACC2"
}

@test "a flooding session does not stop another from answering" {
	N=30000
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	start_acc "$tmp/acc.cfg"
	peer p2 -s C2 hold --stop "$tmp/stop"
	until_true 10 grep -q '^hb 2$' "$tmp/p2.peer"
	# fixpeer.py sends half the flood, waits for C2 to answer a
	# TestRequest, sends the rest, and checks that C1 answers at the end.
	run python3 "$peerpy" -p "$port" -s C1 flood --count "$N" \
	    --watch "$tmp/p2.peer"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '^other session answered during the flood$'
	touch "$tmp/stop"
	stopped "$p2_pid"
	# Every order reached the application once, in order.
	tr '\001' '|' < "$tmp/acc.out" | grep "^$ACC1	" |
	    grep -o '|11=F[0-9]*|' | tr -d '|F' | cut -d= -f2 > "$tmp/got"
	seq 1 "$N" > "$tmp/want"
	diff "$tmp/want" "$tmp/got" | head -n 5
	cmp -s "$tmp/want" "$tmp/got"
	fixstore -S "$tmp/acc.db" list -H | awk -v s="$ACC1" -v n="$N" '
		$2 == s { found = 1; if ($6 != n + 4) { print; exit 1 } }
		END { exit !found }'
}

# ids DB DIR SESSION: the ClOrdIDs of the orders stored for a direction.
ids() {
	fixstore -S "$tmp/$1" dump -e all -d "$2" -m D "$3" | tr '\001' '|' |
	    grep -o '|11=[^|]*|' | cut -d= -f2 | tr -d '|'
}

# seqs DB DIR SESSION: the MsgSeqNums stored for a direction, in order.
seqs() {
	fixstore -S "$tmp/$1" dump -d "$2" "$3" | tr '\001' '|' |
	    grep -o '|34=[0-9]*|' | cut -d= -f2 | tr -d '|'
}

@test "SIGKILL the acceptor, restart on its store: numbers go on, no loss" {
	logon_pair
	for i in 1 2 3; do
		ord "R$i" >&8
	done
	ord E1 >&7
	until_true 10 at_least 3 "$tmp/acc.out" '|11=R'
	until_true 10 at_least 1 "$tmp/ini.out" '|11=E1|'

	kill -KILL "$acc_pid"
	wait "$acc_pid" 2>/dev/null || true
	until_true 10 grep -q "$INI disconnect: " "$tmp/ini.err"
	fixstore -S "$tmp/acc.db" list -H > "$tmp/list1"
	cat "$tmp/list1"
	# The initiator numbers and stores what is written meanwhile.
	for i in 4 5 6; do
		ord "R$i" >&8
	done
	until_true 10 eval '[ "$(ids ini.db out "$INI" | wc -l)" -eq 6 ]'

	# Restarted on the same store; the initiator reconnects.
	start_fs acc 7 "$tmp/acc.cfg"
	until_true 10 grep -q "$ACC1 recover: " "$tmp/acc.err"
	until_true 15 at_least 2 "$tmp/acc.err" "$ACC1 logon: logged on"
	until_true 10 at_least 6 "$tmp/acc.out" '|11=R'

	# Each order reached the application once; those of the outage were
	# resent with PossDupFlag.
	tr '\001' '|' < "$tmp/acc.out" | grep -o '|11=R[0-9]|' | cut -d= -f2 |
	    tr -d '|' > "$tmp/got"
	printf 'R%s\n' 1 2 3 4 5 6 | diff - "$tmp/got"
	[ "$(fixstore -S "$tmp/acc.db" dump -d in -m D "$ACC1" | tr '\001' '|' |
	    grep '|43=Y|' | grep -c '|11=R[456]|')" -eq 3 ]
	none "$tmp/acc.err" 'reset: \|seqreset: SequenceReset from'
	none "$tmp/ini.err" 'reset: \|seqreset: SequenceReset from'

	# No reset: still epoch 1, and the numbers of both stores run on
	# from before the kill: 1, 2, 3 ... in both directions, no repeat.
	fixstore -S "$tmp/acc.db" list -H > "$tmp/list2"
	cat "$tmp/list2"
	awk '{ exit !($4 == 1) }' "$tmp/list1"
	awk '{ exit !($4 == 1) }' "$tmp/list2"
	no1=$(awk '{ print $5 }' "$tmp/list1")
	[ "$no1" -gt 2 ]
	# The acceptor's first message after the restart (its Logon answer)
	# carries the number the store had.
	fixstore -S "$tmp/acc.db" dump -d out -m A "$ACC1" | tr '\001' '|' |
	    tail -n 1 | grep -q "|34=$no1|"
	for s in "acc.db out $ACC1" "acc.db in $ACC1" "ini.db out $INI" \
	    "ini.db in $INI"; do
		set -- $s
		seqs "$@" > "$tmp/seqs"
		n=$(wc -l < "$tmp/seqs")
		seq 1 "$n" | diff - "$tmp/seqs"
	done
	run fixstore -S "$tmp/acc.db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	run fixstore -S "$tmp/ini.db" verify
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "StoreLog=Y: a log beside the store while it runs, none after SIGTERM" {
	acceptor_cfg "$tmp/acc.cfg" StoreLog=Y C1
	run env FIXLOCK_LEASE=x FIXLOCK_TOKEN=1 fixsession -c "$tmp/acc.cfg"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"StoreLog=Y cannot run under fixlock"* ]]
	[ ! -e "$tmp/acc.db" ]

	start_acc "$tmp/acc.cfg"
	[ -f "$tmp/acc.db-log" ]
	kill -TERM "$acc_pid"
	wait "$acc_pid"
	[ ! -e "$tmp/acc.db-log" ]
	fixstore -S "$tmp/acc.db" list -H | grep -q "^1  *$ACC1 "
}

# The CPU wake-up latency the kernel keeps to (us): the lowest request held.
cpu_lat() {
	od -An -td4 /dev/cpu_dma_latency | tr -d ' '
}

rereads() {	# N: the acceptor has re-read its settings N times
	[ "$(grep -c 're-read' "$tmp/acc.err")" -eq "$1" ]
}

@test "CpuDmaLatency: held while it runs, changed by SIGHUP, let go at exit" {
	{ [ -r /dev/cpu_dma_latency ] && [ -w /dev/cpu_dma_latency ]; } ||
	    skip "/dev/cpu_dma_latency not writable here (needs root)"
	before=$(cpu_lat)
	[ "$before" -gt 9 ] || skip "another program holds $before us"
	acceptor_cfg "$tmp/acc.cfg" CpuDmaLatency=9 C1
	start_acc "$tmp/acc.cfg"
	[ "$(cpu_lat)" -eq 9 ]
	sed -i 's/^CpuDmaLatency=9$/CpuDmaLatency=7/' "$tmp/acc.cfg"
	kill -HUP "$acc_pid"
	until_true 10 rereads 1
	[ "$(cpu_lat)" -eq 7 ]
	sed -i '/^CpuDmaLatency=/d' "$tmp/acc.cfg"
	kill -HUP "$acc_pid"
	until_true 10 rereads 2
	[ "$(cpu_lat)" -eq "$before" ]
	sed -i 's/^NonStopSession=Y$/&\nCpuDmaLatency=8/' "$tmp/acc.cfg"
	kill -HUP "$acc_pid"
	until_true 10 rereads 3
	[ "$(cpu_lat)" -eq 8 ]
	kill -TERM "$acc_pid"
	wait "$acc_pid"
	[ "$(cpu_lat)" -eq "$before" ]
	! grep -q CpuDmaLatency "$tmp/acc.err"
}

@test "CpuDmaLatency without the right to hold it: a warning, sessions run" {
	[ "$(id -u)" -eq 0 ] && command -v setpriv > /dev/null ||
	    skip "needs root and setpriv, to run as nobody"
	[ -e /dev/cpu_dma_latency ] || skip "no /dev/cpu_dma_latency"
	# nobody needs a directory of its own: the test's is root's alone.
	nobody_dir=$(mktemp -d "${TMPDIR:-/tmp}/fixu-nobody.XXXXXX")
	chmod 777 "$nobody_dir"
	acc_store=$nobody_dir/acc.db acceptor_cfg "$nobody_dir/acc.cfg" \
	    CpuDmaLatency=0 C1
	chmod 644 "$nobody_dir/acc.cfg"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    fixsession -c "$nobody_dir/acc.cfg" -w 0 < /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fixsession: CpuDmaLatency=0: /dev/cpu_dma_latency: Permission denied; idle CPUs are left to the kernel"* ]]
	[[ "$output" == *"$ACC1 start: acceptor"* ]]
}

@test "StoreDurability=process: after the machine went down, a damaged store is refused" {
	command -v sqlite3 > /dev/null || skip "sqlite3 not installed"
	[ -r /proc/sys/kernel/random/boot_id ] || skip "no boot id"
	acceptor_cfg "$tmp/acc.cfg" StoreDurability=process C1
	start_acc "$tmp/acc.cfg"
	[ "$(sqlite3 "$tmp/acc.db" 'SELECT writers FROM unsynced')" = 1 ]
	[ "$(sqlite3 "$tmp/acc.db" 'SELECT boot_id FROM unsynced')" = \
	    "$(cat /proc/sys/kernel/random/boot_id)" ]
	kill -TERM "$acc_pid"
	wait "$acc_pid"
	[ "$(sqlite3 "$tmp/acc.db" 'SELECT writers FROM unsynced')" = 0 ]

	# As if the machine had gone down under it: another boot's count,
	# and junk over a page of the file.
	sqlite3 "$tmp/acc.db" "UPDATE unsynced SET writers = 1, boot_id = 'b'"
	root=$(sqlite3 "$tmp/acc.db" "SELECT rootpage FROM sqlite_master
	    WHERE name = 'messages_time'")
	psz=$(sqlite3 "$tmp/acc.db" 'PRAGMA page_size')
	head -c "$psz" /dev/zero | tr '\0' 'Z' |
	    dd of="$tmp/acc.db" bs="$psz" seek=$((root - 1)) conv=notrunc \
	    2> /dev/null
	run fixsession -c "$tmp/acc.cfg" < /dev/null
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"acc.db: damaged after the machine went down under StoreDurability=process (quick_check, "*"): "* ]]
	run fixstore -S "$tmp/acc.db" reset -y "$ACC1"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"damaged after the machine went down"* ]]
	# Readers still open it, to look.
	run fixstore -S "$tmp/acc.db" list -H
	[ "$status" -eq 0 ]
	[[ "$output" == *"$ACC1"* ]]
}

@test "-- COMMAND: each child gets its own session's variables, over inherited ones" {
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	# The children write what they were given, then take messages until
	# fixsession closes their pipe.
	FIXSESSION_ID=stale FIXSESSION_TARGETCOMPID=stale \
	    fixsession -c "$tmp/acc.cfg" -- sh -c \
	    'env | grep "^FIXSESSION_" | sort > "$0.tmp.$$" &&
	     mv "$0.tmp.$$" "$0.$FIXSESSION_TARGETCOMPID"; exec cat' \
	    "$tmp/env" < /dev/null > "$tmp/acc.out" 2> "$tmp/acc.err" \
	    3>&- 7>&- 8>&- &
	pid=$!
	PIDS="$PIDS $pid"
	until_true 10 test -f "$tmp/env.C1" -a -f "$tmp/env.C2"
	for c in C1 C2; do
		printf '%s\n' FIXSESSION_BEGINSTRING=FIX.4.4 \
		    "FIXSESSION_ID=FIX.4.4:EXEC->$c" FIXSESSION_SENDERCOMPID=EXEC \
		    "FIXSESSION_TARGETCOMPID=$c" > "$tmp/want.$c"
		diff "$tmp/want.$c" "$tmp/env.$c"
	done
	kill -TERM "$pid"
	stopped "$pid"
}

@test "-- COMMAND that cannot be started: 127 not found, 126 not executable, exit 4" {
	acceptor_cfg "$tmp/acc.cfg" C1
	run fixsession -c "$tmp/acc.cfg" -- /nonexistent/cmd
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"fixsession: /nonexistent/cmd: No such file or directory"* ]]
	[[ "$output" == *"$ACC1: command exited with status 127"* ]]
	printf 'echo hi\n' > "$tmp/noexec"
	chmod 644 "$tmp/noexec"
	run fixsession -c "$tmp/acc.cfg" -- "$tmp/noexec"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"fixsession: $tmp/noexec: Permission denied"* ]]
	[[ "$output" == *"$ACC1: command exited with status 126"* ]]
}

@test "-n lists the sessions; a broken settings file exits 3 with file:line" {
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	initiator_cfg "$tmp/ini.cfg" SocketConnectHost1=127.0.0.1 \
	    SocketConnectPort1=$((port + 1))
	run fixsession -n -c "$tmp/acc.cfg"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$ACC1 acceptor 127.0.0.1:$port
$ACC2 acceptor 127.0.0.1:$port" ]
	run fixsession -n -c "$tmp/ini.cfg"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$INI initiator 127.0.0.1:$port,127.0.0.1:$((port + 1))" ]
	# -n opens no store.
	[ ! -e "$tmp/acc.db" ]
	[ ! -e "$tmp/ini.db" ]

	# A bad value: status 3, the file and line, before any store or
	# socket.
	acceptor_cfg "$tmp/bad.cfg" C1 C2
	sed -i 's/^TargetCompID=C2$/&\nHeartBtInt=often/' "$tmp/bad.cfg"
	line=$(grep -n '^HeartBtInt=often' "$tmp/bad.cfg" | cut -d: -f1)
	for n in -n ""; do
		run fixsession $n -c "$tmp/bad.cfg"
		echo "$output"
		[ "$status" -eq 3 ]
		[[ "$output" == *"fixsession: $tmp/bad.cfg:$line: HeartBtInt"* ]]
	done
	[ ! -e "$tmp/acc.db" ]
	# A line that is not a setting; no [SESSION]; no file.
	printf '[DEFAULT]\nConnectionType=acceptor\nthis is not a setting\n' \
	    > "$tmp/bad2.cfg"
	run fixsession -n -c "$tmp/bad2.cfg"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"fixsession: $tmp/bad2.cfg:3: "* ]]
	printf '[DEFAULT]\nConnectionType=acceptor\n' > "$tmp/bad3.cfg"
	run fixsession -n -c "$tmp/bad3.cfg"
	[ "$status" -eq 3 ]
	run fixsession -n -c "$tmp/missing.cfg"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"$tmp/missing.cfg"* ]]
}
