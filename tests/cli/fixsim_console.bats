#!/usr/bin/env bats
# fixsim console: a message by fields, by names and in the short order
# syntax, piped in, reaches a fixsession acceptor as the right wire
# messages, and what comes back is printed decoded; a bad line is reported
# with its line number and the session goes on; tab completion from the
# dictionary (through the hidden --complete, and once through readline on a
# terminal).  Each test that needs a counterparty starts a fixsession
# acceptor on a free port of 127.0.0.1 with fixsim exchange behind it
# (or a sed that turns each order into an ExecutionReport, should the
# exchange not be there), its message log in acc.log, and kills it in
# teardown.

load helpers

setup() {
	tmp="$BATS_TEST_TMPDIR"
	PIDS=
	command -v fixsim >/dev/null || skip "fixsim not built"
	fixsim console -h >/dev/null 2>&1 || skip "fixsim console not built"
	command -v python3 >/dev/null || skip "python3 not installed"
	port=$(free_port)
}

teardown() {
	for p in $PIDS; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null
	done
	exec 7>&-
	return 0
}

on_timeout() {
	for f in "$tmp"/acc.err "$tmp"/out "$tmp"/err; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }
	done
}

# has FILE PATTERN: a line of FILE (SOH as |) matches the extended PATTERN.
has() {
	tr '\001' '|' < "$1" | grep -Eq -- "$2" && return 0
	echo "no '$2' in $1:"
	tr '\001' '|' < "$1" | tail -n 20
	return 1
}

# acceptor [APP ...]: fixsession for FIX.4.4:EXEC->C1 on $port, with APP
# (fixsim exchange by default) as its application; its pid in $acc_pid.
acceptor() {
	command -v fixsession >/dev/null || skip "fixsession not built"
	cat > "$tmp/acc.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptAddress=127.0.0.1
SocketAcceptPort=$port
SenderCompID=EXEC
NonStopSession=Y
HeartBtInt=30
StorePath=$tmp/acc.db

[SESSION]
BeginString=FIX.4.4
TargetCompID=C1
CFG
	if [ $# -eq 0 ]; then
		if fixsim exchange -h >/dev/null 2>&1; then
			set -- fixsim exchange
		else
			set -- sed -u 's/\(^\|\x01\)35=D\x01/\135=8\x01/'
		fi
	fi
	fixsession -c "$tmp/acc.cfg" -l "$tmp/acc.log" -- "$@" \
	    > "$tmp/acc.out" 2> "$tmp/acc.err" < /dev/null &
	acc_pid=$!
	PIDS="$PIDS $!"
	until_true 10 grep -q 'start: acceptor' "$tmp/acc.err"
}

# console [ARG ...]: fixsim console for C1 on $port, its input from
# tmp/in, output in tmp/out and tmp/err, exit status in $rc.
console() {
	rc=0
	timeout 20 fixsim console -c T -s C1 -t EXEC "$@" "127.0.0.1:$port" \
	    < "$tmp/in" > "$tmp/out" 2> "$tmp/err" || rc=$?
}

@test "console: by fields, by names and short syntax; replies decoded" {
	acceptor
	cat > "$tmp/in" <<'IN'
35=D 11=F1 55=IBM 54=1 38=100 40=2 44=10.5 60=now
NewOrderSingle ClOrdID=N1 Symbol=MSFT Side=SELL OrderQty=50 OrdType=MARKET TransactTime=now Text=two words
35=D|11=P1|55=IBM|54=1|38=7|40=1|60=now|
buy 100 IBM @ 10.5
sell 50 MSFT mkt
IN
	console
	[ "$rc" -eq 0 ] || { cat "$tmp/err"; false; }
	until_true 5 grep -q ' in .*35=5' "$tmp/acc.log"
	# What the acceptor received, in wire form.
	has "$tmp/acc.log" ' in 8=FIX\.4\.4\|9=[0-9]+\|35=D\|34=2\|49=C1\|.*\|56=EXEC\|11=F1\|55=IBM\|54=1\|38=100\|40=2\|44=10\.5\|60=[0-9]{8}-'
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=N1\|55=MSFT\|54=2\|38=50\|40=1\|60=[0-9-]+:[0-9:.]+\|58=two words\|10='
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=P1\|55=IBM\|54=1\|38=7\|40=1\|'
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=T1\|55=IBM\|54=1\|38=100\|40=2\|44=10\.5\|60='
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=T2\|55=MSFT\|54=2\|38=50\|40=1\|60=[^|]*\|10='
	# What the console showed: what it sent and the decoded answers.
	has "$tmp/out" '^> #5 35=D\|\{MsgType=NewOrderSingle\}\|11=T1\|\{ClOrdID\}\|55=IBM\|\{Symbol\}\|54=1\|\{Side=BUY\}\|'
	has "$tmp/out" '^< #[0-9]+ 35=8\|\{MsgType=ExecutionReport\}\|.*\|11=T1\|\{ClOrdID\}\|.*\|54=1\|\{Side=BUY\}\|'
	has "$tmp/out" '^< #[0-9]+ 35=8\|\{MsgType=ExecutionReport\}\|.*\|11=N1\|\{ClOrdID\}\|'
	has "$tmp/out" '^< #1 Logon .*HeartBtInt=30'
	has "$tmp/out" '^< #[0-9]+ Logout'
	# Every order answered before the Logout went out.
	[ "$(grep -c '^< .*35=8|' "$tmp/out")" -ge 5 ]
}

@test "console: a bad field name is one line naming it; the session goes on" {
	acceptor
	cat > "$tmp/in" <<'IN'
NewOrderSingle ClOrdID=B1 Bogus=1 Symbol=IBM
# a comment, then an empty line

Frobnicate A=1
buy 5 IBM @ 1
IN
	console
	[ "$rc" -eq 3 ]
	has "$tmp/err" "^fixsim: console: <stdin>:1: unknown field name 'Bogus'$"
	has "$tmp/err" "^fixsim: console: <stdin>:4: unknown message type 'Frobnicate'$"
	[ "$(grep -c '<stdin>' "$tmp/err")" -eq 2 ]
	until_true 5 grep -q ' in .*35=5' "$tmp/acc.log"
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=T1\|55=IBM\|54=1\|38=5\|'
	run grep -c ' in .*35=D' "$tmp/acc.log"
	[ "$output" -eq 1 ]
	has "$tmp/out" '^< #[0-9]+ 35=8\|.*\|11=T1\|'
}

@test "console: replace and cancel in short syntax follow the order" {
	fixsim exchange -h >/dev/null 2>&1 || skip "fixsim exchange not built"
	acceptor fixsim exchange -f 0
	cat > "$tmp/in" <<'IN'
buy 100 IBM @ 10
replace T1 qty 200 px 11
cancel T1
IN
	console
	[ "$rc" -eq 0 ] || { cat "$tmp/err"; false; }
	until_true 5 grep -q ' in .*35=5' "$tmp/acc.log"
	has "$tmp/acc.log" ' in .*\|35=G\|.*\|41=T1\|11=T2\|55=IBM\|54=1\|38=200\|40=2\|44=11\|'
	has "$tmp/acc.log" ' in .*\|35=F\|.*\|41=T2\|11=T3\|55=IBM\|54=1\|38=200\|'
	has "$tmp/out" '^< .*\|11=T2\|\{ClOrdID\}\|41=T1\|\{OrigClOrdID\}\|.*\{ExecType=REPLACED\}'
	has "$tmp/out" '^< .*\|11=T3\|\{ClOrdID\}\|41=T2\|\{OrigClOrdID\}\|.*\{ExecType=CANCELED\}'
}

@test "console: a Reject arrives as one line with its reason" {
	acceptor
	printf '%s\n' 'NewOrderSingle ClOrdID=R1 Symbol=IBM OrderQty=1 OrdType=MARKET TransactTime=now' > "$tmp/in"
	console
	[ "$rc" -eq 0 ] || { cat "$tmp/err"; false; }
	has "$tmp/err" '<stdin>:1: warning: .*54.*Side.*missing|<stdin>:1: warning: .*Side.*54.*missing'
	has "$tmp/out" '^< #[0-9]+ Reject of #2 NewOrderSingle: Required tag missing: Side \(54\)$'
}

@test "console: logged out by the counterparty: exit 4 with its reason" {
	acceptor
	mkfifo "$tmp/in"
	exec 7<>"$tmp/in"
	fixsim console -q -s C1 -t EXEC "127.0.0.1:$port" \
	    < "$tmp/in" > "$tmp/out" 2> "$tmp/err" 7>&- &
	con=$!
	PIDS="$PIDS $con"
	echo 'buy 1 IBM' >&7
	until_true 10 grep -q '^< #[0-9]* 35=8|' "$tmp/out"
	# SIGTERM: fixsession logs every session out, then exits.
	kill -TERM "$acc_pid"
	until_true 10 gone "$con"
	rc=0
	wait "$con" || rc=$?
	[ "$rc" -eq 4 ]
	has "$tmp/out" '^< #[0-9]+ Logout Text=.'
	has "$tmp/err" '^fixsim: console: logged out by the counterparty: .'
}

@test "console: no counterparty: exit 4 with the reason" {
	: > "$tmp/in"
	console
	[ "$rc" -eq 4 ]
	has "$tmp/err" 'session down: .*(refused|127\.0\.0\.1)'
}

@test "console: usage" {
	run fixsim console -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: fixsim console"* ]]
	run fixsim console
	[ "$status" -eq 2 ]
	run fixsim console -b FIX.9.9 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim console -x 127.0.0.1:1
	[ "$status" -eq 2 ]
	run fixsim console 127.0.0.1
	[ "$status" -eq 2 ]
}

@test "console: completion of message names, field names and enum values" {
	run fixsim console --complete 'NewOrderS'
	[ "$status" -eq 0 ]
	[ "$output" = NewOrderSingle ]
	run fixsim console --complete 'b'
	[[ "$output" == *buy* && "$output" == *BusinessMessageReject* ]]
	run fixsim console --complete 'NewOrderSingle ClOrdID=X Sid'
	[ "$output" = 'Side=' ]
	# Group members of the message too.
	run fixsim console --complete 'NewOrderSingle PartyI'
	[[ "$output" == *PartyID=* && "$output" == *PartyIDSource=* ]]
	# Only the fields of that message.
	run fixsim console --complete 'Heartbeat S'
	[[ "$output" != *Side=* ]]
	run fixsim console --complete 'NewOrderSingle Side=BU'
	[ "$output" = "$(printf 'BUY\nBUY_MINUS')" ]
	run fixsim console --complete '35=D|40='
	[[ "$output" == *LIMIT* && "$output" == *MARKET* ]]
	run fixsim console --complete 'MsgType=ExecutionR'
	[ "$output" = ExecutionReport ]
	run fixsim console -b FIXT.1.1 --complete 'NewOrderSingle PartyI'
	[[ "$output" == *PartyID=* ]]
}

@test "console: readline on a terminal: completion, sending, history" {
	acceptor
	cat > "$tmp/drive.py" <<'PY'
import fcntl, os, pty, select, struct, sys, termios, time
port, hist = sys.argv[1], sys.argv[2]
env = dict(os.environ, FIXSIM_HISTORY=hist, TERM="xterm", NO_COLOR="1")
pid, fd = pty.fork()
if pid == 0:
    # Wide enough that readline never scrolls the line sideways.
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 300, 0, 0))
    os.execvpe("fixsim", ["fixsim", "console", "-s", "C1", "-t", "EXEC",
        "127.0.0.1:" + port], env)
out = b""
def until(pat, secs=10):
    # Readline rings the bell (BEL) when a completion is not unique.
    global out
    end = time.time() + secs
    while pat.encode() not in out and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096).replace(b"\a", b"")
            except OSError:
                break
    if pat.encode() not in out:
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit("no %r" % pat)
until("C1->EXEC> ")
os.write(fd, b"NewOrderS\t")
until("NewOrderSingle ")
os.write(fd, b"ClOrdID=K1 Sid\t")
until("Side=")
os.write(fd, b"BUY Symbol=IBM OrderQty=1 OrdT\t")
until("OrdType=")
os.write(fd, b"MARK\t")
until("OrdType=MARKET")	# MARKET_ON_CLOSE too: no blank after it
os.write(fd, b" TransactTime=now\r")
until("{ExecType=NEW}")
os.write(fd, b"quit\r")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
PY
	run timeout 20 python3 "$tmp/drive.py" "$port" "$tmp/hist"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	until_true 5 grep -q ' in .*35=5' "$tmp/acc.log"
	has "$tmp/acc.log" ' in .*\|35=D\|.*\|11=K1\|54=1\|55=IBM\|38=1\|40=1\|60='
	has "$tmp/hist" '^NewOrderSingle ClOrdID=K1 Side=BUY Symbol=IBM OrderQty=1 OrdType=MARKET TransactTime=now$'
	has "$tmp/hist" '^quit$'
}
