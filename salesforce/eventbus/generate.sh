#!/usr/bin/env bash
# generate.sh rebuilds pubsub_api.pb.go and pubsub_api_grpc.pb.go from
# pubsub_api.proto. `go generate ./...` in the salesforce module runs it
# (see doc.go), and so does the root `make generate`.
#
# It installs the two protoc plugins at the pinned versions below with
# `go install` into TOOLS_BIN (default: $(go env GOPATH)/bin) and calls them
# by path, so whatever else is on PATH does not matter. protoc itself comes
# from Debian's protobuf-compiler package (3.21.12 on bookworm, the version
# named in the generated headers); it is apt-get installed when missing.
set -euo pipefail

# Keep PROTOC_GEN_GO_VERSION equal to the google.golang.org/protobuf version
# in go.mod.
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

# The Go import path of the generated code. The .proto keeps Salesforce's
# go_package; protoc's M option overrides it here.
GO_IMPORT='github.com/sfsync/sfsync/salesforce/eventbus;eventbus'

cd "$(dirname "$0")"

TOOLS_BIN=${TOOLS_BIN:-$(go env GOPATH)/bin}
mkdir -p "$TOOLS_BIN"
GOBIN=$TOOLS_BIN go install "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO_VERSION}"
GOBIN=$TOOLS_BIN go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC_VERSION}"

if ! command -v protoc >/dev/null 2>&1; then
	echo "generate.sh: protoc not found; installing Debian's protobuf-compiler" >&2
	if [ "$(id -u)" -eq 0 ]; then
		apt-get update && apt-get install -y protobuf-compiler
	elif command -v sudo >/dev/null 2>&1; then
		sudo apt-get update && sudo apt-get install -y protobuf-compiler
	else
		echo "generate.sh: install protoc (apt-get install protobuf-compiler) and rerun" >&2
		exit 1
	fi
fi
echo "generate.sh: $(protoc --version), protoc-gen-go ${PROTOC_GEN_GO_VERSION}, protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION}" >&2

protoc \
	--proto_path=. \
	--plugin=protoc-gen-go="$TOOLS_BIN/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$TOOLS_BIN/protoc-gen-go-grpc" \
	--go_out=. \
	--go_opt=paths=source_relative \
	--go_opt="Mpubsub_api.proto=${GO_IMPORT}" \
	--go-grpc_out=. \
	--go-grpc_opt=paths=source_relative \
	--go-grpc_opt="Mpubsub_api.proto=${GO_IMPORT}" \
	pubsub_api.proto
