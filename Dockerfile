# One image for every service: the command picks ingest (default), a node worker or the CLI.
FROM node:20-bookworm-slim AS deps
# better-sqlite3 compiles SQLite when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# esbuild is a runtime dependency: every service start bundles its TypeScript (decision 0007).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
# npm runs scripts through /bin/sh (dash), which does not pass SIGTERM on to the service; bash
# execs the script's single command, so `docker stop` reaches the service, which drains and exits 0.
ENV npm_config_script_shell=/bin/bash \
    npm_config_update_notifier=false \
    npm_config_fund=false
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Built once here; each start rebuilds it (~50 ms) into the same files, which the user may write.
# Named volumes mounted on /data and /store start out owned by the unprivileged user.
RUN node scripts/build.mjs \
 && mkdir -p /data /store \
 && chown -R node:node dist /data /store
USER node
EXPOSE 9000 9001
CMD ["npm", "run", "ingest"]
