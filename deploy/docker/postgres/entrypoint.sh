#!/bin/bash
# Makes the cluster on the first start, from POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB and POSTGRES_HOST_AUTH_METHOD, then runs the command: the
# server, listening on every interface of the container.
set -euo pipefail

if [ "${1:-}" = postgres ] || [ "${1:0:1}" = - ]; then
	[ "${1:-}" = postgres ] && shift
	user=${POSTGRES_USER:-postgres}
	db=${POSTGRES_DB:-$user}
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		method=${POSTGRES_HOST_AUTH_METHOD:-}
		if [ -z "$method" ]; then
			if [ -z "${POSTGRES_PASSWORD:-}" ]; then
				echo "error: set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one" >&2
				exit 1
			fi
			method=scram-sha-256
		fi
		pwfile=$(mktemp)
		printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile"
		initdb -D "$PGDATA" -U "$user" -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$method" \
			${POSTGRES_PASSWORD:+--pwfile="$pwfile"} >/dev/null
		rm -f "$pwfile"
		printf 'host all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
		if [ "$db" != postgres ]; then
			pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
			createdb -U "$user" "$db"
			pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
		fi
		echo "PostgreSQL init process complete; ready for start up."
	fi
	exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
