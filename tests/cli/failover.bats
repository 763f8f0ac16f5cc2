#!/usr/bin/env bats
# Failover: examples/failover-drill.sh in short -- two exchanges under
# fixlock sharing one store, clients streaming orders, the primary failed
# in the middle of the stream.  The drill itself checks that no order was
# lost or filled twice and that the store's sequence numbers and hash
# chains are whole (fixstore verify); each test also reads its report.

load helpers

drill() {
	run bash "$ex/failover-drill.sh" -b "$build" -w 30 "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"trial 1: "*" detection "*" takeover "*" counterparty "* ]]
	[[ "$output" == *"drill: passed: no order lost, none filled twice"* ]]
	[[ "$output" =~ orders:\ ([0-9]+)\ sent,\ ([0-9]+)\ filled,\ 0\ unanswered,\ 0\ filled\ twice ]]
	[ "${BASH_REMATCH[1]}" -gt 0 ]
	[ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
}

@test "failover: file lease, SIGKILL of the primary mid-stream" {
	drill -k file -m kill -t 2
}

@test "failover: SQL lease, SIGKILL of the primary mid-stream" {
	drill -k sql -m kill -T 4 -t 1
}

@test "failover: SQL lease, SIGSTOP of the primary: once its lease expired the standby kills it and takes over" {
	drill -k sql -m stop -T 4 -t 1
}

@test "failover: planned switchover with fixlock -x (file lease)" {
	drill -k file -m switchover -t 1
}

@test "failover: the drill refuses what cannot work" {
	run bash "$ex/failover-drill.sh" -b "$build" -k file -m stop
	[ "$status" -eq 2 ]
	[[ "$output" == *"a stopped holder keeps a file lease"* ]]
	run bash "$ex/failover-drill.sh" -b "$build" -k nfs
	[ "$status" -eq 2 ]
}
