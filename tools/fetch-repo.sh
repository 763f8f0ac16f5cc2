#!/bin/sh
# fetch-repo.sh -- get the FIX Repository (fix_repo.zip) from the npm
# package jspurefix, for `make dicts`.  Only developers regenerating dicts/
# need this; the generated dictionaries are committed.
#
#   sh tools/fetch-repo.sh OUT.zip
set -eu
out=$1
version=${JSPUREFIX_VERSION:-5.11.4}
[ -f "$out" ] && exit 0
command -v npm >/dev/null 2>&1 || {
	echo "fetch-repo: npm is needed: apt-get install -y npm" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "jspurefix@$version" >/dev/null)
tar -xzf "$tmp"/jspurefix-*.tgz -C "$tmp" package/data/fix_repo.zip
mkdir -p "$(dirname "$out")"
mv "$tmp/package/data/fix_repo.zip" "$out"
echo "fetch-repo: $out from jspurefix $version" >&2
