# syntax=docker/dockerfile:1
# Images:
#   docker build --target api        -t simsiam-api .         # REST + GraphQL (npm start)
#   docker build --target worker     -t simsiam-worker .      # CPU training worker (wasm backend)
#   docker build --target gpu-worker -t simsiam-gpu-worker .  # CUDA worker (tfjs-node-gpu)
#   bench/gpu/run.sh                                          # gpu-bench: tfjs-node-gpu vs PyTorch CUDA, one training step
# All take DATABASE_URL, S3_BUCKET (+ S3_ENDPOINT for non-AWS S3) and AWS credentials from the env.
# All run as UID:GID 10001:10001 (numeric, so Kubernetes can verify runAsNonRoot; deploy/*.yaml set
# the same IDs). The code stays root-owned and read-only to that user; only /data is its own.

ARG NODE_VERSION=20

# ---- dependencies (production only), generated Prisma client, native kernel pack (oneDNN)
FROM node:${NODE_VERSION}-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends libdnnl-dev python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src/engine/kernels/native ./src/engine/kernels/native
RUN npm ci --omit=dev --no-audit --no-fund

# ---- shared runtime layout
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libdnnl2 libgomp1 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/src/generated ./src/generated
COPY package.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY openapi ./openapi
COPY src ./src
COPY workers ./workers
COPY --from=deps /app/src/engine/kernels/native/build/Release/simsiam_kernels.node ./src/engine/kernels/native/build/Release/
RUN groupadd --gid 10001 simsiam \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin simsiam \
 && mkdir -p /data && chown 10001:10001 /data
USER 10001:10001

# ---- API
FROM runtime AS api
ENV PORT=8080 IN_PROCESS_WORKER=false
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/main.ts"]

# ---- CPU worker
FROM runtime AS worker
CMD ["node", "--import", "tsx", "workers/main.ts"]

# ---- GPU worker: tfjs-node-gpu 4.22 links libtensorflow 2.9 built against CUDA 11.2 + cuDNN 8.1.
# Its install script downloads libtensorflow, which works on a build machine with internet access.
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04 AS gpu-worker
ARG NODE_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates python3 make g++ \
 && curl -fsSL https://deb.nodesource.com/setup_${NODE_VERSION}.x | bash - \
 && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production DATA_DIR=/data SIMSIAM_BACKEND=tensorflow
WORKDIR /app
COPY --from=runtime /app /app
RUN npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 \
 && groupadd --gid 10001 simsiam \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin simsiam \
 && mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
CMD ["node", "--import", "tsx", "workers/main.ts"]

# ---- GPU bench (bench/gpu/run.sh): the GPU worker plus the benches and PyTorch with CUDA, to time
# the same training step on both. torch's wheels bundle their own CUDA runtime; 2.4 is the last
# release for this base's Python 3.8.
FROM gpu-worker AS gpu-bench
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3-pip && rm -rf /var/lib/apt/lists/* \
 && pip3 install --no-cache-dir numpy==1.24.4 torch==2.4.1 --index-url https://download.pytorch.org/whl/cu118 --extra-index-url https://pypi.org/simple
COPY bench ./bench
ENV PYTHON=/usr/bin/python3
USER 10001:10001
CMD ["node", "--import", "tsx", "bench/gpu/compare.ts"]
