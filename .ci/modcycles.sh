#!/usr/bin/env bash
# modcycles.sh: fails when the workspace's Go modules
# (github.com/sfsync/sfsync/...) require each other in a cycle. It reads
# each module's own requirement graph (`go mod graph` with GOWORK=off, so
# through the replace directives every go.mod carries) and hands the
# edges between workspace modules to tsort, which reports any loop.
# `make lint` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=github.com/sfsync/sfsync/
edges=$(for m in $(go work edit -json | sed -n 's/.*"DiskPath": "\.\/\(.*\)".*/\1/p'); do
	(cd "$m" && GOWORK=off go mod graph) | awk -v p="$prefix" '
		index($1, p) == 1 && index($2, p) == 1 { sub(/@.*/, "", $1); sub(/@.*/, "", $2); if ($1 != $2) print $1, $2 }'
done | sort -u)
if ! out=$(tsort <<<"$edges" 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "the workspace modules require each other in a cycle:" >&2
	echo "$out" >&2
	exit 1
fi
echo "no cycle among the workspace modules; their requirements:"
while read -r from to; do echo "  $from -> $to"; done <<<"$edges"
