#!/usr/bin/env bats
# fixlock: both lease kinds -- mutual exclusion under contention, expiry,
# renewal failure, SIGKILL and SIGSTOP of the holder, a stale token refused
# by the store, release of a dead holder's lease, handover, the exit
# statuses and the status listing.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	tmp="$BATS_TEST_TMPDIR"
	db="$tmp/s.db"
	lock="$tmp/exec.lock"
	pids=
}

teardown() {
	for p in $pids; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	done
}

# bg CMD...: run in the background, remember the pid in $last and $pids.
bg() {
	"$@" 3>&- &
	last=$!
	pids="$pids $last"
}

# The token of a lease in the store, "" when never taken.
token_of() {
	fixlock -l -j -S "$db" | jq -r --arg n "$1" \
	    '.leases[] | select(.name == $n) | .token'
}

state_of() {
	fixlock -l -j -S "$db" | jq -r --arg n "$1" \
	    '.leases[] | select(.name == $n) | .state'
}

is_state() {	# LEASE STATE
	[ "$(state_of "$1")" = "$2" ]
}

exists() {
	[ -e "$1" ]
}

# contend KIND-OPTS: 12 processes at once, each appending "in T" and
# "out T" around a short critical section; no two may overlap and every
# token is new and larger than the one before.
# Waits for its own processes by pid: a bare `wait` would also wait for
# the sleep that times the test out (BATS_TEST_TIMEOUT).
contend() {
	local i pids=
	for i in $(seq 12); do
		fixlock "$@" -S "$db" race sh -c \
		    'echo "in $FIXLOCK_TOKEN" >> "$0"; sleep 0.05;
		     echo "out $FIXLOCK_TOKEN" >> "$0"' "$tmp/log" 3>&- &
		pids="$pids $!"
	done
	for i in $pids; do
		wait "$i"
	done
	[ "$(wc -l < "$tmp/log")" -eq 24 ]
	awk '
	    $1 == "in"  { if (inside) { print "overlap at " NR; bad = 1 }
	                  if ($2 <= last) { print "token " $2 " not new"; bad = 1 }
	                  inside = 1; last = $2; next }
	    $1 == "out" { if (!inside || $2 != last) { print "bad out at " NR; bad = 1 }
	                  inside = 0 }
	    END { exit bad }' "$tmp/log"
}

@test "fixlock: file lease, 12 processes contend, one at a time, tokens grow" {
	contend -f "$lock"
}

@test "fixlock: SQL lease, 12 processes contend, one at a time, tokens grow" {
	contend -T 1
}

@test "fixlock: the command's environment, status and signals pass through" {
	run fixlock -S "$db" exec sh -c 'echo "$FIXLOCK_LEASE $FIXLOCK_TOKEN $FIXLOCK_STORE"; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "exec 1 $db" ]
	run fixlock -f "$lock" -S "$db" exec sh -c 'kill -USR2 $$'
	[ "$status" -eq $((128 + 12)) ]
	# A "--" between the lease and the command is taken and dropped.
	run fixlock -S "$db" exec -- sh -c 'echo "$FIXLOCK_LEASE"'
	[ "$status" -eq 0 ]
	[ "$output" = exec ]
	run fixlock -S "$db" exec --
	[ "$status" -eq 2 ]
	run -127 fixlock -S "$db" exec /nonexistent/cmd
	[[ "$output" == *"/nonexistent/cmd: No such file or directory"* ]]
	# After each run the lease is free again, its last token kept.
	is_state exec free
	[ "$(token_of exec)" -eq 4 ]
}

@test "fixlock: inherited FIXLOCK_ variables are replaced, not doubled" {
	FIXLOCK_TOKEN=stale FIXLOCK_FD=9 FIXLOCK_LEASE=stale \
	    run fixlock -S "$db" exec sh -c 'env | grep "^FIXLOCK_" | sort'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" =~ ^FIXLOCK_HOLDER=[^:]+:[0-9]+$ ]]
	[ "${lines[1]}" = FIXLOCK_LEASE=exec ]
	[ "${lines[2]}" = "FIXLOCK_STORE=$db" ]
	[ "${lines[3]}" = FIXLOCK_TOKEN=1 ]
	# -W: the token comes on FIXLOCK_FD, none in the environment.  Read
	# as fixlock(1) says: the descriptor may be above 9, which dash's <&
	# cannot take.
	FIXLOCK_TOKEN=stale FIXLOCK_FD=stale \
	    run fixlock -W -S "$db" exec sh -c 'env | grep "^FIXLOCK_[FT]" | sed "s/=.*//"; read t < /dev/fd/$FIXLOCK_FD; echo "token $t"'
	[ "$status" -eq 0 ]
	[ "$output" = "FIXLOCK_FD
token 2" ]
}

@test "fixlock: usage errors exit 2 and say what is wrong" {
	run fixlock -S "$db" 'bad name' true
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad lease name 'bad name'"* ]]
	run fixlock -T 2h -S "$db" exec true
	[ "$status" -eq 2 ]
	[[ "$output" == *"-T: not a duration: '2h'"* ]]
	run fixlock -T 2 -g 1 -S "$db" exec true
	[ "$status" -eq 2 ]
	[[ "$output" == *"not under half the TTL"* ]]
	run fixlock -S "$db" exec
	[ "$status" -eq 2 ]
	run fixlock -b -S "$db" a b
	[ "$status" -eq 2 ]
	run fixlock -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run fixlock -S /nonexistent/dir/s.db exec true
	[ "$status" -eq 5 ]
	[[ "$output" == *"/nonexistent/dir/s.db"* ]]
	echo "not a database, just text that is long enough to be read" > "$tmp/junk.db"
	run fixlock -S "$tmp/junk.db" exec true
	[ "$status" -eq 3 ]
}

@test "fixlock: -n fails at once and -w gives up, naming the holder (both kinds)" {
	bg fixlock -I node-a -S "$db" sql sleep 30
	until_true 5 is_state sql held
	bg fixlock -I node-a -f "$lock" -S "$db" file sleep 30
	until_true 5 is_state file held
	run fixlock -n -S "$db" sql true
	[ "$status" -eq 1 ]
	[[ "$output" == *"lease sql is held by node-a@"*"(token 1, since "* ]]
	run fixlock -n -f "$lock" -S "$db" file true
	[ "$status" -eq 1 ]
	[[ "$output" == *"lease file is held by node-a@"*" file (token 2"* ]]
	run fixlock -w 0.3 -S "$db" sql true
	[ "$status" -eq 1 ]
	[[ "$output" == *"after the wait"* ]]
	run fixlock -w 0.3 -f "$lock" -S "$db" file true
	[ "$status" -eq 1 ]
	[[ "$output" == *"after the wait"* ]]
}

@test "fixlock: file lease, SIGKILL of the holder: the standby takes over at once, the command dies too" {
	# A TTL of a minute: only the kernel's release can explain a takeover.
	bg fixlock -T 60 -f "$lock" -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	bg fixlock -T 60 -f "$lock" -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN" > "$0"; exec sleep 300' "$tmp/standby"
	sleep 0.3
	[ ! -e "$tmp/standby" ]
	kill -KILL "$holder"
	until_true 5 exists "$tmp/standby"
	[ "$(cat "$tmp/standby")" -eq 2 ]
	until_true 5 gone "$(cat "$tmp/child")"
	run fixlock -l -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" == *"exec: held by "*"file, token 2"* ]]
}

@test "fixlock: SQL lease, SIGKILL of the holder: a waiter on this host takes it at once" {
	# A TTL of a minute: only the dead holder's pid can explain a takeover.
	bg fixlock -T 60 -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	bg fixlock -v -T 60 -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN" > "$0"; exec sleep 300' "$tmp/standby"
	sleep 0.3
	[ ! -e "$tmp/standby" ]
	kill -KILL "$holder"
	until_true 5 exists "$tmp/standby"
	[ "$(cat "$tmp/standby")" -eq 2 ]
	until_true 5 gone "$(cat "$tmp/child")"
}

@test "fixlock: SQL lease, SIGKILL of the holder, -E: taken once it expired, not before" {
	bg fixlock -T 5 -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	kill -KILL "$holder"
	until_true 5 gone "$(cat "$tmp/child")"
	bg fixlock -E -T 5 -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN" > "$0"; exec sleep 300' "$tmp/standby"
	# Renewed at most 1.25 s before the kill: held 3.75 s more at least.
	sleep 0.5
	[ ! -e "$tmp/standby" ]
	[ "$(state_of exec)" = held ]
	until_true 10 exists "$tmp/standby"
	[ "$(cat "$tmp/standby")" -eq 2 ]
}

@test "fixlock: SQL lease, SIGSTOP of the holder: the successor kills it once it overstayed, takes over; the old token is refused" {
	bg fixlock -T 1 -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	kill -STOP "$holder"
	run fixlock -T 1 -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"holder "*" overstayed its lease (stopped or hung): killed it"* ]]
	[ "${lines[-1]}" -eq 2 ]
	st=0
	wait "$holder" || st=$?
	[ "$st" -eq 137 ]
	until_true 5 gone "$(cat "$tmp/child")"
	# The store refuses token 1 now: a fixsession holding it cannot commit.
	port=$(free_port)
	acc_store=$db acceptor_cfg "$tmp/acc.cfg" CLIENT1
	FIXLOCK_LEASE=exec FIXLOCK_TOKEN=1 run fixsession -c "$tmp/acc.cfg" -- cat
	[ "$status" -eq 1 ]
	[[ "$output" == *"token 1 is no longer current"* ]]
}

@test "fixlock: SQL lease, SIGSTOP of the holder, -E: taken after the expiry; resumed, it stops its command and exits 1" {
	bg fixlock -T 1 -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	kill -STOP "$holder"
	bg fixlock -E -T 1 -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN" > "$0"; exec sleep 300' "$tmp/standby"
	until_true 10 exists "$tmp/standby"
	[ "$(cat "$tmp/standby")" -eq 2 ]
	kill -CONT "$holder"
	st=0
	wait "$holder" || st=$?
	[ "$st" -eq 1 ]
	gone "$(cat "$tmp/child")"
	[ "$(state_of exec)" = held ]
	[ "$(token_of exec)" -eq 2 ]
}

@test "fixlock: file lease, SIGSTOP of the holder: it keeps the lease (no deadline)" {
	bg fixlock -T 1 -f "$lock" -S "$db" exec sleep 300
	holder=$last
	until_true 5 is_state exec held
	kill -STOP "$holder"
	run fixlock -w 2.5 -f "$lock" -S "$db" exec true
	[ "$status" -eq 1 ]
	# Still stopped, past its row's expiry: the row alone says expired,
	# the lock file says held.
	run fixlock -l -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == "exec: expired by "*", expired "* ]]
	run fixlock -l -f "$lock" -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" == "exec: held by "*", expired "*"; the lock file is locked" ]]
	fixlock -l -j -f "$lock" -S "$db" exec | jq -e '.leases[0] |
	    .state == "held" and .file_locked and .expires_in_s < 0'
	kill -CONT "$holder"
	run fixlock -l -f "$lock" -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" == *"; the lock file is locked"* ]]
}

@test "fixlock: SQL lease, renewal blocked past the deadline: SIGTERM, then SIGKILL, exit 1" {
	bg fixlock -T 1 -g 0.2 -S "$db" exec sh -c 'trap "" TERM; echo $$ > "$0"; while :; do sleep 0.05; done' "$tmp/child"
	holder=$last
	until_true 5 exists "$tmp/child"
	# Hold the database's write lock for 3 s: every renewal waits.
	sqlite3 "$db" 'BEGIN IMMEDIATE;' '.shell sleep 3' 'COMMIT;' 3>&- &
	sq=$!
	st=0
	wait "$holder" || st=$?
	[ "$st" -eq 1 ]
	# The command ignored SIGTERM; SIGKILL took it before fixlock exited.
	gone "$(cat "$tmp/child")"
	wait "$sq"
}

@test "fixlock: a superseded token is noticed at the next renewal: the command is stopped (both kinds)" {
	for kind in "-T 1" "-f $lock"; do
		rm -f "$tmp/child"
		bg fixlock $kind -S "$db" exec sh -c 'echo $$ > "$0"; exec sleep 300' "$tmp/child"
		holder=$last
		until_true 5 exists "$tmp/child"
		run fixlock -b -F -S "$db" exec
		[ "$status" -eq 0 ]
		st=0
		wait "$holder" || st=$?
		[ "$st" -eq 1 ]
		gone "$(cat "$tmp/child")"
	done
}

@test "fixlock: -b frees a dead holder's lease, refuses a live one, -F forces" {
	bg fixlock -T 60 -S "$db" exec sleep 300
	holder=$last
	until_true 5 is_state exec held
	run fixlock -b -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == *"is alive: hand it over with -x, or force with -F"* ]]
	kill -KILL "$holder"
	until_true 5 gone "$holder"
	run fixlock -n -E -S "$db" exec true
	[ "$status" -eq 1 ]
	run fixlock -b -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" == *"released (was held by "*"token 1; that token stays refused)"* ]]
	run fixlock -n -S "$db" exec sh -c 'echo $FIXLOCK_TOKEN'
	[ "$status" -eq 0 ]
	[ "$output" = 2 ]
	run fixlock -b -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == *"lease exec is not held"* ]]
}

@test "fixlock: -b with a file lease: refused while the file is locked, frees a dead holder's row" {
	bg fixlock -T 60 -f "$lock" -S "$db" exec sleep 300
	holder=$last
	until_true 5 is_state exec held
	run fixlock -b -f "$lock" -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == *"is alive"* ]]
	kill -KILL "$holder"
	until_true 5 gone "$holder"
	# The kernel let the lock go; the row still names the dead holder.
	run fixlock -l -f "$lock" -S "$db" exec
	[[ "$output" == *"exec: held by "*" file, token 1,"*"; the lock file is not locked"* ]]
	run fixlock -b -f "$lock" -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" == *"released (was held by "*" file, token 1;"* ]]
	run fixlock -l -S "$db" exec
	[ "$status" -eq 1 ]
	[ "$output" = "exec: free (last token 1)" ]
}

@test "fixlock: -x hands over to a waiting standby at once (both kinds)" {
	for kind in "-T 60" "-f $lock"; do
		rm -f "$tmp/standby"
		bg fixlock $kind -S "$db" exec sh -c 'trap "echo logged-out > \"$0\"; kill \$!; exit 0" TERM; sleep 300 & wait' "$tmp/primary"
		primary=$last
		until_true 5 is_state exec held
		bg fixlock $kind -S "$db" exec sh -c 'echo "$FIXLOCK_TOKEN" > "$0"; exec sleep 300' "$tmp/standby"
		sleep 0.3
		run fixlock -x -S "$db" exec
		[ "$status" -eq 0 ]
		[[ "$output" == *"handed over from "*" to "* ]]
		wait "$primary"
		[ "$(cat "$tmp/primary")" = logged-out ]
		until_true 5 exists "$tmp/standby"
		kill -TERM "$last"
		wait "$last" || true
	done
	# Nobody waiting: released, but not handed over.
	bg fixlock -S "$db" exec sleep 300
	until_true 5 is_state exec held
	run fixlock -x -w 1 -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == *"released, but no standby took it"* ]]
	run fixlock -x -S "$db" exec
	[ "$status" -eq 1 ]
	[[ "$output" == *"lease exec is not held"* ]]
}

@test "fixlock: -l shows holder, token and times; JSON; exit 1 for a lease not held" {
	run fixlock -l -S "$db"
	[ "$status" -eq 5 ]
	fixlock -S "$db" old true
	bg fixlock -I node-a -f "$lock" -S "$db" exec sleep 300
	until_true 5 is_state exec held
	run fixlock -l -f "$lock" -S "$db" exec
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^exec:\ held\ by\ node-a@.*:[0-9]+\ file,\ token\ 2,\ since\ 20[0-9-]+T[0-9:.]+Z ]]
	run fixlock -l -S "$db" old
	[ "$status" -eq 1 ]
	[ "$output" = "old: free (last token 1)" ]
	run fixlock -l -S "$db" never
	[ "$status" -eq 1 ]
	[ "$output" = "never: never taken" ]
	fixlock -l -j -S "$db" > "$tmp/l.json"
	jq -e '.leases | length == 2' "$tmp/l.json"
	jq -e '.leases[] | select(.name == "exec") |
	    .kind == "file" and .state == "held" and .token == 2 and
	    (.pid | type) == "number" and .expires_in_s > 0' "$tmp/l.json"
	jq -e '.leases[] | select(.name == "old") | .state == "free" and .holder == null' "$tmp/l.json"
}

@test "fixlock -W: the command starts before the lease and reads its token from FIXLOCK_FD" {
	bg fixlock -S "$db" exec sleep 300
	holder=$last
	until_true 5 is_state exec held
	bg fixlock -W -S "$db" exec sh -c 'echo "started ${FIXLOCK_TOKEN:-no-token}" > "$0"; read t <&"$FIXLOCK_FD"; echo "token $t" >> "$0"; exec sleep 300' "$tmp/warm"
	until_true 5 exists "$tmp/warm"
	sleep 0.2
	[ "$(cat "$tmp/warm")" = "started no-token" ]
	kill -KILL "$holder"
	until_true 10 grep -q "^token 2$" "$tmp/warm"
}

@test "fixlock -W: a command that ends before the lease comes ends fixlock with its status" {
	bg fixlock -S "$db" exec sleep 300
	until_true 5 is_state exec held
	run fixlock -W -S "$db" exec sh -c 'exit 9'
	[ "$status" -eq 9 ]
	run fixlock -W -f "$lock" -S "$db" other sh -c 'exit 8'
	[ "$status" -eq 8 ]
	# With a time limit too, however soon it ends: the command's status,
	# not "held after the wait" (a file lease's wait once blocked in the
	# lock before looking at the command, about one run in four).
	bg fixlock -f "$lock" -S "$db" other sleep 300
	until_true 5 is_state other held
	for i in $(seq 20); do
		run fixlock -W -w 0.3 -f "$lock" -S "$db" other sh -c 'exit 7'
		[ "$status" -eq 7 ]
		run fixlock -W -w 0.3 -S "$db" exec sh -c 'exit 6'
		[ "$status" -eq 6 ]
	done
	[ "$(token_of exec)" -eq 1 ]
}

@test "fixlock -W with fixsession: settings and dictionaries first, the store only with the token" {
	port=$(free_port)
	acc_store=$tmp/fs.db acceptor_cfg "$tmp/acc.cfg" CLIENT1
	bg fixlock -f "$lock" -S "$tmp/fs.db" exec sleep 300
	holder=$last
	until_true 5 exists "$tmp/fs.db"
	bg fixlock -W -f "$lock" -S "$tmp/fs.db" exec fixsession -c "$tmp/acc.cfg" -- cat 2> "$tmp/fs.err"
	sleep 0.5
	# Waiting: no session started, nothing listens.
	! grep -q " start: " "$tmp/fs.err"
	! port_busy "$port"
	kill -KILL "$holder"
	until_true 10 grep -q " start: acceptor" "$tmp/fs.err"
	until_true 5 port_busy "$port"
	# A bad settings file is found while still waiting, not after takeover:
	# the lease stays held, so only fixsession's own exit 3 ends this.
	echo 'HeartBtInt=x' >> "$tmp/acc.cfg"
	run fixlock -W -w 30 -f "$lock" -S "$tmp/fs.db" exec fixsession -c "$tmp/acc.cfg" -- cat
	[ "$status" -eq 3 ]
}
