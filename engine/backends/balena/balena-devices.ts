// The dependent devices a balena-supervisor backend provisioned, by identifier, kept in the
// engine's state folder. The supervisor's POST /v1/devices is not idempotent and gives no way to
// find a device again by anything of ours, so the uuid it returns is written to disk before the
// change is acknowledged: the same physical device is never provisioned twice.
import path from 'node:path';
import type { ProgramAction } from '../../actions/program-action.js';
import { DurableMap } from '../../core/durable-map.js';
import type { Facts } from '../../core/facts.js';
import { hasShape } from '../../core/json-shape.js';
import type { Logger } from '../../core/log.js';
import type { Payload } from '../backend.js';

const FORMAT_VERSION = 1;

/** What the supervisor last asked a device to run (hook `PUT /v1/devices/:uuid`). */
export interface BalenaTarget {
  commit?: string;
  environment?: Record<string, unknown>;
  config?: Record<string, unknown>;
  receivedAt: string;
}

/** One provisioned dependent device. */
export interface BalenaDevice {
  uuid: string;
  appId: number;
  deviceType: string;
  /** The commit the device was last reported running (after an update action succeeded). */
  commit?: string;
  /** Whether `commit` has reached the supervisor (false while the report is still owed). */
  commitReported?: boolean;
  target?: BalenaTarget;
  /** The profile's hook actions and the device as last delivered: what the hook server runs with. */
  onUpdate?: ProgramAction;
  onRestart?: ProgramAction;
  payload?: Payload;
  facts?: Facts;
  profile?: string;
  /** Whether the engine last reported it online. */
  online: boolean;
}

/**
 * Whether a saved value has the shape of a device; anything else is dropped alone. What is
 * dropped could not be found again anyway: without a uuid there is nothing to report online.
 */
const isBalenaDevice = (value: unknown): value is BalenaDevice =>
  hasShape(value, {
    uuid: 'string',
    appId: 'number',
    deviceType: 'string',
    online: 'boolean',
    commit: 'string?',
    commitReported: 'boolean?',
    target: 'object?',
    onUpdate: 'object?',
    onRestart: 'object?',
    payload: 'object?',
    facts: 'object?',
    profile: 'string?',
  }) && value['uuid'] !== '';

/**
 * Identifier → device, persisted with atomic, serialized writes. A file that cannot be read is
 * never written over, and every method fails until someone fixes it: without the uuids it holds,
 * the same devices would be provisioned a second time.
 */
export class BalenaDevices {
  private readonly devices: DurableMap<BalenaDevice>;

  constructor(file: string, log: Logger) {
    this.devices = new DurableMap({
      file,
      what: 'balena devices',
      layout: { field: 'devices', version: FORMAT_VERSION },
      isEntry: isBalenaDevice,
      whenDamaged: 'refuse',
      log,
      mode: 0o600,
    });
  }

  get file(): string {
    return this.devices.file;
  }

  static forBackend(stateDir: string, backendName: string, log: Logger): BalenaDevices {
    return new BalenaDevices(path.join(stateDir, `balena-${backendName}.json`), log);
  }

  /** Reads the file once it can be read; every other method waits for it. */
  load(): Promise<void> {
    return this.devices.load();
  }

  async get(identifier: string): Promise<BalenaDevice | undefined> {
    await this.load();
    return this.devices.get(identifier);
  }

  /** The identifier and device of a uuid, for the hook server. */
  async byUuid(uuid: string): Promise<{ identifier: string; device: BalenaDevice } | undefined> {
    await this.load();
    for (const [identifier, device] of this.devices.all()) if (device.uuid === uuid) return { identifier, device };
    return undefined;
  }

  /** Stores `device` (replacing what was there) and resolves once it is on disk. */
  async put(identifier: string, device: BalenaDevice): Promise<void> {
    await this.load();
    await this.devices.set(identifier, device);
  }

  async forget(identifier: string): Promise<void> {
    await this.load();
    await this.devices.delete(identifier);
  }

  /** Stops saving again on its own and waits for the write under way. */
  close(): Promise<void> {
    return this.devices.close();
  }
}
