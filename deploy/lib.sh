# deploy/lib.sh: what the deploy scripts share. Source it after setting
# LOG_NAME, the prefix of every message:
#
#   LOG_NAME=stack
#   . "$ROOT/deploy/lib.sh"
# shellcheck shell=bash

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_root runs a command as root: directly when root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		die "need root to run: $* (install it by hand, or run as root)"
	fi
}

# apt_install installs Debian packages.
apt_install() {
	log "installing $* with apt-get"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# maven_jars POM DIR LOGFILE copies POM's runtime dependencies from Maven
# Central (through ~/.m2) into DIR. DIR.done, a copy of the POM written
# last, marks a complete copy: a half copy, or one of another POM, is redone.
maven_jars() {
	local pom=$1 dir=$2 logfile=$3
	if [ -s "$dir.done" ] && cmp -s "$dir.done" "$pom"; then return 0; fi
	command -v java >/dev/null || apt_install openjdk-17-jre-headless
	command -v mvn >/dev/null || apt_install maven
	log "resolving the jars of $pom from Maven Central"
	rm -rf "$dir" "$dir.done"
	mvn -B -q -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" >"$logfile" 2>&1 ||
		{ tail -n 30 "$logfile" >&2; die "maven could not resolve the jars of $pom (log: $logfile)"; }
	cp "$pom" "$dir.done"
}
