#!/usr/bin/env bats
# The deployment examples: the Pacemaker resource agent examples/ocf/fixsession
# and the systemd units of examples/systemd.
#
# The agent runs as Pacemaker runs it, OCF_RESKEY_* parameters in its
# environment, against a real fixsession acceptor on a free port of
# 127.0.0.1 with its settings, store, pidfile and log in the test's
# directory: every action and its OCF return code, stale pidfiles, a
# daemon that dies or will not stop, leases (when fixlock is built), a
# counterparty that trades and is logged out at stop, and ocf-tester (from
# resource-agents) over the whole life cycle.  Teardown stops whatever the
# agent started, pass or fail.  ocf-tester runs as any user: as root it also
# runs meta-data as nobody, which the agent allows.

load helpers

agent="$top/examples/ocf/fixsession"
LEASE=exec_test

setup() {
	tmp="$BATS_TEST_TMPDIR"
	PIDS=
	command -v fixsession > /dev/null || skip "fixsession not built"
	# Nothing a test runs may leave a file in the tree.
	cd "$tmp"
	port=$(free_port)
	acc_store=acc.db	# relative: next to the settings file
	unset FIXUTIL_STORE OCF_CHECK_LEVEL OCF_RESKEY_OCF_CHECK_LEVEL
	export OCF_ROOT=/usr/lib/ocf
	export OCF_RESOURCE_INSTANCE=fixsession_test
	export OCF_RESKEY_config="$tmp/acc.cfg"
	export OCF_RESKEY_binary="$(command -v fixsession)"
	export OCF_RESKEY_pidfile="$tmp/run/fs.pid"
	export OCF_RESKEY_logfile="$tmp/fs.log"
	export OCF_RESKEY_app=cat
	export OCF_RESKEY_CRM_meta_timeout=20000
	acceptor_cfg "$tmp/acc.cfg" C1
}

teardown() {
	OCF_RESKEY_CRM_meta_timeout=10000 "$agent" stop > /dev/null 2>&1
	for p in $PIDS; do
		kill -CONT "$p" 2> /dev/null
		{ kill -KILL "$p" && wait "$p"; } 2> /dev/null
	done
	exec 7>&-
	return 0
}


ra() {	# ACTION: run the agent; $status and $output
	run "$agent" "$@"
}

# is RC ACTION: the agent's ACTION returns RC.
is() {
	want=$1
	shift
	run "$agent" "$@"
	if [ "$status" -ne "$want" ]; then
		echo "$agent $*: status $status, wanted $want"
		echo "$output"
		on_timeout
		return 1
	fi
}

# dead PID: no such process, or a zombie (whose parent, here, may be slow
# to reap it).
dead() {
	[ ! -e "/proc/$1" ] && return 0
	[ "$(sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f1)" = Z ] ||
	    ! kill -0 "$1" 2> /dev/null
}

pid_of() {	# the pid in the agent's pidfile
	cat "$OCF_RESKEY_pidfile"
}

child_of() {	# PID: its live child
	cat /proc/[0-9]*/stat 2> /dev/null | awk -v p="$1" '
		{ pid = $1; sub(/^.*\) /, ""); if ($2 == p && $1 != "Z") print pid }'
}

filled() {	# the initiator got a fill
	tr '\001' '|' < "$tmp/ini.out" | grep -q '|35=8|.*|39=2|'
}

on_timeout() {
	for f in "$tmp"/*.log "$tmp"/*.err; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tr '\001' '|' < "$f" | tail -n 15
	done
}

need_fixlock() {
	command -v fixlock > /dev/null || skip "fixlock not built"
}

# held: fixlock -l says that the lease is held; $output is its line.
held() {
	run fixlock -l -S "${db:-$tmp/acc.db}" "$LEASE"
	[ "$status" -eq 0 ] && [[ "$output" == *held* ]]
}

@test "meta-data: well-formed XML, valid against the OCF DTD and schema" {
	command -v xmllint > /dev/null || skip "xmllint not installed"
	"$agent" meta-data > "$tmp/md.xml"
	xmllint --noout "$tmp/md.xml"
	for a in start stop monitor reload meta-data validate-all; do
		grep -q "<action name=\"$a\"" "$tmp/md.xml"
	done
	for p in config binary store app pidfile logfile lease lockfile \
	    lease_ttl fixlock_binary; do
		grep -q "<parameter name=\"$p\"" "$tmp/md.xml"
	done
	grep -q '<version>1.1</version>' "$tmp/md.xml"
	d=/usr/share/resource-agents
	if [ -f "$d/ra-api-1.dtd" ]; then
		(cd "$d" && xmllint --noout --valid -) < "$tmp/md.xml"
	fi
	if [ -f "$d/metadata.rng" ]; then
		xmllint --noout --relaxng "$d/metadata.rng" "$tmp/md.xml"
	fi
}

@test "meta-data needs no parameters; an unknown action is unimplemented" {
	run env -i PATH="$PATH" "$agent" meta-data
	[ "$status" -eq 0 ]
	[[ "$output" == *'<resource-agent name="fixsession"'* ]]
	is 3 migrate_to
	is 3 ""
}

@test "validate-all: the OCF_ERR_* codes" {
	is 0 validate-all
	# The resource's configuration is wrong: OCF_ERR_CONFIGURED.
	OCF_RESKEY_config= is 6 validate-all
	[[ "$output" == *'ocf-exit-reason:the config parameter'* ]]
	OCF_RESKEY_config=acc.cfg is 6 validate-all
	OCF_RESKEY_lockfile="$tmp/x.lock" is 6 validate-all
	OCF_RESKEY_lease='no spaces' is 6 validate-all
	OCF_RESKEY_lease=x OCF_RESKEY_lease_ttl=soon is 6 validate-all
	OCF_RESKEY_pidfile=fs.pid is 6 validate-all
	printf 'SocketAcceptPort=50o1\n' >> "$tmp/acc.cfg"
	is 6 validate-all
	[[ "$output" == *SocketAcceptPort* ]]
	acceptor_cfg "$tmp/acc.cfg" C1
	# Something this node lacks: OCF_ERR_INSTALLED.
	OCF_RESKEY_config="$tmp/none.cfg" is 5 validate-all
	[[ "$output" == *"$tmp/none.cfg"* ]]
	OCF_RESKEY_binary="$tmp/no-fixsession" is 5 validate-all
	OCF_RESKEY_app="no-such-app-here -x" is 5 validate-all
	OCF_RESKEY_store="$tmp/nodir/s.db" is 5 validate-all
	OCF_RESKEY_lease=x OCF_RESKEY_fixlock_binary="$tmp/no-fixlock" \
	    is 5 validate-all
}

@test "a missing settings file: start fails with OCF_ERR_INSTALLED, monitor says stopped" {
	export OCF_RESKEY_config="$tmp/none.cfg"
	is 5 start
	[[ "$output" == *"ocf-exit-reason:settings file $tmp/none.cfg"* ]]
	is 7 monitor
	OCF_RESKEY_CRM_meta_interval=0 is 7 monitor
	# A probe on a node without the programs says "not running" too.
	OCF_RESKEY_binary="$tmp/no-fixsession" OCF_RESKEY_CRM_meta_interval=0 \
	    is 7 monitor
	is 0 stop
	[ ! -e "$OCF_RESKEY_pidfile" ]
}

@test "start, monitor, stop: the OCF return codes" {
	is 7 monitor
	OCF_RESKEY_CRM_meta_interval=0 is 7 monitor
	is 0 start
	pid=$(pid_of)
	PIDS="$PIDS $pid"
	grep -q 'start: acceptor' "$tmp/fs.log"
	is 0 monitor
	OCF_CHECK_LEVEL=10 is 0 monitor
	OCF_RESKEY_OCF_CHECK_LEVEL=10 is 0 monitor
	is 0 start
	[ "$(pid_of)" = "$pid" ]
	# fixsession leads a session of its own, in the settings' directory,
	# with the store named.
	[ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f4)" = "$pid" ]
	[ "$(readlink "/proc/$pid/cwd")" = "$(cd "$tmp" && pwd -P)" ]
	tr '\000' '\n' < "/proc/$pid/cmdline" | grep -qx -- "$tmp/acc.db"
	is 0 stop
	dead "$pid"
	[ ! -e "$OCF_RESKEY_pidfile" ]
	is 7 monitor
	is 0 stop
	is 7 monitor
}

@test "without ocf-shellfuncs the agent keeps the same codes" {
	export OCF_FUNCTIONS_DIR="$tmp/none"
	is 7 monitor
	is 0 start
	PIDS="$PIDS $(pid_of)"
	is 0 monitor
	OCF_CHECK_LEVEL=10 is 0 monitor
	is 0 stop
	is 7 monitor
	OCF_RESKEY_config= is 6 validate-all
	[[ "$output" == *'ocf-exit-reason:the config parameter'* ]]
}

@test "a counterparty trades with fixsim exchange and is logged out at stop" {
	command -v fixsim > /dev/null || skip "fixsim not built"
	export OCF_RESKEY_app="fixsim exchange -q"
	is 0 start
	PIDS="$PIDS $(pid_of)"
	initiator_cfg "$tmp/ini.cfg"
	mkfifo "$tmp/ini.in"
	exec 7<> "$tmp/ini.in"
	fixsession -c "$tmp/ini.cfg" < "$tmp/ini.in" > "$tmp/ini.out" \
	    2> "$tmp/ini.err" 3>&- 7>&- &
	ini=$!
	PIDS="$PIDS $ini"
	until_true 10 grep -q 'logon: logged on' "$tmp/ini.err"
	echo '35=D|11=O1|21=1|55=IBM|54=1|60=20240102-10:00:00.000|38=1|40=1|' >&7
	until_true 10 filled
	is 0 stop
	# The acceptor logged the session out: the initiator got its Logout.
	until_true 10 grep -q 'logout: ' "$tmp/ini.err"
	tr '\001' '|' < "$tmp/ini.err" | grep -q ' in 8=FIX\.4\.4|.*|35=5|'
	fixstore -S "$tmp/acc.db" dump -d in -m D 'FIX.4.4:EXEC->C1' |
	    grep -q '11=O1'
}

@test "a stale pidfile means not running, and stop leaves its pid alone" {
	mkdir -p "$tmp/run"
	sleep 1000 3>&- &
	stranger=$!
	PIDS="$PIDS $stranger"
	echo "$stranger" > "$OCF_RESKEY_pidfile"
	is 7 monitor
	is 0 stop
	kill -0 "$stranger"
	[ ! -e "$OCF_RESKEY_pidfile" ]
	echo 'junk' > "$OCF_RESKEY_pidfile"
	is 7 monitor
	echo "$stranger" > "$OCF_RESKEY_pidfile"
	is 0 start
	[ "$(pid_of)" != "$stranger" ]
	PIDS="$PIDS $(pid_of)"
	is 0 monitor
	is 0 stop
	kill -0 "$stranger"
}

@test "fixsession killed: monitor says not running, start runs it again" {
	is 0 start
	pid=$(pid_of)
	PIDS="$PIDS $pid"
	kill -KILL "$pid"
	until_true 10 dead "$pid"
	is 7 monitor
	is 0 start
	PIDS="$PIDS $(pid_of)"
	[ "$(pid_of)" != "$pid" ]
	is 0 monitor
	is 0 stop
}

@test "stop kills fixsession and its application when SIGTERM does not end it" {
	is 0 start
	pid=$(pid_of)
	kid=$(child_of "$pid")
	[ -n "$kid" ]
	PIDS="$PIDS $pid $kid"
	kill -STOP "$pid"
	OCF_RESKEY_CRM_meta_timeout=4000 is 0 stop
	[[ "$output" == *SIGKILL* ]]
	dead "$pid"
	dead "$kid"
	is 7 monitor
}

@test "monitor at level 10 finds a store that is gone" {
	is 0 start
	PIDS="$PIDS $(pid_of)"
	rm "$tmp/acc.db"
	is 0 monitor
	OCF_CHECK_LEVEL=10 is 1 monitor
	[[ "$output" == *'ocf-exit-reason:'*acc.db* ]]
	is 0 stop
}

@test "start fails with the reason when fixsession cannot listen" {
	acceptor_cfg "$tmp/other.cfg" C9
	fixsession -c "$tmp/other.cfg" -S "$tmp/other.db" < /dev/null > /dev/null \
	    2> "$tmp/other.err" 3>&- &
	PIDS="$PIDS $!"
	until_true 10 grep -q 'start: acceptor' "$tmp/other.err"
	is 1 start
	[[ "$output" == *'ocf-exit-reason:fixsession exited during start: '?* ]]
	is 7 monitor
	[ ! -e "$OCF_RESKEY_pidfile" ]
}

@test "reload: SIGHUP, and fixsession starts the sessions added" {
	is 7 reload
	is 0 start
	pid=$(pid_of)
	PIDS="$PIDS $pid"
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	is 0 reload
	until_true 10 grep -q 're-read, 1 session added' "$tmp/fs.log"
	until_true 10 grep -q 'FIX.4.4:EXEC->C2 start: acceptor' "$tmp/fs.log"
	# Bad settings are refused before the signal; fixsession goes on.
	printf 'SocketAcceptPort=50o1\n' >> "$tmp/acc.cfg"
	is 6 reload
	is 0 monitor
	[ "$(pid_of)" = "$pid" ]
	acceptor_cfg "$tmp/acc.cfg" C1 C2
	is 0 stop
}

@test "lease and lockfile: fixsession runs under fixlock with a file lease" {
	need_fixlock
	export OCF_RESKEY_lease=$LEASE OCF_RESKEY_lockfile="$tmp/exec.lock"
	is 7 monitor
	is 0 start
	pid=$(pid_of)
	PIDS="$PIDS $pid"
	held
	[[ "$output" == *"fixsession_test@"*":$pid file"* ]]
	run fixlock -l -f "$tmp/exec.lock" -S "$tmp/acc.db" "$LEASE"
	[ "$status" -eq 0 ]
	fs=$(child_of "$pid")
	tr '\000' '\n' < "/proc/$fs/environ" | grep -qx "FIXLOCK_LEASE=$LEASE"
	tr '\000' '\n' < "/proc/$fs/environ" | grep -q '^FIXLOCK_TOKEN=[0-9]'
	is 0 monitor
	OCF_CHECK_LEVEL=10 is 0 monitor
	is 0 start
	[ "$(pid_of)" = "$pid" ]
	is 0 stop
	dead "$pid"
	run fixlock -l -S "$tmp/acc.db" "$LEASE"
	[ "$status" -eq 1 ]
	is 7 monitor
}

@test "lease without lockfile: an SQL lease, fixsession fenced by its token" {
	need_fixlock
	export OCF_RESKEY_lease=$LEASE OCF_RESKEY_lease_ttl=2s
	is 0 start
	pid=$(pid_of)
	PIDS="$PIDS $pid"
	held
	[[ "$output" == *"fixsession_test@"*":$pid,"* ]]
	t1=$(fixlock -l -j -S "$tmp/acc.db" "$LEASE" | jq -r '.leases[0].token')
	OCF_CHECK_LEVEL=10 is 0 monitor
	is 0 stop
	run fixlock -l -S "$tmp/acc.db" "$LEASE"
	[ "$status" -eq 1 ]
	# A new start gets a larger token.
	is 0 start
	PIDS="$PIDS $(pid_of)"
	t2=$(fixlock -l -j -S "$tmp/acc.db" "$LEASE" | jq -r '.leases[0].token')
	[ "$t2" -gt "$t1" ]
	is 0 stop
}

@test "start waits while another holder has the lease, then fails and cleans up" {
	need_fixlock
	export OCF_RESKEY_lease=$LEASE OCF_RESKEY_lockfile="$tmp/exec.lock"
	fixlock -f "$tmp/exec.lock" -I other -S "$tmp/acc.db" "$LEASE" \
	    sleep 1000 < /dev/null > /dev/null 2>&1 3>&- &
	other=$!
	PIDS="$PIDS $other"
	until_true 10 held
	OCF_RESKEY_CRM_meta_timeout=4000 is 1 start
	[[ "$output" == *"ocf-exit-reason:lease not acquired"*"other@"* ]]
	is 7 monitor
	[ ! -e "$OCF_RESKEY_pidfile" ]
	# The holder goes: the agent's fixlock takes the lease over.
	kill -TERM "$other"
	until_true 10 dead "$other"
	is 0 start
	PIDS="$PIDS $(pid_of)"
	held
	[[ "$output" == *fixsession_test@* ]]
	is 0 stop
}

@test "monitor: fixlock that waits without fixsession is a failure for stop to end" {
	need_fixlock
	export OCF_RESKEY_lease=$LEASE OCF_RESKEY_lockfile="$tmp/exec.lock"
	fixlock -f "$tmp/exec.lock" -I other -S "$tmp/acc.db" "$LEASE" \
	    sleep 1000 < /dev/null > /dev/null 2>&1 3>&- &
	PIDS="$PIDS $!"
	until_true 10 held
	# What the agent would have started, still waiting for the lease.
	fixlock -f "$tmp/exec.lock" -S "$tmp/acc.db" "$LEASE" fixsession \
	    -c "$OCF_RESKEY_config" -S "$tmp/acc.db" < /dev/null > /dev/null \
	    2>&1 3>&- &
	waiting=$!
	PIDS="$PIDS $waiting"
	mkdir -p "$tmp/run"
	echo "$waiting" > "$OCF_RESKEY_pidfile"
	is 1 monitor
	[[ "$output" == *'ocf-exit-reason:fixlock'*'without fixsession'* ]]
	OCF_RESKEY_CRM_meta_interval=0 is 1 monitor
	is 0 stop
	dead "$waiting"
	is 7 monitor
}

@test "ocf-tester: the agent passes" {
	command -v ocf-tester > /dev/null || skip "ocf-tester not installed (resource-agents)"
	run ocf-tester -n fixsession_test -o config="$tmp/acc.cfg" \
	    -o binary="$OCF_RESKEY_binary" -o store="$tmp/acc.db" \
	    -o app=cat -o pidfile="$OCF_RESKEY_pidfile" \
	    -o logfile="$tmp/fs.log" "$agent"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'passed all tests'* ]]
	is 7 monitor
}

@test "ocf-tester: the agent passes with an SQL lease and fixsim exchange" {
	command -v ocf-tester > /dev/null || skip "ocf-tester not installed (resource-agents)"
	need_fixlock
	command -v fixsim > /dev/null || skip "fixsim not built"
	run ocf-tester -n fixsession_test -o config="$tmp/acc.cfg" \
	    -o binary="$OCF_RESKEY_binary" -o app="fixsim exchange -q" \
	    -o lease="$LEASE" -o pidfile="$OCF_RESKEY_pidfile" \
	    -o logfile="$tmp/fs.log" "$agent"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'passed all tests'* ]]
	run fixlock -l -S "$tmp/acc.db" "$LEASE"
	[ "$status" -eq 1 ]
}

# unit_cmd UNIT: the ExecStart of a unit with the paths of this test:
# the build's programs, settings tmp/exec.cfg and store tmp/exec.db, the
# default FIXLOCK_OPTS and cat as the application.
unit_cmd() {
	sed -n 's/^ExecStart=//p' "$top/examples/systemd/$1" |
	    sed -e "s|/usr/local/bin/|$top/$build/bin/|g" \
		-e "s|/etc/fixutil/|$tmp/|g" -e "s|/var/lib/fixutil/|$tmp/|g" \
		-e 's|%i|exec|g' -e "s|%p|${1%%@*}|g" \
		-e 's|\$FIXLOCK_OPTS|-T 2s|' -e 's|\$FIXSESSION_ARGS|-- cat|'
}

@test "systemd units: systemd-analyze verify, and the two units agree" {
	diff <(sed -n '/^\[Unit\]/,$p' "$top/examples/systemd/fixsession@.service" |
	    grep -v '^Description=') \
	    <(sed -n '/^\[Unit\]/,$p' "$top/examples/systemd/fixsession-standby@.service" |
	    grep -v '^Description=')
	command -v systemd-analyze > /dev/null || skip "systemd-analyze not installed"
	mkdir "$tmp/units"
	for u in fixsession@.service fixsession-standby@.service; do
		sed "s|/usr/local/bin/|$top/$build/bin/|g" \
		    "$top/examples/systemd/$u" > "$tmp/units/$u"
	done
	run systemd-analyze verify --man=no "$tmp/units/fixsession@exec.service" \
	    "$tmp/units/fixsession-standby@exec.service"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "systemd units: the first copy serves, the second waits and takes over" {
	need_fixlock
	acceptor_cfg "$tmp/exec.cfg" C1
	cmd_a=$(unit_cmd fixsession@.service)
	cmd_b=$(unit_cmd fixsession-standby@.service)
	[[ "$cmd_a" == *"fixlock -T 2s -I fixsession -S $tmp/exec.db -- exec "* ]]
	# No word of these commands holds a blank: splitting them is safe.
	$cmd_a < /dev/null > /dev/null 2> "$tmp/a.err" 3>&- &
	a=$!
	PIDS="$PIDS $a"
	LEASE=exec db="$tmp/exec.db"
	until_true 10 held
	[[ "$output" == *"fixsession@"*":$a,"* ]]
	until_true 10 grep -q 'start: acceptor' "$tmp/a.err"
	$cmd_b < /dev/null > /dev/null 2> "$tmp/b.err" 3>&- &
	b=$!
	PIDS="$PIDS $b"
	# systemctl stop: SIGTERM to the main process, fixlock.
	kill -TERM "$a"
	rc=0
	wait "$a" || rc=$?
	[ "$rc" -eq 0 ]
	until_true 10 grep -q 'start: acceptor' "$tmp/b.err"
	held
	[[ "$output" == *"fixsession-standby@"*":$b,"* ]]
	kill -TERM "$b"
	rc=0
	wait "$b" || rc=$?
	[ "$rc" -eq 0 ]
}
