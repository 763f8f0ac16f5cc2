#!/usr/bin/env bats
# Interop with QuickFIX C++: Debian's example executor (the real binary from
# libquickfix-doc) fills orders from a QuickFIX initiator
# (tests/interop/qf_client.cpp); fixstore then takes over the executor's
# FileStore and its message log, and what it stored must be exactly what
# QuickFIX wrote.  Everything talks over 127.0.0.1; the executor is always
# stopped in teardown_file, pass or fail.

load helpers

N=200
SID='FIX.4.4:EXECUTOR->CLIENT1'

# bats 1.8 cannot skip from setup_file: say why, and let setup() skip.
needs() {
	command -v g++ >/dev/null || { echo "g++ not installed"; return; }
	[ -f /usr/include/quickfix/Session.h ] ||
	    { echo "libquickfix-dev not installed"; return; }
	[ -d /usr/share/doc/libquickfix-doc/examples/executor/C++ ] ||
	    { echo "libquickfix-doc not installed"; return; }
	command -v fixstore >/dev/null || echo "fixstore not built"
}

setup_file() {
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	build=${FIXU_BUILD:-build}
	INTEROP_SKIP=$(needs)
	export INTEROP_SKIP
	[ -z "$INTEROP_SKIP" ] || return 0

	bin="$top/$build/interop"
	mkdir -p "$bin"
	if [ ! -x "$bin/qf_client" ] ||
	    [ "$top/tests/interop/qf_client.cpp" -nt "$bin/qf_client" ]; then
		# Debian's QuickFIX 1.15 headers need C++14, not 17.
		g++ -std=c++14 -O1 -Wall -Wno-deprecated \
		    -o "$bin/qf_client" "$top/tests/interop/qf_client.cpp" \
		    -lquickfix -lpthread 2> "$bin/qf_client.log" || {
			cat "$bin/qf_client.log" >&3
			return 1
		}
	fi

	ed="$BATS_FILE_TMPDIR/ex"
	mkdir -p "$ed"
	export ED="$ed"
	sh "$top/tests/interop/executor.sh" start "$ed" > "$ed/port" || return 1
	"$bin/qf_client" "$ed/client.cfg" "$N" 60 > "$ed/client.out" \
	    2> "$ed/client.err"
	echo $? > "$ed/client.rc"
	# The store is flushed message by message; stop before reading it.
	sh "$top/tests/interop/executor.sh" stop "$ed"

	db="$ed/s.db"
	fixstore -S "$db" import "$ed/store" > "$ed/import.out" \
	    2> "$ed/import.err"
	echo $? > "$ed/import.rc"
}

teardown_file() {
	if [ -n "${ED:-}" ]; then
		sh "$BATS_TEST_DIRNAME/../interop/executor.sh" stop "$ED"
	fi
}

setup() {
	[ -z "$INTEROP_SKIP" ] || skip "$INTEROP_SKIP"
	tmp="$BATS_TEST_TMPDIR"
	ed="$ED"
	db="$ed/s.db"
	prefix="$ed/store/FIX.4.4-EXECUTOR-CLIENT1"
}

@test "the QuickFIX client gets every order filled by the executor" {
	cat "$ed/client.out" "$ed/client.err"
	[ "$(cat "$ed/client.rc")" -eq 0 ]
	[ "$(cat "$ed/client.out")" = "sent $N filled $N" ]
	[ -s "$prefix.body" ] && [ -s "$prefix.header" ]
}

@test "fixstore import takes the FileStore over" {
	cat "$ed/import.out" "$ed/import.err"
	[ "$(cat "$ed/import.rc")" -eq 0 ]
	[ ! -s "$ed/import.err" ]
	nbody=$(tr ' ' '\n' < "$prefix.header" | grep -c ,)
	grep -q ": $nbody messages, 0 skipped, 0 bad;" "$ed/import.out"
}

@test "next numbers equal the executor's .seqnums" {
	# "SSSSSSSSSS : TTTTTTTTTT", no newline at the end.
	set -- $(cat "$prefix.seqnums")
	snd=$1 colon=$2 tgt=$3
	[ "$colon" = ":" ]
	snd=$((10#$snd)) tgt=$((10#$tgt))
	grep -q "next out $snd, next in $tgt\$" "$ed/import.out"
	run fixstore -S "$db" -j show "$SID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"next_out\":$snd"* || "$output" == *"\"next_out\": $snd"* ]]
	[[ "$output" == *"\"next_in\":$tgt"* || "$output" == *"\"next_in\": $tgt"* ]]
}

@test "as many outbound messages as FileStore bodies" {
	nbody=$(tr ' ' '\n' < "$prefix.header" | grep -c ,)
	nout=$(fixstore -S "$db" dump -d out "$SID" | wc -l)
	[ "$nout" -eq "$nbody" ]
	[ "$(fixstore -S "$db" dump -d in "$SID" | wc -l)" -eq 0 ]
}

@test "dump gives back the .body byte for byte, in order" {
	# One message a line; no message here holds a newline.
	fixstore -S "$db" dump -d out "$SID" | tr -d '\n' > "$tmp/out"
	cmp "$tmp/out" "$prefix.body"
}

@test "every ClOrdID 1..$N has a fill among the imported reports" {
	fixstore -S "$db" dump "$SID" | fixdec -m 8 -e 39=2 |
	    grep -o '|11=[0-9]*|' | cut -d= -f2 | tr -d '|' | sort -n -u > "$tmp/ids"
	seq 1 "$N" > "$tmp/want"
	diff "$tmp/want" "$tmp/ids"
}

@test "fixstore verify passes on the imported FileStore" {
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a second import is refused; -f imports into a new epoch" {
	cp "$db" "$tmp/s.db"
	run fixstore -S "$tmp/s.db" import "$ed/store"
	echo "$output"
	[ "$status" -eq 1 ]
	nbody=$(tr ' ' '\n' < "$prefix.header" | grep -c ,)
	run fixstore -S "$tmp/s.db" import -f "$ed/store"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(fixstore -S "$tmp/s.db" dump -d out "$SID" | wc -l)" -eq "$nbody" ]
	[ "$(fixstore -S "$tmp/s.db" dump -e all -d out "$SID" | wc -l)" -eq \
	    $((2 * nbody)) ]
}

@test "a damaged body is reported with its offset and left out" {
	cp -r "$ed/store" "$tmp/st"
	p="$tmp/st/FIX.4.4-EXECUTOR-CLIENT1"
	# Second entry: flip a byte of its CheckSum.
	off=$(tr ' ' '\n' < "$p.header" | sed -n 2p | cut -d, -f2)
	size=$(tr ' ' '\n' < "$p.header" | sed -n 2p | cut -d, -f3)
	printf 'X' | dd of="$p.body" bs=1 seek=$((off + size - 3)) \
	    conv=notrunc 2>/dev/null
	run fixstore -S "$tmp/d.db" import "$tmp/st"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"$p.body: offset $off:"* ]]
	[[ "$output" == *", 1 bad;"* ]]
}

@test "the executor's message log adds the inbound side, both directions" {
	cp "$db" "$tmp/s.db"
	# The executor logs to the screen (ScreenLogFactory); its stdout
	# is the message log: "<time, session, incoming>" then the message.
	log="$ed/executor.out"
	nin=$(grep -c 'incoming>' "$log")
	nout=$(grep -c 'outgoing>' "$log")
	[ "$nin" -gt "$N" ] && [ "$nout" -gt "$N" ]
	run fixstore -S "$tmp/s.db" import -s "$SID" "$log"
	echo "$output"
	[ "$status" -eq 0 ]
	# Outbound ones are there already, byte for byte: all skipped.
	[[ "${lines[0]}" == *": $nin messages, $nout skipped, 0 bad;"* ]]
	[ "$(fixstore -S "$tmp/s.db" dump -d in "$SID" | wc -l)" -eq "$nin" ]
	[ "$(fixstore -S "$tmp/s.db" dump -d out "$SID" | wc -l)" -eq "$nout" ]
	# Every order arrived, every fill left.
	[ "$(fixstore -S "$tmp/s.db" dump -d in -m D "$SID" | wc -l)" -eq "$N" ]
	[ "$(fixstore -S "$tmp/s.db" dump -d out -m 8 "$SID" | wc -l)" -eq "$N" ]
	set -- $(cat "$prefix.seqnums")
	snd=$1 tgt=$3
	[[ "${lines[0]}" == *"next out $((10#$snd)), next in $((10#$tgt))"* ]]
	run fixstore -S "$tmp/s.db" verify
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "the client's QuickFIX file log agrees: nothing new, nothing bad" {
	cp "$db" "$tmp/s.db"
	fixstore -S "$tmp/s.db" import -s "$SID" "$ed/executor.out" >/dev/null
	log="$ed/client-log/FIX.4.4-CLIENT1-EXECUTOR.messages.current.log"
	[ -s "$log" ]
	n=$(grep -c '8=FIX' "$log")
	# The same traffic seen from the other end: every message is stored.
	run fixstore -S "$tmp/s.db" import -s "$SID" "$log"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *": 0 messages, $n skipped, 0 bad;"* ]]
}

@test "a log imported into a fresh store keeps both directions in order" {
	log="$ed/client-log/FIX.4.4-CLIENT1-EXECUTOR.messages.current.log"
	run fixstore -S "$tmp/l.db" import -s "$SID" "$log"
	echo "$output"
	[ "$status" -eq 0 ]
	fixstore -S "$tmp/l.db" dump -d out "$SID" | tr -d '\n' > "$tmp/out"
	cmp "$tmp/out" "$prefix.body"
	n=$(grep -c ' : 8=FIX' "$log")
	[ "$(fixstore -S "$tmp/l.db" dump "$SID" | wc -l)" -eq "$n" ]
	run fixstore -S "$tmp/l.db" import -s "$SID" "$log"
	[[ "${lines[0]}" == *": 0 messages, $n skipped, 0 bad;"* ]]
}
