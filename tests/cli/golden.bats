#!/usr/bin/env bats
# Golden files: fixdec's output for the example logs in every mode, byte
# for byte; and the round trip on a corpus with nested groups and data
# fields that hold SOH, '|', '\', newlines and NUL.
#
# After an intended change of output: sh tests/data/golden/update.sh

load helpers

golden="$top/tests/data/golden"

@test "golden: every mode on the example logs" {
	while read -r name args; do
		# shellcheck disable=SC2086
		(cd "$ex" && fixdec $args) > "$tmp/$name.out" 2>&1 || true
		diff -u "$golden/$name.out" "$tmp/$name.out"
	done < "$golden/cases"
}

@test "corpus: fixenc -> fixdec -> fixenc gives the same bytes, every mode" {
	grep -v '^#' "$golden/corpus.txt" | fixenc -n > "$tmp/wire"
	[ "$(wc -l < "$tmp/wire")" -ge 6 ]
	fixdec "$tmp/wire" | fixenc -n | cmp - "$tmp/wire"
	fixdec -n "$tmp/wire" | fixenc -n | cmp - "$tmp/wire"
	fixdec -j "$tmp/wire" | fixenc -n | cmp - "$tmp/wire"
	fixdec -o ';' "$tmp/wire" | fixenc -n | cmp - "$tmp/wire"
	fixdec -W "$tmp/wire" | fixdec | fixenc -n | cmp - "$tmp/wire"
}

@test "corpus: nested groups are nested in JSON and verbose output" {
	grep -v '^#' "$golden/corpus.txt" | fixenc -n > "$tmp/wire"
	fixdec -j -m D -e 11=N1 "$tmp/wire" > "$tmp/j"
	grep -q '"NoPartyIDs":\[{"PartyID":"P1","PartyIDSource":"D","PartyRole":"1","NoPartySubIDs":\[{"PartySubID":"S1","PartySubIDType":"1"},{"PartySubID":"S2","PartySubIDType":"2"}\]}' "$tmp/j"
	fixdec -v -m AB "$tmp/wire" > "$tmp/v"
	grep -q '^    688=C  LegStipulationType' "$tmp/v"
}

@test "corpus: the data field keeps its SOH, '|', '\\', newline and NUL" {
	grep -v '^#' "$golden/corpus.txt" | fixenc -n > "$tmp/wire"
	fixdec -w -m B "$tmp/wire" | head -c 400 | od -c | grep -q '\\0'
	run fixdec -m B "$tmp/wire"
	[[ "$output" == *'|95=10|96=a\x01b\|c\\d\ne\x00|'* ]]
	# the FIX.4.2 report carries user-defined tags 5001 and 9999 on purpose
	fixdec -V -M 8 "$tmp/wire" > /dev/null
}
