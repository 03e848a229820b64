# syntax=docker/dockerfile:1
#
# Countersign as a container: the gateway (`countersign serve`) on Node 20, as a non-root user,
# with a read-only root filesystem. Config and policy are mounted at /etc/countersign; the
# embedded store (PGlite) keeps its data in the /var/lib/countersign volume (or use PostgreSQL).
#
#   docker build -t countersign .
#   docker run --read-only --tmpfs /tmp -p 8470:8470 \
#     -v "$PWD/countersign.yaml:/etc/countersign/countersign.yaml:ro" \
#     -v "$PWD/policy.yaml:/etc/countersign/policy.yaml:ro" \
#     -v countersign-data:/var/lib/countersign countersign
#
# The config must listen on all interfaces (server.listen: 0.0.0.0:8470) and, with the embedded
# store, keep its data in the volume (store.data_dir: /var/lib/countersign). See docs/production.md.

# Build stage: everything `npm pack` ships, built (dist/, the console's assets, the agent bundle).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY console ./console
RUN npm run build

# Runtime stage: production dependencies and the build, no compiler, no sources.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    COUNTERSIGN_CONFIG=/etc/countersign/countersign.yaml
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the parsers are WebAssembly and nothing needs compiling.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# bubblewrap: the sandbox for shell commands the policy allows without review (docs/security.md).
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap && rm -rf /var/lib/apt/lists/*
COPY bin ./bin
COPY examples ./examples
COPY --from=build /src/dist ./dist
COPY --from=build /src/console/dist ./console/dist
RUN mkdir -p /var/lib/countersign /etc/countersign && chown 1000:1000 /var/lib/countersign
# The image's `node` user, by number, so that Kubernetes can check runAsNonRoot.
USER 1000:1000
VOLUME ["/var/lib/countersign"]
EXPOSE 8470
# The image has no curl: Node asks /healthz (on the port the config listens on, 8470).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8470/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/countersign.js"]
CMD ["serve"]
