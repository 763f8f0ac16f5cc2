#!/usr/bin/env bats
# fixdec: decoding, modes, filters, validation, bad input.

load helpers

log() { echo "$ex/FIX.4.4-EXEC-CLIENT1.messages.log"; }

@test "default mode: one message a line, TAG=VALUE with '|'" {
	run fixdec "$(log)"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 22 ]
	[[ "${lines[0]}" == "8=FIX.4.4|9=72|35=A|49=CLIENT1|56=EXEC|34=1|"* ]]
	[[ "${lines[0]}" == *"|10=056|" ]]
}

@test "grep 35=8 finds exactly the execution reports" {
	n=$(fixdec "$(log)" | grep -c '|35=8|')
	[ "$n" -eq 9 ]
}

@test "stdin and '-' read the same" {
	a=$(fixdec < "$(log)")
	b=$(fixdec - < "$(log)")
	c=$(fixdec "$(log)")
	[ "$a" = "$b" ] && [ "$b" = "$c" ]
}

@test "names mode keeps |TAG=VALUE| and adds {Name=DESC}" {
	run fixdec -n -m D "$(log)"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"|35=D|{MsgType=NewOrderSingle}|"* ]]
	[[ "${lines[0]}" == *"|55=MSFT|{Symbol}|"* ]]
	[[ "${lines[0]}" == *"|54=1|{Side=BUY}|"* ]]
}

@test "verbose mode indents group members" {
	run fixdec -v -m W "$(log)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"MarketDataSnapshotFullRefresh"* ]]
	echo "$output" | grep -q '^ \+269=0'
	echo "$output" | grep -q '^268=2'
}

@test "JSON mode is NDJSON with nested groups" {
	command -v python3 >/dev/null || skip "python3 needed to read JSON"
	fixdec -j -m W "$(log)" > "$tmp/out.json"
	python3 - "$tmp/out.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert o["MsgType"] == "W", o
g = o["NoMDEntries"]
assert isinstance(g, list) and len(g) == 2, g
assert g[1]["MDEntryPx"] == "412.40", g
assert "35=W" in o["_raw"]
PY
}

@test "wire mode gives SOH messages; -W without newlines" {
	fixdec -w "$(log)" | head -n1 | grep -q "$(printf '^8=FIX.4.4\0019=72\001')"
	n=$(fixdec -W "$(log)" | wc -l)
	[ "$n" -eq 0 ]
}

@test "fixdec | fixenc gives back the input bytes" {
	fixdec -w "$(log)" > "$tmp/a"
	fixdec "$(log)" | fixenc -n > "$tmp/b"
	cmp "$tmp/a" "$tmp/b"
}

@test "'|' logs with syslog prefixes; -p passes other lines through" {
	run fixdec "$ex/fixt-gateway.log"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	run fixdec -p "$ex/fixt-gateway.log"
	[ "${#lines[@]}" -eq 5 ]
	[[ "${lines[4]}" == *"heartbeat timer"* ]]
}

@test "-P keeps the log prefix" {
	run fixdec -P -m 0 "$(log)"
	[[ "${lines[0]}" == "20261122-09:30:"*" : 8=FIX.4.4|"* ]]
}

@test "^A and ^ and ; delimiters are detected" {
	fix FIX.4.2 '35=0|49=A|56=B|34=1|52=20261122-10:00:00|' > "$tmp/m"
	tr '\001' '|' < "$tmp/m" > "$tmp/pipe"
	want=$(cat "$tmp/pipe")
	sed 's/|/^A/g' "$tmp/pipe" > "$tmp/caret"; echo >> "$tmp/caret"
	[ "$(fixdec "$tmp/caret")" = "$want" ]
	tr '|' '^' < "$tmp/pipe" > "$tmp/hat"; echo >> "$tmp/hat"
	[ "$(fixdec "$tmp/hat")" = "$want" ]
	tr '|' ';' < "$tmp/pipe" > "$tmp/semi"; echo >> "$tmp/semi"
	[ "$(fixdec "$tmp/semi")" = "$want" ]
}

@test "-d insists on one delimiter" {
	fix FIX.4.2 '35=0|49=A|56=B|34=1|52=20261122-10:00:00|' > "$tmp/m"
	tr '\001' '|' < "$tmp/m" > "$tmp/both"; echo >> "$tmp/both"
	cat "$tmp/m" >> "$tmp/both"
	[ "$(fixdec -d pipe "$tmp/both" | wc -l)" -eq 1 ]
	[ "$(fixdec -d SOH "$tmp/both" | wc -l)" -eq 1 ]
	[ "$(fixdec "$tmp/both" | wc -l)" -eq 2 ]
}

@test "raw stream without newlines, split anywhere" {
	fixdec -W "$(log)" > "$tmp/raw"
	a=$(fixdec < "$tmp/raw")
	b=$(fixdec "$(log)")
	[ "$a" = "$b" ]
	# One byte at a time through a pipe.
	c=$(dd if="$tmp/raw" bs=1 status=none | fixdec)
	[ "$a" = "$c" ]
}

@test "filters: -m, -M, -A, -s, -t, -e, -a/-b" {
	[ "$(fixdec -m 8,D "$(log)" | wc -l)" -eq 12 ]
	[ "$(fixdec -m ExecutionReport "$(log)" | wc -l)" -eq 9 ]
	[ "$(fixdec -M 8 "$(log)" | wc -l)" -eq 13 ]
	[ "$(fixdec -A "$(log)" | wc -l)" -eq 16 ]
	[ "$(fixdec -s CLIENT1 "$(log)" | wc -l)" -eq 8 ]
	[ "$(fixdec -t CLIENT1 "$(log)" | wc -l)" -eq 14 ]
	[ "$(fixdec -e 55=MSFT "$(log)" | wc -l)" -eq 6 ]
	[ "$(fixdec -e Symbol=IBM -e 39=2 "$(log)" | wc -l)" -eq 1 ]
	[ "$(fixdec -a 20261122-09:30:10 -b 20261122-09:30:14 "$(log)" | wc -l)" -eq 4 ]
}

@test "Password (554) is masked unless -u" {
	fix FIX.4.4 '35=A|49=A|56=B|34=1|52=20261122-10:00:00|98=0|108=30|553=user|554=s3cret|' > "$tmp/logon"
	run fixdec "$tmp/logon"
	[[ "$output" == *"|554=****|"* ]]
	[[ "$output" != *s3cret* ]]
	run fixdec -u "$tmp/logon"
	[[ "$output" == *"|554=s3cret|"* ]]
}

@test "validation: every problem with file:line:col, counts, exit 1" {
	run fixdec -V "$ex/damaged.log"
	[ "$status" -eq 1 ]
	[[ "$output" == *"damaged.log:2:"*"bad CheckSum (10): expected"* ]]
	[[ "$output" == *"damaged.log:3:"*"BodyLength"* ]]
	[[ "$output" == *"damaged.log:4:"*"(373=5 371=54)"* ]]
	[[ "$output" == *"damaged.log:5:"*"(373=1 371=54)"* ]]
	[[ "$output" == *"damaged.log:5:"*"(373=6 371=38)"* ]]
	[[ "$output" == *"6 messages"* ]]
}

@test "valid logs pass -V with exit 0" {
	run fixdec -V "$(log)" "$ex/fixt-gateway.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"26 messages, 0 invalid, 0 garbled"* ]]
}

@test "without -V a bad CheckSum is reported and skipped, exit 3" {
	run fixdec "$ex/damaged.log"
	[ "$status" -eq 3 ]
	[ "$(fixdec "$ex/damaged.log" 2>/dev/null | wc -l)" -eq 4 ]
	[[ "$output" == *"damaged.log:2:132: bad CheckSum (10): expected 178, got 000"* ]]
}

@test "a wrong BodyLength does not swallow the next message" {
	run fixdec "$ex/damaged.log"
	[[ "$output" == *"|11=X-4|"* ]]
}

@test "-f follows a growing file" {
	fix FIX.4.4 '35=0|49=A|56=B|34=1|52=20261122-10:00:00|' > "$tmp/live"
	echo >> "$tmp/live"
	fixdec -f -l "$tmp/live" > "$tmp/out" &
	pid=$!
	sleep 0.5
	fix FIX.4.4 '35=0|49=A|56=B|34=2|52=20261122-10:00:01|' >> "$tmp/live"
	sleep 0.8
	kill $pid; wait $pid || true
	[ "$(grep -c '35=0' "$tmp/out")" -eq 2 ]
}

@test "usage: -h to stdout exit 0; bad option exit 2; missing file exit 5" {
	run fixdec -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == usage:* ]]
	run fixdec -Q
	[ "$status" -eq 2 ]
	run fixdec /nonexistent/file
	[ "$status" -eq 5 ]
	[[ "$output" == *"/nonexistent/file"* ]]
}

@test "a malformed dictionary is reported with file:line, exit 3" {
	printf '<fix major="4" minor="4">\n<fields>\n<field number="1" name="A" type="STRING">\n</fix>\n' > "$tmp/bad.xml"
	run fixdec -D "$tmp/bad.xml" -n "$(log)"
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad.xml:"[0-9]* ]]
}
