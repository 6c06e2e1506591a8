#!/bin/sh
# Runs redis-server as the redis image does: options alone imply the server,
# and without a configuration file it listens on every interface with
# protected mode off (the container's port is what is published).
set -eu
case ${1:-} in -*) set -- redis-server "$@" ;; esac
if [ "${1:-}" = redis-server ]; then
	shift
	case ${1:-} in
	*.conf) exec redis-server "$@" ;;
	esac
	exec redis-server --bind '* -::*' --protected-mode no "$@"
fi
exec "$@"
