#!/usr/bin/env bats
# fixsim script playing QuickFIX acceptance .def files (cmd/fixsim/def.c),
# the player the conformance harness (tests/at/run.sh) uses, against a
# fake acceptor: a python3 script that answers each inbound message with
# the next line of a reply file and logs every byte it receives.  A reply
# line holds messages separated by spaces (| for SOH; 9= and 10= added
# when absent), "-" for no answer, "close" to drop the connection, "time"
# to say whether 52, 60 and 122 hold now, now+10 s and now-121 s, and
# "split:MSG" to send MSG in two writes.  None of it needs the suite.

load helpers

fixsim="$top/$build/bin/fixsim"

setup() {
	tmp="$BATS_TEST_TMPDIR"
	[ -x "$fixsim" ] || skip "fixsim not built"
	command -v python3 > /dev/null || skip "python3 not found"
	printf '%s\n' '10=\d{3}' \
	    '52=\d{8}-\d{2}:\d{2}:\d{2}|\d{8}-\d{2}:\d{2}:\d{2}[.]\d{3}' \
	    > "$tmp/fields.fmt"
	cat > "$tmp/fake.py" <<'EOF'
import datetime, os, re, socket, sys, threading, time
portfile, replyfile, logfile = sys.argv[1:4]
replies = [l.rstrip('\n') for l in open(replyfile)]
lock = threading.Lock()
log = open(logfile, 'ab', buffering=0)

def complete(m):
    m = m.replace('|', '\x01').encode()
    if b'\x019=' not in m:
        i = m.index(b'\x01') + 1
        m = m[:i] + b'9=%d\x01' % len(m[i:]) + m[i:]
    return m + b'10=%03d\x01' % (sum(m) % 256)

def timecheck(msg):
    f = dict(x.split(b'=', 1) for x in msg.split(b'\x01') if b'=' in x)
    now = time.time()
    for tag, off in ((b'52', 0), (b'60', 10), (b'122', -121)):
        try:
            t = datetime.datetime.strptime(f[tag].decode(),
                '%Y%m%d-%H:%M:%S').replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except (KeyError, ValueError):
            return False
        if abs(t - (now + off)) > 3:
            return False
    return True

def serve(c):
    buf = b''
    while True:
        d = c.recv(65536)
        if not d:
            break
        log.write(d)
        buf += d
        while True:
            m = re.search(rb'(?:^|\x01)10=[^\x01]*\x01', buf)
            if not m:
                break
            msg, buf = buf[:m.end()], buf[m.end():]
            with lock:
                r = replies.pop(0) if replies else '-'
            out = b''
            for tok in r.split():
                if tok == 'close':
                    c.sendall(out)
                    c.close()
                    return
                elif tok == 'time':
                    out += complete('8=FIX.4.2|35=0|58=%s|' %
                        ('ok' if timecheck(msg) else 'bad'))
                elif tok.startswith('split:'):
                    m2 = complete(tok[6:])
                    c.sendall(m2[:7])
                    time.sleep(0.3)
                    out += m2[7:]
                elif tok != '-':
                    out += complete(tok)
            c.sendall(out)
    c.close()

s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(8)
open(portfile + '.tmp', 'w').write(str(s.getsockname()[1]))
os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
}

teardown() {
	if [ -n "${fpid:-}" ]; then
		kill "$fpid" 2> /dev/null || true
		wait "$fpid" 2> /dev/null || true
	fi
}

# fake: start the acceptor with the replies on stdin; sets $port.
fake() {
	cat > "$tmp/replies"
	python3 "$tmp/fake.py" "$tmp/port" "$tmp/replies" "$tmp/log" &
	fpid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	port=$(cat "$tmp/port")
}

# def NAME: a .def from stdin, | for SOH.
def() {
	tr '|' '\001' > "$tmp/$1.def"
}

logon_reply='8=FIX.4.2|35=A|34=1|49=ISLD|52=20200101-00:00:00.000|56=TW42|98=0|108=30|'
logout_reply='8=FIX.4.2|35=5|34=2|49=ISLD|52=20200101-00:00:00.000|56=TW42|'

@test "fixsim script .def: a pass, several messages in one read and one in two" {
	fake <<-EOF
	$logon_reply
	8=FIX.4.2|35=0|34=2|49=ISLD|52=20200101-00:00:00.000|56=TW42| 8=FIX.4.2|35=0|34=3|49=ISLD|52=20200101-00:00:00.123|56=TW42|
	split:8=FIX.4.2|35=1|34=4|49=ISLD|52=20200101-00:00:00.000|56=TW42|112=X|
	$logout_reply close
	EOF
	def pass <<-'EOF'
	# a comment, then a blank line

	iCONNECT
	I8=FIX.4.2|35=A|34=1|49=TW42|52=<TIME>|56=ISLD|98=0|108=30|
	E8=FIX.4.2|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW42|98=0|108=30|10=0|
	I8=FIX.4.2|35=1|34=2|49=TW42|52=<TIME>|56=ISLD|112=A|
	E8=FIX.4.2|9=51|35=0|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW42|10=0|
	E1,8=FIX.4.2|35=0|34=3|49=ISLD|52=00000000-00:00:00.000|56=TW42|
	I1,8=FIX.4.2|35=0|34=3|49=TW42|52=<TIME>|56=ISLD|
	E8=FIX.4.2|9=57|35=1|34=4|49=ISLD|52=00000000-00:00:00.000|56=TW42|112=X|10=0|
	I8=FIX.4.2|35=5|34=4|49=TW42|52=<TIME>|56=ISLD|
	E8=FIX.4.2|9=51|35=5|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW42|10=0|
	e1,DISCONNECT
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/pass.def"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1..1" ]
	[ "${lines[1]}" = "ok 1 - ${tmp##*/}/pass.def" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "fixsim script .def: a mismatch names the .def line, the field, both messages" {
	fake <<-EOF
	8=FIX.4.2|35=A|34=2|49=ISLD|52=20200101-00:00:00.000|56=TW42|98=0|108=30|
	8=FIX.4.2|35=A|34=2|49=ISLD|52=20200101-00:00:00.000|56=TW42|98=0|108=30|
	EOF
	def bad <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=A|34=1|49=TW42|52=<TIME>|56=ISLD|98=0|108=30|

	E8=FIX.4.2|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW42|98=0|108=30|10=0|
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/bad.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "not ok 1 - ${tmp##*/}/bad.def" ]
	[ "${lines[2]}" = "# $tmp/bad.def:4: field 4: expected 34=1, received 34=2" ]
	[[ "${lines[3]}" == "#   expected  8=FIX.4.2|9=63|35=A|34=1|"* ]]
	[[ "${lines[4]}" == "#   received  8=FIX.4.2|9=63|35=A|34=2|"*"|10="[0-9][0-9][0-9]"|" ]]
	# Without -T the same report goes to stderr, then a summary line.
	run "$fixsim" script -f "$tmp/fields.fmt" -p "$port" "$tmp/bad.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "fixsim: $tmp/bad.def:4: field 4: expected 34=1, received 34=2" ]
	[[ "${lines[1]}" == "  expected  8=FIX.4.2|9=63|35=A|34=1|"* ]]
	[[ "${lines[2]}" == "  received  8=FIX.4.2|9=63|35=A|34=2|"* ]]
	[ "${lines[3]}" = "fixsim: $tmp/bad.def: failed" ]
}

@test "fixsim script .def: a value that does not match fields.fmt fails" {
	fake <<-EOF
	8=FIX.4.2|35=0|34=1|49=ISLD|52=2020-01-01|56=TW42|
	EOF
	def fmt <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=0|34=1|49=TW42|52=<TIME>|56=ISLD|
	E8=FIX.4.2|35=0|34=1|49=ISLD|52=2020-01-01|56=TW42|
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/fmt.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"# $tmp/fmt.def:3: field 6: 52=2020-01-01 does not match"* ]]
}

@test "fixsim script .def: eDISCONNECT passes on a close, fails on data or silence" {
	fake <<-EOF
	$logout_reply close
	$logout_reply 8=FIX.4.2|35=0|34=3|49=ISLD|52=20200101-00:00:00.000|56=TW42|
	$logout_reply
	EOF
	def disc <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=5|34=2|49=TW42|52=<TIME>|56=ISLD|
	E8=FIX.4.2|9=51|35=5|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW42|10=0|
	eDISCONNECT
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/disc.def"
	echo "$output"
	[ "$status" -eq 0 ]
	# The second time the fake answers but stays connected.
	run "$fixsim" script -T -f "$tmp/fields.fmt" -t 2 -p "$port" \
	    "$tmp/disc.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[2]}" = "# $tmp/disc.def:4: expected a disconnect, received data" ]
	[[ "${lines[3]}" == "#   received  8=FIX.4.2|9=51|35=0|34=3|"* ]]
	# The third time it says nothing at all.
	run "$fixsim" script -T -f "$tmp/fields.fmt" -t 1 -p "$port" \
	    "$tmp/disc.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[2]}" = "# $tmp/disc.def:4: expected a disconnect, still connected after 1 s" ]
}

@test "fixsim script .def: an E step fails when the engine closes or stays silent" {
	fake <<-EOF
	close
	-
	EOF
	def closed <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=0|34=1|49=TW42|52=<TIME>|56=ISLD|
	E8=FIX.4.2|35=0|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW42|
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -t 1 -p "$port" \
	    "$tmp/closed.def" "$tmp/closed.def"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "1..2" ]
	[ "${lines[1]}" = "not ok 1 - ${tmp##*/}/closed.def" ]
	[ "${lines[2]}" = "# $tmp/closed.def:3: the engine closed the connection" ]
	[[ "$output" == *"# $tmp/closed.def:3: no message within 1 s"* ]]
	[ "$(grep -c '^not ok' <<< "$output")" -eq 2 ]
}

@test "fixsim script .def: <TIME>, <TIME+N>, <TIME-N> become UTC times" {
	fake <<-EOF
	time
	EOF
	def time <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=0|34=1|52=<TIME>|60=<TIME+10>|122=<TIME-121>|58=<TIMEX>|
	E8=FIX.4.2|35=0|58=ok|
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/time.def"
	echo "$output"
	[ "$status" -eq 0 ]
	tr '\001' '|' < "$tmp/log" | grep -q '|58=<TIMEX>|10=[0-9]*|$'
}

@test "fixsim script .def: BodyLength and CheckSum added only when absent" {
	fake <<-EOF
	-
	-
	-
	$logout_reply close
	EOF
	def sums <<-'EOF'
	iCONNECT
	I8=FIX.4.2|35=0|34=1|49=TW42|56=ISLD|10=999|
	I8=FIX.4.2|9=99|35=0|34=2|49=TW42|56=ISLD|
	I8=FIX.4.2|35=0|34=3|49=TW42|56=ISLD|
	I35=0|8=FIX.4.2|10=000|
	E8=FIX.4.2|9=51|35=5|34=2|49=ISLD|52=00000000-00:00:00.000|56=TW42|10=0|
	eDISCONNECT
	EOF
	run "$fixsim" script -T -f "$tmp/fields.fmt" -p "$port" "$tmp/sums.def"
	echo "$output"
	[ "$status" -eq 0 ]
	m1='8=FIX.4.2|9=26|35=0|34=1|49=TW42|56=ISLD|10=999|'
	m2='8=FIX.4.2|9=99|35=0|34=2|49=TW42|56=ISLD|'
	m2="${m2}10=$(printf '%s' "$m2" | tr '|' '\001' | od -An -v -tu1 |
	    tr -s ' ' '\n' | awk 'NF{s+=$1} END{printf "%03d", s%256}')|"
	m3=$(fix FIX.4.2 '35=0|34=3|49=TW42|56=ISLD|' | tr '\001' '|')
	want="$m1$m2${m3}35=0|8=FIX.4.2|10=000|"
	got=$(tr '\001' '|' < "$tmp/log")
	echo "want $want"
	echo "got  $got"
	[ "$got" = "$want" ]
}

@test "fixsim script .def: fields.fmt is found beside the suite, connection ids" {
	mkdir -p "$tmp/suite/server/fix42"
	# A rule the built-in ones lack: the file must have been read.
	{ cat "$tmp/fields.fmt"; echo '98=[0-9]'; } > "$tmp/suite/fields.fmt"
	fake <<-EOF
	$logon_reply
	$logon_reply
	EOF
	tr '|' '\001' > "$tmp/suite/server/fix42/two.def" <<-'EOF'
	i1,CONNECT
	I1,8=FIX.4.2|35=A|34=1|49=TW42|52=<TIME>|56=ISLD|98=0|108=30|
	E1,8=FIX.4.2|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW42|98=X|108=30|10=0|
	i2,CONNECT
	I2,8=FIX.4.2|35=A|34=1|49=TW42|52=<TIME>|56=ISLD|98=0|108=30|
	E2,8=FIX.4.2|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW42|98=X|108=30|10=0|
	i2,DISCONNECT
	i1,DISCONNECT
	EOF
	run "$fixsim" script -T -p "$port" "$tmp/suite/server/fix42/two.def"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "ok 1 - fix42/two.def" ]
}

@test "fixsim script .def: usage errors, unreadable and bad files exit 2" {
	run "$fixsim" script
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: fixsim script "* ]]
	run "$fixsim" script -p 1 -t 0 "$tmp/x.def"
	[ "$status" -eq 2 ]
	run "$fixsim" script -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: fixsim script "* ]]
	run "$fixsim" script -T -p 1 -f "$tmp/nonexistent.fmt" "$tmp/x.def"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nonexistent.fmt: No such file or directory"* ]]
	run "$fixsim" script -T -p 1 -f "$tmp/fields.fmt" "$tmp/x.def"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${lines[1]}" = "not ok 1 - ${tmp##*/}/x.def" ]
	[[ "${lines[2]}" == "# $tmp/x.def"*"No such file or directory" ]]
	# A .def needs a port; an unknown step is a bad file, not a failure.
	printf 'iCONNECT\n' > "$tmp/x.def"
	run "$fixsim" script -T -f "$tmp/fields.fmt" "$tmp/x.def"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${lines[2]}" = "# $tmp/x.def: a .def file needs -p port" ]
	printf 'XCONNECT\n' > "$tmp/x.def"
	run "$fixsim" script -T -p 1 -f "$tmp/fields.fmt" "$tmp/x.def"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${lines[2]}" = "# $tmp/x.def:1: unknown step 'XCONNECT'" ]
}
