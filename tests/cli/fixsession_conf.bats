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
	    bad-heartbtint.cfg bad-timestamp.cfg bad-empty-value.cfg
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

@test "store keys, TLS, a line that is not Key=Value" {
	check_all bad-storepath-in-session.cfg bad-durability.cfg bad-ssl.cfg \
	    bad-syntax.cfg bad-password-long.cfg
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
