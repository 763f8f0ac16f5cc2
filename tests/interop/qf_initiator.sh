#!/bin/sh
# qf_initiator.sh -- build tests/interop/qf_initiator.cpp on demand.
#
#   sh tests/interop/qf_initiator.sh
#
# Compiles the QuickFIX C++ initiator with g++ against libquickfix-dev into
# $FIXU_BUILD/tests/qf_initiator (FIXU_BUILD: the build directory, relative
# to the top of the source tree unless absolute; "build" by default), unless
# it is there and newer than its source, and prints the binary's path.
#
# Exit: 0 built (or up to date), path on stdout; 77 skip: g++ or
# libquickfix-dev is not installed, the reason on stderr; 1 the compiler
# failed, its messages on stderr.
set -u

case $0 in
*/*)	dir=${0%/*} ;;
*)	dir=. ;;
esac
top=$(cd "$dir/../.." && pwd) || exit 1
build=${FIXU_BUILD:-build}
case $build in
/*)	;;
*)	build=$top/$build ;;
esac
src=$top/tests/interop/qf_initiator.cpp
out=$build/tests/qf_initiator

if ! command -v g++ >/dev/null 2>&1; then
	echo "qf_initiator.sh: g++ not installed" >&2
	exit 77
fi
if [ ! -f /usr/include/quickfix/SocketInitiator.h ]; then
	echo "qf_initiator.sh: libquickfix-dev not installed" >&2
	exit 77
fi
if [ -x "$out" ] && [ ! "$src" -nt "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$build/tests" || exit 1
# QuickFIX 1.15's headers have dynamic exception specifications, which
# C++17 removed: C++14 is the newest standard they build with.  Build to a
# private name and rename, so that a concurrent run never sees half a file.
tmp=$out.$$
if ! g++ -std=c++14 -O1 -Wall -Wno-deprecated -o "$tmp" "$src" \
    -lquickfix -lpthread; then
	rm -f "$tmp"
	echo "qf_initiator.sh: could not build $src" >&2
	exit 1
fi
mv -f "$tmp" "$out" || exit 1
echo "$out"
