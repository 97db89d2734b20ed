#!/bin/sh
# Runs a command (the test suite) inside a network namespace of its own, with only a loopback
# interface that carries multicast (224.0.0.0/4 routed to it). The network discovery tests
# (mDNS, SSDP, WS-Discovery, Modbus TCP) then announce, query and probe there and can never send
# on a real interface; every other test already uses 127.0.0.1 only. Where no namespace can be
# made (not root and no user namespaces), the command runs as it is and ENGINE_TEST_NETNS says
# why, so the discovery tests skip with that reason.
if [ "$ENGINE_TEST_NETNS" = "inside" ]; then
  ip link set lo up multicast on && ip route replace 224.0.0.0/4 dev lo && exec "$@"
  echo "in-test-netns: could not set up the loopback interface" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then flags=-n; else flags=-rn; fi
if unshare $flags true 2>/dev/null; then
  ENGINE_TEST_NETNS=inside exec unshare $flags "$0" "$@"
fi
ENGINE_TEST_NETNS="no network namespace can be made here (unshare $flags failed)" exec "$@"
