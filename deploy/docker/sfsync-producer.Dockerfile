# sfsync-producer: streams Salesforce change events (Pub/Sub API) into Kafka.
#
#   docker build -f deploy/docker/sfsync-producer.Dockerfile -t sfsync/sfsync-producer .
#
# Built from the repository root. By default on the public Go builder and
# distroless/static runtime; GO_IMAGE and RUNTIME_IMAGE swap in other bases
# (deploy/docker/images.sh passes the ones it builds here). VERSION and
# REVISION are stamped into the binary (--version) and the image's labels.
#
# The build stage is the same in the four service Dockerfiles and builds all
# four binaries, so that building the four images compiles once: keep it so.
ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=chainguard/static:latest

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.work go.work.sum ./
COPY schemas/go.mod schemas/go.sum schemas/
COPY platform/go.mod platform/go.sum platform/
COPY platform/sflogin/go.mod platform/sflogin/go.sum platform/sflogin/
COPY salesforce/go.mod salesforce/go.sum salesforce/
COPY producer/go.mod producer/go.sum producer/
COPY consumer/go.mod consumer/go.sum consumer/
COPY reconciler/go.mod reconciler/go.sum reconciler/
COPY integration/go.mod integration/go.sum integration/
COPY deploy/go.mod deploy/go.sum deploy/
RUN go mod download
COPY . .
ARG VERSION=dev
ARG REVISION=
RUN go build -ldflags "-s -w -X github.com/sfsync/sfsync/platform/buildinfo.version=${VERSION} -X github.com/sfsync/sfsync/platform/buildinfo.revision=${REVISION}" \
	-o /out/ ./producer/cmd/sfsync-producer ./consumer/cmd/sfsync-consumer ./reconciler/cmd/sfsync-reconciler ./salesforce/cmd/sfemu

FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=
LABEL org.opencontainers.image.title="sfsync-producer" \
	org.opencontainers.image.description="streams Salesforce change events (Pub/Sub API) into Kafka" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/sfsync-producer /usr/local/bin/sfsync-producer
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sfsync-producer"]
