# syntax=docker/dockerfile:1
# The engine as a gateway container: `engine --profiles /profiles` with the status server on
# 0.0.0.0:6769. Multi-arch: docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 .
#
# What runs is what was tested: the runtime gets exactly the production dependencies that
# package-lock.json names (`npm ci --omit=dev`), never a fresh resolution.

# Node 24 LTS, pinned to an exact release so that rebuilds get the same runtime; bump it on purpose.
# scripts/image-check.sh passes a stand-in here (a Debian bookworm rootfs with the machine's Node)
# where no base image can be pulled.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY engine engine
COPY schemas schemas
COPY profiles profiles
COPY README.md ./
COPY scripts/bundle.mjs scripts/bundle.mjs
# Only the engine is compiled here, bundled, with the schema validators generated at build time
# (as `npm run build` does); the package keeps what `files` in package.json lists: the bundles and
# the validators.
RUN npx tsc -p tsconfig.build.json \
 && node scripts/bundle.mjs \
 && node dist/engine/profiles/build-validators.js \
 && npm pack --ignore-scripts --pack-destination / \
 && mkdir /engine && tar -xzf /device-profile-engine-*.tgz -C /engine --strip-components=1

# The production dependencies, exactly as locked. Scripts stay off (the package's own `prepare`
# needs TypeScript); usb and serialport load their N-API prebuilds at run time.
FROM ${NODE_IMAGE} AS deps
WORKDIR /deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# tini: PID 1 that reaps the zombies programs started by the `exec` backend leave behind and
# passes signals on. libudev1 for libusb (the usb package ships its prebuilt binary). util-linux
# for flock(1), which holds the NuvlaEdge broker's lock. usb.ids and pci.ids: vendor, product and
# class names (usb.vendorName, file.pci.vendorName, ...).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libudev1 util-linux usb.ids pci.ids \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /engine /opt/engine
COPY --from=deps /deps/node_modules /opt/engine/node_modules
COPY scripts/healthcheck.mjs /opt/engine/healthcheck.mjs
RUN chmod 755 /opt/engine/dist/engine/cli.js && ln -s /opt/engine/dist/engine/cli.js /usr/local/bin/engine
# The profiles baked into the image: the shipped ones, or another folder of the build context
# (balena builds cannot bind-mount one: examples/balena passes PROFILES=examples/balena/profiles).
ARG PROFILES=profiles
COPY ${PROFILES} /profiles

# OCI labels. VERSION is package.json's version (test/package/image.test.ts keeps them equal);
# SOURCE is the repository the image was built from: pass --build-arg SOURCE=<its URL>.
ARG VERSION=0.1.0
ARG SOURCE=
LABEL org.opencontainers.image.title="device-profile-engine" \
      org.opencontainers.image.description="Recognises plugged-in hardware from YAML profiles and keeps management backends in sync with it" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="${SOURCE}"

# balena's supervisor reads the dependent-device hook address from the image's ENV (then a device
# configuration variable), never from a service's environment: it must be here, where the engine
# reads it too. A build argument changes it (e.g. to bind the hooks to one interface).
ARG BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS=http://0.0.0.0:1337/v1/devices/
ENV BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS=${BALENA_DEPENDENT_DEVICES_HOOK_ADDRESS}
# V8 lets its young generation grow to 16 MiB a half while the profiles load and keeps it: held
# at 1 MiB, the daemon with 1,000 profiles is resident in about 78 MiB instead of 92, with no
# measurable cost in start-up time (bench/RESULTS.md, "as the image runs it").
ENV NODE_OPTIONS=--max-semi-space-size=1
VOLUME /state
EXPOSE 6769
# Asks /healthz on the --host/--port the engine was started with (read from its command line).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["node", "/opt/engine/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/engine/dist/engine/cli.js"]
CMD ["--profiles", "/profiles", "--state", "/state", "--host", "0.0.0.0", "--port", "6769"]
