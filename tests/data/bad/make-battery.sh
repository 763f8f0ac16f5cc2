#!/bin/sh
# make-battery.sh -- write the bad-input battery, deterministically.
#
#   sh tests/data/bad/make-battery.sh [DIR]       the small cases (default:
#                                                 this script's directory)
#   sh tests/data/bad/make-battery.sh -b DIR      the big cases, into DIR
#
# Every case is a raw stream of SOH-delimited messages, as fixdec reads it:
# the bad message first, then a good Heartbeat (or the good one first when
# the fault is the end of the stream), so a test can check that the good
# one still decodes.  BodyLength and CheckSum are computed here with od and
# awk unless a case overrides them on purpose.  README lists the cases and
# the diagnostics they should produce.  Only sh, printf, tr, od, awk, wc
# and cat are used, so the big cases can be made wherever the tests run.
set -eu
export LC_ALL=C

big=0
if [ "${1:-}" = "-b" ]; then
	big=1
	shift
	[ $# -eq 1 ] || { echo "usage: $0 -b DIR" >&2; exit 2; }
fi
dir=${1:-$(dirname "$0")}
BL='' SUM=''
mkdir -p "$dir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/battery.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# sum FILE...: FIX CheckSum (byte sum mod 256) of the files, three digits.
sum() {
	cat "$@" | od -An -v -tu1 | awk '{ for (i = 1; i <= NF; i++) s += $i }
	    END { printf "%03d", s % 256 }'
}

# body FORMAT [ARG...]: printf FORMAT into $tmp/body with '|' as SOH.
# FORMAT may hold octal escapes such as \000 for bytes a shell cannot keep.
body() {
	fmt=$1
	shift
	# shellcheck disable=SC2059
	printf "$fmt" "$@" | tr '|' '\001' > "$tmp/body"
}

# msg BEGIN: a message around $tmp/body; BL and SUM override the computed
# BodyLength and CheckSum when set (and are then unset).
msg() {
	len=$(wc -c < "$tmp/body" | tr -d ' ')
	printf '8=%s\0019=%s\001' "$1" "${BL:-$len}" > "$tmp/head"
	s=${SUM:-$(sum "$tmp/head" "$tmp/body")}
	cat "$tmp/head" "$tmp/body"
	printf '10=%s\001' "$s"
	BL='' SUM=''
}

# The good message every case ends with (a Heartbeat, MsgSeqNum 2).
good() {
	body '35=0|49=SENDER|56=TARGET|34=2|52=20260101-12:00:01.000|'
	msg FIX.4.4
}

# A first message that is fine except for what a case changes.
HB='35=0|49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|'

# junk N SEED: N deterministic bytes from a linear congruential generator,
# with '8' replaced by '*' so that the junk can never hold "8=FIX".
junk() {
	awk -v n="$1" -v x="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			x = (x * 69069 + 1) % 4294967296	# exact in a double
			c = int(x / 16777216)
			if (c == 56) c = 42
			printf "%c", c
		}
	}'
}

if [ "$big" -eq 1 ]; then
	# 10,000 fields in one message (35, 4 header fields, 9995 Text-like
	# user fields), then a good message.
	awk 'BEGIN { printf "35=0|49=SENDER|56=TARGET|34=1|"
	    for (i = 0; i < 9996; i++) printf "%d=%d|", 5000 + i, i }' |
	    tr '|' '\001' > "$tmp/body"
	{ msg FIX.4.4; good; } > "$dir/big-10000-fields.fix"
	# A 1 MiB value in Text (58), then a good message.
	{ printf '35=0|49=SENDER|56=TARGET|34=1|58='; awk 'BEGIN {
	    for (i = 0; i < 16384; i++) printf "%064d", i }'; printf '|'; } |
	    tr '|' '\001' > "$tmp/body"
	{ msg FIX.4.4; good; } > "$dir/big-1mb-value.fix"
	# 100 MiB of junk, then a good message.
	junk 65536 7 > "$tmp/j0"
	i=0
	while [ $i -lt 10 ]; do		# 64 KiB * 2^10 = 64 MiB
		cat "$tmp/j$i" "$tmp/j$i" > "$tmp/j$((i + 1))"
		rm -f "$tmp/j$i"
		i=$((i + 1))
	done
	head -c 37748736 "$tmp/j10" > "$tmp/j36"	# 36 MiB
	{ cat "$tmp/j10" "$tmp/j36"; good; } > "$dir/big-100mb-junk.bin"
	exit 0
fi

# 01: a message cut short (a sender that died), then a good one.
body "$HB"
msg FIX.4.4 | head -c 40 > "$tmp/cut"
{ cat "$tmp/cut"; good; } > "$dir/01-truncated.fix"

# 02: the stream ends inside a message.
{ good; body "$HB"; msg FIX.4.4 | head -c 40; } > "$dir/02-truncated-eof.fix"

# 03: wrong CheckSum (the right one is computed, then replaced).
body "$HB"
SUM=000 msg FIX.4.4 > "$tmp/m"
good >> "$tmp/m"
cp "$tmp/m" "$dir/03-checksum.fix"

# 04, 05: BodyLength too short and too long.
body "$HB"
{ BL=40 msg FIX.4.4; good; } > "$dir/04-bodylen-short.fix"
body "$HB"
{ BL=70 msg FIX.4.4; good; } > "$dir/05-bodylen-long.fix"

# 06: BodyLength beyond the 4 MiB message limit.
body "$HB"
{ BL=9999999 msg FIX.4.4; good; } > "$dir/06-bodylen-huge.fix"

# 07: negative BodyLength.
body "$HB"
{ BL=-55 msg FIX.4.4; good; } > "$dir/07-bodylen-negative.fix"

# 08: no BeginString: the message starts with 9=.
body "$HB"
msg FIX.4.4 | tail -c +11 > "$tmp/m"
{ cat "$tmp/m"; good; } > "$dir/08-missing-8.fix"

# 09: no BodyLength: 8= then 35=.
body "$HB"
msg FIX.4.4 | awk 'BEGIN { RS = "\001"; ORS = "\001" } !/^9=/' > "$tmp/m"
{ cat "$tmp/m"; good; } > "$dir/09-missing-9.fix"

# 10: no MsgType (35) anywhere.
body '49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|'
{ msg FIX.4.4; good; } > "$dir/10-missing-35.fix"

# 11: a field without '='.
body '35=0|49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|58|'
{ msg FIX.4.4; good; } > "$dir/11-no-equals.fix"

# 12: tag 0.
body '35=0|49=SENDER|56=TARGET|34=1|0=x|52=20260101-12:00:00.000|'
{ msg FIX.4.4; good; } > "$dir/12-tag-zero.fix"

# 13: a non-numeric tag.
body '35=0|49=SENDER|56=TARGET|34=1|abc=x|52=20260101-12:00:00.000|'
{ msg FIX.4.4; good; } > "$dir/13-tag-alpha.fix"

# 14: a tag beyond 2^31-1.
body '35=0|49=SENDER|56=TARGET|34=1|2147483648=x|52=20260101-12:00:00.000|'
{ msg FIX.4.4; good; } > "$dir/14-tag-too-large.fix"

# 15: NUL bytes in a plain value (58) and in a data value (96).
body '35=0|49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|58=a\000b|95=3|96=\000|\000|'
{ msg FIX.4.4; good; } > "$dir/15-nul-in-values.fix"

# 16: a data field whose length runs past the end of the message.
body '35=0|49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|95=100|96=abc|'
{ msg FIX.4.4; good; } > "$dir/16-data-too-long.fix"

# 17: 512 bytes of binary junk, then a good message.
{ junk 512 1; good; } > "$dir/17-binary-junk.bin"

# 18: "^A" written out instead of SOH (as some logs print it).
body "$HB"
msg FIX.4.4 | tr '\001' '~' | awk '{ gsub(/~/, "^A"); printf "%s", $0 }' \
    > "$tmp/m"
{ cat "$tmp/m"; good; } > "$dir/18-caret-a.log"

# 19: the first three fields out of order (35 before 9).
body "$HB"
msg FIX.4.4 > "$tmp/m"
awk 'BEGIN { RS = "\001"; ORS = "\001" }
    NR == 2 { nine = $0; next } NR == 3 { print; print nine; next }
    { print }' "$tmp/m" > "$tmp/m2"
{ cat "$tmp/m2"; good; } > "$dir/19-header-order.fix"

# 20: CheckSum not the last field.
body '35=0|49=SENDER|56=TARGET|34=1|52=20260101-12:00:00.000|'
msg FIX.4.4 > "$tmp/m"
{ cat "$tmp/m"; printf '58=after\001'; good; } > "$dir/20-field-after-checksum.fix"
