#!/usr/bin/env bash
# stack.sh runs sfsync's local stack — Apache Kafka (KRaft, one node),
# PostgreSQL, Redis and a Schema Registry (Apicurio Registry, in memory) —
# as plain processes on loopback, with no Docker.
#
#   deploy/local/stack.sh up [SERVICES]    install what is missing, start, health-check
#   deploy/local/stack.sh down [SERVICES]  stop exactly the processes "up" started
#   deploy/local/stack.sh status   print each service's state; exit 1 if one is down
#   deploy/local/stack.sh env      print the SFSYNC_* variables tests and services read
#   deploy/local/stack.sh processes list every process of the stack (none after down)
#
# Everything lives under SFSYNC_STACK_DIR (default: .cache/stack in the
# repository, git-ignored): Kafka's jars, data directories, logs, pid files.
# Ports are set by SFSYNC_KAFKA_PORT (19092), SFSYNC_KAFKA_CONTROLLER_PORT
# (19093), SFSYNC_KAFKA_SSL_PORT (19094), SFSYNC_KAFKA_SASL_SSL_PORT (19096),
# SFSYNC_PG_PORT (15432), SFSYNC_REDIS_PORT (16379) and
# SFSYNC_REGISTRY_PORT (18081); the broker's heap by SFSYNC_KAFKA_HEAP
# (512m), the registry's by SFSYNC_REGISTRY_HEAP (256m). The defaults stay clear of the standard ports so
# a system PostgreSQL or Redis does not get in the way.
#
# SFSYNC_KAFKA_NODES (1) makes Kafka a KRaft cluster of that many nodes,
# each broker and controller, the shape MSK runs with 3: replication
# factor min(3, nodes), min.insync.replicas min(2, nodes). Node I listens on
# the I-th port of SFSYNC_KAFKA_PORTS and SFSYNC_KAFKA_CONTROLLER_PORTS
# (comma-separated) when set, else 100*(I-1) above SFSYNC_KAFKA_PORT and
# SFSYNC_KAFKA_CONTROLLER_PORT. "up|down|kill kafka-I" starts, stops or
# SIGKILLs node I alone (for fault tests); "kafka" is every node. A cluster
# has no secured listeners: those are the one-node stack's.
#
# Kafka's secured listeners: SSL (TLS, no client authentication) and
# SASL_SSL with SCRAM-SHA-512 (what Amazon MSK serves on port 9096), with
# a certificate of a CA made here, and the StandardAuthorizer with one
# SCRAM user per service holding exactly the ACLs of the README's table
# (SECURE_ACLS below). The PLAINTEXT listener's anonymous clients and the
# SCRAM user sfsync-admin are super users. Setting both secured ports to 0
# leaves them, the authorizer and the users out (private test brokers,
# the demo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/deploy/local"
STATE=${SFSYNC_STACK_DIR:-$ROOT/.cache/stack}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
LOGS="$STATE/logs"

HOST=127.0.0.1
KAFKA_PORT=${SFSYNC_KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${SFSYNC_KAFKA_CONTROLLER_PORT:-19093}
KAFKA_SSL_PORT=${SFSYNC_KAFKA_SSL_PORT:-19094}
KAFKA_SASL_SSL_PORT=${SFSYNC_KAFKA_SASL_SSL_PORT:-19096}
KAFKA_HEAP=${SFSYNC_KAFKA_HEAP:-512m}
KAFKA_NODES=${SFSYNC_KAFKA_NODES:-1}
PG_PORT=${SFSYNC_PG_PORT:-15432}
REDIS_PORT=${SFSYNC_REDIS_PORT:-16379}
REGISTRY_PORT=${SFSYNC_REGISTRY_PORT:-18081}
REGISTRY_HEAP=${SFSYNC_REGISTRY_HEAP:-256m}
# The registry starts in about 12 s on an idle machine, but took 70 s
# beside three test suites on two cores: it gets longer than the others.
REGISTRY_START_TIMEOUT=${SFSYNC_REGISTRY_START_TIMEOUT:-240}
PG_USER=sfsync
PG_DB=sfsync

# How long a service may take to become healthy, in seconds.
START_TIMEOUT=${SFSYNC_STACK_START_TIMEOUT:-90}

LOG_NAME=stack
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"

[[ $KAFKA_NODES =~ ^[1-9]$ ]] || die "kafka: SFSYNC_KAFKA_NODES must be 1 to 9, got '$KAFKA_NODES'"

# port_open reports whether something accepts TCP connections on HOST:$1.
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# alive_pid prints the pid in pid file $1 when that process is alive and its
# command line or working directory is in this stack's state directory, so a recycled pid or a
# process that is not ours is never reported or killed.
alive_pid() {
	local pidfile=$1 pid
	[ -s "$pidfile" ] || return 1
	pid=$(head -n1 "$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	in_stack "$pid" || return 1
	echo "$pid"
}

# in_stack reports whether process $1's command line or working directory is
# in one of the stack's directories (Redis rewrites its command line, so the
# working directory counts too).
in_stack() {
	local pid=$1 cmd cwd dir
	# The process may end while we look: the shell's own redirection error
	# is silenced by the braces.
	cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || return 1
	cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=""
	for dir in "$STATE" "$PG_DIR"; do
		if [[ $cmd == *"$dir"* || $cwd == "$dir"/* || $cwd == "$dir" ]]; then return 0; fi
	done
	return 1
}

# processes lists every process of the stack, whatever its pid files say.
processes() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		if in_stack "${p#/proc/}"; then
			printf '%s %s\n' "${p#/proc/}" "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		fi
	done
}

# wait_for runs "$2..." until it succeeds or START_TIMEOUT passes; $1 names
# the service for the error message.
wait_for() {
	local name=$1 deadline=$((SECONDS + START_TIMEOUT))
	shift
	until "$@"; do
		if [ $SECONDS -ge $deadline ]; then
			log "$name did not become healthy within ${START_TIMEOUT}s; last log lines:"
			tail -n 30 "$LOGS/$name.log" >&2 || true
			return 1
		fi
		sleep 0.3
	done
}

# stop_pid sends SIGTERM to the process in pid file $2 and waits for it to
# exit, then SIGKILL after 30 s; $1 names the service.
stop_pid() {
	local name=$1 pidfile=$2 pid
	if ! pid=$(alive_pid "$pidfile"); then
		rm -f "$pidfile"
		log "$name: not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	if [ -d "/proc/$pid" ]; then
		log "$name: still running after 30s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
	log "$name: stopped (pid $pid)"
}

# ---------------------------------------------------------------- Kafka

KAFKA_DIR="$STATE/kafka"
KAFKA_PID="$KAFKA_DIR/kafka.pid"

# Node I of the cluster (1 to KAFKA_NODES). Node 1 keeps the paths of a
# one-node stack; node I > 1 lives in KAFKA_DIR/node-I and logs to
# LOGS/kafka-I.log.
nth_port() { # $1: node, $2: the list (may be empty), $3: node 1's port without a list
	if [ -n "$2" ]; then
		local p
		p=$(cut -d, -f"$1" <<<"$2")
		[[ $p =~ ^[0-9]+$ ]] || die "kafka: no port for node $1 in '$2'"
		echo "$p"
	else echo $(($3 + 100 * ($1 - 1))); fi
}
node_port() { nth_port "$1" "${SFSYNC_KAFKA_PORTS:-}" "$KAFKA_PORT"; }
node_controller_port() { nth_port "$1" "${SFSYNC_KAFKA_CONTROLLER_PORTS:-}" "$KAFKA_CONTROLLER_PORT"; }
node_dir() { if [ "$1" = 1 ]; then echo "$KAFKA_DIR"; else echo "$KAFKA_DIR/node-$1"; fi; }
node_pid() { if [ "$1" = 1 ]; then echo "$KAFKA_PID"; else echo "$KAFKA_DIR/kafka-$1.pid"; fi; }
node_name() { if [ "$1" = 1 ] && [ "$KAFKA_NODES" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }
node_log() { if [ "$1" = 1 ]; then echo kafka; else echo "kafka-$1"; fi; }

# brokers prints every node's PLAINTEXT address, comma-separated.
brokers() {
	local i out=""
	for i in $(seq 1 "$KAFKA_NODES"); do out+="${out:+,}$HOST:$(node_port "$i")"; done
	echo "$out"
}

kafka_install() {
	maven_jars "$HERE/kafka/pom.xml" "$KAFKA_DIR/libs" "$LOGS/kafka-install.log"
}

KAFKA_TLS="$KAFKA_DIR/tls"
# KAFKA_SECRETS holds the SCRAM users' passwords, one user=password a
# line, made once; local test values, readable by the owner only.
KAFKA_SECRETS="$KAFKA_DIR/scram-passwords"
SCRAM_USERS=(sfsync-admin sfsync-producer sfsync-consumer sfsync-reconciler)

# SECURE_ACLS are the ACLs of the services' SCRAM users, one
# user|resource type|name|pattern type|operations a line: the README's
# table ("Kafka security: TLS, SCRAM and ACLs"), which integration/e2e's
# TestSecuredPipeline proves sufficient. Topic and group names come from
# the configuration and the mapping, so the patterns are prefixes of the
# default names: envelope topics sfsync.<object>, their .latest compacted
# topics, sfsync.checkpoints, the dead-letter, reconcile-request and
# re-fetch topics, groups sfsync-consumer and sfsync-reconciler.
SECURE_ACLS=(
	"sfsync-producer|topic|sfsync.|prefixed|Describe,Write"
	"sfsync-producer|topic|sfsync.checkpoints|prefixed|Create,Read,DescribeConfigs"
	"sfsync-producer|topic|sfsync.producer.dead-letter|prefixed|Create"
	"sfsync-producer|topic|sfsync.reconcile-requests|prefixed|Create"
	"sfsync-consumer|topic|sfsync.|prefixed|Describe,Read"
	"sfsync-consumer|topic|sfsync.consumer.dead-letter|prefixed|Create,Write"
	"sfsync-consumer|topic|sfsync.refetch|prefixed|Create,Write"
	"sfsync-consumer|topic|sfsync.reconcile-requests|prefixed|Create,Write"
	"sfsync-consumer|group|sfsync-consumer|prefixed|Read"
	"sfsync-reconciler|topic|sfsync.|prefixed|Describe,Read,Write,Create,DescribeConfigs"
	"sfsync-reconciler|group|sfsync-reconciler|prefixed|Read"
)

# kafka_secured reports whether the secured listeners are on: both ports
# set, or both 0.
kafka_secured() {
	[ "$KAFKA_NODES" = 1 ] || return 1
	case "$KAFKA_SSL_PORT:$KAFKA_SASL_SSL_PORT" in
	0:0) return 1 ;;
	0:* | *:0) die "kafka: set SFSYNC_KAFKA_SSL_PORT and SFSYNC_KAFKA_SASL_SSL_PORT both to ports, or both to 0" ;;
	esac
}

# kafka_tls makes, once, a CA and the broker's certificate (SAN
# IP:127.0.0.1 and DNS:localhost) signed by it, in KAFKA_TLS; broker.pem
# (key and chain, as Kafka's PEM keystore reads them) is written last, so
# a half-made set is made again.
kafka_tls() {
	[ -s "$KAFKA_TLS/broker.pem" ] && [ -s "$KAFKA_TLS/ca.pem" ] && return 0
	command -v openssl >/dev/null || apt_install openssl
	log "kafka: making a CA and the broker's certificate in $KAFKA_TLS"
	rm -rf "$KAFKA_TLS"
	mkdir -p "$KAFKA_TLS"
	(
		umask 077
		cd "$KAFKA_TLS"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
			-subj "/CN=sfsync local stack CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -new -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=localhost"
		printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >broker.ext
		openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 825 \
			-extfile broker.ext -out broker.crt
		cat broker.key broker.crt ca.pem >broker.pem.tmp
		mv broker.pem.tmp broker.pem
	) >>"$LOGS/kafka-install.log" 2>&1 ||
		{ tail -n 30 "$LOGS/kafka-install.log" >&2; die "kafka: making the certificates failed"; }
	chmod 644 "$KAFKA_TLS/ca.pem"
}

# kafka_passwords makes, once, a random password for each SCRAM user.
kafka_passwords() {
	[ -s "$KAFKA_SECRETS" ] && return 0
	local user
	(
		umask 077
		for user in "${SCRAM_USERS[@]}"; do
			printf '%s=%s\n' "$user" "$(openssl rand -hex 16)"
		done >"$KAFKA_SECRETS.tmp"
	)
	mv "$KAFKA_SECRETS.tmp" "$KAFKA_SECRETS"
}

# scram_password prints the password of SCRAM user $1.
scram_password() { sed -n "s/^$1=//p" "$KAFKA_SECRETS"; }

# kafka_tool runs a Kafka command-line tool's class with its arguments,
# its output appended to the security log. Passwords go to the tools in
# files, never on a command line, and whatever a tool echoes after
# "password=" is redacted before it reaches the log.
kafka_tool() {
	java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$KAFKA_DIR/log4j2-tools.properties" \
		-cp "$KAFKA_DIR/libs/*" "$@" 2>&1 |
		sed -E 's/(password=)[^],[:space:]]*/\1<redacted>/g' >>"$LOGS/kafka-security.log"
}

# kafka_users_and_acls gives the SCRAM users their passwords and the
# services' users their ACLs, through the admin API on the PLAINTEXT
# listener. Storage formatted by an earlier version of this script has
# neither, and a running cluster is the only way to add ACLs, so this runs
# after every start whose cluster, passwords or ACL list differ from those
# recorded in the data directory; re-formatting would lose its topics.
# Both operations are idempotent.
kafka_users_and_acls() {
	local marker="$KAFKA_DIR/data/sfsync-security" want user acl principal type name pattern ops op
	want=$({ cat "$KAFKA_DIR/data/meta.properties" "$KAFKA_SECRETS"; printf '%s\n' "${SECURE_ACLS[@]}"; } | sha256sum | cut -d' ' -f1)
	if [ -s "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then return 0; fi
	log "kafka: adding the SCRAM users and the services' ACLs (log: $LOGS/kafka-security.log)"
	local conf="$KAFKA_DIR/scram-user.properties"
	for user in "${SCRAM_USERS[@]}"; do
		(umask 077 && printf 'SCRAM-SHA-512=password=%s\n' "$(scram_password "$user")" >"$conf")
		kafka_tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$HOST:$KAFKA_PORT" \
			--alter --entity-type users --entity-name "$user" --add-config-file "$conf" ||
			{ rm -f "$conf"; die "kafka: adding SCRAM user $user failed (log: $LOGS/kafka-security.log)"; }
	done
	rm -f "$conf"
	for acl in "${SECURE_ACLS[@]}"; do
		IFS='|' read -r principal type name pattern ops <<<"$acl"
		local args=(--bootstrap-server "$HOST:$KAFKA_PORT" --add --allow-principal "User:$principal"
			"--$type" "$name" --resource-pattern-type "$pattern")
		for op in ${ops//,/ }; do args+=(--operation "$op"); done
		kafka_tool org.apache.kafka.tools.AclCommand "${args[@]}" ||
			die "kafka: adding the ACL $acl failed (log: $LOGS/kafka-security.log)"
	done
	echo "$want" >"$marker"
}

# kafka_configure writes node $1's server.properties and log4j2.properties.
kafka_configure() {
	local node=$1 dir port controller voters="" i rf isr
	dir=$(node_dir "$node")
	port=$(node_port "$node")
	controller=$(node_controller_port "$node")
	for i in $(seq 1 "$KAFKA_NODES"); do voters+="${voters:+,}$i@$HOST:$(node_controller_port "$i")"; done
	rf=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3))
	isr=$((KAFKA_NODES < 2 ? KAFKA_NODES : 2))
	mkdir -p "$dir/data"
	local listeners="PLAINTEXT://$HOST:$port" protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
	if kafka_secured; then
		listeners+=",SSL://$HOST:$KAFKA_SSL_PORT,SASL_SSL://$HOST:$KAFKA_SASL_SSL_PORT"
		protocols+=",SSL:SSL,SASL_SSL:SASL_SSL"
	fi
	cat >"$dir/server.properties" <<EOF
# Written by deploy/local/stack.sh on every start; edit the script, not this.
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
controller.listener.names=CONTROLLER
listeners=$listeners,CONTROLLER://$HOST:$controller
advertised.listeners=$listeners
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
log.dirs=$dir/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
EOF
	if kafka_secured; then
		cat >>"$dir/server.properties" <<EOF
# The secured listeners: TLS with a certificate of the stack's CA; SCRAM
# on SASL_SSL; ACLs, with anonymous (PLAINTEXT, and SSL without a client
# certificate) and sfsync-admin as super users.
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS/broker.pem
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS;User:sfsync-admin
allow.everyone.if.no.acl.found=false
EOF
	fi
	cat >"$KAFKA_DIR/log4j2-tools.properties" <<EOF
rootLogger.level=WARN
rootLogger.appenderRef.stderr.ref=stderr
appender.stderr.type=Console
appender.stderr.name=stderr
appender.stderr.target=SYSTEM_ERR
appender.stderr.layout.type=PatternLayout
appender.stderr.layout.pattern=%p %m (%c)%n
EOF
	cat >"$dir/log4j2.properties" <<EOF
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
appender.file.type=File
appender.file.name=file
appender.file.fileName=$LOGS/$(node_log "$node").log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
EOF
}

# kafka_java sets KAFKA_JAVA to the JVM command line of node $1 and its
# storage tool.
kafka_java() {
	KAFKA_JAVA=(java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20
		-Djava.awt.headless=true
		-Dlog4j2.configurationFile="$(node_dir "$1")/log4j2.properties"
		-Dkafka.logs.dir="$LOGS"
		-cp "$KAFKA_DIR/libs/*")
}

# kafka_healthy reports whether node $1 (default 1) has started and
# listens.
kafka_healthy() {
	local node=${1:-1}
	port_open "$(node_port "$node")" && grep -q 'Kafka Server started' "$LOGS/$(node_log "$node").log" 2>/dev/null || return 1
	if kafka_secured; then port_open "$KAFKA_SSL_PORT" && port_open "$KAFKA_SASL_SSL_PORT"; fi
}

# kafka_up starts the nodes $@ that are not running,
# then waits until each is healthy: a cluster's nodes start together, as
# none is healthy before a quorum of controllers answers.
kafka_up() {
	local node pid started=() made
	# Data formatted for another number of nodes cannot serve this one.
	if [ -f "$KAFKA_DIR/data/meta.properties" ]; then
		made=$(cat "$KAFKA_DIR/nodes" 2>/dev/null || echo 1)
		[ "$made" = "$KAFKA_NODES" ] ||
			die "kafka: the data in $KAFKA_DIR is of a $made-node stack, not $KAFKA_NODES (SFSYNC_KAFKA_NODES); use another SFSYNC_STACK_DIR"
	else
		mkdir -p "$KAFKA_DIR" && echo "$KAFKA_NODES" >"$KAFKA_DIR/nodes"
	fi
	for node in "$@"; do
		if pid=$(alive_pid "$(node_pid "$node")"); then
			log "$(node_name "$node"): already running (pid $pid)"
			continue
		fi
		kafka_install
		kafka_start_node "$node"
		started+=("$node")
	done
	for node in "${started[@]}"; do
		wait_for "$(node_log "$node")" kafka_healthy "$node" ||
			die "$(node_name "$node"): not healthy (log: $LOGS/$(node_log "$node").log)"
		log "$(node_name "$node"): started on $HOST:$(node_port "$node") (pid $(cat "$(node_pid "$node")"))"
	done
	kafka_secure_up
}

# kafka_start_node configures node $1, formats its storage when new, and
# starts it, without waiting for it.
kafka_start_node() {
	local node=$1 dir port logf
	dir=$(node_dir "$node")
	port=$(node_port "$node")
	port_open "$port" && die "$(node_name "$node"): port $port is taken by another process; set SFSYNC_KAFKA_PORT"
	if kafka_secured; then
		port_open "$KAFKA_SSL_PORT" && die "kafka: port $KAFKA_SSL_PORT is taken by another process; set SFSYNC_KAFKA_SSL_PORT"
		port_open "$KAFKA_SASL_SSL_PORT" && die "kafka: port $KAFKA_SASL_SSL_PORT is taken by another process; set SFSYNC_KAFKA_SASL_SSL_PORT"
		kafka_tls
		kafka_passwords
	fi
	kafka_configure "$node"
	kafka_java "$node"
	if [ ! -f "$dir/data/meta.properties" ]; then
		log "$(node_name "$node"): formatting storage"
		# The nodes of a cluster share one cluster id, made by the first
		# node formatted.
		if [ "$KAFKA_NODES" = 1 ] || [ ! -s "$KAFKA_DIR/cluster-id" ]; then
			"${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka-install.log" >"$KAFKA_DIR/cluster-id"
		fi
		"${KAFKA_JAVA[@]}" kafka.tools.StorageTool format -t "$(cat "$KAFKA_DIR/cluster-id")" -c "$dir/server.properties" \
			>>"$LOGS/kafka-install.log" 2>&1 ||
			{ tail -n 30 "$LOGS/kafka-install.log" >&2; die "$(node_name "$node"): formatting storage failed"; }
	fi
	# The health check reads this start's log; the previous one is kept.
	logf="$LOGS/$(node_log "$node").log"
	if [ -f "$logf" ]; then mv -f "$logf" "$logf.1"; fi
	nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$dir/server.properties" \
		>"$LOGS/$(node_log "$node").stdout" 2>&1 </dev/null &
	echo $! >"$(node_pid "$node")"
}

# kafka_secure_up gives the one-node stack's secured listeners their
# users and ACLs.
kafka_secure_up() {
	kafka_secured || return 0
	if port_open "$KAFKA_SASL_SSL_PORT"; then
		kafka_passwords
		kafka_users_and_acls
		log "kafka: SSL $HOST:$KAFKA_SSL_PORT, SASL_SSL $HOST:$KAFKA_SASL_SSL_PORT"
	else
		log "kafka: running without the secured listeners (started by an earlier stack.sh); make down && make up adds them"
	fi
}

# kafka_down stops the nodes $@. They are all asked at once: a node whose
# controller quorum is gone cannot finish a controlled shutdown.
kafka_down() {
	local node pid
	for node in "$@"; do
		if pid=$(alive_pid "$(node_pid "$node")"); then kill -TERM "$pid" 2>/dev/null || true; fi
	done
	for node in "$@"; do stop_pid "$(node_name "$node")" "$(node_pid "$node")"; done
}

# kafka_kill SIGKILLs the nodes $@, as a crash would, and waits until
# each is gone.
kafka_kill() {
	local node pid
	for node in "$@"; do
		if pid=$(alive_pid "$(node_pid "$node")"); then
			kill -KILL "$pid"
			while [ -d "/proc/$pid" ]; do sleep 0.05; done
			rm -f "$(node_pid "$node")"
			log "$(node_name "$node"): killed (pid $pid)"
		else log "$(node_name "$node"): not running"; fi
	done
}

# ----------------------------------------------------------- PostgreSQL

# As root the server runs as the postgres user, which must reach its data
# directory; when the state directory is not reachable by it (a clone under
# /root, say), the cluster lives in /var/tmp instead, linked from STATE.
PG_DIR="$STATE/postgres"
if [ "$(id -u)" -eq 0 ] && [ ! -L "$PG_DIR" ] && ! runuser -u postgres -- test -x "$STATE" 2>/dev/null; then
	PG_DIR="/var/tmp/sfsync-stack-$(printf '%s' "$STATE" | md5sum | cut -c1-12)/postgres"
	mkdir -p "$PG_DIR"
	ln -sfn "$PG_DIR" "$STATE/postgres"
elif [ -L "$PG_DIR" ]; then
	PG_DIR=$(readlink "$PG_DIR")
fi
PG_DATA="$PG_DIR/data"

pg_bindir() {
	if [ -n "${SFSYNC_PG_BIN:-}" ]; then echo "$SFSYNC_PG_BIN"; return; fi
	local d
	d=$(printf "%s\n" /usr/lib/postgresql/*/bin | grep -v "\*" | sort -V | tail -n1)
	if [ -z "$d" ] && command -v pg_config >/dev/null; then d=$(pg_config --bindir); fi
	echo "$d"
}

# pg_run runs a PostgreSQL binary; as root it runs as the postgres user,
# because the server refuses to run as root, from / which that user can reach.
pg_run() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

pg_healthy() { pg_run "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -d "$PG_DB" -U "$PG_USER"; }

pg_up() {
	PG_BIN=$(pg_bindir)
	if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
		apt_install postgresql
		PG_BIN=$(pg_bindir)
	fi
	[ -x "$PG_BIN/postgres" ] || die "postgres: no server binaries found; set SFSYNC_PG_BIN"
	if pid=$(alive_pid "$PG_DATA/postmaster.pid"); then
		log "postgres: already running (pid $pid)"
		return 0
	fi
	port_open "$PG_PORT" && die "postgres: port $PG_PORT is taken by another process; set SFSYNC_PG_PORT"
	mkdir -p "$PG_DIR/run"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_DIR" "$PG_DIR/run"; fi
	if [ ! -s "$PG_DATA/PG_VERSION" ]; then
		log "postgres: initdb in $PG_DATA"
		rm -rf "$PG_DATA"
		pg_run "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --auth=trust -E UTF8 --locale=C.UTF-8 \
			>"$LOGS/postgres-init.log" 2>&1 ||
			{ tail -n 30 "$LOGS/postgres-init.log" >&2; die "postgres: initdb failed"; }
	fi
	# The log goes to a file the postgres user can write; it is linked into LOGS.
	ln -sf "$PG_DIR/postgres.log" "$LOGS/postgres.log"
	pg_run "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t "$START_TIMEOUT" \
		-o "-c listen_addresses=$HOST -p $PG_PORT -c unix_socket_directories=$PG_DIR/run -c fsync=off -c max_connections=200" \
		start >/dev/null || { tail -n 30 "$PG_DIR/postgres.log" >&2; die "postgres: did not start"; }
	wait_for postgres pg_healthy
	if ! pg_run "$PG_BIN/psql" -h "$HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -tAc \
		"select 1 from pg_database where datname = '$PG_DB'" | grep -q 1; then
		pg_run "$PG_BIN/createdb" -h "$HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
	fi
	log "postgres: started on $HOST:$PG_PORT (pid $(head -n1 "$PG_DATA/postmaster.pid"))"
}

pg_down() {
	local pid
	if ! pid=$(alive_pid "$PG_DATA/postmaster.pid"); then
		log "postgres: not running"
		return 0
	fi
	pg_run "$(pg_bindir)/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || stop_pid postgres "$PG_DATA/postmaster.pid"
	log "postgres: stopped (pid $pid)"
}

# ---------------------------------------------------------------- Redis

REDIS_DIR="$STATE/redis"
REDIS_PID="$REDIS_DIR/redis.pid"

redis_healthy() { [ "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_up() {
	command -v redis-server >/dev/null || apt_install redis-server
	if pid=$(alive_pid "$REDIS_PID"); then
		log "redis: already running (pid $pid)"
		return 0
	fi
	port_open "$REDIS_PORT" && die "redis: port $REDIS_PORT is taken by another process; set SFSYNC_REDIS_PORT"
	mkdir -p "$REDIS_DIR"
	# The config file path is on the command line so alive_pid can tell it is ours.
	cat >"$REDIS_DIR/redis.conf" <<EOF
bind $HOST
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $REDIS_PID
logfile $LOGS/redis.log
dir $REDIS_DIR
save ""
appendonly no
EOF
	redis-server "$REDIS_DIR/redis.conf"
	wait_for redis redis_healthy
	log "redis: started on $HOST:$REDIS_PORT (pid $(cat "$REDIS_PID"))"
}

redis_down() { stop_pid redis "$REDIS_PID"; }

# ---------------------------------------------------------------- commands

# print_env prints the variables; with the secured listeners, also their
# addresses, the CA file and each SCRAM user's name and password
# (SFSYNC_KAFKA_<USER>_USER and _PASSWORD, USER one of ADMIN, PRODUCER,
# CONSUMER, RECONCILER).
# ------------------------------------------------------- Schema Registry

# Apicurio Registry, whose standalone distribution is on Maven Central
# (registry/pom.xml), serving the Confluent Schema Registry API under
# /apis/ccompat/v7, with in-memory storage: it starts empty, like Redis.
REGISTRY_DIR="$STATE/registry"
REGISTRY_PID="$REGISTRY_DIR/registry.pid"
REGISTRY_URL="http://$HOST:$REGISTRY_PORT/apis/ccompat/v7"

# registry_install resolves the distribution once and unpacks it in
# REGISTRY_DIR/app; app/done, a copy of the POM written last, marks a
# complete unpacking.
registry_install() {
	if [ -s "$REGISTRY_DIR/app/done" ] && cmp -s "$REGISTRY_DIR/app/done" "$HERE/registry/pom.xml"; then return 0; fi
	maven_jars "$HERE/registry/pom.xml" "$REGISTRY_DIR/dist" "$LOGS/registry-install.log"
	rm -rf "$REGISTRY_DIR/app"
	mkdir -p "$REGISTRY_DIR/app"
	tar -xzf "$REGISTRY_DIR"/dist/apicurio-registry-app-*-all.tar.gz -C "$REGISTRY_DIR/app" ||
		die "registry: unpacking the distribution in $REGISTRY_DIR/dist failed"
	rm -rf "$REGISTRY_DIR/dist" "$REGISTRY_DIR/dist.done"
	cp "$HERE/registry/pom.xml" "$REGISTRY_DIR/app/done"
}

registry_healthy() {
	port_open "$REGISTRY_PORT" && grep -q ' started in ' "$LOGS/registry.log" 2>/dev/null
}

# registry_started is registry_healthy, but gives up at once when the
# process has exited (a Java too old, a port taken meanwhile).
registry_started() {
	registry_healthy && return 0
	alive_pid "$REGISTRY_PID" >/dev/null || {
		tail -n 30 "$LOGS/registry.log" >&2
		die "registry: exited while starting (log: $LOGS/registry.log)"
	}
	return 1
}

registry_up() {
	local pid jar
	if pid=$(alive_pid "$REGISTRY_PID"); then
		log "registry: already running (pid $pid)"
		return 0
	fi
	port_open "$REGISTRY_PORT" && die "registry: port $REGISTRY_PORT is taken by another process; set SFSYNC_REGISTRY_PORT"
	registry_install
	jar=$(printf '%s\n' "$REGISTRY_DIR"/app/*-runner.jar | head -n1)
	[ -f "$jar" ] || die "registry: no runner jar in $REGISTRY_DIR/app"
	if [ -f "$LOGS/registry.log" ]; then mv -f "$LOGS/registry.log" "$LOGS/registry.log.1"; fi
	# The access log would write a line per request.
	nohup java -Xmx"$REGISTRY_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
		-Dquarkus.http.host="$HOST" -Dquarkus.http.port="$REGISTRY_PORT" \
		-Dquarkus.http.access-log.enabled=false \
		-jar "$jar" >"$LOGS/registry.log" 2>&1 </dev/null &
	echo $! >"$REGISTRY_PID"
	START_TIMEOUT=$REGISTRY_START_TIMEOUT wait_for registry registry_started ||
		die "registry: not healthy within ${REGISTRY_START_TIMEOUT}s (SFSYNC_REGISTRY_START_TIMEOUT; log: $LOGS/registry.log)"
	log "registry: started on $REGISTRY_URL (pid $(cat "$REGISTRY_PID"))"
}

registry_down() { stop_pid registry "$REGISTRY_PID"; }


print_env() {
	cat <<EOF
export SFSYNC_KAFKA_BROKERS=$(brokers)
export SFSYNC_DATABASE_URL=postgres://$PG_USER@$HOST:$PG_PORT/$PG_DB?sslmode=disable
export SFSYNC_REDIS_URL=redis://$HOST:$REDIS_PORT/0
EOF
	if want registry; then echo "export SFSYNC_SCHEMA_REGISTRY_URL=$REGISTRY_URL"; fi
	if kafka_secured && [ -s "$KAFKA_SECRETS" ]; then
		local user var
		cat <<EOF
export SFSYNC_KAFKA_TLS_BROKERS=$HOST:$KAFKA_SSL_PORT
export SFSYNC_KAFKA_SASL_SSL_BROKERS=$HOST:$KAFKA_SASL_SSL_PORT
export SFSYNC_KAFKA_CA_FILE=$KAFKA_TLS/ca.pem
EOF
		for user in "${SCRAM_USERS[@]}"; do
			var=${user#sfsync-}
			var=SFSYNC_KAFKA_${var^^}
			printf 'export %s_USER=%s\nexport %s_PASSWORD=%s\n' "$var" "$user" "$var" "$(scram_password "$user")"
		done
	fi
}

status() {
	local rc=0 pid node
	for node in $(seq 1 "$KAFKA_NODES"); do
		if pid=$(alive_pid "$(node_pid "$node")") && kafka_healthy "$node"; then
			printf '%-9s running  pid %-7s %s:%s\n' "$(node_name "$node")" "$pid" "$HOST" "$(node_port "$node")"
			if kafka_secured; then
				printf '%-9s          SSL         %s:%s (CA %s)\n' "" "$HOST" "$KAFKA_SSL_PORT" "$KAFKA_TLS/ca.pem"
				printf '%-9s          SASL_SSL    %s:%s (SCRAM-SHA-512, ACLs)\n' "" "$HOST" "$KAFKA_SASL_SSL_PORT"
			fi
		else printf '%-9s stopped\n' "$(node_name "$node")"; rc=1; fi
	done
	PG_BIN=$(pg_bindir)
	if pid=$(alive_pid "$PG_DATA/postmaster.pid") && pg_healthy 2>/dev/null; then
		printf '%-9s running  pid %-7s %s:%s\n' postgres "$pid" "$HOST" "$PG_PORT"
	else printf '%-9s stopped\n' postgres; rc=1; fi
	if pid=$(alive_pid "$REDIS_PID") && redis_healthy; then
		printf '%-9s running  pid %-7s %s:%s\n' redis "$pid" "$HOST" "$REDIS_PORT"
	else printf '%-9s stopped\n' redis; rc=1; fi
	if want registry; then
		if pid=$(alive_pid "$REGISTRY_PID") && registry_healthy; then
			printf '%-9s running  pid %-7s %s\n' registry "$pid" "$REGISTRY_URL"
		else printf '%-9s stopped\n' registry; rc=1; fi
	fi
	return $rc
}

# SERVICES limits up, down and kill to some services (a comma-separated
# list of kafka, kafka-I for node I alone, postgres, redis); tests use it
# to run a private broker and to stop one node of a cluster.
SERVICES=${2:-kafka,postgres,redis,registry}
want() { [[ ",$SERVICES," == *",$1,"* ]]; }

# select_nodes sets NODES to the Kafka nodes SERVICES names: every node
# for "kafka", node I for "kafka-I"; it returns 1 when it names none.
select_nodes() {
	NODES=()
	if want kafka; then
		mapfile -t NODES < <(seq 1 "$KAFKA_NODES")
		return 0
	fi
	local svc
	for svc in ${SERVICES//,/ }; do
		if [[ $svc =~ ^kafka-([1-9])$ ]]; then
			[ "${BASH_REMATCH[1]}" -le "$KAFKA_NODES" ] || die "$svc: the cluster has $KAFKA_NODES node(s) (SFSYNC_KAFKA_NODES)"
			NODES+=("${BASH_REMATCH[1]}")
		fi
	done
	[ ${#NODES[@]} -gt 0 ]
}

case ${1:-} in
up)
	mkdir -p "$LOGS"
	if want redis; then redis_up; fi
	if want postgres; then pg_up; fi
	if select_nodes; then kafka_up "${NODES[@]}"; fi
	if want registry; then registry_up; fi
	# It holds the SCRAM passwords: the owner's alone.
	(umask 077 && print_env >"$STATE/env.tmp")
	mv -f "$STATE/env.tmp" "$STATE/env"
	log "services healthy ($SERVICES); variables for tests: $STATE/env"
	;;
down)
	if select_nodes; then kafka_down "${NODES[@]}"; fi
	if want redis; then redis_down; fi
	if want postgres; then pg_down; fi
	if want registry; then registry_down; fi
	;;
kill)
	select_nodes || die "kill takes Kafka nodes: kafka, or kafka-1 to kafka-$KAFKA_NODES"
	kafka_kill "${NODES[@]}"
	;;
status) status ;;
env) print_env ;;
processes) processes ;;
*)
	echo "usage: $0 up|down [kafka,kafka-I,postgres,redis,registry] | kill kafka-I,... | status|env|processes" >&2
	exit 2
	;;
esac
