# nftpol: the node agent image (docs/image.md).
#
#   docker build -t nftpol:0.1.0 .
#
# Two stages: the first compiles TypeScript with the dev dependencies, the
# second holds only what the agent runs: Node 24, the production dependencies,
# dist/ and bin/, and the tools it drives (nft, libnftables for
# --nft-backend libnftables, conntrack for revoked connections, ip and tc for
# the node checks). scripts/check-dockerfile.sh runs these steps on a Debian
# machine without Docker (what it cannot check is in docs/image.md).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the dev dependency "node" would download a second Node 24
# (the base image has one), and nothing else needs an install script to build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
# Debian's own packages (bookworm: nftables 1.0.6, conntrack 1.4.7, iproute2 6.1).
RUN apt-get update \
 && apt-get install -y --no-install-recommends nftables libnftables1 conntrack iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nftpol
ENV NODE_ENV=production
# A small young generation: the agent's live heap is small (about 40 MB at 10k
# pods), but V8 keeps the semi-spaces a large parse grew; capped, RSS at 10k
# pods was 164 MB instead of 256 MB (docs/agent.md, Cost).
ENV NODE_OPTIONS=--max-semi-space-size=2
COPY package.json package-lock.json ./
# Production dependencies only. koffi's install script is not needed: its
# prebuilt binary comes in the optional dependency for this platform
# (@koromix/koffi-linux-x64 or -arm64).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
ENV PATH=/opt/nftpol/bin:$PATH
# Root, with every capability but NET_ADMIN dropped by the pod's securityContext
# (the chart does this): the agent runs nft, conntrack, ip and tc as child
# processes, and Kubernetes cannot give a non-root process ambient
# capabilities, so a non-root user would hand its children none. docs/image.md.
USER 0:0
ENTRYPOINT ["nftpol", "agent"]
