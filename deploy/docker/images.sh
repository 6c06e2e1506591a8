#!/usr/bin/env bash
# images.sh builds every container image sfsync's tests and compose file use,
# from what this machine's registries serve (Debian's packages, Maven
# Central, the Go module proxy); no container registry is needed.
#
#   deploy/docker/images.sh [all|base|deps|services]   build (default: all)
#   deploy/docker/images.sh list                        print the images and their tags
#   deploy/docker/images.sh env                         print the SFSYNC_*_IMAGE variables for the local builds
#
#   base      sfsync-local/debian:<codename>  debootstrap minbase from the machine's apt mirror
#             sfsync-local/golang:<go>        that + the Go toolchain from the Go module proxy, trusting
#                                             the machine's CA bundle (its module proxy's certificate)
#             sfsync-local/static:nonroot     CA certificates, tzdata, passwd; the distroless/static stand-in
#   deps      sfsync-local/kafka:<version>    Apache Kafka (KRaft) from Maven Central on Debian's JRE
#             sfsync-local/postgres:15        Debian's PostgreSQL 15
#             sfsync-local/redis:7            Debian's Redis 7
#   services  sfsync/sfsync-producer, sfsync/sfsync-consumer, sfsync/sfsync-reconciler,
#             sfsync/sfemu, tagged :<git describe> and :latest, built on the local bases
#
# It is idempotent: the Debian base and the toolchain are built only when
# their image is missing, and everything else is a `docker build` whose layer
# cache makes a second run take seconds. It needs a Docker engine
# (deploy/docker/engine.sh up) and runs as root or with sudo for debootstrap.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/deploy/docker
CACHE=${SFSYNC_DOCKER_DIR:-$ROOT/.cache/docker}
mkdir -p "$CACHE"

CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
CODENAME=${CODENAME:-bookworm}
GO_VERSION=$(go env GOVERSION)
KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/deploy/local/kafka/pom.xml")

DEBIAN_IMAGE=sfsync-local/debian:$CODENAME
GO_IMAGE=sfsync-local/golang:${GO_VERSION#go}
RUNTIME_IMAGE=sfsync-local/static:nonroot
KAFKA_IMAGE=sfsync-local/kafka:$KAFKA_VERSION
POSTGRES_IMAGE=sfsync-local/postgres:15
REDIS_IMAGE=sfsync-local/redis:7
SERVICES=(sfsync-producer sfsync-consumer sfsync-reconciler sfemu)

VERSION=$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)

LOG_NAME=images
# shellcheck source=deploy/lib.sh
. "$ROOT/deploy/lib.sh"

have() { docker image inspect "$1" >/dev/null 2>&1; }

# build TAG DOCKERFILE CONTEXT [docker build arguments...]: RUN steps reach
# the registries through the host's network, as containers get no NAT here.
build() {
	local tag=$1 file=$2 context=$3
	shift 3
	log "building $tag"
	docker build --network host --force-rm -q -t "$tag" -f "$file" "$@" "$context" >/dev/null ||
		die "docker build of $tag failed (rerun: docker build --network host -f $file $* $context)"
}

# apt_sources prints the machine's apt sources for CODENAME, one-line style,
# so images install from the same mirror the machine does.
apt_sources() {
	# shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
	apt-get indextargets --format '$(SITE) $(CODENAME) $(COMPONENT)' 'Identifier: Packages' |
		sort -u | awk '{print "deb " $1 " " $2 " " $3}'
}

debian_base() {
	have "$DEBIAN_IMAGE" && return 0
	command -v debootstrap >/dev/null || apt_install debootstrap
	local mirror rootfs=$CACHE/rootfs-$CODENAME
	mirror=$(apt_sources | awk -v c="$CODENAME" '$3 == c {print $2; exit}')
	[ -n "$mirror" ] || die "no apt source for $CODENAME in this machine's apt configuration"
	log "debootstrap $CODENAME from $mirror (minbase)"
	as_root rm -rf "$rootfs"
	as_root debootstrap --variant=minbase "$CODENAME" "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
	apt_sources | as_root tee "$rootfs/etc/apt/sources.list" >/dev/null
	# Images keep no apt lists or package cache.
	as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
	as_root tar -C "$rootfs" -c . | docker import - "$DEBIAN_IMAGE" >/dev/null
	as_root rm -rf "$rootfs"
	log "imported $DEBIAN_IMAGE"
}

go_base() {
	have "$GO_IMAGE" && return 0
	local dir ctx=$CACHE/golang-context
	dir=$(go mod download -json "golang.org/toolchain@v0.0.1-$GO_VERSION.$(go env GOOS)-$(go env GOARCH)" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || die "the Go module proxy did not serve golang.org/toolchain for $GO_VERSION"
	rm -rf "$ctx" && mkdir -p "$ctx"
	cp -r "$dir" "$ctx/go"
	# The builder downloads modules through this machine's proxy, which may
	# present a certificate of a CA only this machine trusts.
	cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
	build "$GO_IMAGE" "$HERE/base/golang.Dockerfile" "$ctx" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE"
	rm -rf "$ctx"
}

base() {
	debian_base
	go_base
	build "$RUNTIME_IMAGE" "$HERE/base/static.Dockerfile" "$HERE/base" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE"
}

# kafka_libs resolves the broker's jars from Maven Central with the local
# stack's pom into the Kafka image's build context.
kafka_libs() {
	local ctx=$CACHE/kafka-context
	mkdir -p "$ctx"
	maven_jars "$ROOT/deploy/local/kafka/pom.xml" "$ctx/libs" "$CACHE/kafka-libs.log"
	cp "$HERE"/kafka/run.sh "$HERE"/kafka/Dockerfile "$ctx/"
	echo "$ctx"
}

deps() {
	debian_base
	build "$KAFKA_IMAGE" "$HERE/kafka/Dockerfile" "$(kafka_libs)" \
		--build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" --build-arg KAFKA_VERSION="$KAFKA_VERSION"
	build "$POSTGRES_IMAGE" "$HERE/postgres/Dockerfile" "$HERE/postgres" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE"
	build "$REDIS_IMAGE" "$HERE/redis/Dockerfile" "$HERE/redis" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE"
}

services() {
	if ! have "$GO_IMAGE" || ! have "$RUNTIME_IMAGE"; then base; fi
	local s
	for s in "${SERVICES[@]}"; do
		build "sfsync/$s:$VERSION" "$HERE/$s.Dockerfile" "$ROOT" \
			--build-arg GO_IMAGE="$GO_IMAGE" --build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" \
			--build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION"
		docker tag "sfsync/$s:$VERSION" "sfsync/$s:latest"
	done
}

print_env() {
	cat <<EOF
export SFSYNC_KAFKA_IMAGE=$KAFKA_IMAGE
export SFSYNC_POSTGRES_IMAGE=$POSTGRES_IMAGE
export SFSYNC_REDIS_IMAGE=$REDIS_IMAGE
EOF
}

list() {
	local i
	for i in "$DEBIAN_IMAGE" "$GO_IMAGE" "$RUNTIME_IMAGE" "$KAFKA_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE"; do
		if have "$i"; then echo "$i"; else echo "$i (not built)"; fi
	done
	for i in "${SERVICES[@]}"; do
		if have "sfsync/$i:$VERSION"; then echo "sfsync/$i:$VERSION"; else echo "sfsync/$i:$VERSION (not built)"; fi
	done
}

docker info >/dev/null 2>&1 || die "no Docker engine answers; start one with deploy/docker/engine.sh up"
case ${1:-all} in
all) base && deps && services ;;
base) base ;;
deps) deps ;;
services) services ;;
list) list ;;
env) print_env ;;
*)
	echo "usage: $0 [all|base|deps|services|list|env]" >&2
	exit 2
	;;
esac
