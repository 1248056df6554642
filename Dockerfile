# syntax=docker/dockerfile:1
# Spreiding: one image for every process (api, worker, migrate); the command picks the role.
#   docker build -t spreiding .
#   docker run --env-file .env spreiding                          # api  (node dist/src/server.js)
#   docker run --env-file .env spreiding node dist/src/worker.js  # worker
#   docker run --env-file .env spreiding node dist/scripts/migrate.js

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: compile TypeScript with the dev dependencies --------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change does not invalidate the npm ci layer.
COPY package.json package-lock.json ./
# Scripts off here: `prepare` builds the UI, whose sources are copied only below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
COPY ui ./ui
# rootDir "." keeps the source layout: dist/src/…, dist/scripts/… (test/ and bench/ are not in the context).
RUN npx tsc -p . --outDir dist && npm run build:ui

# --- runtime: compiled JS, production dependencies, no compiler, not root -------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` would build the UI, which is copied ready-made from the build stage.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/scripts ./dist/scripts
# src/modules/ui finds the built review desk at ../../../ui/dist from dist/src/modules/ui/.
COPY --from=build /app/ui/dist ./dist/ui/dist
# src/db/client.ts and src/db/seed.ts find these at ../../migrations and ../../reference-data
# relative to their compiled files (dist/src/db/), that is dist/migrations and dist/reference-data.
COPY migrations ./dist/migrations
COPY reference-data ./dist/reference-data
# Embedded mode (no DATABASE_URL) keeps its data and generated keys here; production uses PostgreSQL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# Inside a container the service must listen on every interface; the default is loopback only.
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
# 3000: the API; 9464: metrics (METRICS_PORT), for the cluster only, never published.
EXPOSE 3000 9464
# The slim image has no curl; Node 20 has fetch. Liveness only: /ready is for load balancers.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# exec form: node is PID 1 and receives SIGTERM itself, so in-flight requests and jobs finish.
CMD ["node", "dist/src/server.js"]
