# syntax=docker/dockerfile:1
# mlci's image. The release workflow builds two tags from this file:
#   ghcr.io/mlci-dev/mlci:vX         the last stage, `runtime`: a non-root user, for GitLab CI
#                                    jobs and `docker run`;
#   ghcr.io/mlci-dev/mlci:vX-action  the `action` stage, which action.yml runs: GitHub runs
#                                    container actions as root and requires it to write the
#                                    workspace and the step's output files.
# Both hold git (mlci reads commits with it), CA certificates and one static binary.

ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22

# Packages are pinned by the Alpine branch (ALPINE_VERSION), not by exact version: a branch's
# repository keeps only the latest patch of each package, so an exact pin would break the
# build at the next security fix.
FROM rust:${RUST_VERSION}-alpine${ALPINE_VERSION} AS builder
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev
WORKDIR /src
# The dependencies first, in a layer of their own: a change to mlci's code reuses it.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/cli \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs tests/cli/main.rs \
    && cargo build --profile dist --locked --bin mlci \
    && rm -rf src tests
COPY src ./src
RUN mkdir -p tests/cli && touch tests/cli/main.rs src/main.rs src/lib.rs \
    && cargo build --profile dist --locked --bin mlci \
    && install -m 0755 target/dist/mlci /usr/local/bin/mlci \
    && /usr/local/bin/mlci --version

FROM alpine:${ALPINE_VERSION} AS action
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mlci" \
      org.opencontainers.image.description="ML results in code review: metrics, params and charts against the pull request's base, as one sticky comment" \
      org.opencontainers.image.source="https://github.com/mlci-dev/mlci" \
      org.opencontainers.image.documentation="https://github.com/mlci-dev/mlci#readme" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# hadolint ignore=DL3018
RUN apk add --no-cache git ca-certificates
COPY --from=builder /usr/local/bin/mlci /usr/local/bin/mlci
ENTRYPOINT ["mlci"]
CMD ["--help"]

FROM action AS runtime
RUN adduser -D -u 10001 -h /home/mlci mlci
USER 10001
WORKDIR /home/mlci
