#!/bin/sh
# The same as docker-compose.yml with plain `docker run`, from this folder, after
#   docker build -t device-profile-engine ../..
set -eu
docker run -d --name engine --restart unless-stopped \
  --network host \
  -v "$PWD/profiles:/profiles:ro" \
  -v "$PWD/engine.yaml:/config/engine.yaml:ro" \
  -v engine-state:/state \
  -v /dev:/dev \
  -v /run/udev:/run/udev:ro \
  --device-cgroup-rule='c 188:* rmw' \
  --device-cgroup-rule='c 166:* rmw' \
  --device-cgroup-rule='c 189:* rmw' \
  device-profile-engine \
  --profiles /profiles --config /config/engine.yaml --state /state --host 127.0.0.1 --port 6769
