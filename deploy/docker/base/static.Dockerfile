# The runtime base built here, with what a distroless/static image carries
# for a static Go binary: CA certificates, time zones, /etc/passwd with root
# and nonroot (65532), /etc/nsswitch.conf and a /tmp. No shell, no package
# manager. Stands in for distroless/static where no registry is reachable.
ARG DEBIAN_IMAGE=sfsync-local/debian:bookworm
FROM ${DEBIAN_IMAGE} AS rootfs
RUN apt-get update -qq \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates tzdata >/dev/null
RUN set -eu; mkdir -p /out/etc/ssl/certs /out/usr/share /out/tmp /out/home/nonroot /out/root; \
	cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/; \
	cp -a /usr/share/zoneinfo /out/usr/share/; \
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/out/etc/passwd; \
	printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >/out/etc/group; \
	printf 'hosts: files dns\n' >/out/etc/nsswitch.conf; \
	chmod 1777 /out/tmp; chmod 0700 /out/root; chown 65532:65532 /out/home/nonroot

FROM scratch
COPY --from=rootfs /out/ /
USER 65532:65532
WORKDIR /home/nonroot
