# hoody-sqlite container image: the server binary alone (built with tests off) on Debian slim,
# running as uid:gid 10001:10001 with its databases in /data. docs/operations.md has more.
#
#   docker build -t hoody-sqlite .
#
# With a named volume (created on first use with the image's /data owner, 10001:10001):
#   docker run -d --name hoody -p 8080:8080 -v hoody-data:/data hoody-sqlite
#
# With a bind mount: give the directory to 10001:10001 first, or the server stops at start-up
# with one line saying so (rootless podman: `podman unshare chown 10001:10001 data`):
#   mkdir -p data && sudo chown 10001:10001 data
#   docker run -d --name hoody -p 8080:8080 -v "$PWD/data:/data" hoody-sqlite
#
# On another port (the HEALTHCHECK follows HOODY_SQLITE_PORT):
#   docker run -d --name hoody -p 9090:9090 -e HOODY_SQLITE_PORT=9090 -v hoody-data:/data hoody-sqlite
#   docker inspect --format '{{.State.Health.Status}}' hoody
#
# tests/container/container_test.py checks this file without a container engine (`make test`).

FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The Makefile alone first: the packages layer stays cached while the sources change.
COPY Makefile ./
RUN make server-deps
COPY . .
# Only the hoody-sqlite target with tests off, in build-server/ (.dockerignore keeps a
# developer's build*/ directories, .git, tests/ and docs/ out of the context).
RUN make server

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
        libsqlite3-0 libspdlog1.10 libfmt9 libssl3 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hoody \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin hoody \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /src/build-server/hoody-sqlite /usr/local/bin/hoody-sqlite
COPY --from=build /src/LICENSE /usr/share/doc/hoody-sqlite/LICENSE
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
ENV HOODY_SQLITE_DATA_DIR=/data HOODY_SQLITE_PORT=8080 HOODY_SQLITE_HOST=0.0.0.0
# Shell form: the port is read from the container's environment when each check runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${HOODY_SQLITE_PORT:-8080}/api/v1/sqlite/health" || exit 1
ENTRYPOINT ["/usr/local/bin/hoody-sqlite"]
