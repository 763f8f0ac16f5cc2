#!/bin/sh
# demo.sh -- what `make demo` runs: fixdec and fixenc on the example logs.
#
#   sh examples/demo.sh BUILD-DIR
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/$build/bin:$PATH"
FIXUTIL_DICT_PATH="$top/dicts"
export PATH FIXUTIL_DICT_PATH
ex="$top/examples"
log="$ex/FIX.4.4-EXEC-CLIENT1.messages.log"

step() {
	if [ -t 1 ]; then
		printf '\n\033[1m$ %s\033[0m\n' "$*"
	else
		printf '\n$ %s\n' "$*"
	fi
	sh -c "$*"
}

cd "$ex" || exit 5
echo "fixutil demo: decoding the QuickFIX log and friends in examples/"
step "fixdec FIX.4.4-EXEC-CLIENT1.messages.log | grep 35=8 | head -n 3"
step "fixdec -n -m NewOrderSingle FIX.4.4-EXEC-CLIENT1.messages.log"
step "fixdec -v -m W FIX.4.4-EXEC-CLIENT1.messages.log"
step "fixdec -j -A -s EXEC FIX.4.4-EXEC-CLIENT1.messages.log | head -n 2"
step "fixdec -n -p fixt-gateway.log"
step "fixdec -V FIX.4.4-EXEC-CLIENT1.messages.log fixt-gateway.log > /dev/null"
step "fixdec -V damaged.log"
step "fixenc -H -s CLIENT1 -t EXEC orders.txt | fixdec -n -V"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixutil-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
step "fixdec -w FIX.4.4-EXEC-CLIENT1.messages.log > $tmp/wire &&
      fixdec FIX.4.4-EXEC-CLIENT1.messages.log | fixenc -n > $tmp/again &&
      cmp $tmp/wire $tmp/again && echo 'fixdec | fixenc: the same bytes, message for message'"
step "fixstore -S $tmp/demo.db import -s 'FIX.4.4:EXEC->CLIENT1' FIX.4.4-EXEC-CLIENT1.messages.log &&
      fixstore -S $tmp/demo.db list"
step "fixstore -S $tmp/demo.db dump -d out -m 8 -s 5-7 'FIX.4.4:EXEC->CLIENT1' | fixdec -n"
step "fixstore -S $tmp/demo.db verify"
exit 0
