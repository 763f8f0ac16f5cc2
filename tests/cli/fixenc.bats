#!/usr/bin/env bats
# fixenc: readable text and JSON in, wire FIX out.

load helpers

@test "BodyLength and CheckSum are computed, never copied" {
	out=$(echo '8=FIX.4.4|9=999|35=0|49=A|56=B|34=1|52=20261122-10:00:00|10=000|' | fixenc | tr '\001' '|')
	[ "$out" = "$(fix FIX.4.4 '35=0|49=A|56=B|34=1|52=20261122-10:00:00|' | tr '\001' '|')" ]
}

@test "a line without 8= gets -b or FIX.4.4" {
	out=$(echo '35=0|49=A|' | fixenc | tr '\001' '|')
	[[ "$out" == "8=FIX.4.4|9="* ]]
	out=$(echo '35=0|49=A|' | fixenc -b FIX.4.2 | tr '\001' '|')
	[[ "$out" == "8=FIX.4.2|9="* ]]
	out=$(echo '8=FIX.4.1|35=0|' | fixenc -b FIX.4.2 | tr '\001' '|')
	[[ "$out" == "8=FIX.4.1|"* ]]
	out=$(echo '8=FIX.4.1|35=0|' | fixenc -r -b FIX.4.2 | tr '\001' '|')
	[[ "$out" == "8=FIX.4.2|"* ]]
}

@test "header filled after 35 in standard order: -s -t -S -T, -H" {
	out=$(printf '35=0|\n35=1|112=X|\n' | fixenc -n -s ME -t YOU -S 7 -T 3 | tr '\001' '|')
	line1=$(echo "$out" | head -n1)
	line2=$(echo "$out" | sed -n 2p)
	[[ "$line1" =~ ^8=FIX\.4\.4\|9=[0-9]+\|35=0\|49=ME\|56=YOU\|34=7\|52=[0-9]{8}-[0-9:]{8}\.[0-9]{3}\|10=[0-9]{3}\|$ ]]
	[[ "$line2" == *"|34=8|"* ]]
	out=$(echo '35=0|' | fixenc -H -s ME -t YOU -T 9 | tr '\001' '|')
	[[ "$out" =~ \|34=1\|52=[0-9]{8}-[0-9:]{8}\.[0-9]{9}\| ]]
	fixenc -H -s ME -t YOU "$ex/orders.txt" | fixdec -V > /dev/null
}

@test "-r replaces header fields the line has; without it they stay" {
	out=$(echo '35=0|49=OLD|' | fixenc -s NEW | tr '\001' '|')
	[[ "$out" == *"|49=OLD|"* ]]
	out=$(echo '35=0|49=OLD|' | fixenc -r -s NEW | tr '\001' '|')
	[[ "$out" == *"|49=NEW|"* && "$out" != *OLD* ]]
}

@test "names for tags and enum descriptions for values" {
	a=$(echo 'MsgType=NewOrderSingle|ClOrdID=1|Side=buy|OrdType=LIMIT|' | fixenc | tr '\001' '|')
	[[ "$a" == *"|35=D|11=1|54=1|40=2|"* ]]
	run fixenc <<< '35=D|Sidee=1|'
	[ "$status" -eq 3 ]
	[[ "$output" == *"(stdin)"*":1:6:"*"Sidee"* || "$output" == *"<stdin>:1:6:"*"Sidee"* ]]
	run fixenc -N <<< '35=D|Side=1|'
	[ "$status" -eq 3 ]
	[[ "$output" == *"no dictionary for names"* ]]
}

@test "each line is read with the dictionary of its own BeginString" {
	out=$(printf '8=FIX.4.2|35=8|ExecTransType=NEW|\n8=FIXT.1.1|35=D|ApplVerID=FIX50_SP2|Side=SELL|\n' | fixenc -n | tr '\001' '|')
	[[ "$out" == *"|35=8|20=0|"* ]]
	[[ "$out" == *"|35=D|1128=9|54=2|"* ]]
}

@test "JSON lines: structured keys win over _raw, groups become groups" {
	j='{"_raw":"stale","BeginString":"FIX.4.4","MsgType":"W","Symbol":"X","NoMDEntries":[{"MDEntryType":"0","MDEntryPx":"1"},{"MDEntryType":"1","MDEntryPx":"2"}]}'
	out=$(echo "$j" | fixenc | tr '\001' '|')
	[[ "$out" == *"|35=W|55=X|268=2|269=0|270=1|269=1|270=2|10="* ]]
	run fixenc <<< '{"MsgType": "0", '
	[ "$status" -eq 3 ]
}

@test "other delimiters and escapes on input" {
	a=$(echo '8=FIX.4.4;35=0;58=a\;b;' | fixenc | tr '\001' '|')
	[[ "$a" == *"|58=a;b|"* ]]
	b=$(echo '8=FIX.4.4|35=0|58=a\|b\\c|' | fixenc | tr '\001' '~')
	[[ "$b" == *"~58=a|b\\c~"* ]]
}

@test "settings file: -c picks the session, -C by id" {
	cat > "$tmp/s.cfg" <<'CFG'
[DEFAULT]
BeginString=FIX.4.2
TimestampPrecision=6
[SESSION]
SenderCompID=ONE
TargetCompID=EX
[SESSION]
BeginString=FIX.4.4
SenderCompID=TWO
TargetCompID=EX
CFG
	out=$(echo '35=0|' | fixenc -H -c "$tmp/s.cfg" | tr '\001' '|')
	[[ "$out" =~ ^8=FIX\.4\.2\|.*\|49=ONE\|56=EX\|34=1\|52=[0-9]{8}-[0-9:]{8}\.[0-9]{6}\| ]]
	out=$(echo '35=0|' | fixenc -H -c "$tmp/s.cfg" -C 'FIX.4.4:TWO->EX' | tr '\001' '|')
	[[ "$out" == "8=FIX.4.4|"*"|49=TWO|56=EX|"* ]]
	run fixenc -c "$tmp/s.cfg" -C 'FIX.4.4:NOPE->EX' < /dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *NOPE* ]]
}

@test "usage and errors: -h exit 0, bad option 2, missing file 5" {
	run fixenc -h
	[ "$status" -eq 0 ]
	run fixenc -Q
	[ "$status" -eq 2 ]
	run fixenc /nonexistent/orders
	[ "$status" -eq 5 ]
	run fixenc -T 4
	[ "$status" -eq 2 ]
}
