#!/bin/bash
# Starts the broker from the environment, as the apache/kafka image does: the
# KAFKA_* variables (but the JVM ones) are written as server properties,
# storage is formatted with CLUSTER_ID on the first start, then the broker
# runs in the foreground.
set -euo pipefail

CONFIG=/opt/kafka/config/server.properties
DATA=/var/lib/kafka/data
CLUSTER_ID=${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}

# Variables that configure the JVM or this script, not the broker.
jvm_var() {
	case $1 in
	KAFKA_HEAP_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JMX_OPTS | KAFKA_DEBUG | KAFKA_TOOL_OPTS) return 0 ;;
	esac
	return 1
}

props=$(env | sed -n 's/^\(KAFKA_[A-Z0-9_]*\)=.*/\1/p' | sort)
{
	echo "# written by /etc/kafka/docker/run from the KAFKA_* environment"
	any=0
	for var in $props; do
		jvm_var "$var" && continue
		key=${var#KAFKA_}
		key=${key,,}
		key=${key//___/-}
		key=${key//__/@}
		key=${key//_/.}
		key=${key//@/_}
		printf '%s=%s\n' "$key" "${!var}"
		any=1
	done
	if [ $any = 0 ]; then
		# No configuration given: one combined node, like apache/kafka's default.
		cat <<-DEFAULTS
			process.roles=broker,controller
			node.id=1
			controller.quorum.voters=1@localhost:9093
			listeners=PLAINTEXT://:9092,CONTROLLER://:9093
			advertised.listeners=PLAINTEXT://localhost:9092
			controller.listener.names=CONTROLLER
			listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
			offsets.topic.replication.factor=1
			transaction.state.log.replication.factor=1
			transaction.state.log.min.isr=1
			share.coordinator.state.topic.replication.factor=1
			share.coordinator.state.topic.min.isr=1
		DEFAULTS
	fi
	[ -n "${KAFKA_LOG_DIRS:-}" ] || echo "log.dirs=$DATA"
} >"$CONFIG"

cat >/opt/kafka/config/log4j2.properties <<'LOG4J'
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=stdout
appender.stdout.type=Console
appender.stdout.name=stdout
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.state.name=state.change.logger
logger.state.level=WARN
LOG4J

dirs=$(sed -n 's/^log.dirs=//p' "$CONFIG")
if [ ! -f "${dirs%%,*}/meta.properties" ]; then
	java -Xmx256m -cp "/opt/kafka/libs/*" kafka.tools.StorageTool format --ignore-formatted \
		--cluster-id="$CLUSTER_ID" --config="$CONFIG"
fi
# shellcheck disable=SC2086 # the option strings are split into words on purpose
exec java ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20} \
	-Djava.awt.headless=true -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties ${KAFKA_OPTS:-} \
	-cp "/opt/kafka/libs/*" kafka.Kafka "$CONFIG"
