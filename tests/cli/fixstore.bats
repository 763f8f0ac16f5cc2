#!/usr/bin/env bats
# fixstore: every sub-command, the refusals, damaged and unknown stores,
# a full disk, read-only files, credentials that never show, archives.
#
# Test stores are made with `fixstore import` of the example log (the EXEC
# side of a session with CLIENT1: 22 messages, 11 each way) and changed
# behind fixstore's back with the sqlite3 CLI where a test needs a state
# that only a running fixsession would make (online, a lease held).

load helpers

S='FIX.4.4:EXEC->CLIENT1'
LOG="$ex/FIX.4.4-EXEC-CLIENT1.messages.log"

setup() {
	tmp="$BATS_TEST_TMPDIR"
	db="$tmp/t.db"
	unset FIXUTIL_STORE
}

teardown() {
	if [ -n "${ro:-}" ]; then
		chmod -R u+w "$ro" 2> /dev/null
		rm -rf "$ro"
	fi
	if [ -n "${pid:-}" ]; then
		kill "$pid" 2> /dev/null || true
	fi
	if [ -n "${mnt:-}" ]; then
		umount "$mnt" 2> /dev/null || true
	fi
}

# mkstore [DB]: the example log imported.
mkstore() {
	fixstore -S "${1:-$db}" import -s "$S" "$LOG" > /dev/null
}

# q SQL: one value from the store with the sqlite3 CLI.
q() {
	sqlite3 "$db" "$1"
}

need_jq() {
	command -v jq > /dev/null || skip "jq not installed"
}

need_sqlite3() {
	command -v sqlite3 > /dev/null || skip "sqlite3 CLI not installed"
}

# The messages of a QuickFIX log, one a line, prefix removed.
log_messages() {
	sed 's/^[0-9-]*:[0-9:.]* : //' "$1"
}

# ---- usage --------------------------------------------------------------------

@test "usage: -h exits 0 and names every command; no command exits 2" {
	run fixstore -h
	[ "$status" -eq 0 ]
	for c in list show dump events reset set-seq verify import archive \
	    purge passwd; do
		[[ "$output" == *"  $c "* ]]
	done
	run fixstore
	[ "$status" -eq 2 ]
	run fixstore frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run fixstore list -Z
	[ "$status" -eq 2 ]
}

# ---- import -------------------------------------------------------------------

@test "import: a QuickFIX message log creates the store and the session" {
	run fixstore -S "$db" import -s "$S" "$LOG"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"22 messages, 0 skipped, 0 bad; next out 15, next in 9"* ]]
	[ -f "$db" ]
}

@test "import: the same log again skips every message" {
	need_jq
	mkstore
	run fixstore -S "$db" import -s "$S" "$LOG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 messages, 22 skipped, 0 bad"* ]]
	[ "$(fixstore -S "$db" -j list | jq .messages_all)" -eq 22 ]
}

@test "import: a damaged message is counted as bad and exits 3" {
	{
		head -n 3 "$LOG"
		printf '20261122-09:31:00.000 : '
		fix FIX.4.4 '35=0|49=CLIENT1|56=EXEC|34=12|52=20261122-09:31:00|' |
		    sed 's/10=[0-9]*/10=000/'
		echo
	} > "$tmp/bad.log"
	run fixstore -S "$db" import -s "$S" "$tmp/bad.log"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"3 messages, 0 skipped, 1 bad"* ]]
	[[ "$output" == *"bad.log"* ]]
}

@test "import: bad session id, -f with logs, no files: exit 2" {
	run fixstore -S "$db" import -s 'FIX.4.4:EXEC' "$LOG"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" import -s "$S" -f "$LOG"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" import -s "$S"
	[ "$status" -eq 2 ]
	[ ! -e "$db" ]
}

@test "import: a missing file is exit 5, a directory without a FileStore 3" {
	run fixstore -S "$db" import -s "$S" "$tmp/none.log"
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $db: $tmp/none.log: "* ]]
	run fixstore -S "$db" import "$tmp/none"
	[ "$status" -eq 5 ]
	[ ! -e "$db" ]
	mkdir "$tmp/empty"
	run fixstore -S "$db" import "$tmp/empty"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"$tmp/empty"* ]]
}

# A QuickFIX FileStore for FIX.4.4 EXEC->CLIENT2: two sent messages, next
# sender 3, next target 5.
mkfilestore() {
	local d=$1 p=FIX.4.4-EXEC-CLIENT2 m1 m2
	mkdir -p "$d"
	fix FIX.4.4 '35=0|49=EXEC|56=CLIENT2|34=1|52=20261122-09:30:00|' > "$tmp/m1"
	fix FIX.4.4 '35=0|49=EXEC|56=CLIENT2|34=2|52=20261122-09:30:30|' > "$tmp/m2"
	cat "$tmp/m1" "$tmp/m2" > "$d/$p.body"
	m1=$(wc -c < "$tmp/m1") m2=$(wc -c < "$tmp/m2")
	printf '1,0,%d 2,%d,%d ' "$m1" "$m1" "$m2" > "$d/$p.header"
	printf '0000000003 : 0000000005' > "$d/$p.seqnums"
	printf '20261122-09:29:59' > "$d/$p.session"
}

@test "import: a QuickFIX FileStore directory; again only with -f" {
	need_jq
	mkfilestore "$tmp/fs"
	run fixstore -S "$db" import "$tmp/fs"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 messages"*"next out 3, next in 5"* ]]
	run fixstore -S "$db" -j show 'FIX.4.4:EXEC->CLIENT2'
	[ "$(echo "$output" | jq .next_out)" -eq 3 ]
	[ "$(echo "$output" | jq .next_in)" -eq 5 ]
	[ "$(echo "$output" | jq .messages_out)" -eq 2 ]
	run fixstore -S "$db" import "$tmp/fs"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"-f"* ]]
	run fixstore -S "$db" import -f "$tmp/fs"
	[ "$status" -eq 0 ]
}

# ---- list ---------------------------------------------------------------------

@test "list: a header and aligned columns; -H without it; -q ids only" {
	mkstore
	fixstore -S "$db" import -s 'FIX.4.4:EXEC->CLIENT1:B' "$LOG" > /dev/null
	run fixstore -S "$db" list
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "ID  SESSION"*"STATE"*"EPOCH"*"NEXTOUT"*"NEXTIN"*"IN"*"OUT"*"ALL"*"LAST" ]]
	read -r id sid state epoch out in nin nout all last <<< "${lines[1]}"
	[ "$id" = 1 ] && [ "$sid" = "$S" ] && [ "$state" = offline ]
	[ "$epoch" = 1 ] && [ "$out" = 15 ] && [ "$in" = 9 ]
	[ "$nin" = 8 ] && [ "$nout" = 14 ] && [ "$all" = 22 ]
	# the columns line up: STATE starts at the same place on every line
	c0=$(awk '{ print index($0, "STATE") }' <<< "${lines[0]}")
	c1=$(awk '{ print index($0, "offline") }' <<< "${lines[1]}")
	c2=$(awk '{ print index($0, "offline") }' <<< "${lines[2]}")
	[ "$c0" -eq "$c1" ] && [ "$c1" -eq "$c2" ]
	run fixstore -S "$db" list -H
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == "1  $S "* ]]
	run fixstore -S "$db" list -q
	[ "$output" = "$S"$'\n'"$S:B" ]
}

@test "list -j: one JSON object a session" {
	command -v python3 > /dev/null || skip "python3 not installed"
	mkstore
	run fixstore -S "$db" -j list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["session"] == "FIX.4.4:EXEC->CLIENT1", s
assert s["sender"] == "EXEC" and s["target"] == "CLIENT1"
assert (s["next_out"], s["next_in"], s["epoch"]) == (15, 9, 1), s
assert (s["messages_in"], s["messages_out"], s["messages_all"]) == (8, 14, 22)
assert s["online"] == 0 and s["credentials"] is False
' "$output"
}

@test "list: an empty store prints the header only" {
	mkstore
	sqlite3 "$db" 'DELETE FROM messages; DELETE FROM epochs; DELETE FROM events; DELETE FROM sessions;' 2> /dev/null ||
	    skip "sqlite3 CLI not installed"
	run fixstore -S "$db" list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	run fixstore -S "$db" list -q
	[ -z "$output" ]
}

# ---- show, events -------------------------------------------------------------

@test "show: the session in detail, by session id and by number" {
	mkstore
	run fixstore -S "$db" show "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"session        $S"* ]]
	[[ "$output" == *"store          $db"* ]]
	[[ "$output" == *"state          offline"* ]]
	[[ "$output" == *"next out       15"* ]]
	[[ "$output" == *"credentials    not set"* ]]
	[[ "$output" == *"epochs:"*"1 "*"created"* ]]
	by_id=$(fixstore -S "$db" show 1)
	[ "$by_id" = "$output" ]
}

@test "show -j: epochs, events, leases, credentials" {
	need_jq
	need_sqlite3
	mkstore
	fixstore -S "$db" reset -y "$S" > /dev/null
	q "INSERT INTO events (session, time_ns, kind, text) VALUES (1, 1, 'logon', 'hello')"
	run fixstore -S "$db" -j show "$S"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.epoch == 2 and (.epochs | length) == 2 and
	    .epochs[1].reason == "fixstore reset" and
	    (.events | map(select(.kind == "logon" and .text == "hello")) | length) == 1 and
	    .leases == [] and .credentials == false and .next_out == 1'
}

@test "show: unknown session exits 1, a malformed one 2" {
	mkstore
	run fixstore -S "$db" show 'FIX.4.4:EXEC->NOBODY'
	[ "$status" -eq 1 ]
	[[ "$output" == *"$db: no session FIX.4.4:EXEC->NOBODY"* ]]
	run fixstore -S "$db" show 99
	[ "$status" -eq 1 ]
	run fixstore -S "$db" show 'EXEC->CLIENT1'
	[ "$status" -eq 2 ]
	run fixstore -S "$db" show
	[ "$status" -eq 2 ]
}

@test "events: one line each, oldest first" {
	need_sqlite3
	mkstore
	q "INSERT INTO events (session, time_ns, kind, text) VALUES
	    (1, 1795080000000000000, 'logon', 'from 10.0.0.7'),
	    (1, 1795080001000000000, 'gap', 'expected 5, got 7')"
	run fixstore -S "$db" events "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"logon from 10.0.0.7"*"gap expected 5, got 7"* ]]
	[[ "${lines[-1]}" == 2026*" gap expected 5, got 7" ]]
}

# ---- dump ---------------------------------------------------------------------

@test "dump: the wire messages exactly as logged, fixdec reads them" {
	mkstore
	fixstore -S "$db" dump "$S" > "$tmp/out"
	log_messages "$LOG" > "$tmp/want"
	cmp "$tmp/out" "$tmp/want"
	run bash -c "fixstore -S '$db' dump '$S' | fixdec | grep -c '|35='"
	[ "$output" -eq 22 ]
}

@test "dump -d: one direction" {
	mkstore
	run bash -c "fixstore -S '$db' dump -d out '$S' | fixdec"
	[ "${#lines[@]}" -eq 14 ]
	! printf '%s\n' "${lines[@]}" | grep -v '|49=EXEC|'
	run bash -c "fixstore -S '$db' dump -d in '$S' | fixdec"
	[ "${#lines[@]}" -eq 8 ]
	! printf '%s\n' "${lines[@]}" | grep -v '|49=CLIENT1|'
	run fixstore -S "$db" dump -d sideways "$S"
	[ "$status" -eq 2 ]
}

@test "dump -s, -m: sequence range and MsgTypes" {
	mkstore
	run bash -c "fixstore -S '$db' dump -d out -s 5-7 '$S' | fixdec"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"|34=5|"* && "${lines[2]}" == *"|34=7|"* ]]
	run bash -c "fixstore -S '$db' dump -s 10- '$S' | fixdec | grep -c ."
	[ "$output" -eq 5 ]
	run bash -c "fixstore -S '$db' dump -s 3 '$S' | fixdec | grep -c '|34=3|'"
	[ "$output" -eq 2 ]
	run bash -c "fixstore -S '$db' dump -m D,8 '$S' | fixdec"
	[ "${#lines[@]}" -eq 12 ]
	! printf '%s\n' "${lines[@]}" | grep -vE '\|35=(D|8)\|'
	run fixstore -S "$db" dump -s 9-3 "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" dump -m 'D;8' "$S"
	[ "$status" -eq 2 ]
}

@test "dump -a/-b: a time range, in UTC" {
	mkstore
	run bash -c "fixstore -S '$db' dump -a 19700102 '$S' | wc -l"
	[ "$output" -eq 22 ]
	run bash -c "fixstore -S '$db' dump -b 19700102-00:00:00 '$S' | wc -l"
	[ "$output" -eq 0 ]
	run bash -c "fixstore -S '$db' dump -a 21991231 '$S' | wc -l"
	[ "$output" -eq 0 ]
	run fixstore -S "$db" dump -a 29991231 "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" dump -a yesterday "$S"
	[ "$status" -eq 2 ]
	[[ "$output" == *"YYYYMMDD-HH:MM:SS"* ]]
}

@test "dump -e: the current epoch by default, others on request" {
	mkstore
	fixstore -S "$db" reset -y "$S" > /dev/null
	fix FIX.4.4 '35=0|49=CLIENT1|56=EXEC|34=1|52=20261122-10:00:00|' |
	    sed 's/^/20261122-10:00:00.000 : /' > "$tmp/e2.log"
	echo >> "$tmp/e2.log"
	fixstore -S "$db" import -s "$S" "$tmp/e2.log" > /dev/null
	[ "$(fixstore -S "$db" dump "$S" | wc -l)" -eq 1 ]
	[ "$(fixstore -S "$db" dump -e 1 "$S" | wc -l)" -eq 22 ]
	[ "$(fixstore -S "$db" dump -e all "$S" | wc -l)" -eq 23 ]
	run fixstore -S "$db" dump -e 0 "$S"
	[ "$status" -eq 2 ]
}

@test "dump -f: a message stored while it runs is printed, SIGTERM ends it" {
	mkstore
	fixstore -S "$db" dump -f -d in "$S" > "$tmp/follow" 3>&- &
	pid=$!
	for i in $(seq 50); do
		[ "$(wc -l < "$tmp/follow")" -eq 8 ] && break
		sleep 0.1
	done
	[ "$(wc -l < "$tmp/follow")" -eq 8 ]
	fix FIX.4.4 '35=0|49=CLIENT1|56=EXEC|34=9|52=20261122-09:31:00|' |
	    sed 's/^/20261122-09:31:00.000 : /' > "$tmp/more.log"
	echo >> "$tmp/more.log"
	fixstore -S "$db" import -s "$S" "$tmp/more.log" > /dev/null
	for i in $(seq 50); do
		[ "$(wc -l < "$tmp/follow")" -eq 9 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid"
	pid=
	[ "$(wc -l < "$tmp/follow")" -eq 9 ]
	tail -n 1 "$tmp/follow" | grep -q $'\00134=9\001'
}

# ---- reset, set-seq -----------------------------------------------------------

@test "reset: new epoch, next 1/1, old messages kept" {
	need_jq
	mkstore
	run fixstore -S "$db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$S: epoch 2, next out 1, next in 1" ]
	run fixstore -S "$db" -j show "$S"
	echo "$output" | jq -e '.epoch == 2 and .next_out == 1 and
	    .next_in == 1 and .messages_all == 22 and .messages_in == 0'
	[ "$(fixstore -S "$db" dump -e 1 "$S" | wc -l)" -eq 22 ]
}

@test "reset: without a terminal and without -y it proceeds (scripts)" {
	mkstore
	run fixstore -S "$db" reset "$S" < /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"epoch 2"* ]]
}

@test "reset: refused while the session is online; -f overrides" {
	need_sqlite3
	mkstore
	q 'UPDATE sessions SET online = 1'
	run fixstore -S "$db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "fixstore: $db: $S is online"* ]]
	[ "$(q 'SELECT epoch FROM sessions')" -eq 1 ]
	run fixstore -S "$db" reset -fy "$S"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT epoch FROM sessions')" -eq 2 ]
}

@test "reset: refused while a lease is held (the holder named); -f overrides" {
	need_sqlite3
	mkstore
	q "INSERT INTO leases VALUES ('exec-primary', 'node-a:4242', 7, 0, 0, 9000000000000000000)"
	run fixstore -S "$db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"lease exec-primary is held by node-a:4242"* ]]
	[ "$(q 'SELECT epoch FROM sessions')" -eq 1 ]
	run fixstore -S "$db" show "$S"
	[[ "$output" == *"exec-primary"*"held by node-a:4242, token 7"* ]]
	run fixstore -S "$db" reset -f -y "$S"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT epoch FROM sessions')" -eq 2 ]
}

@test "reset: an expired or free lease does not block" {
	need_sqlite3
	mkstore
	q "INSERT INTO leases VALUES ('old', 'node-b:1', 3, 0, 0, 1),
	    ('free', '', 4, 0, 0, 9000000000000000000)"
	run fixstore -S "$db" reset -y "$S"
	[ "$status" -eq 0 ]
}

@test "set-seq: next outbound and inbound; refused online unless -f" {
	need_sqlite3
	mkstore
	run fixstore -S "$db" set-seq -y -o 100 "$S"
	[ "$status" -eq 0 ]
	[ "$output" = "$S: epoch 1, next out 100, next in 9" ]
	run fixstore -S "$db" set-seq -i 50 "$S" < /dev/null
	[ "$output" = "$S: epoch 1, next out 100, next in 50" ]
	q 'UPDATE sessions SET online = 1'
	run fixstore -S "$db" set-seq -y -o 7 "$S"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is online"* ]]
	run fixstore -S "$db" set-seq -fy -o 7 -i 8 "$S"
	[ "$status" -eq 0 ]
	[ "$(q 'SELECT next_out || "/" || next_in FROM sessions')" = 7/8 ]
	run fixstore -S "$db" set-seq -y "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" set-seq -y -o 0 "$S"
	[ "$status" -eq 2 ]
}

# ---- verify -------------------------------------------------------------------

@test "verify: a good store passes with a summary line" {
	mkstore
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$db: 1 session, 22 messages, 0 problems" ]
	run fixstore -S "$db" verify "$S"
	[ "$status" -eq 0 ]
}

@test "verify: a changed message is found and named" {
	need_sqlite3
	mkstore
	q "UPDATE messages SET raw = CAST(replace(CAST(raw AS TEXT), 'MSFT', 'MSFX') AS BLOB) WHERE id = 3"
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fixstore: $db: $S: "* ]]
	[[ "$output" == *"$db: 1 session, 22 messages, "[1-9]*" problem"* ]]
}

# ---- damaged and unknown stores ----------------------------------------------------

@test "no such store: exit 5, the file named" {
	run fixstore -S "$tmp/none.db" list
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $tmp/none.db: no such store"* ]]
	[ ! -e "$tmp/none.db" ]
}

@test "a file that is not a database: exit 3" {
	echo 'hello, I am not SQLite' > "$db"
	run fixstore -S "$db" list
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "fixstore: $db: "* ]]
}

@test "a corrupt database: exit 3 naming the file" {
	need_sqlite3
	mkstore
	q 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
	size=$(stat -c %s "$db")
	# garbage over every page after the first (the schema page is kept)
	dd if=/dev/urandom of="$db" bs=4096 seek=1 count=$((size / 4096)) \
	    conv=notrunc 2> /dev/null
	run bash -c "fixstore -S '$db' verify; fixstore -S '$db' dump '$S' > /dev/null"
	echo "$output"
	[[ "$output" == *"fixstore: $db: "* ]]
	run fixstore -S "$db" verify
	[ "$status" -eq 3 ] || [ "$status" -eq 1 ]
	dd if=/dev/urandom of="$db" bs=1 seek=20 count=80 conv=notrunc 2> /dev/null
	run fixstore -S "$db" list
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "fixstore: $db: "* ]]
}

@test "a store of a newer schema version: exit 3, not changed" {
	need_sqlite3
	mkstore
	q 'PRAGMA user_version = 99'
	run fixstore -S "$db" list
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "fixstore: $db: "*"schema"* ]]
	run fixstore -S "$db" reset -y "$S"
	[ "$status" -eq 3 ]
	[ "$(q 'PRAGMA user_version')" -eq 99 ]
}

# ---- where the store is ------------------------------------------------------------

@test "store path: -S, then StorePath of -c, then \$FIXUTIL_STORE, then ./fixutil.db" {
	need_jq
	mkstore "$tmp/a.db"
	mkstore "$tmp/b.db"
	fixstore -S "$tmp/b.db" reset -y "$S" > /dev/null
	mkstore "$tmp/fixutil.db"
	printf '[DEFAULT]\nStorePath=%s\n[SESSION]\nTargetCompID=X\n' \
	    "$tmp/b.db" > "$tmp/s.cfg"
	epoch() { "$@" -j list | jq .epoch; }
	[ "$(cd "$tmp" && epoch fixstore)" -eq 1 ]
	[ "$(FIXUTIL_STORE=$tmp/b.db epoch fixstore)" -eq 2 ]
	[ "$(epoch fixstore -c "$tmp/s.cfg")" -eq 2 ]
	[ "$(FIXUTIL_STORE=$tmp/a.db epoch fixstore -c "$tmp/s.cfg")" -eq 2 ]
	[ "$(epoch fixstore -c "$tmp/s.cfg" -S "$tmp/a.db")" -eq 1 ]
	run fixstore -c "$tmp/s.cfg" show "$S"
	[[ "$output" == *"store          $tmp/b.db"* ]]
}

@test "settings: a bad line or a missing file is reported with its place" {
	printf '[DEFAULT]\nStorePath=x.db\nnonsense\n' > "$tmp/bad.cfg"
	run fixstore -c "$tmp/bad.cfg" list
	[ "$status" -eq 3 ]
	[ "$output" = "fixstore: $tmp/bad.cfg:3: neither a [section] nor Key=Value" ]
	printf '[DEFAULTS]\n' > "$tmp/bad.cfg"
	run fixstore -c "$tmp/bad.cfg" list
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad.cfg:1: unknown section [DEFAULTS]"* ]]
	run fixstore -c "$tmp/none.cfg" list
	[ "$status" -eq 5 ]
	[[ "$output" == *"none.cfg"* ]]
}

# ---- full disk, read-only -------------------------------------------------------------

# mount_tmpfs DIR SIZE: a small tmpfs, or skip.
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2" tmpfs "$1" 2> /dev/null ||
	    skip "cannot mount a tmpfs (needs root)"
	mnt=$1
}

@test "disk full: reset and import fail with exit 5, the store still verifies" {
	need_jq
	mount_tmpfs "$tmp/small" 1m
	mkstore "$mnt/t.db"
	db="$mnt/t.db"
	# fill it, then free just enough for SQLite's shared memory file
	dd if=/dev/zero of="$mnt/fill" bs=4k 2> /dev/null || true
	truncate -s -32K "$mnt/fill"
	run fixstore -S "$db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $db: "*"disk full"* ]]
	for i in $(seq 1 300); do
		printf '20261122-10:00:00.000 : '
		fix FIX.4.4 "35=0|49=CLIENT1|56=EXEC|34=$((i + 100))|52=20261122-10:00:00|58=$(printf '%0200d' "$i")|"
		echo
	done > "$tmp/big.log"
	run fixstore -S "$db" import -s "$S" "$tmp/big.log"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"fixstore: $db: "*"disk full"* ]]
	rm -f "$mnt/fill"
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(fixstore -S "$db" -j list | jq '.epoch, .messages_all' | tr '\n' ' ')" = "1 22 " ]
}

@test "archive on a full disk: exit 5, no partial archive left, nothing purged" {
	need_jq
	mkstore
	fixstore -S "$db" reset -y "$S" > /dev/null
	mount_tmpfs "$tmp/small" 64k
	dd if=/dev/zero of="$mnt/fill" bs=4k 2> /dev/null || true
	run fixstore -S "$db" archive -D -e 1 -o "$mnt/a.fix" "$S"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"disk full"* ]]
	[ ! -e "$mnt/a.fix" ]
	[ "$(fixstore -S "$db" -j list | jq .messages_all)" -eq 22 ]
}

# as_nobody: run the remaining words as an unprivileged user (root ignores
# file modes), or skip.  Sets ro, a directory everybody can enter.
as_nobody_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch to nobody"
	command -v setpriv > /dev/null || skip "no setpriv"
	ro=$(mktemp -d /tmp/fixstore-ro.XXXXXX)
	chmod 0755 "$ro"
}

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

@test "read-only store file: writers fail with exit 5, readers work" {
	as_nobody_setup
	mkstore "$ro/t.db"
	chmod 0444 "$ro/t.db"
	# the directory stays writable: a WAL reader creates t.db-shm there
	chmod 01777 "$ro"
	run as_nobody "$top/$build/bin/fixstore" -S "$ro/t.db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $ro/t.db: "*"read-only"* ]]
	run as_nobody "$top/$build/bin/fixstore" -S "$ro/t.db" list -q
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$S" ]
}

@test "read-only directory: writers fail with exit 5 naming the store" {
	as_nobody_setup
	mkdir "$ro/d"
	mkstore "$ro/d/t.db"
	chown 65534 "$ro/d/t.db"
	chmod 0555 "$ro/d"
	run as_nobody "$top/$build/bin/fixstore" -S "$ro/d/t.db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $ro/d/t.db: "* ]]
	[ "$(sqlite3 "$ro/d/t.db" 'SELECT epoch FROM sessions' 2> /dev/null || echo 1)" -eq 1 ]
}

@test "read-only file system: writers fail with exit 5" {
	mount_tmpfs "$tmp/ro" 4m
	mkstore "$mnt/t.db"
	mount -o remount,ro "$mnt" || skip "cannot remount read-only"
	run fixstore -S "$mnt/t.db" reset -y "$S"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == "fixstore: $mnt/t.db: "* ]]
	run fixstore -S "$mnt/t.db" import -s "$S" "$LOG"
	[ "$status" -eq 5 ]
}

# ---- passwd -------------------------------------------------------------------------

# grep_store WORD: does the store (and its WAL) hold WORD anywhere?
grep_store() {
	cat "$db" "$db-wal" 2> /dev/null | grep -a -c -- "$1"
}

@test "passwd -p: from a file; never printed, never stored in clear" {
	need_jq
	mkstore
	printf 's3cret-Pa55word\nsecond line\n' > "$tmp/pw"
	run fixstore -S "$db" passwd -u client1 -p "$tmp/pw" "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"s3cret"* ]]
	[ "$(fixstore -S "$db" -j show "$S" | jq .credentials)" = true ]
	run fixstore -S "$db" show "$S"
	[[ "$output" == *"credentials    set"* ]]
	[[ "$output" != *"s3cret"* ]]
	run grep_store s3cret-Pa55word
	[ "$output" -eq 0 ]
	run fixstore -S "$db" passwd -d "$S"
	[ "$status" -eq 0 ]
	[ "$(fixstore -S "$db" -j show "$S" | jq .credentials)" = false ]
}

@test "passwd -P: from a descriptor, never in argv" {
	need_jq
	mkstore
	mkfifo "$tmp/fifo"
	fixstore -S "$db" passwd -u client1 -P 3 "$S" 3< "$tmp/fifo" \
	    > "$tmp/out" 2>&1 &
	pid=$!
	exec 4> "$tmp/fifo"
	tr '\0' ' ' < "/proc/$pid/cmdline" > "$tmp/argv"
	ps -o args= -p "$pid" >> "$tmp/argv" 2> /dev/null || true
	echo 'fd-Pa55word' >&4
	exec 4>&-
	wait "$pid"
	grep -q 'passwd -u client1 -P 3' "$tmp/argv"
	! grep -q 'fd-Pa55word' "$tmp/argv" "$tmp/out"
	run grep_store fd-Pa55word
	[ "$output" -eq 0 ]
	[ "$(fixstore -S "$db" -j show "$S" | jq .credentials)" = true ]
}

# on_tty INPUT COMMAND: run COMMAND on a pseudo-terminal, typing the lines
# of INPUT (separated by spaces) half a second apart.
on_tty() {
	command -v script > /dev/null || skip "script(1) not installed"
	local line
	for line in $1; do
		sleep 0.5
		printf '%s\n' "$line"
	done | script -qec "$2" /dev/null
}

@test "passwd on a terminal: asked twice without echo; a mismatch changes nothing" {
	need_jq
	mkstore
	run on_tty 'tty-Pa55word tty-Pa55word' "fixstore -S $db passwd -u u1 1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Password for $S: "*"Again: "* ]]
	[[ "$output" != *"tty-Pa55word"* ]]
	[ "$(fixstore -S "$db" -j show 1 | jq .credentials)" = true ]
	fixstore -S "$db" passwd -d 1
	run on_tty 'one two' "fixstore -S $db passwd 1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"do not match"* ]]
	[ "$(fixstore -S "$db" -j show 1 | jq .credentials)" = false ]
}

@test "reset on a terminal: asks, and only y resets" {
	need_jq
	mkstore
	run on_tty n "fixstore -S $db reset 1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"reset $S to 1/1 (epoch 1 -> 2)? [y/N]"* ]]
	[[ "$output" == *"not reset"* ]]
	[ "$(fixstore -S "$db" -j list | jq .epoch)" -eq 1 ]
	run on_tty y "fixstore -S $db reset 1"
	[ "$status" -eq 0 ]
	[ "$(fixstore -S "$db" -j list | jq .epoch)" -eq 2 ]
}

@test "passwd: no terminal and no -p/-P, an empty password, -d with -p: refused" {
	need_jq
	mkstore
	run setsid fixstore -S "$db" passwd "$S" < /dev/null
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"use -p FILE or -P FD"* ]]
	: > "$tmp/empty"
	run fixstore -S "$db" passwd -p "$tmp/empty" "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" passwd -d -p "$tmp/empty" "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" passwd -p "$tmp/none" "$S"
	[ "$status" -eq 5 ]
	[ "$(fixstore -S "$db" -j show "$S" | jq .credentials)" = false ]
}

# ---- archive, purge ------------------------------------------------------------------

@test "archive -z: a gzip file that zcat | fixdec reads back" {
	need_jq
	mkstore
	run fixstore -S "$db" archive -z -b 21991231 -o "$tmp/a.fix.gz" "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "$S: 22 messages, "*" bytes archived to $tmp/a.fix.gz" ]]
	[ "$(head -c 2 "$tmp/a.fix.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ]
	[ "$(zcat "$tmp/a.fix.gz" | fixdec | wc -l)" -eq 22 ]
	log_messages "$LOG" > "$tmp/want"
	zcat "$tmp/a.fix.gz" | cmp - "$tmp/want"
	# nothing was deleted without -D
	[ "$(fixstore -S "$db" -j list | jq .messages_all)" -eq 22 ]
}

@test "archive: never overwrites a file; nothing to archive is exit 1" {
	mkstore
	echo keep > "$tmp/a.fix"
	run fixstore -S "$db" archive -b 21991231 -o "$tmp/a.fix" "$S"
	[ "$status" -eq 1 ]
	[ "$(cat "$tmp/a.fix")" = keep ]
	run fixstore -S "$db" archive -b 19700102 -o "$tmp/b.fix" "$S"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nothing archived"* ]]
	[ ! -e "$tmp/b.fix" ]
	run fixstore -S "$db" archive -o "$tmp/c.fix" "$S"
	[ "$status" -eq 2 ]
	run fixstore -S "$db" archive -b 21991231 -e 1 -o "$tmp/c.fix" "$S"
	[ "$status" -eq 2 ]
}

@test "archive -D: old epochs exported, checked, purged; verify still passes" {
	mkstore
	fixstore -S "$db" reset -y "$S" > /dev/null
	fix FIX.4.4 '35=0|49=CLIENT1|56=EXEC|34=1|52=20261122-10:00:00|' |
	    sed 's/^/20261122-10:00:00.000 : /' > "$tmp/e2.log"
	echo >> "$tmp/e2.log"
	fixstore -S "$db" import -s "$S" "$tmp/e2.log" > /dev/null
	run fixstore -S "$db" archive -D -e 1 -o "$tmp/e1.fix" "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"22 messages, "*", 22 deleted" ]]
	[ "$(fixdec "$tmp/e1.fix" | wc -l)" -eq 22 ]
	[ "$(fixstore -S "$db" dump -e all "$S" | wc -l)" -eq 1 ]
	run fixstore -S "$db" verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 problems" ]]
}

@test "purge: the current epoch is refused; by time every epoch is exported" {
	need_jq
	mkstore
	run fixstore -S "$db" purge -e 1 -o "$tmp/p.fix" "$S"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"current epoch"* ]]
	[ ! -e "$tmp/p.fix" ]
	fixstore -S "$db" reset -y "$S" > /dev/null
	run fixstore -S "$db" purge -z -b 21991231 -o "$tmp/p.fix.gz" "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *", 22 deleted" ]]
	[ "$(fixstore -S "$db" -j list | jq .messages_all)" -eq 0 ]
	run fixstore -S "$db" verify
	[ "$status" -eq 0 ]
	run fixstore -S "$db" purge -D -b 21991231 -o "$tmp/q.fix" "$S"
	[ "$status" -eq 2 ]
}
