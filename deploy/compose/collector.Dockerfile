# The collector image for deploy/compose.yaml, built from this repository (context: the repo root).
FROM node:20.20.2-bookworm-slim
WORKDIR /opt/canhgac-collector
COPY package.json package-lock.json ./
# better-sqlite3 fetches its prebuilt binary here (the data centre has the internet; agencies do not need it).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY protocol ./protocol
COPY lib ./lib
COPY collector ./collector
COPY deploy/backup ./deploy/backup
RUN mkdir -p /var/lib/canhgac-collector && chown node:node /var/lib/canhgac-collector
USER node
EXPOSE 8443
ENTRYPOINT ["node", "bin/canhgac-collector.js"]
CMD ["serve", "--config", "/etc/canhgac/collector.yaml"]
