# The Go builder base built here: Debian (the debootstrap image) with the Go
# toolchain that the Go module proxy serves as golang.org/toolchain. Stands in for
# the public golang image where no registry is reachable. The context holds
# the toolchain in go/ and the machine's CA bundle, which the builder trusts
# so that modules come through the machine's own proxy.
ARG DEBIAN_IMAGE=sfsync-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates git >/dev/null \
	&& rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY go /usr/local/go
# The module zip keeps no file modes.
RUN chmod 0755 /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
ENV GOTOOLCHAIN=local GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
