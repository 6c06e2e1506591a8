#!/usr/bin/env bash
# engine.sh makes a Docker engine answer on this machine when none does, and
# gives the docker CLI the compose plugin.
#
#   deploy/docker/engine.sh up       install what is missing, start dockerd, wait until it answers
#   deploy/docker/engine.sh down     stop dockerd, only when "up" started it
#   deploy/docker/engine.sh status   say whether an engine answers, and whether we started it
#
# An engine that already answers (Docker Desktop, a system service) is used
# as it is and never stopped. Otherwise "up" installs Debian's docker.io when
# dockerd is missing and starts it with the settings these machines need:
# overlay2 storage and no iptables (containers reach the host and each other,
# ports are published on 127.0.0.1 by docker-proxy; there is no NAT to the
# outside). When `docker compose` is missing, "up" builds the compose plugin
# from the Go module proxy into ~/.docker/cli-plugins.
#
# State (pid file, log) lives under SFSYNC_DOCKER_DIR (default
# .cache/docker in the repository). SFSYNC_DOCKER_START_TIMEOUT (60) bounds
# how long dockerd may take to answer, in seconds.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=${SFSYNC_DOCKER_DIR:-$ROOT/.cache/docker}
mkdir -p "$STATE"
PIDFILE=$STATE/dockerd.pid
LOG=$STATE/dockerd.log
START_TIMEOUT=${SFSYNC_DOCKER_START_TIMEOUT:-60}
# The compose plugin built when `docker compose` is missing; a version the
# Go module proxy serves whose go.mod builds with this machine's Go.
COMPOSE_MODULE=github.com/docker/compose/v5
COMPOSE_VERSION=${SFSYNC_COMPOSE_VERSION:-v5.6.0}

LOG_NAME=engine
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"

answers() { docker info >/dev/null 2>&1; }

# our_pid prints the pid of the dockerd this script started, when alive.
our_pid() {
	local pid
	[ -s "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
	echo "$pid"
}

install_compose() {
	docker compose version >/dev/null 2>&1 && return 0
	local plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins src
	log "building the docker compose plugin $COMPOSE_VERSION from the Go module proxy (first time only)"
	# Its go.mod has exclude directives, so `go install pkg@version` refuses
	# it; it builds as the main module of its own downloaded copy.
	src=$(go mod download -json "$COMPOSE_MODULE@$COMPOSE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || die "go mod download $COMPOSE_MODULE@$COMPOSE_VERSION failed"
	rm -rf "$STATE/compose-src"
	cp -r "$src" "$STATE/compose-src"
	chmod -R u+w "$STATE/compose-src"
	mkdir -p "$plugins"
	(cd "$STATE/compose-src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
		-o "$plugins/docker-compose" ./cmd) >"$STATE/compose-build.log" 2>&1 ||
		{ tail -n 20 "$STATE/compose-build.log" >&2; die "building the compose plugin failed"; }
	rm -rf "$STATE/compose-src"
	docker compose version >&2
}

up() {
	if answers; then
		if pid=$(our_pid); then log "dockerd already running (pid $pid)"; else log "a Docker engine already answers; using it"; fi
		install_compose
		return 0
	fi
	command -v dockerd >/dev/null || apt_install docker.io
	command -v docker >/dev/null || apt_install docker.io
	log "starting dockerd (overlay2, no iptables); log: $LOG"
	as_root nohup dockerd --iptables=false --ip6tables=false --storage-driver=overlay2 \
		--pidfile "$PIDFILE" >"$LOG" 2>&1 </dev/null &
	local deadline=$((SECONDS + START_TIMEOUT))
	until answers; do
		if [ $SECONDS -ge $deadline ]; then
			tail -n 30 "$LOG" >&2
			die "dockerd did not answer within ${START_TIMEOUT}s"
		fi
		sleep 0.5
	done
	log "dockerd answers (pid $(cat "$PIDFILE"))"
	install_compose
}

down() {
	local pid
	if ! pid=$(our_pid); then
		rm -f "$PIDFILE"
		log "no dockerd started by this script is running; nothing to stop"
		return 0
	fi
	as_root kill -TERM "$pid"
	for _ in $(seq 1 300); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	[ -d "/proc/$pid" ] && { log "dockerd still running after 30s, sending SIGKILL"; as_root kill -KILL "$pid" || true; }
	rm -f "$PIDFILE"
	log "dockerd stopped (pid $pid)"
}

status() {
	if ! answers; then echo "docker    no engine answers"; return 1; fi
	if pid=$(our_pid); then echo "docker    running  pid $pid (started by engine.sh)"; else echo "docker    answers (not started by engine.sh)"; fi
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
