#!/usr/bin/env bash
# demo.sh — the whole pipeline in one command (`make demo`):
#
#   1. starts a fresh stack of its own (Kafka, PostgreSQL, Redis) under
#      $SFSYNC_DEMO_DIR/stack, on ports apart from the development stack's,
#      so that the demo never mixes with data of an earlier run;
#   2. builds sfemu, sfsync-producer, sfsync-consumer and sfsync-top;
#   3. starts sfemu (the territory dataset, then churn at SFSYNC_DEMO_RATE
#      transactions/s, default 100), the producer, two consumer replicas in
#      one consumer group, and the reconciler (verifying every 30 seconds),
#      each logging to $SFSYNC_DEMO_DIR;
#   4. shows, every 2 seconds, events/s into Kafka and into PostgreSQL,
#      freshness p50/p99 (Salesforce commit to PostgreSQL row), lag, each
#      replica's partitions, and the reconciler's last verify.
#
# Ctrl-C stops everything: the consumers and the producer drain, then
# sfemu and the demo stack stop. Its data stays in $SFSYNC_DEMO_DIR until
# the next run.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
dir=${SFSYNC_DEMO_DIR:-$root/.cache/demo}
rate=${SFSYNC_DEMO_RATE:-100}
bin=$dir/bin

say() { printf 'demo: %s\n' "$*" >&2; }

# The demo stack: its own state and ports.
export SFSYNC_STACK_DIR=$dir/stack
export SFSYNC_KAFKA_PORT=${SFSYNC_DEMO_KAFKA_PORT:-39092}
export SFSYNC_KAFKA_CONTROLLER_PORT=${SFSYNC_DEMO_KAFKA_CONTROLLER_PORT:-39093}
# The demo runs on PLAINTEXT alone: no secured listeners, users or ACLs.
export SFSYNC_KAFKA_SSL_PORT=0 SFSYNC_KAFKA_SASL_SSL_PORT=0
export SFSYNC_PG_PORT=${SFSYNC_DEMO_PG_PORT:-35432}
export SFSYNC_REDIS_PORT=${SFSYNC_DEMO_REDIS_PORT:-36379}

pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
stop_all() {
	trap - EXIT INT TERM
	say "stopping"
	# Consumers and producer first (they drain), then the emulator.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
		wait "${pids[i]}" 2>/dev/null || true
	done
	deploy/local/stack.sh down >/dev/null 2>&1 || say "stopping the demo stack failed; run: SFSYNC_STACK_DIR=$SFSYNC_STACK_DIR deploy/local/stack.sh down"
	say "stopped; logs are in $dir"
}

# A fresh start: stop what an interrupted run left, and clear its data.
deploy/local/stack.sh down >/dev/null 2>&1 || true
rm -rf "$SFSYNC_STACK_DIR" "$dir"/*.log
mkdir -p "$bin"
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

deploy/local/stack.sh up kafka,postgres,redis
eval "$(deploy/local/stack.sh env)"

say "building into $bin"
go build -o "$bin/" ./salesforce/cmd/sfemu ./producer/cmd/sfsync-producer \
	./consumer/cmd/sfsync-consumer ./reconciler/cmd/sfsync-reconciler ./deploy/cmd/sfsync-top

# start NAME HEALTH_URL CMD...: runs CMD in the background, logging to
# $dir/NAME.log, and waits until HEALTH_URL answers.
start() {
	local name=$1 health=$2
	shift 2
	if curl -fsS -o /dev/null "$health" 2>/dev/null; then
		say "something already answers on $health; stop it first (another demo or make run-producer?)"
		exit 1
	fi
	# Started from a script, background jobs ignore SIGINT; they stop on
	# the SIGTERM of stop_all.
	"$@" >"$dir/$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 300); do
		if curl -fsS -o /dev/null "$health" 2>/dev/null; then
			say "$name started (pid ${pids[-1]}, log $dir/$name.log)"
			return
		fi
		if ! kill -0 "${pids[-1]}" 2>/dev/null; then
			say "$name exited; the end of its log:"
			tail -n 20 "$dir/$name.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	say "$name does not answer on $health; the end of its log:"
	tail -n 20 "$dir/$name.log" >&2
	exit 1
}

start sfemu http://127.0.0.1:7012/healthz \
	"$bin/sfemu" --config salesforce/cmd/sfemu/sfemu.example.yaml --rate "$rate"

SFSYNC_PRODUCER_KAFKA_BROKERS=$SFSYNC_KAFKA_BROKERS \
	start producer http://127.0.0.1:9464/healthz \
	"$bin/sfsync-producer" --config producer/producer.example.yaml --create-topics 6

for replica in 1 2; do
	SFSYNC_CONSUMER_KAFKA_BROKERS=$SFSYNC_KAFKA_BROKERS \
		SFSYNC_CONSUMER_POSTGRES_URL=$SFSYNC_DATABASE_URL \
		SFSYNC_CONSUMER_REDIS_URL=$SFSYNC_REDIS_URL \
		SFSYNC_CONSUMER_METRICS_ADDR=127.0.0.1:$((9464 + replica)) \
		start "consumer-$replica" "http://127.0.0.1:$((9464 + replica))/healthz" \
		"$bin/sfsync-consumer" --config consumer/consumer.example.yaml
done

SFSYNC_RECONCILER_KAFKA_BROKERS=$SFSYNC_KAFKA_BROKERS \
	SFSYNC_RECONCILER_POSTGRES_URL=$SFSYNC_DATABASE_URL \
	SFSYNC_RECONCILER_VERIFY_INTERVAL=30s \
	SFSYNC_RECONCILER_VERIFY_WINDOW=5m \
	SFSYNC_RECONCILER_VERIFY_GRACE=10s \
	start reconciler http://127.0.0.1:9467/healthz \
	"$bin/sfsync-reconciler" --config reconciler/reconciler.example.yaml

say "PostgreSQL: psql '$SFSYNC_DATABASE_URL'   Ctrl-C stops everything"
sleep 2
"$bin/sfsync-top" --producer http://127.0.0.1:9464 \
	--consumer http://127.0.0.1:9465,http://127.0.0.1:9466 \
	--reconciler http://127.0.0.1:9467 || true
