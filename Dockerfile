# Kasane: API + worker in one image. Run the same image as `kasane api` and
# `kasane worker` to scale out; point REDIS_URL at a shared Redis and
# KASANE_STORAGE_DIR at shared storage.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npx tsc --noEmit
VOLUME ["/app/var"]
EXPOSE 3000
ENTRYPOINT ["node", "bin/kasane.js"]
CMD ["start"]
