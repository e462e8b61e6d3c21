# Build the whole-program-optimised binary (profile release-lto), then ship it on a slim Debian with
# only what it needs at run time.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --profile release-lto --locked --bin ipcp

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/ipcp --create-home ipcp
COPY --from=build /src/target/release-lto/ipcp /usr/local/bin/ipcp
USER ipcp
WORKDIR /var/lib/ipcp
ENV IPCP_LISTEN=0.0.0.0:8000
EXPOSE 8000
ENTRYPOINT ["ipcp"]
CMD ["serve"]
