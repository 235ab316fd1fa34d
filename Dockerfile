# hoody-sqlite container: a thin wrapper over the same make targets as a developer machine.
#   docker build -t hoody-sqlite .
#   docker run -p 8080:8080 -v "$PWD/data:/data" hoody-sqlite
# The /data volume must be writable by UID 10001 (the server says so in one line if it is not).

FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends make ca-certificates git \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# `make build` installs the Debian build packages it needs, then builds Release.
RUN make build BUILD_DIR=build JOBS="$(nproc)"

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends \
        libsqlite3-0 libspdlog1.10 libfmt9 libssl3 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hoody \
    && mkdir -p /data && chown hoody:hoody /data
COPY --from=build /src/build/hoody-sqlite /usr/local/bin/hoody-sqlite
USER hoody
VOLUME ["/data"]
EXPOSE 8080
ENV HOODY_SQLITE_DATA_DIR=/data HOODY_SQLITE_PORT=8080 HOODY_SQLITE_HOST=0.0.0.0
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/api/v1/sqlite/health || exit 1
ENTRYPOINT ["/usr/local/bin/hoody-sqlite"]
