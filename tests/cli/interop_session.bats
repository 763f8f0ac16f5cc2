#!/usr/bin/env bats
# fixsession as the initiator against QuickFIX's example executor (the real
# binary from libquickfix-doc, started by tests/interop/executor.sh): orders
# go in on stdin in readable form, fills come out on stdout, SIGTERM logs
# out; then the same with fixsession SIGKILLed in the middle of a stream
# and restarted on its store, with and without the message log, and with
# StoreDurability=process.  Each test has its own executor (its own
# FileStore, so both ends start at 1) on a free port of 127.0.0.1, stopped
# in teardown, pass or fail.  The application is the test itself, writing
# into a FIFO that stays open between writes.

load helpers

SID='FIX.4.4:CLIENT1->EXECUTOR'

needs() {
	[ -d /usr/share/doc/libquickfix-doc/examples/executor/C++ ] ||
	    { echo "libquickfix-doc not installed"; return; }
	command -v fixsession >/dev/null ||
	    { echo "fixsession not built"; return; }
	command -v fixstore >/dev/null || echo "fixstore not built"
}

setup() {
	tmp="$BATS_TEST_TMPDIR"
	FS_PID= WPID=
	why=$(needs)
	[ -z "$why" ] || skip "$why"
	ed="$tmp/ex"
	port=$(sh "$top/tests/interop/executor.sh" start "$ed") || {
		echo "executor.sh start failed"
		return 1
	}
	db="$tmp/fs.db"
	cat > "$tmp/fs.conf" <<CFG
[DEFAULT]
ConnectionType=initiator
SocketConnectHost=127.0.0.1
SocketConnectPort=$port
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
ReconnectInterval=1
StorePath=$db
StoreDurability=full

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT1
TargetCompID=EXECUTOR
CFG
}

teardown() {
	[ -n "${WPID:-}" ] && kill "$WPID" 2>/dev/null
	[ -n "${FS_PID:-}" ] && kill -KILL "$FS_PID" 2>/dev/null
	exec 7>&-
	[ -n "${ed:-}" ] && sh "$top/tests/interop/executor.sh" stop "$ed"
	return 0
}

# orders FROM TO: limit orders ID<FROM>..ID<TO> in readable form.
orders() {
	seq "$1" "$2" | sed 's/^/ID/' | orders_of
}

# orders_of: an order for each ClOrdID read from stdin.
orders_of() {
	awk '{ printf "35=D|11=%s|21=1|55=IBM|54=1|" \
	    "60=20240102-10:00:00.000|38=100|40=2|44=10.5|\n", $1 }'
}

# start_fs NAME: fixsession reading the FIFO tmp/NAME, which the test
# holds open on fd 7; stdout and stderr are appended to tmp/fills and
# tmp/fs.err so that two runs add up.
start_fs() {
	mkfifo "$tmp/$1"
	exec 7<>"$tmp/$1"
	fixsession -c "$tmp/fs.conf" < "$tmp/$1" >> "$tmp/fills" \
	    2>> "$tmp/fs.err" 3>&- &
	FS_PID=$!
}

on_timeout() {
	echo "--- fixsession stderr:"; cat "$tmp/fs.err" 2>/dev/null
	echo "--- executor events:"
	grep -A1 'event>' "$ed/executor.out" | grep -v 'event>\|^--' | tail
}

logons_at_least() {	# N: the executor answered N Logons
	n=$(grep -c 'Responding to logon request' "$ed/executor.out")
	[ "$n" -ge "$1" ]
}

fills_at_least() {	# N: stdout holds N ExecutionReports
	[ "$(tr '\001' '|' < "$tmp/fills" | grep -c '|35=8|')" -ge "$1" ]
}

# ids DIR TYPE: the ClOrdIDs of the stored messages of a direction and type.
ids() {
	fixstore -S "$db" dump -d "$1" -m "$2" "$SID" | tr '\001' '|' |
	    grep -o '|11=[^|]*|' | cut -d= -f2 | tr -d '|'
}

store_fills_at_least() {	# N: the store holds N distinct filled ClOrdIDs
	[ "$(ids in 8 | sort -u | wc -l)" -ge "$1" ]
}

# seq_ok DIR: the MsgSeqNums stored for a direction are 1, 2, 3 ... with
# no gap and no repeat; a SequenceReset moves the next one to its 36.
seq_ok() {
	fixstore -S "$db" dump -d "$1" "$SID" | tr '\001' '|' | awk -F'|' '
	BEGIN { want = 1 }
	{
		s = -1; t = ""; gf = ""; nx = -1
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^34=/) s = substr($i, 4) + 0
			else if ($i ~ /^35=/) t = substr($i, 4)
			else if ($i ~ /^123=/) gf = substr($i, 5)
			else if ($i ~ /^36=/) nx = substr($i, 4) + 0
		}
		if (t == "4" && gf != "Y") { want = nx; next }
		if (s != want) {
			printf "'"$1"' message %d: 34=%d, expected %d\n",
			    NR, s, want
			bad++
		}
		want = t == "4" ? nx : s + 1
	}
	END { printf "'"$1"': %d messages, next %d\n", NR, want; exit bad > 0 }'
}

@test "fixsession logs on to the executor, 200 fills, SIGTERM logs out" {
	N=200
	start_fs in
	until_true 15 logons_at_least 1
	orders 1 "$N" >&7
	until_true 20 fills_at_least "$N"
	kill -TERM "$FS_PID"
	rc=0
	wait "$FS_PID" || rc=$?
	FS_PID=
	exec 7>&-
	cat "$tmp/fs.err"
	[ "$rc" -eq 0 ]

	# One fill per order on stdout, each a wire ExecutionReport a line.
	tr '\001' '|' < "$tmp/fills" > "$tmp/fills.txt"
	[ "$(grep -c '^8=FIX\.4\.4|9=[0-9]*|35=8|.*|10=[0-9]\{3\}|$' \
	    "$tmp/fills.txt")" -eq "$N" ]
	[ "$(wc -l < "$tmp/fills.txt")" -eq "$N" ]
	grep '|39=2|' "$tmp/fills.txt" | grep -o '|11=[^|]*|' | cut -d= -f2 |
	    tr -d '|' | sort > "$tmp/got"
	seq 1 "$N" | sed 's/^/ID/' | sort > "$tmp/want"
	diff "$tmp/want" "$tmp/got"

	# The executor saw the Logout and answered it.
	grep -q 'Received logout request' "$ed/executor.out"

	# The store has both directions, numbered without a gap.
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ids out D | sort -u | wc -l)" -eq "$N" ]
	[ "$(ids out D | wc -l)" -eq "$N" ]
	[ "$(ids in 8 | sort -u | wc -l)" -eq "$N" ]
	[ "$(fixstore -S "$db" dump -d out -m A,5 "$SID" | wc -l)" -eq 2 ]
	[ "$(fixstore -S "$db" dump -d in -m A,5 "$SID" | wc -l)" -eq 2 ]
	run seq_ok out
	echo "$output"
	[ "$status" -eq 0 ]
	run seq_ok in
	echo "$output"
	[ "$status" -eq 0 ]
}

# stream FILE: write the orders of FILE to fd 7 from the background, in
# bursts of 50 every 10 ms (some thousands a second), so that orders and
# fills are in flight when fixsession is killed; the writer's pid is WPID.
stream() {
	rm -f "$tmp"/chunk.*
	split -l 50 "$1" "$tmp/chunk."
	(
		for f in "$tmp"/chunk.*; do
			cat "$f"
			sleep 0.01
		done
	) >&7 3>&- &
	WPID=$!
}

# crash: SIGKILL fixsession, stop the writer, and drop the FIFO with
# whatever it still holds; then list in tmp/again the ClOrdIDs that
# fixsession did not commit.  What it committed it sends (or resends)
# itself after the restart; the rest is the application's to send again.
crash() {
	kill -KILL "$FS_PID"
	wait "$FS_PID" 2>/dev/null || true
	FS_PID=
	kill "$WPID" 2>/dev/null || true
	wait "$WPID" 2>/dev/null || true
	WPID=
	exec 7>&-
	ids out D | sort > "$tmp/committed"
	[ -z "$(uniq -d "$tmp/committed")" ] || {
		echo "an order was stored twice:"
		uniq -d "$tmp/committed"
		return 1
	}
	comm -23 "$tmp/all" "$tmp/committed" > "$tmp/again"
	echo "killed after $(tr '\001' '|' < "$tmp/fills" |
	    grep -c '|35=8|') fills on stdout; committed" \
	    "$(wc -l < "$tmp/committed") orders, $(wc -l < "$tmp/again")" \
	    "to send again"
}

# kill_twice: orders streamed, fixsession SIGKILLed twice in the middle
# and restarted on its store; every order is sent and filled once.
kill_twice() {
	N=2000
	seq 1 "$N" | sed 's/^/ID/' | sort > "$tmp/all"
	start_fs in1
	until_true 15 logons_at_least 1
	orders 1 "$N" > "$tmp/orders"
	stream "$tmp/orders"
	until_true 20 fills_at_least $((N / 4))
	crash
	[ -s "$tmp/committed" ] && [ -s "$tmp/again" ]

	start_fs in2
	until_true 15 logons_at_least 2
	orders_of < "$tmp/again" > "$tmp/orders"
	stream "$tmp/orders"
	until_true 20 fills_at_least $((N / 2))
	crash

	start_fs in3
	until_true 15 logons_at_least 3
	orders_of < "$tmp/again" >&7
	until_true 30 store_fills_at_least "$N"
	kill -TERM "$FS_PID"
	rc=0
	wait "$FS_PID" || rc=$?
	FS_PID=
	exec 7>&-
	grep -v ' out 8=\| in 8=' "$tmp/fs.err"
	[ "$rc" -eq 0 ]

	# Every ClOrdID was sent once and filled once, as the store tells.
	ids out D | sort > "$tmp/sent"
	diff "$tmp/all" "$tmp/sent"
	ids in 8 | sort > "$tmp/filled"
	diff "$tmp/all" "$tmp/filled"

	# Sequence numbers run on across the kill, both ways; the hash
	# chain holds.
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	run seq_ok out
	echo "$output"
	[ "$status" -eq 0 ]
	run seq_ok in
	echo "$output"
	[ "$status" -eq 0 ]
	pd=$(printf '\00143=Y\001')
	echo "stored with PossDupFlag: out" \
	    "$(fixstore -S "$db" dump -d out "$SID" | grep -c "$pd")," \
	    "in $(fixstore -S "$db" dump -d in "$SID" | grep -c "$pd")"

	# The application never got a fill twice.  (A fill committed just
	# before the kill but not yet written to the pipe is in the store
	# only; such fills are counted, not failed.)
	tr '\001' '|' < "$tmp/fills" | grep -o '|11=[^|]*|' | cut -d= -f2 |
	    tr -d '|' | sort > "$tmp/stdout"
	[ -z "$(uniq -d "$tmp/stdout")" ]
	echo "fills in the store but not on stdout:" \
	    "$(comm -23 "$tmp/filled" "$tmp/stdout" | wc -l)"
	[ -z "$(comm -13 "$tmp/filled" "$tmp/stdout")" ]
}

@test "SIGKILL mid-stream twice, restart on the store: each order filled once" {
	kill_twice
}

@test "the same with StoreLog=Y: what the log held reaches the store" {
	sed -i 's/^StoreDurability=full$/&\nStoreLog=Y/' "$tmp/fs.conf"
	grep -q '^StoreLog=Y$' "$tmp/fs.conf"
	kill_twice
}

@test "the same with StoreDurability=process and StoreLog=Y: a SIGKILL still loses nothing" {
	sed -i 's/^StoreDurability=full$/StoreDurability=process\nStoreLog=Y/' \
	    "$tmp/fs.conf"
	grep -q '^StoreDurability=process$' "$tmp/fs.conf"
	kill_twice
}
