#!/usr/bin/env bats
# tshark's FIX dissector as an independent oracle: it must find every
# message fixenc writes, with a good CheckSum, and flag a bad one.

load helpers

setup() {
	tmp="$BATS_TEST_TMPDIR"
	command -v tshark >/dev/null && command -v text2pcap >/dev/null ||
	    skip "tshark not installed"
}

# dissect FILE: one line per FIX message: MsgType, CheckSum good (1/0).
dissect() {
	od -Ax -tx1 -v "$1" > "$tmp/hex"
	text2pcap -q -T 40000,9878 "$tmp/hex" "$tmp/p.pcap" >/dev/null 2>&1
	tshark -r "$tmp/p.pcap" -d tcp.port==9878,fix -T fields \
	    -e fix.MsgType -e fix.checksum_good 2>/dev/null |
	    awk -F'\t' '{ n = split($1, t, ","); split($2, g, ",");
		for (i = 1; i <= n; i++) print t[i] "\t" g[i] }'
}

@test "tshark agrees with every CheckSum fixenc computes" {
	fixenc -s CLIENT1 -t EXEC -S 1 "$ex/orders.txt" > "$tmp/w"
	dissect "$tmp/w" > "$tmp/d"
	cat "$tmp/d"
	[ "$(wc -l < "$tmp/d")" -eq 3 ]
	! grep -qv '	1$' "$tmp/d"
}

@test "tshark agrees on the messages fixdec -W re-emits from a log" {
	fixdec -w -m D,8 "$ex/FIX.4.4-EXEC-CLIENT1.messages.log" | head -n 6 |
	    tr -d '\n' > "$tmp/w"
	dissect "$tmp/w" > "$tmp/d"
	[ "$(wc -l < "$tmp/d")" -eq 6 ]
	[ "$(cut -f1 "$tmp/d" | tr -d '\n')" = "D888D8" ]
	! grep -qv '	1$' "$tmp/d"
}

@test "tshark flags the bad CheckSum fixdec rejects" {
	fix FIX.4.4 '35=0|49=A|56=B|34=1|52=20261122-10:00:00|' | sed 's/10=[0-9]*/10=000/' > "$tmp/bad"
	dissect "$tmp/bad" > "$tmp/d"
	grep -q '	0$' "$tmp/d"
	run fixdec "$tmp/bad"
	[ "$status" -eq 3 ]
	[[ "$output" == *"bad CheckSum"* ]]
}
