# Shared set-up for the bats tests: tools from the build, dictionaries from
# the tree, a scratch directory per test.
top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
build=${FIXU_BUILD:-build}
PATH="$top/$build/bin:$PATH"
FIXUTIL_DICT_PATH="$top/dicts"
export PATH FIXUTIL_DICT_PATH LC_ALL=C
ex="$top/examples"
data="$top/tests/data"

setup() {
	tmp="$BATS_TEST_TMPDIR"
}

# fix BEGIN 'TAG=VAL|TAG=VAL|...': a wire message with correct 9= and 10=.
fix() {
	printf '%s' "$2" | tr '|' '\001' > "$tmp/.body"
	n=$(wc -c < "$tmp/.body")
	printf '8=%s\0019=%d\001' "$1" "$n" > "$tmp/.msg"
	cat "$tmp/.body" >> "$tmp/.msg"
	s=$(od -An -v -tu1 "$tmp/.msg" | tr -s ' ' '\n' | awk 'NF{s+=$1} END{printf "%03d", s%256}')
	cat "$tmp/.msg"
	printf '10=%s\001' "$s"
}

# Servers of the tests listen on 127.0.0.1, on a port from tools/net.sh.
. "$top/tools/net.sh"
free_port() {
	pick_port
}

# until_true SECONDS CMD...: poll CMD every 0.1 s; on a timeout say what
# was awaited and, when the test file defines on_timeout, what it shows.
until_true() {
	_t=$(($1 * 10))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	echo "timed out waiting for: $*"
	if type on_timeout > /dev/null 2>&1; then
		on_timeout
	fi
	return 1
}

gone() {	# PID: the process has ended
	! kill -0 "$1" 2>/dev/null
}

# acceptor_cfg FILE [KEY=VALUE ...] TARGET ...: an acceptor on $port with
# the keys in [DEFAULT] and one FIX.4.4 session per TARGET; its store is
# $acc_store, else $tmp/acc.db.
acceptor_cfg() {
	f=$1
	shift
	cat > "$f" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptAddress=127.0.0.1
SocketAcceptPort=$port
SenderCompID=EXEC
NonStopSession=Y
HeartBtInt=30
StorePath=${acc_store:-$tmp/acc.db}
CFG
	for a in "$@"; do
		case $a in
		*=*)	echo "$a" >> "$f" ;;
		*)	printf '\n[SESSION]\nBeginString=FIX.4.4\nTargetCompID=%s\n' \
			    "$a" >> "$f" ;;
		esac
	done
}

# initiator_cfg FILE [KEY=VALUE ...]: the initiator C1 of acceptor_cfg's
# session C1, store tmp/ini.db.
initiator_cfg() {
	f=$1
	shift
	cat > "$f" <<CFG
[DEFAULT]
ConnectionType=initiator
SocketConnectHost=127.0.0.1
SocketConnectPort=$port
NonStopSession=Y
HeartBtInt=30
ReconnectInterval=1
StorePath=$tmp/ini.db

[SESSION]
BeginString=FIX.4.4
SenderCompID=C1
TargetCompID=EXEC
CFG
	for a in "$@"; do
		echo "$a" >> "$f"
	done
	chmod 600 "$f"
}
