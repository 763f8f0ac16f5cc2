#!/bin/sh
# run-libfuzzer.sh -- build every fuzz target with clang's libFuzzer and run
# each for a while.
#
#   sh tests/fuzz/run-libfuzzer.sh [SECONDS [TARGET ...]]
#
# Each tests/fuzz/fuzz_X.c is compiled with -fsanitize=fuzzer,address,undefined
# together with the library sources (not build/lib/libfixutil.a, which gcc
# built without coverage) into build/libfuzzer/fuzz_X, then run for SECONDS
# (default 60) on a scratch copy of tests/fuzz/corpus/X, so the checked-in
# seeds are never touched.  Crash inputs land in build/libfuzzer/X/crashes/;
# replay one with `build/libfuzzer/fuzz_X FILE` or with the plain driver
# `build/fuzz/fuzz_X FILE`.  Exit status: 0 if no target crashed, 1 if one
# did, 2 if clang is missing or a target does not build.
set -u

secs=${1:-60}
[ $# -gt 0 ] && shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
out=${FUZZ_OUT:-build/libfuzzer}
CLANG=${CLANG:-clang}

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "run-libfuzzer: $CLANG not found; on Debian: apt-get install clang" >&2
	exit 2
fi

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=
	for f in tests/fuzz/fuzz_*.c; do
		[ -f "$f" ] || continue
		t=${f##*/fuzz_}
		targets="$targets ${t%.c}"
	done
fi

# $pkgs is split into words on purpose.
# shellcheck disable=SC2086
pkgs="libxml-2.0 jansson"
cflags="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
-fno-omit-frame-pointer -Ilibfixutil $(pkg-config --cflags $pkgs 2>/dev/null)"
libs="$(pkg-config --libs $pkgs 2>/dev/null) -lpthread -lm"
# The library itself, without the modules that need SQLite or libsodium
# (no fuzz target reaches them; add them here when one does).
libsrc=
for f in libfixutil/*.c; do
	case $f in
	*/store*.c|*/auth*.c|*/lease*.c|*/engine*.c) ;;
	*) libsrc="$libsrc $f" ;;
	esac
done

mkdir -p "$out"
# Tokens for libFuzzer's mutator: FIX framing and dictionary XML.
cat > "$out/tokens.dict" <<'EOF'
"8=FIX.4.4\x01"
"8=FIXT.1.1\x01"
"8=FIX.4.2|"
"9="
"10="
"35="
"\x01"
"|"
"\x0a"
"^A"
"10=000\x01"
"95="
"96="
"212="
"213="
"2147483648"
"4294967295"
"4194304"
"\\x01"
"\\|"
"{\"35\":"
"\"base64\""
"<field "
"<message "
"<group "
"<component "
"<value enum="
" name=\""
" number=\""
" type=\""
" required=\"Y\""
"/>"
"NUMINGROUP"
"LENGTH"
"DATA"
EOF
crashed=0 failed=0
for t in $targets; do
	bin=$out/fuzz_$t
	echo "== fuzz_$t: building"
	# shellcheck disable=SC2086
	if ! "$CLANG" $cflags -o "$bin" "tests/fuzz/fuzz_$t.c" $libsrc $libs; then
		echo "== fuzz_$t: does not build" >&2
		failed=1
		continue
	fi
	work=$out/$t
	rm -rf "$work/corpus"
	mkdir -p "$work/corpus" "$work/crashes"
	[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null
	before=$(ls "$work/crashes" | wc -l)
	echo "== fuzz_$t: running for ${secs}s"
	"$bin" -max_total_time="$secs" -dict="$out/tokens.dict" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/crashes/" \
	    "$work/corpus" > "$work/log" 2>&1
	rc=$?
	after=$(ls "$work/crashes" | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		crashed=1
		echo "== fuzz_$t: CRASH after ${runs:-?} runs (exit $rc); inputs in $work/crashes/"
		grep -E 'ERROR:|check failed|runtime error|SUMMARY' "$work/log" | head -n 10
	else
		echo "== fuzz_$t: ${runs:-?} runs, no crash (corpus grew to $(ls "$work/corpus" | wc -l) files)"
	fi
done
[ "$failed" -ne 0 ] && exit 2
[ "$crashed" -ne 0 ] && exit 1
exit 0
