# zcc-ledger in a container: a build stage with the Rust toolchain, and a small runtime stage
# with the binary alone. docs/DEPLOY.md.
#
#   docker build -t zcc-ledger .
#   docker run -p 8080:8080 -v zcc-data:/var/lib/zcc-ledger \
#       -e ZCC_WEBHOOK_SECRET=... -e ZCC_API_TOKEN=... zcc-ledger

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The dependency and target caches persist between builds on a BuildKit engine.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p zcc-ledger \
    && install -D -m 0755 target/release/zcc-ledger /out/zcc-ledger

FROM debian:bookworm-slim
# CA certificates: the Zoom API (backfill, reconcile) and outbound deliveries are HTTPS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/zcc-ledger --create-home --shell /usr/sbin/nologin zcc
COPY --from=build /out/zcc-ledger /usr/local/bin/zcc-ledger
USER zcc
WORKDIR /var/lib/zcc-ledger
VOLUME /var/lib/zcc-ledger
# Beyond loopback, `serve` refuses to start without ZCC_API_TOKEN (the API and pages need it).
ENV ZCC_DATABASE_URL=sqlite:///var/lib/zcc-ledger/zcc-ledger.db \
    ZCC_LISTEN=0.0.0.0:8080 \
    ZCC_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["zcc-ledger"]
CMD ["serve"]
