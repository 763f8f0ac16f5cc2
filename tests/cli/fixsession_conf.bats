#!/usr/bin/env bats
# fixsession's settings file (cmd/fixsession/conf.c, fixsession.conf(5)),
# through `fixsession -n -c FILE`: one line per session with its role and
# endpoints, a warning with file and line for every key that has no
# effect, and for every kind of bad value exit 3 and
# "fixsession: FILE:LINE: Key: what".  The files are in tests/data/conf/;
# each bad-*.cfg says in its "# expect:" line what it must print.

load helpers

conf="$data/conf"

setup() {
	tmp="$BATS_TEST_TMPDIR"
	command -v fixsession > /dev/null || skip "fixsession not built"
}

# fsn FILE [ARG...]: fixsession -n -c FILE, stderr to $tmp/err.
fsn() {
	fixsession -n -c "$@" 2> "$tmp/err"
}

# check_bad FILE: exit 3 and the message its "# expect:" line names (a
# prefix of what follows "fixsession: FILE:"), plus every "# also:" text.
check_bad() {
	local f="$conf/$1" want also

	# @DIR@: the directory of the settings file, which relative
	# dictionary paths are resolved against.
	want=$(sed -n 's/^# expect: //p' "$f")
	want=${want//@DIR@/$conf}
	[ -n "$want" ] || { echo "$1: no '# expect:' line"; return 1; }
	run fsn "$f"
	if [ "$status" -ne 3 ]; then
		echo "$1: exit $status, expected 3"
		cat "$tmp/err"
		return 1
	fi
	if [ -n "$output" ]; then
		echo "$1: printed sessions: $output"
		return 1
	fi
	case $(cat "$tmp/err") in
	"fixsession: $f:$want"*) ;;
	*)
		echo "$1: expected: fixsession: $f:$want"
		echo "$1: got:      $(cat "$tmp/err")"
		return 1
		;;
	esac
	while IFS= read -r also; do
		grep -qF -- "$also" "$tmp/err" || {
			echo "$1: no '$also' in: $(cat "$tmp/err")"
			return 1
		}
	done < <(sed -n 's/^# also: //p' "$f")
	# One line: the error, no warnings before it for these files.
	[ "$(wc -l < "$tmp/err")" -eq 1 ] || {
		echo "$1: more than the error:"
		cat "$tmp/err"
		return 1
	}
}

# check_all FILE...: every one, every failure reported.
check_all() {
	local f bad=0

	for f in "$@"; do
		check_bad "$f" || bad=1
	done
	return $bad
}

# ---- good files -----------------------------------------------------------

@test "acceptor: every key, three sessions on two ports, no warning" {
	run fsn "$conf/acceptor.cfg"
	echo "$output"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "FIX.4.4:EXEC->CLIENT1 acceptor 0.0.0.0:5001" ]
	[ "${lines[1]}" = "FIX.4.4:EXEC->CLIENT2 acceptor 127.0.0.1:5002" ]
	[ "${lines[2]}" = "FIXT.1.1:EXEC->CLIENT3 acceptor 0.0.0.0:5001" ]
	[ "${#lines[@]}" -eq 3 ]
	[ ! -s "$tmp/err" ]
}

@test "initiator: failover hosts in order, a qualified session" {
	run fsn "$conf/initiator.cfg"
	echo "$output"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "FIX.4.4:CLIENT1->EXEC initiator 127.0.0.1:5001,127.0.0.1:5002,standby.example.net:5003" ]
	[ "${lines[1]}" = "FIX.4.4:CLIENT1->EXEC:RISK initiator localhost:6001" ]
	[ "${#lines[@]}" -eq 2 ]
	[ ! -s "$tmp/err" ]
}

@test "FIXT.1.1: DefaultApplVerID by name and number, own dictionaries" {
	run fsn "$conf/fixt.cfg"
	echo "$output"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "FIXT.1.1:GW->A acceptor 0.0.0.0:5001" ]
	[ "${lines[1]}" = "FIXT.1.1:GW->B acceptor 0.0.0.0:5001" ]
	[ "${lines[2]}" = "FIXT.1.1:GW->C acceptor 0.0.0.0:5001" ]
	[ "${lines[3]}" = "FIXT.1.1:GW->D acceptor 0.0.0.0:5001" ]
	[ "${#lines[@]}" -eq 4 ]
	[ ! -s "$tmp/err" ]
}

@test "dictionary paths are relative to the settings file, not the cwd" {
	# From the top of the tree, from the file's directory, from /.
	(cd "$top" && fsn tests/data/conf/fixt.cfg > /dev/null)
	(cd "$conf" && fsn fixt.cfg > /dev/null)
	(cd / && fsn "${conf#/}/acceptor.cfg" > /dev/null)
}

@test "relative settings path: messages name the file as given" {
	cd "$data"
	run fsn conf/bad-port.cfg
	[ "$status" -eq 3 ]
	grep -q '^fixsession: conf/bad-port.cfg:6: SocketAcceptPort: ' "$tmp/err"
}

@test "TimeZone: a schedule in a named zone" {
	[ -f /usr/share/zoneinfo/America/New_York ] ||
	    skip "no tzdata in /usr/share/zoneinfo"
	run fsn "$conf/tz.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "$output" = "FIX.4.2:CLIENT1->EXEC initiator 127.0.0.1:5001" ]
}

# ---- warnings --------------------------------------------------------------

@test "unknown keys: a warning with file and line, and a case hint" {
	f="$conf/unknown.cfg"
	run fsn "$f"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "$output" = "FIX.4.4:EXEC->CLIENT1 acceptor 0.0.0.0:5001" ]
	grep -qx "fixsession: $f:6: unknown key 'Foo'; ignored" "$tmp/err"
	grep -q "^fixsession: $f:12: unknown key 'Heartbtint' .*HeartBtInt?" \
	    "$tmp/err"
	[ "$(wc -l < "$tmp/err")" -eq 2 ]
}

@test "QuickFIX keys without effect: a warning that says why" {
	f="$conf/quickfix.cfg"
	run fsn "$f"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "$output" = "FIX.4.2:EXEC->BANZAI acceptor 0.0.0.0:5001" ]
	grep -q "^fixsession: $f:6: SocketReuseAddress: .*SO_REUSEADDR.*; ignored$" "$tmp/err"
	grep -qx "fixsession: $f:7: FileStorePath: fixutil keeps its store in SQLite (StorePath); ignored" "$tmp/err"
	grep -q "^fixsession: $f:8: FileLogPath: .*; ignored$" "$tmp/err"
	grep -q "^fixsession: $f:9: ScreenLogShowIncoming: .*; ignored$" "$tmp/err"
	grep -q "^fixsession: $f:17: SenderSubID: not supported" "$tmp/err"
	[ "$(wc -l < "$tmp/err")" -eq 5 ]
}

@test "a [DEFAULT] key is warned about once, not once per session" {
	{
		printf '[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=5001\n'
		printf 'NonStopSession=Y\nSenderCompID=EXEC\nBeginString=FIX.4.4\n'
		printf 'FileStorePath=store\nUsername=exec\n'
		for t in A B C; do
			printf '[SESSION]\nTargetCompID=%s\n' "$t"
		done
	} > "$tmp/m.cfg"
	run fsn "$tmp/m.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(grep -c ':7: FileStorePath: ' "$tmp/err")" -eq 1 ]
	# Acceptors check credentials set with fixstore passwd.
	[ "$(grep -c ':8: Username: an acceptor checks ' "$tmp/err")" -eq 1 ]
	[ "$(wc -l < "$tmp/err")" -eq 2 ]
}

@test "FIXT.1.1 keys in a FIX.4.x session, fractions in FIX.4.1: warnings" {
	printf '%s\n' '[DEFAULT]' ConnectionType=acceptor \
	    SocketAcceptPort=5001 NonStopSession=Y '[SESSION]' \
	    BeginString=FIX.4.1 SenderCompID=A TargetCompID=B \
	    DefaultApplVerID=9 TimestampPrecision=3 > "$tmp/x.cfg"
	run fsn "$tmp/x.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	grep -q ":9: DefaultApplVerID: only for FIXT.1.1 sessions; ignored" \
	    "$tmp/err"
	grep -q ":10: TimestampPrecision: FIX.4.1 timestamps have no fraction" \
	    "$tmp/err"
}

@test "Password: a warning when others can read the file, never the value" {
	cp "$conf/initiator.cfg" "$tmp/pw.cfg"
	echo 'Password=s3cr3t-Pw' >> "$tmp/pw.cfg"
	n=$(wc -l < "$tmp/pw.cfg")
	chmod 644 "$tmp/pw.cfg"
	run fsn "$tmp/pw.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	grep -q "^fixsession: $tmp/pw.cfg:$n: Password: .*mode 0644.*chmod go-r" \
	    "$tmp/err"
	! grep -q s3cr3t "$tmp/err"
	! printf '%s\n' "$output" | grep -q s3cr3t

	chmod 600 "$tmp/pw.cfg"
	run fsn "$tmp/pw.cfg"
	[ "$status" -eq 0 ]
	[ ! -s "$tmp/err" ]

	# Too long: an error that does not show it either.
	run fsn "$conf/bad-password-long.cfg"
	[ "$status" -eq 3 ]
	! grep -q secret-01234 "$tmp/err"
}

# ---- bad values ---------------------------------------------------------------

@test "bad numbers and Y/N values" {
	check_all bad-port.cfg bad-port-range.cfg bad-bool.cfg \
	    bad-heartbtint.cfg bad-timestamp.cfg bad-empty-value.cfg \
	    bad-reconnect-fraction.cfg bad-comment-after-value.cfg
}

@test "ConnectionType and the keys each role needs" {
	check_all bad-conntype.cfg bad-no-conntype.cfg bad-no-acceptport.cfg \
	    bad-no-connecthost.cfg bad-no-heartbtint.cfg
}

@test "failover hosts: numbered without gaps, in pairs, at most 15" {
	check_all bad-failover-gap.cfg bad-failover-unpaired.cfg \
	    bad-failover-too-many.cfg
}

@test "session ids: version, CompIDs, duplicates" {
	check_all bad-begin.cfg bad-no-target.cfg bad-compid.cfg \
	    bad-dup-session.cfg bad-dup-acceptor-qualifier.cfg
}

@test "FIXT.1.1: DefaultApplVerID and the dictionaries' versions" {
	check_all bad-applverid.cfg bad-no-applverid.cfg \
	    bad-appdict-version.cfg bad-appdict-suffix.cfg \
	    bad-transport-dict.cfg
}

@test "schedules: missing and bad times, days, zones" {
	check_all bad-no-starttime.cfg bad-starttime.cfg bad-day.cfg \
	    bad-timezone.cfg bad-tz-and-local.cfg
}

@test "dictionaries: a file that is not there, one that does not load" {
	check_all bad-dict-missing.cfg bad-dict-broken.cfg
}

@test "store and process keys, TLS, a line that is not Key=Value" {
	check_all bad-storepath-in-session.cfg bad-durability.cfg \
	    bad-storelog.cfg bad-cpulatency.cfg bad-cpulatency-in-session.cfg \
	    bad-ssl.cfg bad-syntax.cfg \
	    bad-password-long.cfg bad-section.cfg
}

@test "every bad-*.cfg fails as its expect line says" {
	bad=0
	n=0
	for f in "$conf"/bad-*.cfg; do
		n=$((n + 1))
		check_bad "${f##*/}" || bad=1
	done
	echo "$n files"
	[ "$n" -ge 30 ]
	[ "$bad" -eq 0 ]
}

@test "no standard dictionary on the path: exit 3, unless UseDataDictionary=N" {
	mkdir "$tmp/empty"
	run fsn "$conf/acceptor.cfg" -D "$tmp/empty"
	cat "$tmp/err"
	[ "$status" -eq 3 ]
	grep -q "^fixsession: $conf/acceptor.cfg:[0-9]*: UseDataDictionary: no FIX.4.4 dictionary" "$tmp/err"
	sed 's/^UseDataDictionary=Y/UseDataDictionary=N/' "$conf/acceptor.cfg" \
	    > "$tmp/nodict.cfg"
	# Without validation, named files are not read either.
	sed -i 's|^DataDictionary=.*|DataDictionary=no-such.xml|' "$tmp/nodict.cfg"
	run fsn "$tmp/nodict.cfg" -D "$tmp/empty"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "a settings file that cannot be read: exit 5 with the reason" {
	run fsn "$tmp/none.cfg"
	cat "$tmp/err"
	[ "$status" -eq 5 ]
	grep -q "^fixsession: $tmp/none.cfg: .*No such file or directory" \
	    "$tmp/err"
}

@test "a settings file that is not a regular file: exit 5" {
	run fsn /dev/null
	cat "$tmp/err"
	[ "$status" -eq 5 ]
	grep -q "^fixsession: /dev/null: .*not a regular file" "$tmp/err"
	run fsn "$conf"
	[ "$status" -eq 5 ]
	grep -q "is a directory" "$tmp/err"
}

# ---- what fixsession.conf(5) says ----------------------------------------

# The keys fixsession.conf(5) documents: the Cm words of KEYS AT A GLANCE
# and QUICKFIX KEYS WITHOUT EFFECT, one a line.
documented_keys() {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh (KEYS AT A GLANCE|QUICKFIX KEYS WITHOUT EFFECT)/); next }
	    s { for (i = 1; i < NF; i++)
		    if ($i == "Cm" || $i == ".Cm" || $i == ",")
			    print $(i + 1) }' "$top/man/fixsession.conf.5" |
	    grep -E '^[A-Z][A-Za-z0-9]+$' | sort -u
}

# The keys of conf.c's table (read, fixutil's own, and ignored).
table_keys() {
	sed -n '/^static const struct key keys\[\]/,/^};/p' \
	    "$top/cmd/fixsession/conf.c" |
	    sed -n 's/^[[:space:]]*{ "\([A-Za-z0-9]*\)", K_.*/\1/p' | sort -u
}

@test "fixsession.conf(5) documents every key conf.c knows, and no other" {
	documented_keys > "$tmp/doc"
	table_keys > "$tmp/code"
	[ "$(wc -l < "$tmp/code")" -ge 100 ]
	echo "in conf.c, not in the page:"
	comm -13 "$tmp/doc" "$tmp/code"
	echo "in the page, not in conf.c:"
	comm -23 "$tmp/doc" "$tmp/code"
	cmp -s "$tmp/doc" "$tmp/code"
}

@test "every key fixsession.conf(5) documents is known to fixsession" {
	# All of them in [DEFAULT] of a good file: the first pass warns about
	# unknown keys before any value is checked.
	{
		echo '[DEFAULT]'
		documented_keys | grep -vx 'SocketUseSSL' | sed 's/$/=x/'
		echo 'SocketUseSSL=N'
		printf '%s\n' '[SESSION]' ConnectionType=acceptor \
		    BeginString=FIX.4.4 SenderCompID=EXEC TargetCompID=C1
	} > "$tmp/all.cfg"
	[ "$(grep -c '=x$' "$tmp/all.cfg")" -ge 100 ]
	run fsn "$tmp/all.cfg"
	cat "$tmp/err"
	! grep -q 'unknown key' "$tmp/err"
	# ... and an unknown one would have been noticed.
	echo 'NoSuchKey=x' >> "$tmp/all.cfg"
	run fsn "$tmp/all.cfg"
	grep -q "unknown key 'NoSuchKey'" "$tmp/err"
}

# The .Bd -literal blocks of EXAMPLES, each as "NAME<TAB>LINE" lines: a
# block whose first line is "# NAME.cfg ..." is a settings file (NAME is
# its file name); the block after it, NAME.out, is what -n prints.
example_blocks() {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh EXAMPLES/); next }
	    !s { next }
	    /^\.Bd -literal/ { b = 1; name = ""; next }
	    /^\.Ed/ { b = 0; if (name ~ /\.cfg$/) last = name; next }
	    b && name == "" {
		if (match($0, /^# [A-Za-z0-9_-]+\.cfg/))
			name = substr($0, 3, RLENGTH - 2)
		else
			name = last ".out"
	    }
	    b { print name "\t" $0 }' "$top/man/fixsession.conf.5"
}

@test "fixsession.conf.5: the complete files of EXAMPLES parse as shown" {
	[ -f /usr/share/zoneinfo/America/New_York ] ||
	    skip "no tzdata in /usr/share/zoneinfo"
	example_blocks > "$tmp/blocks"
	mkdir "$tmp/ex"
	while IFS=$'\t' read -r name line; do
		printf '%s\n' "$line" >> "$tmp/ex/$name"
	done < "$tmp/blocks"
	n=0
	for f in "$tmp"/ex/*.cfg; do
		n=$((n + 1))
		# It holds a password: readable by its owner only.
		chmod 600 "$f"
		run fsn "$f"
		echo "${f##*/}: $output"
		cat "$tmp/err"
		[ "$status" -eq 0 ]
		[ ! -s "$tmp/err" ]
		[ -f "${f%.cfg}.cfg.out" ]
		[ "$output" = "$(cat "${f%.cfg}.cfg.out")" ]
	done
	[ "$n" -eq 2 ]
}

@test "fixsession.conf.5: every EXAMPLES command runs" {
	awk '/^\.Sh / { s = ($0 ~ /^\.Sh EXAMPLES/); next }
	    !s { next }
	    /^\.\\" exit [0-9]+$/ { st = $3; next }
	    /^\.Dl / { print (st == "" ? 0 : st) "\t" substr($0, 5) }
	    { st = "" }' "$top/man/fixsession.conf.5" |
	    sed -e "s/\\\\(aq/'/g" -e 's/\\-/-/g' -e 's/\\&//g' \
		-e 's/\\e/\\/g' > "$tmp/cmds"
	[ "$(wc -l < "$tmp/cmds")" -ge 4 ]
	mkdir "$tmp/scratch"
	bad=0
	while IFS=$'\t' read -r want cmd; do
		got=0
		(cd "$ex" && TMPDIR="$tmp/scratch" bash -o pipefail -c "$cmd") \
		    > "$tmp/out" 2>&1 || got=$?
		if [ "$got" -ne "$want" ]; then
			echo "exit $got, expected $want: $cmd"
			cat "$tmp/out"
			bad=1
		fi
	done < "$tmp/cmds"
	[ "$bad" -eq 0 ]
}

@test "a key of the other role is neither read nor checked" {
	printf '%s\n' '[DEFAULT]' ConnectionType=acceptor SocketAcceptPort=5001 \
	    NonStopSession=Y ReconnectInterval=abc SocketConnectPort=x \
	    '[SESSION]' BeginString=FIX.4.4 SenderCompID=EXEC \
	    TargetCompID=C1 > "$tmp/a.cfg"
	run fsn "$tmp/a.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "$output" = "FIX.4.4:EXEC->C1 acceptor 0.0.0.0:5001" ]
	[ ! -s "$tmp/err" ]
	printf '%s\n' '[DEFAULT]' ConnectionType=initiator HeartBtInt=30 \
	    SocketConnectHost=127.0.0.1 SocketConnectPort=5001 \
	    NonStopSession=Y SocketAcceptPort=abc '[SESSION]' \
	    BeginString=FIX.4.4 SenderCompID=C1 TargetCompID=EXEC > "$tmp/i.cfg"
	run fsn "$tmp/i.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ ! -s "$tmp/err" ]
}

@test "NonStopSession=Y: the other schedule keys are not read" {
	printf '%s\n' '[DEFAULT]' ConnectionType=acceptor SocketAcceptPort=5001 \
	    NonStopSession=Y StartTime=25:00:00 StartDay=Someday \
	    TimeZone=No/Such_Zone '[SESSION]' BeginString=FIX.4.4 \
	    SenderCompID=EXEC TargetCompID=C1 > "$tmp/n.cfg"
	run fsn "$tmp/n.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ ! -s "$tmp/err" ]
	sed -i 's/^NonStopSession=Y/NonStopSession=N/' "$tmp/n.cfg"
	run fsn "$tmp/n.cfg"
	[ "$status" -eq 3 ]
}

@test "day names: in full or their first three or two letters, any case" {
	for days in 'MO FR' 'mon fri' 'Monday FRIDAY' 'sU sa'; do
		set -- $days
		printf '%s\n' '[DEFAULT]' ConnectionType=acceptor \
		    SocketAcceptPort=5001 StartTime=08:00:00 EndTime=17:00:00 \
		    "StartDay=$1" "EndDay=$2" '[SESSION]' BeginString=FIX.4.4 \
		    SenderCompID=EXEC TargetCompID=C1 > "$tmp/d.cfg"
		run fsn "$tmp/d.cfg"
		cat "$tmp/err"
		[ "$status" -eq 0 ]
	done
	sed -i 's/^StartDay=.*/StartDay=Mond/' "$tmp/d.cfg"
	run fsn "$tmp/d.cfg"
	[ "$status" -eq 3 ]
	grep -q ":6: StartDay: expected a day name, got 'Mond'" "$tmp/err"
}

@test "SessionQualifier on an acceptor: allowed when its CompIDs are its own" {
	printf '%s\n' '[DEFAULT]' ConnectionType=acceptor SocketAcceptPort=5001 \
	    NonStopSession=Y SenderCompID=EXEC BeginString=FIX.4.4 \
	    '[SESSION]' TargetCompID=C1 SessionQualifier=EU \
	    '[SESSION]' TargetCompID=C2 > "$tmp/q.cfg"
	run fsn "$tmp/q.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "FIX.4.4:EXEC->C1:EU acceptor 0.0.0.0:5001" ]
	[ "${lines[1]}" = "FIX.4.4:EXEC->C2 acceptor 0.0.0.0:5001" ]
}

@test "-n opens neither the store nor a socket" {
	printf '%s\n' '[DEFAULT]' ConnectionType=acceptor SocketAcceptPort=1 \
	    NonStopSession=Y "StorePath=$tmp/no/such/dir/x.db" '[SESSION]' \
	    BeginString=FIX.4.4 SenderCompID=EXEC TargetCompID=C1 > "$tmp/s.cfg"
	run fsn "$tmp/s.cfg"
	cat "$tmp/err"
	[ "$status" -eq 0 ]
	[ ! -e "$tmp/no" ]
}
