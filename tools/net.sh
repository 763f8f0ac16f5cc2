# net.sh -- free ports and listening sockets on this host, for the shell
# scripts that start servers on 127.0.0.1 (tests, benches, the demo).
# Sourced, not run:  . tools/net.sh
#
# Linux only: it reads /proc/net/tcp and /proc/net/tcp6.

# port_busy PORT: true when something on this host listens on PORT.
port_busy() {
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$(printf '%04X' "$1")" \
		'$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }'
}

# pick_port: print a port nothing listens on, from FIXU_PORT_LO (20000)
# to FIXU_PORT_HI (32767): below the kernel's ephemeral range, so no client
# socket of this host holds it.  Another process may still take it first:
# a failed bind costs a retry.  tests/run.sh gives each test file running
# beside others a range of its own.
pick_port() {
	_i=0
	_lo=${FIXU_PORT_LO:-20000}
	_n=$((${FIXU_PORT_HI:-32767} - _lo + 1))
	while [ "$_i" -lt 50 ]; do
		_p=$(awk -v s="$$" -v i="$_i" -v t="$(date +%s%N)" -v lo="$_lo" \
		    -v n="$_n" 'BEGIN {
		    srand(s * 31 + i * 7919 + substr(t, length(t) - 8) % 100000)
		    printf "%d", lo + int(rand() * n) }')
		case $_p in
		''|*[!0-9]*) return 1 ;;
		esac
		port_busy "$_p" || { echo "$_p"; return 0; }
		_i=$((_i + 1))
	done
	return 1
}

# wait_listen PID PORT: until PORT listens (0), or PID died or 10 s
# passed (1).
wait_listen() {
	_i=0
	while [ "$_i" -lt 200 ]; do
		kill -0 "$1" 2>/dev/null || return 1
		port_busy "$2" && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
