# syntax=docker/dockerfile:1
# The engine as a gateway container: `engine --profiles /profiles` with the status server on
# 0.0.0.0:6769. Multi-arch: docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 .

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY engine engine
COPY schemas schemas
COPY profiles profiles
COPY README.md ./
# Only the engine is compiled here; the package keeps what `files` in package.json lists.
RUN npx tsc -p tsconfig.build.json && npm pack --ignore-scripts && mv device-profile-engine-*.tgz /engine.tgz

FROM node:20-bookworm-slim
# libudev for libusb (the usb package ships its prebuilt binary); util-linux for flock(1),
# which holds the NuvlaEdge broker's lock.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libudev1 util-linux \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /engine.tgz /tmp/engine.tgz
RUN npm install --global --omit=dev --no-audit --no-fund /tmp/engine.tgz && rm /tmp/engine.tgz
# The profiles baked into the image: the shipped ones, or another folder of the build context
# (balena builds cannot bind-mount one: examples/balena passes PROFILES=examples/balena/profiles).
ARG PROFILES=profiles
COPY ${PROFILES} /profiles
# balena's supervisor reads the dependent-device hook address from the image's ENV (then a device
# configuration variable), never from a service's environment: it must be here, where the engine
# reads it too. A build argument changes it (e.g. to bind the hooks to one interface).
ARG BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS=http://0.0.0.0:1337/v1/devices/
ENV BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS=${BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS}
VOLUME /state
EXPOSE 6769
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:6769/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["engine"]
CMD ["--profiles", "/profiles", "--state", "/state", "--host", "0.0.0.0", "--port", "6769"]
