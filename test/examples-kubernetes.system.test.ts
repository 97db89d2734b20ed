// The Kubernetes example must apply as shipped: every manifest (and the ConfigMaps kustomize
// makes from its files) validates against the Kubernetes API schemas (kubernetes-models), and
// the pieces fit together: the DaemonSet's mounts, probes, port, Secret and ConfigMaps.
// (examples.system.test.ts validates and runs the example's profiles like every other example's.)
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import type { IContainer, IVolume } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { kubernetesTypeErrors } from './kubernetes-type-errors.js';
import { ROOT } from './paths.js';

const FOLDER = path.join(ROOT, 'examples', 'kubernetes');
const read = (file: string) => readFileSync(path.join(FOLDER, file), 'utf8');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

/** The API models this example uses, by apiVersion/kind; validate() throws with the schema's complaint. */
const MODELS: Record<string, (manifest: Manifest) => { validate(): void }> = {
  'v1/Namespace': (manifest) => new Namespace(manifest as never),
  'apps/v1/DaemonSet': (manifest) => new DaemonSet(manifest as never),
  'v1/Secret': (manifest) => new Secret(manifest as never),
  'v1/ConfigMap': (manifest) => new ConfigMap(manifest as never),
};

function manifestsOf(file: string): Manifest[] {
  return parseAllDocuments(read(file)).map((document) => {
    assert.deepEqual(document.errors, [], `${file}: YAML errors`);
    return document.toJS() as Manifest;
  });
}

interface Kustomization {
  namespace: string;
  resources: string[];
  configMapGenerator: { name: string; files: string[]; options?: { disableNameSuffixHash?: boolean } }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}
const kustomization = manifestsOf('kustomization.yaml')[0] as unknown as Kustomization;

/** The ConfigMaps `kubectl apply -k` makes: one key per file, named after the file. */
const generatedConfigMaps = (): Manifest[] =>
  kustomization.configMapGenerator.map((generator) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: generator.name, namespace: kustomization.namespace },
    data: Object.fromEntries(generator.files.map((file) => [path.basename(file), read(file)])),
  }));

const daemonSet = manifestsOf('daemonset.yaml')[0] as unknown as {
  metadata: { namespace: string };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { nodeSelector?: Record<string, string>; containers: IContainer[]; volumes: IVolume[] };
    };
  };
};
const pod = daemonSet.spec.template.spec;
const engine = pod.containers[0]!;
const option = (name: string) => engine.args![engine.args!.indexOf(name) + 1];
const volumeAt = (mountPath: string) => {
  const mount = engine.volumeMounts?.find((candidate) => candidate.mountPath === mountPath);
  assert.ok(mount, `a volume at ${mountPath}`);
  const volume = pod.volumes.find((candidate) => candidate.name === mount.name);
  assert.ok(volume, `the volume ${mount.name} is declared`);
  return { mount, volume };
};

describe('examples/kubernetes', () => {
  test('every manifest and generated ConfigMap validates against the Kubernetes API schemas', () => {
    const files = [...kustomization.resources, 'secret.example.yaml'];
    for (const file of files) assert.ok(existsSync(path.join(FOLDER, file)), `${file} exists`);
    const manifests = [...files.flatMap(manifestsOf), ...generatedConfigMaps()];
    assert.deepEqual(manifests.map((manifest) => manifest.kind).sort(), [
      'ConfigMap',
      'ConfigMap',
      'DaemonSet',
      'Namespace',
      'Secret',
    ]);
    for (const manifest of manifests) {
      const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
      assert.ok(model, `${manifest.apiVersion} ${manifest.kind} is not a kind this example uses`);
      assert.doesNotThrow(() => model(manifest).validate(), `${manifest.kind} ${manifest.metadata.name}`);
      if (manifest.kind !== 'Namespace')
        assert.equal(
          manifest.metadata.namespace,
          kustomization.namespace,
          `${manifest.kind} ${manifest.metadata.name}: namespace`,
        );
    }
  });

  test('the schemas catch a wrong manifest', () => {
    const broken = structuredClone(manifestsOf('daemonset.yaml')[0]!) as unknown as typeof daemonSet;
    broken.spec.template.spec.containers[0]!.ports![0]!.containerPort = 'status' as never;
    assert.throws(() => new DaemonSet(broken as never).validate(), /containerPort/);
  });

  test('no field the Kubernetes API does not know (a misspelt one would be dropped or refused)', () => {
    const manifests = [
      ...[...kustomization.resources, 'secret.example.yaml'].flatMap(manifestsOf),
      ...generatedConfigMaps(),
    ];
    const misspelt = structuredClone(manifestsOf('daemonset.yaml')[0]!) as unknown as typeof daemonSet;
    (misspelt.spec.template.spec.containers[0]!.volumeMounts![0] as unknown as Record<string, unknown>).readonly = true;
    const errors = kubernetesTypeErrors([...manifests, misspelt as unknown as Manifest]);
    // The shipped manifests have none; the misspelt copy is caught, so the check can fail.
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /'"readonly"' does not exist in type 'IVolumeMount'/);
  });

  test('one engine per labelled node, its pods selected by their labels', () => {
    for (const [key, value] of Object.entries(daemonSet.spec.selector.matchLabels))
      assert.equal(daemonSet.spec.template.metadata.labels[key], value);
    assert.ok(Object.keys(pod.nodeSelector ?? {}).length > 0, 'a nodeSelector for the nodes with devices');
    assert.match(
      read('README.md'),
      new RegExp(
        `kubectl label node .* ${Object.entries(pod.nodeSelector!)
          .map(([key, value]) => `${key}=${value}`)[0]!
          .replace('/', '\\/')}`,
      ),
    );
  });

  test('the status port is named and both probes ask /healthz on it', () => {
    const status = engine.ports?.find((port) => port.name === 'status');
    assert.ok(status, 'a port named status');
    assert.equal(option('--port'), String(status.containerPort));
    assert.equal(option('--host'), '0.0.0.0', 'probes reach the pod address');
    for (const probe of [engine.livenessProbe, engine.readinessProbe]) {
      assert.equal(probe?.httpGet?.path, '/healthz');
      assert.equal(probe?.httpGet?.port, 'status');
    }
  });

  test('mounts: profiles and config from ConfigMaps, state on the node, /dev and /run/udev read-only', () => {
    const profiles = volumeAt(option('--profiles')!);
    assert.equal(profiles.mount.subPath, undefined, 'a subPath mount never sees ConfigMap updates');
    const profileMap = kustomization.configMapGenerator.find(
      (generator) => generator.name === profiles.volume.configMap?.name,
    );
    assert.ok(profileMap, 'the profiles ConfigMap is generated');
    assert.equal(profileMap.options?.disableNameSuffixHash, true, 'a fixed name: updates reach the running pods');
    const shipped = readdirSync(path.join(FOLDER, 'profiles')).filter(
      (file) => file.endsWith('.yaml') && !file.endsWith('.test.yaml'),
    );
    assert.deepEqual(
      profileMap.files.map((file) => path.basename(file)).sort(),
      shipped.sort(),
      'every profile is in the ConfigMap',
    );

    const config = volumeAt(path.dirname(option('--config')!));
    const configMap = kustomization.configMapGenerator.find(
      (generator) => generator.name === config.volume.configMap?.name,
    );
    assert.deepEqual(configMap?.files, [path.basename(option('--config')!)]);

    assert.ok(volumeAt(option('--state')!).volume.hostPath?.path, 'state on a hostPath');
    for (const [mountPath, hostPath] of [
      ['/dev', '/dev'],
      ['/run/udev', '/run/udev'],
    ] as const) {
      const { mount, volume } = volumeAt(mountPath);
      assert.equal(volume.hostPath?.path, hostPath);
      assert.equal(mount.readOnly, true, `${mountPath} read-only`);
    }
  });

  test('the image is set in the kustomization, so kubectl alone can point it at a registry', () => {
    const [name, tag] = engine.image!.split(':');
    const entry = kustomization.images?.find((image) => image.name === name);
    assert.ok(entry, `kustomization.yaml has an images entry for ${name}`);
    assert.equal(entry.newTag, tag, 'the same tag as the DaemonSet');
    assert.match(read('README.md'), /newName:/, 'the README says how to change it');
  });

  test('the termination message file is outside every read-only mount', () => {
    // The kubelet bind-mounts this file; under the read-only /dev mount (its default path,
    // /dev/termination-log) containerd and CRI-O fail to start the container.
    const messagePath = engine.terminationMessagePath ?? '/dev/termination-log';
    for (const mount of engine.volumeMounts ?? [])
      if (mount.readOnly)
        assert.ok(
          messagePath !== mount.mountPath && !messagePath.startsWith(`${mount.mountPath}/`),
          `terminationMessagePath ${messagePath} lies under the read-only mount ${mount.mountPath}`,
        );
  });

  test('device access is granted and documented', () => {
    assert.equal(engine.securityContext?.privileged, true, 'the probing profiles open ttys');
    assert.match(read('README.md'), /device cgroup/);
  });

  test('the backends come from the Secret through ${ENV}', () => {
    const secret = manifestsOf('secret.example.yaml')[0] as unknown as {
      metadata: { name: string };
      stringData: Record<string, string>;
    };
    assert.deepEqual(
      engine.envFrom?.map((source) => source.secretRef?.name),
      [secret.metadata.name],
    );
    const fromPod = new Set((engine.env ?? []).map((variable) => variable.name));
    const used = [...read('engine.yaml').matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:-[^}]*)?\}/g)].map((match) => match[1]!);
    assert.ok(used.length >= 2);
    for (const name of used)
      assert.ok(name in secret.stringData || fromPod.has(name), `${name} comes from the Secret or the pod`);
    assert.ok(
      Object.keys(secret.stringData).some((key) => read('engine.yaml').includes(`\${${key}`)),
      'engine.yaml uses the Secret',
    );
  });
});
