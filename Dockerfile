# The API on Node 24, as one stateless instance (docs/DEPLOY.md). Build from the repository root:
#   docker build -t school-licenses-api .
#   docker run -p 4000:4000 -e DATABASE_URL=postgres://… -e JWT_SECRET=… school-licenses-api
# Node runs the TypeScript sources as they are (type stripping): there is no build step.
FROM node:24-slim
WORKDIR /app
RUN npm install -g pnpm@10.34.8
COPY . .
# The API and what it needs (packages/db, whose install generates the Prisma client); dev
# dependencies too, since generating the client uses the Prisma CLI.
RUN pnpm install --frozen-lockfile --filter @school-licenses/api... && pnpm store prune
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 LOG_FORMAT=json SHUTDOWN_DELAY_MS=5000
USER node
WORKDIR /app/packages/api
EXPOSE 4000
# /health: the process is up; a balancer or orchestrator should route by /ready instead.
HEALTHCHECK --interval=10s --timeout=2s CMD node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# Node as PID 1 receives SIGTERM itself: /ready fails, requests drain, then it exits.
CMD ["node", "src/server.ts"]
