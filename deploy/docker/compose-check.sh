#!/usr/bin/env bash
# compose-check.sh proves deploy/compose.yaml end to end: it brings the whole
# pipeline up from the images, waits until PostgreSQL holds every account
# sfemu seeded, runs `sfsync-reconciler verify --full` in a container of the
# same project and requires exit status 0, then takes everything down and
# fails if a container, network or volume of the project is left.
#
#   deploy/docker/compose-check.sh
#
# It runs as its own compose project (SFSYNC_COMPOSE_PROJECT, default
# sfsync-check) on ports of its own (SFSYNC_KAFKA_PORT 29092, SFSYNC_PG_PORT
# 25432, SFSYNC_REDIS_PORT 26379), so a running local stack or compose
# pipeline is not disturbed. The images come from SFSYNC_*_IMAGE as in the
# compose file; `make compose-check` builds and selects the local ones.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PROJECT=${SFSYNC_COMPOSE_PROJECT:-sfsync-check}
export SFSYNC_KAFKA_PORT=${SFSYNC_KAFKA_PORT:-29092}
export SFSYNC_PG_PORT=${SFSYNC_PG_PORT:-25432}
export SFSYNC_REDIS_PORT=${SFSYNC_REDIS_PORT:-26379}
# How long the pipeline may take to come up, and the accounts to arrive.
TIMEOUT=${SFSYNC_COMPOSE_TIMEOUT:-300}

compose() { docker compose --progress quiet -p "$PROJECT" -f "$ROOT/deploy/compose.yaml" "$@"; }
log() { printf 'compose-check: %s\n' "$*" >&2; }

# leftovers lists what the project still has: containers, networks, volumes.
leftovers() {
	local label=com.docker.compose.project=$PROJECT
	docker ps -aq --filter "label=$label" | sed 's/^/container /'
	docker network ls -q --filter "label=$label" | sed 's/^/network /'
	docker volume ls -q --filter "label=$label" | sed 's/^/volume /'
}

down() {
	compose down --volumes --remove-orphans --timeout 30 >/dev/null 2>&1 || true
}

failed() {
	log "FAILED: $*; the end of each service's log:"
	compose ps -a >&2 || true
	compose logs --no-color --tail 25 >&2 || true
	exit 1
}

trap down EXIT
down
log "up: the whole pipeline (project $PROJECT)"
compose up -d --wait --wait-timeout "$TIMEOUT" || failed "the pipeline did not become healthy within ${TIMEOUT}s"

seeded=$(sed -n 's/^[[:space:]]*accounts:[[:space:]]*\([0-9]*\).*/\1/p' "$ROOT/deploy/compose/sfemu.yaml")
log "waiting until PostgreSQL holds the $seeded seeded accounts"
deadline=$((SECONDS + TIMEOUT))
while :; do
	have=$(compose exec -T postgres psql -U sfsync -d sfsync -tAc 'select count(*) from account' 2>/dev/null || echo 0)
	[ "${have:-0}" -ge "$seeded" ] && break
	[ $SECONDS -ge $deadline ] && failed "PostgreSQL holds ${have:-0} of $seeded accounts after ${TIMEOUT}s"
	sleep 1
done
log "PostgreSQL holds $have accounts"

log "sfsync-reconciler verify --full"
compose run --rm --no-deps -T reconciler verify --full --config /etc/sfsync/conf/reconciler.yaml ||
	failed "verify --full exited $?"

trap - EXIT
log "down"
compose down --volumes --remove-orphans --timeout 30
left=$(leftovers)
if [ -n "$left" ]; then
	printf 'compose-check: left behind after down:\n%s\n' "$left" >&2
	exit 1
fi
log "passed: pipeline healthy, $have accounts in PostgreSQL, verify --full in sync, nothing left"
