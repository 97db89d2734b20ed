#!/usr/bin/env bash
# Builds the real Dockerfile with buildah and runs the image, where no Docker engine runs and no
# base image can be pulled (as root; needs buildah and debootstrap, and reaches Debian's mirror
# and the npm registry).
#
# STAND-IN BASE IMAGE: instead of node:24.x-bookworm-slim, the build gets (through the build
# argument NODE_IMAGE) a Debian bookworm rootfs made with `debootstrap --variant=minbase` plus
# this machine's own Node and npm, imported and tagged localhost/engine-standin-node. Everything
# after FROM is the Dockerfile as shipped; the Node version inside is this machine's, not 24.
# The stand-in also carries this machine's CA bundle (NODE_EXTRA_CA_CERTS), for networks whose
# HTTPS goes through an intercepting proxy; the real base image needs none.
#
# Then, in a container of the built image: the locked usb and serialport versions are what is
# installed, the entrypoint (tini) runs `--version` and `validate`, and the daemon started with a
# non-default --port answers the image's own HEALTHCHECK command.
#   sudo scripts/image-check.sh          (IMAGE_CHECK_DIR keeps the rootfs between runs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${IMAGE_CHECK_DIR:-/var/tmp/engine-image-check}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE=localhost/engine-standin-node:bookworm
IMAGE=localhost/device-profile-engine:check
buildah() { command buildah --storage-driver vfs "$@"; }
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }

mkdir -p "$WORK"
# The images of the previous run, removed once this run's replace them (vfs keeps full copies).
old_images=$(for name in "$IMAGE" "$BASE"; do buildah images --quiet --no-trunc "$name" 2>/dev/null || true; done)
if [ ! -x "$WORK/rootfs/usr/bin/apt-get" ]; then
  step "debootstrap bookworm (minbase) into $WORK/rootfs"
  rm -rf "$WORK/rootfs.partial"
  # libstdc++6 for node; the node images have it too.
  debootstrap --variant=minbase --include=libstdc++6 bookworm "$WORK/rootfs.partial" "$MIRROR" >"$WORK/debootstrap.log"
  mv "$WORK/rootfs.partial" "$WORK/rootfs"
fi

step "stand-in base image $BASE: the rootfs plus this machine's node $(node --version)"
NODE_BIN=$(readlink -f "$(command -v node)")
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -D -m 755 "$NODE_BIN" "$WORK/rootfs/usr/local/bin/node"
rm -rf "$WORK/rootfs/usr/local/lib/node_modules/npm"
mkdir -p "$WORK/rootfs/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$WORK/rootfs/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$WORK/rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$WORK/rootfs/usr/local/bin/npx"
CA_BUNDLE=${NODE_EXTRA_CA_CERTS:-}
if [ -n "$CA_BUNDLE" ]; then install -D -m 644 "$CA_BUNDLE" "$WORK/rootfs/usr/local/share/engine-check-ca.crt"; fi
tar -C "$WORK/rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$WORK/rootfs.tar" .
base=$(buildah from scratch)
buildah add --quiet "$base" "$WORK/rootfs.tar" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$base"
if [ -n "$CA_BUNDLE" ]; then buildah config --env NODE_EXTRA_CA_CERTS=/usr/local/share/engine-check-ca.crt "$base"; fi
buildah commit --quiet --rm "$base" "$BASE" >/dev/null
rm -f "$WORK/rootfs.tar"

step "buildah bud the Dockerfile with NODE_IMAGE=$BASE"
VERSION=$(node -p "require('$ROOT/package.json').version")
# --format docker: the OCI image format has no HEALTHCHECK.
buildah bud --quiet --isolation chroot --format docker --layers=false \
  --build-arg NODE_IMAGE="$BASE" --build-arg VERSION="$VERSION" -t "$IMAGE" "$ROOT"

step "inspect the image"
echo "$(buildah inspect --format 'labels: {{range $k, $v := .Docker.Config.Labels}}{{$k}}={{$v}} {{end}}' "$IMAGE")"
echo "$(buildah inspect --format 'healthcheck: {{.Docker.Config.Healthcheck.Test}}' "$IMAGE")"
ENTRYPOINT=$(buildah inspect --format '{{range .Docker.Config.Entrypoint}}{{.}} {{end}}' "$IMAGE")
echo "entrypoint: $ENTRYPOINT"
HEALTHCHECK=$(buildah inspect --format '{{range $i, $a := .Docker.Config.Healthcheck.Test}}{{if $i}}{{$a}} {{end}}{{end}}' "$IMAGE")
HEALTHCHECK=${HEALTHCHECK#CMD }

step "run it"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOCKED=$(node -p "const l = require('$ROOT/package-lock.json').packages; [l['node_modules/usb'].version, l['node_modules/serialport'].version].join(' ')")
container=$(buildah from "$IMAGE")
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT
# TINI_SUBREAPER: buildah run has no PID namespace, so tini is not PID 1 here as in a container.
buildah run --isolation chroot --env TINI_SUBREAPER=1 "$container" -- sh -euc "
  installed=\"\$(node -p \"['usb', 'serialport'].map((name) => require('/opt/engine/node_modules/' + name + '/package.json').version).join(' ')\")\"
  echo \"usb, serialport installed: \$installed (locked: $LOCKED)\"
  [ \"\$installed\" = '$LOCKED' ]
  [ ! -e /opt/engine/node_modules/typescript ]
  test -s /usr/share/misc/usb.ids && echo 'usb.ids: present'
  $ENTRYPOINT --version
  $ENTRYPOINT validate /profiles | tail -n 1
  node -e \"require('/opt/engine/node_modules/usb'); require('/opt/engine/node_modules/@serialport/bindings-cpp'); console.log('native usb and serialport load')\"
  $ENTRYPOINT --profiles /profiles --state /tmp/state --host 0.0.0.0 --port $PORT 2>/tmp/engine.log &
  # The image's own health check, waiting for the start-up (bounded: 120 tries, 0.5 s apart).
  # buildah run shares the host's PID namespace, where PID 1 is not tini: ENGINE_PID names the
  # engine (tini's child) that a container finds as a child of PID 1.
  tries=0
  until engine=\$(cut -d ' ' -f 1 /proc/\$!/task/\$!/children 2>/dev/null) && [ -n \"\$engine\" ] && ENGINE_PID=\$engine $HEALTHCHECK 2>/dev/null; do
    tries=\$((tries + 1)); [ \$tries -lt 120 ] || { cat /tmp/engine.log; exit 1; }
    sleep 0.5
  done
  echo \"healthcheck on --port $PORT: healthy\"
  kill -TERM \$!; wait \$! && echo 'SIGTERM: exit 0'
"
current=$(for name in "$IMAGE" "$BASE"; do buildah images --quiet --no-trunc "$name"; done)
for id in $old_images; do
  case "$current" in *"$id"*) ;; *) buildah rmi "$id" >/dev/null 2>&1 || true ;; esac
done
step "image check passed"
