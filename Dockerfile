# enriched-tasks-mock as a container: a shared staging stub.
#   docker build -t enriched-tasks-mock . && docker run -p 8080:8080 -e ADMIN_TOKEN=... enriched-tasks-mock
# The base image is a build argument so that it can be swapped (a mirror, a pinned digest).
ARG NODE_IMAGE=node:24-slim

# Build: all dependencies, then compile TypeScript to dist/ and bundle the console into dist/console/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The build also writes dist/openapi.json and dist/validators.cjs: the contract parsed and the
# request validators compiled ahead of time (faster start-up).
COPY openapi ./openapi
COPY scripts/bundle-server.mjs scripts/compile-openapi.mjs scripts/compile-validators.mjs scripts/build-console.mjs ./scripts/
RUN npm run build

# Runtime: production dependencies only, the compiled code (with the console's bundle), the fixtures and the contract.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY fixtures ./fixtures
COPY openapi ./openapi
USER node
EXPOSE 8080
# Slim images have no curl: node itself asks /readyz (503 while shutting down).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 in exec form, so SIGTERM reaches the server and its graceful shutdown.
CMD ["node", "dist/bin.js"]
