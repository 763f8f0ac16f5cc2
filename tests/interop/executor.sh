#!/bin/sh
# executor.sh -- run QuickFIX's example executor (the real binary Debian's
# libquickfix-doc ships) as the counterparty of interop tests.
#
#   executor.sh start DIR [BEGINSTRING]   start it; print the port
#   executor.sh stop DIR                  SIGTERM, wait for it to exit
#
# start unpacks the binary into DIR (libquickfix-doc ships it gzipped, next
# to a libtool wrapper script of the same name: the ELF is .libs/executor),
# writes DIR/executor.cfg (acceptor EXECUTOR <- CLIENT1, BeginString
# FIX.4.4 unless given, FileStorePath DIR/store, FileLogPath DIR/log) and
# DIR/client.cfg for an initiator CLIENT1 -> EXECUTOR on 127.0.0.1, picks a
# free port, starts the executor with its stdout (QuickFIX's screen log:
# the executor uses ScreenLogFactory, so FileLogPath stays empty) in
# DIR/executor.out, and waits until it listens.  DIR/executor.pid holds its
# pid.  QuickFIX 1.15 has no setting for the accept address: it listens on
# every interface, so the port is only open for the length of a test.
#
# EXECUTOR_DEFAULTS, when set, is appended to executor.cfg's [DEFAULT]
# section as it is (settings lines, newline-separated): the benches use it
# to switch the screen log off (ScreenLogShowIncoming=N ...).
#
# EXECUTOR_CLIENTS, when set, lists the initiators' CompIDs the executor
# accepts (space-separated, e.g. "CLIENT1 CLIENT2"), one [SESSION] each;
# unset it is CLIENT1 alone.  client.cfg is for CLIENT1 either way.
#
# Exit: 0 ok, 1 it would not start, 2 usage, 5 binary missing.
set -u
. "$(dirname "$0")/../../tools/net.sh"

DOC=/usr/share/doc/libquickfix-doc/examples/executor/C++
SPECS="/usr/share/quickfix /usr/share/quickfix/spec /usr/share/doc/libquickfix-dev/spec /usr/share/libquickfix/spec"

usage() {
	echo "usage: executor.sh start DIR [BEGINSTRING] | stop DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
begin=${3:-FIX.4.4}

unpack() {
	bin=$dir/executor
	[ -x "$bin" ] && return 0
	for z in "$DOC/.libs/executor.gz" "$DOC/executor.gz"; do
		[ -f "$z" ] || continue
		gunzip -c "$z" > "$bin.tmp" || continue
		# The top-level executor.gz is a libtool wrapper script.
		if [ "$(head -c 4 "$bin.tmp" | od -An -c | tr -d ' ')" = \
		    '177ELF' ]; then
			chmod 755 "$bin.tmp"
			mv "$bin.tmp" "$bin"
			return 0
		fi
	done
	rm -f "$bin.tmp"
	echo "executor.sh: no executor binary under $DOC" >&2
	exit 5
}

dictionary() {
	v=$(echo "$begin" | tr -d '.')
	for d in $SPECS; do
		if [ -f "$d/$v.xml" ]; then
			printf 'UseDataDictionary=Y\nDataDictionary=%s\n' \
			    "$d/$v.xml"
			return
		fi
	done
	echo "UseDataDictionary=N"
}

write_cfg() {	# port
	cat > "$dir/executor.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=$1
SocketReuseAddress=Y
FileStorePath=$dir/store
FileLogPath=$dir/log
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
$(dictionary)
${EXECUTOR_DEFAULTS:-}
CFG
	for c in ${EXECUTOR_CLIENTS:-CLIENT1}; do
		printf '\n[SESSION]\nBeginString=%s\nSenderCompID=EXECUTOR\nTargetCompID=%s\n' \
		    "$begin" "$c" >> "$dir/executor.cfg"
	done
	cat > "$dir/client.cfg" <<CFG
[DEFAULT]
ConnectionType=initiator
SocketConnectHost=127.0.0.1
SocketConnectPort=$1
FileStorePath=$dir/client-store
FileLogPath=$dir/client-log
StartTime=00:00:00
EndTime=00:00:00
HeartBtInt=30
ReconnectInterval=1
UseDataDictionary=N

[SESSION]
BeginString=$begin
SenderCompID=CLIENT1
TargetCompID=EXECUTOR
CFG
}

start() {
	mkdir -p "$dir/store" "$dir/log" || exit 5
	# Absolute: the executor runs in DIR and would take a relative
	# FileStorePath as relative to DIR again.
	dir=$(cd "$dir" && pwd) || exit 5
	unpack
	try=0
	while [ "$try" -lt 5 ]; do
		port=$(pick_port) || break
		write_cfg "$port"
		# cd: the executor writes nothing else, but keep it in DIR.
		(cd "$dir" && exec ./executor executor.cfg) \
		    > "$dir/executor.out" 2>&1 &
		pid=$!
		echo "$pid" > "$dir/executor.pid"
		i=0
		while [ "$i" -lt 100 ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if port_busy "$port"; then
				echo "$port" > "$dir/port"
				echo "$port"
				return 0
			fi
			sleep 0.05
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		try=$((try + 1))
	done
	rm -f "$dir/executor.pid"
	echo "executor.sh: executor did not start:" \
	    "$(tail -n 3 "$dir/executor.out" 2>/dev/null)" >&2
	exit 1
}

# zombie PID: exited, waiting for a parent (not this shell) to reap it.
zombie() {
	[ "$(sed -n 's/^[0-9]* ([^)]*) \(.\).*/\1/p' "/proc/$1/stat" \
	    2>/dev/null)" = Z ]
}

stop() {
	[ -f "$dir/executor.pid" ] || return 0
	pid=$(cat "$dir/executor.pid")
	# Only ours: a pid left from a run that died may have been reused.
	if ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null |
	    grep -q 'executor executor.cfg'; then
		rm -f "$dir/executor.pid"
		return 0
	fi
	if kill -TERM "$pid" 2>/dev/null; then
		# Not our child in this shell: poll until it is gone.
		i=0
		while kill -0 "$pid" 2>/dev/null && ! zombie "$pid" &&
		    [ "$i" -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null && ! zombie "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	rm -f "$dir/executor.pid"
	return 0
}

case $cmd in
start)	start ;;
stop)	stop ;;
*)	usage ;;
esac
