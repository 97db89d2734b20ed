// Every deployment example must work as shipped: its profiles and config pass `engine validate`,
// its profiles' tests pass `engine test`, and its compose file has what that kind of gateway needs.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ROOT, runCli } from './paths.js';

const EXAMPLES = path.join(ROOT, 'examples');

interface Service {
  image?: string;
  build?: string | { context: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  network_mode?: string;
  networks?: string[];
  privileged?: boolean;
  labels?: Record<string, string>;
  device_cgroup_rules?: string[];
  healthcheck?: { test: string[] };
}

function engineService(example: string): { service: Service; compose: Record<string, unknown> } {
  const compose = parse(readFileSync(path.join(EXAMPLES, example, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  assert.ok(compose.services.engine, `${example}: no engine service`);
  return { service: compose.services.engine, compose };
}

const optionValue = (command: readonly string[], option: string) => command[command.indexOf(option) + 1];
const mountTarget = (volume: string) => volume.split(':')[1];

/** What every example's engine service has: an image to run, a state volume, the status server and its health check. */
function assertEssentials(example: string, service: Service, compose: Record<string, unknown>): void {
  assert.ok(
    service.image === 'device-profile-engine' || service.build,
    `${example}: neither the engine image nor a build`,
  );
  const command = service.command ?? [];
  assert.equal(optionValue(command, '--state'), '/state', `${example}: --state /state`);
  assert.equal(optionValue(command, '--port'), '6769', `${example}: the status server on 6769`);
  assert.equal(optionValue(command, '--profiles'), '/profiles');
  const state = (service.volumes ?? []).find((volume) => mountTarget(volume) === '/state');
  assert.ok(state, `${example}: a volume at /state`);
  assert.ok(
    Object.keys((compose.volumes ?? {}) as object).includes(state.split(':')[0]!),
    `${example}: the state volume is a named volume`,
  );
  assert.ok(
    service.network_mode === 'host' || (service.ports ?? []).some((port) => port.endsWith(':6769')),
    `${example}: 6769 reachable`,
  );
  assert.match(
    (service.healthcheck?.test ?? []).join(' '),
    /127\.0\.0\.1:6769\/healthz/,
    `${example}: a health check on /healthz`,
  );
  // Bind-mounted files of the example folder exist; --config names the mounted config.
  for (const volume of service.volumes ?? []) {
    const [from, to] = volume.split(':');
    if (from!.startsWith('./'))
      assert.ok(existsSync(path.join(EXAMPLES, example, from!)), `${example}: ${from} is missing`);
    if (to === optionValue(command, '--config')) assert.ok(existsSync(path.join(EXAMPLES, example, from!)));
  }
}

describe('deployment examples', () => {
  const examples = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  test('the five kinds of gateway are covered', () =>
    assert.deepEqual(examples, ['balena', 'docker', 'kubernetes', 'nuvlabox', 'nuvlaedge', 'nuvlaedge-network']));

  test('every compose example that mounts /dev may open ttys and USB nodes: device cgroup rules, or privileged', () => {
    const composed = examples.filter((example) => existsSync(path.join(EXAMPLES, example, 'docker-compose.yml')));
    assert.ok(composed.length >= 4);
    for (const example of composed) {
      const { service } = engineService(example);
      const mountsDev = (service.volumes ?? []).some((volume) => mountTarget(volume) === '/dev');
      if (!mountsDev && service.privileged !== true) continue;
      if (service.privileged === true) {
        // Only where the platform offers no device cgroup rules, and the README says so.
        assert.match(
          readFileSync(path.join(EXAMPLES, example, 'README.md'), 'utf8'),
          /no\s+device cgroup rules/,
          `${example}: why privileged`,
        );
        continue;
      }
      assert.deepEqual(
        service.device_cgroup_rules?.slice().sort(),
        ['c 166:* rmw', 'c 188:* rmw', 'c 189:* rmw'],
        example,
      );
    }
  });

  test('an example profile named like a shipped one recognises devices as the shipped one does', () => {
    // Examples adapt the map and notify to their backends, but a detect block copied from a
    // shipped profile drifts when the shipped one is fixed (the GPS probe once missed a receiver
    // that was mid-sentence when the port opened).
    const profileOf = (file: string) => parse(readFileSync(file, 'utf8')) as { name: string; detect: unknown };
    const shipped = new Map(
      readdirSync(path.join(ROOT, 'profiles'))
        .filter((file) => file.endsWith('.yaml') && !file.endsWith('.test.yaml'))
        .map((file) => profileOf(path.join(ROOT, 'profiles', file)))
        .map((profile) => [profile.name, profile.detect]),
    );
    let compared = 0;
    for (const example of examples) {
      const folder = path.join(EXAMPLES, example, 'profiles');
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder).filter((name) => name.endsWith('.yaml') && !name.endsWith('.test.yaml'))) {
        const profile = profileOf(path.join(folder, file));
        if (!shipped.has(profile.name)) continue;
        assert.deepEqual(profile.detect, shipped.get(profile.name), `examples/${example}/profiles/${file}`);
        compared++;
      }
    }
    assert.ok(compared >= 3, `only ${compared} example profiles share a shipped profile's name`);
  });

  for (const example of examples) {
    const folder = path.join(EXAMPLES, example);
    const config = path.join(folder, 'engine.yaml');
    const withConfig = existsSync(config) ? ['--config', config] : [];

    test(`${example}: README, profiles and config pass engine validate`, () => {
      assert.ok(existsSync(path.join(folder, 'README.md')));
      const result = runCli(['validate', path.join(folder, 'profiles'), ...withConfig, '--strict']);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /files checked: 0 errors, 0 warnings/);
    });

    test(`${example}: every profile has tests and they pass`, () => {
      const result = runCli(['test', path.join(folder, 'profiles'), ...withConfig, '--format', 'json']);
      assert.equal(result.status, 0, result.stdout + result.stderr);
      const report = JSON.parse(result.stdout) as { passed: number; failed: number; untested: string[] };
      assert.deepEqual([report.failed, report.untested], [0, []]);
      assert.ok(report.passed >= 2);
    });
  }

  test('nuvlabox: on the agent network, with the agent URL', () => {
    const { service, compose } = engineService('nuvlabox');
    assertEssentials('nuvlabox', service, compose);
    assert.equal(service.environment?.NUVLABOX_AGENT_URL, 'http://agent/api');
    const networks = compose.networks as Record<string, { external?: boolean }>;
    assert.ok(service.networks?.length === 1 && networks[service.networks[0]!]?.external, 'joins an external network');
    assert.match(readFileSync(path.join(EXAMPLES, 'nuvlabox', 'engine.yaml'), 'utf8'), /type: nuvlabox-agent/);
  });

  test('nuvlaedge: the shared volume at /var/lib/nuvlaedge', () => {
    const { service, compose } = engineService('nuvlaedge');
    assertEssentials('nuvlaedge', service, compose);
    const shared = (service.volumes ?? []).find((volume) => mountTarget(volume) === '/var/lib/nuvlaedge');
    assert.ok(shared, 'the NuvlaEdge volume is mounted');
    assert.equal((compose.volumes as Record<string, { external?: boolean }>)[shared.split(':')[0]!]?.external, true);
    assert.match(
      readFileSync(path.join(EXAMPLES, 'nuvlaedge', 'engine.yaml'), 'utf8'),
      /type: nuvlaedge-files[\s\S]*root: \$\{NUVLAEDGE_ROOT:-\/var\/lib\/nuvlaedge\}/,
    );
  });

  test('nuvlaedge-network: host network for multicast discovery, the shared volume, the network source on one interface', () => {
    const { service, compose } = engineService('nuvlaedge-network');
    assertEssentials('nuvlaedge-network', service, compose);
    assert.equal(service.network_mode, 'host');
    // On the host's network the status server must not listen on every address.
    assert.equal(optionValue(service.command ?? [], '--host'), '127.0.0.1');
    assert.ok((service.volumes ?? []).some((volume) => mountTarget(volume) === '/var/lib/nuvlaedge'));
    const config = parse(readFileSync(path.join(EXAMPLES, 'nuvlaedge-network', 'engine.yaml'), 'utf8')) as {
      sources: { network: { interfaces: string[]; tcp: { hosts: string[] } } };
    };
    assert.equal(config.sources.network.interfaces.length, 1);
    assert.ok(config.sources.network.tcp.hosts.length > 0);
  });

  test('balena: the supervisor-API label, host network, device access, profiles baked in', () => {
    const { service, compose } = engineService('balena');
    assertEssentials('balena', service, compose);
    assert.equal(service.labels?.['io.balena.features.supervisor-api'], '1');
    assert.equal(service.network_mode, 'host');
    assert.ok(service.privileged === true || (service.device_cgroup_rules ?? []).length > 0);
    const build = service.build as { context: string; args: Record<string, string> };
    assert.equal(build.context, '.');
    assert.ok(existsSync(path.join(ROOT, build.args.PROFILES!)), 'PROFILES names a folder of the repository');
    assert.match(
      readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'),
      /^ARG PROFILES=profiles$[\s\S]*^COPY \$\{PROFILES\} \/profiles$/m,
    );
  });

  test('docker: device cgroup rules and /dev, /run/udev mounts instead of --privileged', () => {
    const { service, compose } = engineService('docker');
    assertEssentials('docker', service, compose);
    assert.notEqual(service.privileged, true);
    assert.deepEqual(service.device_cgroup_rules?.slice().sort(), ['c 166:* rmw', 'c 188:* rmw', 'c 189:* rmw']);
    assert.ok(service.volumes?.includes('/dev:/dev'));
    assert.ok(service.volumes?.includes('/run/udev:/run/udev:ro'));
    const script = readFileSync(path.join(EXAMPLES, 'docker', 'docker-run.sh'), 'utf8');
    for (const rule of ['c 188:* rmw', 'c 166:* rmw', 'c 189:* rmw'])
      assert.ok(script.includes(`--device-cgroup-rule='${rule}'`), rule);
    assert.ok(
      script.includes('-v /dev:/dev ') &&
        script.includes('-v /run/udev:/run/udev:ro') &&
        script.includes('-v engine-state:/state'),
    );
    assert.doesNotMatch(script, /--privileged/);
  });
});
