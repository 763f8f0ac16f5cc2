#!/bin/sh
# Rewrite the golden outputs from the current build after an intended
# change; review the diff before committing it.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
PATH="$top/${FIXU_BUILD:-build}/bin:$PATH"
FIXUTIL_DICT_PATH="$top/dicts"
export PATH FIXUTIL_DICT_PATH LC_ALL=C
cd "$top/examples"
while read -r name args; do
	# shellcheck disable=SC2086
	fixdec $args > "$top/tests/data/golden/$name.out" 2>&1 || true
done < "$top/tests/data/golden/cases"
