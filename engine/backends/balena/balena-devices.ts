// The dependent devices a balena-supervisor backend provisioned, by identifier, kept in the
// engine's state folder. The supervisor's POST /v1/devices is not idempotent and gives no way to
// find a device again by anything of ours, so the uuid it returns is written to disk before the
// change is acknowledged: the same physical device is never provisioned twice.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ProgramAction } from '../../actions/program-action.js';
import { readStateObject, writeFileAtomic } from '../../core/durable-file.js';
import type { Facts } from '../../core/facts.js';
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

/** Identifier → device, persisted with atomic, serialized writes. */
export class BalenaDevices {
  private readonly devices = new Map<string, BalenaDevice>();
  private saving: Promise<void> = Promise.resolve();
  private loaded: Promise<void> | undefined;

  constructor(readonly file: string) {}

  static forBackend(stateDir: string, backendName: string): BalenaDevices {
    return new BalenaDevices(path.join(stateDir, `balena-${backendName}.json`));
  }

  /** Reads the file once; every other method waits for it. */
  load(): Promise<void> {
    this.loaded ??= this.read();
    return this.loaded;
  }

  async get(identifier: string): Promise<BalenaDevice | undefined> {
    await this.load();
    return this.devices.get(identifier);
  }

  /** The identifier and device of a uuid, for the hook server. */
  async byUuid(uuid: string): Promise<{ identifier: string; device: BalenaDevice } | undefined> {
    await this.load();
    for (const [identifier, device] of this.devices) if (device.uuid === uuid) return { identifier, device };
    return undefined;
  }

  /** Stores `device` (replacing what was there) and resolves once it is on disk. */
  async put(identifier: string, device: BalenaDevice): Promise<void> {
    await this.load();
    this.devices.set(identifier, device);
    await this.save();
  }

  async forget(identifier: string): Promise<void> {
    await this.load();
    this.devices.delete(identifier);
    await this.save();
  }

  private async read(): Promise<void> {
    const saved = await readStateObject<BalenaDevice>(this.file, 'devices');
    for (const [identifier, device] of Object.entries(saved ?? {})) this.devices.set(identifier, device);
  }


  private save(): Promise<void> {
    const write = async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, `${JSON.stringify({ version: FORMAT_VERSION, devices: Object.fromEntries(this.devices) }, null, 2)}\n`, 0o600);
    };
    this.saving = this.saving.then(write, write);
    return this.saving;
  }
}
