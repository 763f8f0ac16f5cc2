# lib.sh -- what the bench scripts share: the compile flags of the
# Makefile, report lines and key=value figures, a little arithmetic.
# Sourced, not run, after the caller set OUT (the bench build directory)
# and KV (the file figures go to):  . bench/lib.sh
#
# It also sources tools/net.sh (free ports, listening sockets).

. "$(dirname "$0")/../tools/net.sh"

# The Makefile's flags; -iquote so that <err.h> stays the system's err(3)
# header and not libfixutil/err.h.
CFLAGS_B="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra
 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
 -Wno-format-nonliteral -O2 -g -iquote libfixutil"
PKG_LIBS=$(pkg-config --libs libxml-2.0 sqlite3 libsodium jansson zlib \
    2>/dev/null)
LINE_W=${LINE_W:-36}

kv() {	# key value: record a figure
	printf '%s=%s\n' "$1" "$2" >> "$KV"
}

skipped() {	# KEY...: record skipped figures
	for k in "$@"; do
		kv "$k" skipped
	done
}

line() {	# label figure...: one aligned report line
	label=$1
	shift
	printf "  %-${LINE_W}s %s\n" "$label" "$*"
}

calc() {	# awk expression -> number (parenthesized: "a > b" would redirect)
	awk "BEGIN { printf \"%s\", ($1) }" < /dev/null
}

num() {	# true when $1 is a plain number (a sign allowed)
	case $1 in
	''|-|*[!0-9.-]*) return 1 ;;
	esac
	return 0
}

ratio() {	# a b -> a/b, or "n/a" when either is not a number or b is 0
	num "$1" && num "$2" || { echo "n/a"; return; }
	calc "($2 == 0) ? \"n/a\" : sprintf(\"%.2f\", $1 / $2)"
}

stale() {	# TARGET DEP...: TARGET missing or older than a DEP
	t=$1
	shift
	[ -e "$t" ] || return 0
	for d in "$@"; do
		[ -e "$d" ] && [ "$d" -nt "$t" ] && return 0
	done
	return 1
}

build() {	# NAME CMD...: compile, log to OUT/NAME-build.log; 0 on success
	name=$1
	shift
	"$@" > "$OUT/$name-build.log" 2>&1 && return 0
	echo "bench: $name did not build; see $OUT/$name-build.log" >&2
	return 1
}

get() {	# FILE KEY: a value from "key=value ..." lines, the last one
	[ -f "$1" ] || return 0
	tr ' ' '\n' < "$1" | sed -n "s/^$2=//p" | tail -n 1
}

stop_pid() {	# PID: SIGTERM, wait up to 10 s, then SIGKILL
	kill -TERM "$1" 2>/dev/null || return 0
	_i=0
	while kill -0 "$1" 2>/dev/null && [ "$_i" -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# merge_results PATTERN: a section run alone keeps its figures in $RES;
# put them into $OUT/results.txt in place of the keys matching the grep
# PATTERN there.
merge_results() {
	_f=$OUT/results.txt
	if [ -f "$_f" ]; then
		grep -v "$1" "$_f" > "$_f.tmp"
	else
		: > "$_f.tmp"
	fi
	cat "$RES" >> "$_f.tmp" && mv "$_f.tmp" "$_f" && rm -f "$RES"
	echo
	echo "key=value figures: $_f"
}
