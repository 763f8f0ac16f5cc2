#!/usr/bin/env bats
# The bad-input battery (tests/data/bad/): every case gets its diagnostic
# with a location, exit 3, and the good message after it still decodes.

load helpers

bad="$top/tests/data/bad"
good='|34=2|52=20260101-12:00:01.000|10=063|'

# case FILE STATUS 'diagnostic at file:line:col'
check() {
	run fixdec "$bad/$1"
	echo "$output"
	[ "$status" -eq "$2" ]
	[[ "$output" == *"fixdec: $bad/$1:$3"* ]]
	[[ "$output" == *"$good"* ]]
}

@test "01 truncated, next message follows" {
	check 01-truncated.fix 3 "1:1: garbled data: message cut short"
}
@test "02 truncated at end of input" {
	check 02-truncated-eof.fix 3 "1:78: truncated message: BodyLength 55 needs 37 more bytes"
}
@test "03 wrong CheckSum" {
	check 03-checksum.fix 3 "1:71: bad CheckSum (10): expected 061, got 000"
}
@test "04 BodyLength too short" {
	check 04-bodylen-short.fix 3 "1:13: bad BodyLength (9): declared 40, actual 55"
}
@test "05 BodyLength too long does not swallow the next message" {
	check 05-bodylen-long.fix 3 "1:13: bad BodyLength (9): declared 70, actual 55"
}
@test "06 huge BodyLength" {
	check 06-bodylen-huge.fix 3 "1:13: limit exceeded: BodyLength 9999999 exceeds"
}
@test "07 negative BodyLength" {
	check 07-bodylen-negative.fix 3 "1:13: bad BodyLength (9): BodyLength is not a number"
}
@test "08 message without 8=" {
	check 08-missing-8.fix 3 "1:5: garbled data: skipped bytes that are not FIX"
}
@test "09 message without 9=" {
	check 09-missing-9.fix 3 "1:11: bad BodyLength (9): BodyLength (9) does not follow BeginString"
}
@test "10 message without 35=" {
	check 10-missing-35.fix 3 "1:16: field out of order: third field is not MsgType (35)"
}
@test "11 field without =" {
	check 11-no-equals.fix 3 "1:71: field without '=': field '58' has no '='"
}
@test "12 tag 0" {
	check 12-tag-zero.fix 3 "1:46: bad tag: tag '0'"
}
@test "13 non-numeric tag" {
	check 13-tag-alpha.fix 3 "1:46: bad tag: tag is not a number"
}
@test "14 tag past 2^31-1" {
	check 14-tag-too-large.fix 3 "1:46: bad tag: tag '2147483648'"
}
@test "15 NUL bytes in values decode, escaped" {
	run fixdec "$bad/15-nul-in-values.fix"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *'|58=a\x00b|95=3|96=\x00\x01\x00|'* ]]
	[[ "$output" == *"$good"* ]]
	fixdec "$bad/15-nul-in-values.fix" | fixenc | cmp - "$bad/15-nul-in-values.fix"
}
@test "16 data length past the end" {
	check 16-data-too-long.fix 3 "1:78: bad data field length: data field 96 is not 100 bytes long"
}
@test "17 binary junk" {
	check 17-binary-junk.bin 3 "1:1: garbled data: skipped bytes that are not FIX"
}
@test "18 ^A delimiters decode" {
	run fixdec "$bad/18-caret-a.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"|34=1|52=20260101-12:00:00.000|10=061|"* ]]
}
@test "19 MsgType before BodyLength" {
	check 19-header-order.fix 3 "1:11: bad BodyLength (9)"
}
@test "20 a field after the CheckSum" {
	check 20-field-after-checksum.fix 3 "1:86: garbled data: skipped bytes that are not FIX"
}

@test "big: 10,000 fields, a 1 MB value and 100 MB of junk; no crash, no hang" {
	sh "$bad/make-battery.sh" -b "$tmp/big" >/dev/null
	run fixdec "$tmp/big/big-10000-fields.fix"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '|' '\n' | grep -c '=')" -ge 10000 ]
	fixdec "$tmp/big/big-1mb-value.fix" > "$tmp/out"
	[ "$(wc -c < "$tmp/out")" -gt 1048576 ]
	fixdec "$tmp/big/big-1mb-value.fix" | fixenc | cmp - "$tmp/big/big-1mb-value.fix"
	run timeout 60 fixdec "$tmp/big/big-100mb-junk.bin"
	[ "$status" -eq 3 ]
	[ "$(echo "$output" | grep -c 'not FIX')" -le 40 ]
	[[ "$output" == *"|10="* ]]
}

@test "fixenc: bad lines are reported with line:col and skipped, exit 3" {
	printf '35=0|49=A|\n35=0|4x9=A|\n\n# comment\n35=0|49=B|\n' > "$tmp/in"
	run fixenc -n "$tmp/in"
	[ "$status" -eq 3 ]
	[[ "$output" == *"fixenc: $tmp/in:2:6:"* ]]
	[ "$(fixenc -n "$tmp/in" 2>/dev/null | wc -l)" -eq 2 ]
}
