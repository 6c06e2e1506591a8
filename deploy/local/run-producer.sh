#!/usr/bin/env bash
# run-producer.sh — one command to watch sfsync-producer stream Salesforce-
# shaped changes from the bundled emulator into the local Kafka:
#
#   1. starts the local stack (deploy/local/stack.sh up) unless it runs;
#   2. builds sfemu and sfsync-producer into $SFSYNC_RUN_DIR/bin;
#   3. starts sfemu in the background with salesforce/cmd/sfemu/sfemu.example.yaml
#      (5,000 seeded accounts, then churn at SFEMU_RATE transactions/s,
#      default 20), its log in $SFSYNC_RUN_DIR/sfemu.log;
#   4. runs the producer in the foreground with producer/producer.example.yaml,
#      creating the mapping's missing topics with 6 partitions.
#
# Ctrl-C (or the producer exiting) stops the producer, which drains and saves
# its checkpoint, then sfemu. The local stack keeps running: `make down`
# stops it. Usage: deploy/local/run-producer.sh [extra sfsync-producer flags]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
run_dir=${SFSYNC_RUN_DIR:-$root/.cache/run}
rate=${SFEMU_RATE:-20}
sfemu_config=salesforce/cmd/sfemu/sfemu.example.yaml
producer_config=producer/producer.example.yaml
sfemu_health=http://127.0.0.1:7012/healthz # listen.http of $sfemu_config

say() { printf 'run-producer: %s\n' "$*" >&2; }

mkdir -p "$run_dir/bin"
deploy/local/stack.sh up
eval "$(deploy/local/stack.sh env)"

say "building sfemu and sfsync-producer into $run_dir/bin"
go build -o "$run_dir/bin/" ./salesforce/cmd/sfemu ./producer/cmd/sfsync-producer

sfemu_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
stop_sfemu() {
	if [[ -n $sfemu_pid ]] && kill -0 "$sfemu_pid" 2>/dev/null; then
		say "stopping sfemu (pid $sfemu_pid)"
		kill -TERM "$sfemu_pid" 2>/dev/null || true
		wait "$sfemu_pid" 2>/dev/null || true
	fi
	say "the local stack is still running; 'make down' stops it"
}
trap stop_sfemu EXIT
# Ctrl-C reaches the producer too, which drains and exits by itself; the
# shell only waits for it, then stops sfemu on EXIT. (sfemu, started in
# the background by a non-interactive shell, ignores SIGINT.)
trap ':' INT
trap 'exit 143' TERM

if curl -fsS -o /dev/null "$sfemu_health" 2>/dev/null; then
	say "something already answers on $sfemu_health (another sfemu?); stop it first"
	exit 1
fi
"$run_dir/bin/sfemu" --config "$sfemu_config" --rate "$rate" >"$run_dir/sfemu.log" 2>&1 &
sfemu_pid=$!
say "sfemu started (pid $sfemu_pid, churn $rate transactions/s, log $run_dir/sfemu.log)"
for _ in $(seq 1 100); do
	if curl -fsS -o /dev/null "$sfemu_health" 2>/dev/null; then
		break
	fi
	if ! kill -0 "$sfemu_pid" 2>/dev/null; then
		say "sfemu exited; its log:"
		cat "$run_dir/sfemu.log" >&2
		exit 1
	fi
	sleep 0.1
done
curl -fsS -o /dev/null "$sfemu_health" || { say "sfemu does not answer on $sfemu_health"; exit 1; }

# Each sfemu run is a fresh org: a checkpoint saved against an earlier run
# may point past its newest event, which Salesforce would refuse. The
# earliest policy then replays from the oldest event (and publishes a
# reconciliation request) instead of stopping.
export SFSYNC_PRODUCER_REPLAY_POLICY=${SFSYNC_PRODUCER_REPLAY_POLICY:-earliest}
export SFSYNC_PRODUCER_KAFKA_BROKERS=${SFSYNC_PRODUCER_KAFKA_BROKERS:-$SFSYNC_KAFKA_BROKERS}
say "starting sfsync-producer; metrics on http://127.0.0.1:9464/metrics; Ctrl-C stops"
status=0
"$run_dir/bin/sfsync-producer" --config "$producer_config" --create-topics 6 "$@" || status=$?
exit "$status"
