#!/bin/sh
# deps.sh -- make sure the Debian packages a make target needs are there.
#
#   sh tools/deps.sh build|check|bench
#
# Installs what is missing with apt-get when run as root; otherwise prints
# the exact command to run and exits 1.  Never installs anything else.
set -u

build="gcc make pkg-config libxml2-dev libsqlite3-dev libsodium-dev libreadline-dev libjansson-dev zlib1g-dev"
check="$build bats libxml2-utils tshark mandoc bash-completion zsh clang g++ libquickfix-dev libquickfix-doc sqlite3 jq python3 tzdata resource-agents procps"
bench="$build g++ libquickfix-dev libquickfix-doc time strace jq"

case "${1:-build}" in
build)	want=$build ;;
check)	want=$check ;;
bench)	want=$bench ;;
*)	echo "usage: sh tools/deps.sh build|check|bench" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "fixutil: missing Debian packages:$missing" >&2
	echo "run:  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "fixutil: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; refresh them once if needed.
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null 2>&1 || { echo "fixutil: apt-get update failed" >&2; exit 1; }
	apt-get install -y -q --no-install-recommends $missing >&2 || exit 1
fi
