// What the engine does when the supervisor's hooks ask for it: run the profile's update action
// for a new target commit (answering 202 while it runs, then reporting the commit), or its
// restart action. Runs in the background; the supervisor re-sends an update hook until the new
// commit is reported, which is what retries a failed action.
import { deviceEnvironment, type ActionSubject } from '../../actions/device-environment.js';
import { programActionSchema, programOutcome, resolveArgv, type ProgramAction } from '../../actions/program-action.js';
import { runProgram } from '../../actions/run-program.js';
import type { Logger } from '../../core/log.js';
import { withDefaults } from '../../core/with-defaults.js';
import { isAnswer, type SupervisorClient } from './balena-client.js';
import type { BalenaDevice, BalenaDevices, BalenaTarget } from './balena-devices.js';
import { targetVariables } from './balena-target.js';

/** A hook's answer: 200 done (or nothing to do), 202 accepted and under way. */
export interface HookAnswer {
  status: 200 | 202;
  message: string;
}

export class BalenaActions {
  /** Work under way, by uuid: an update action or a report of its commit. */
  private readonly running = new Map<string, Promise<void>>();
  private readonly aborter = new AbortController();

  constructor(
    private readonly devices: BalenaDevices,
    private readonly client: SupervisorClient,
    private readonly log: Logger,
  ) {}

  /** Records the new target; runs the update action when there is one and the commit is new. */
  async update(identifier: string, device: BalenaDevice, target: BalenaTarget): Promise<HookAnswer> {
    await this.devices.put(identifier, { ...device, target });
    if (this.running.has(device.uuid)) return { status: 202, message: 'update under way' };
    if (target.commit === undefined || !device.onUpdate) return { status: 200, message: 'nothing to do' };
    if (target.commit === device.commit) {
      if (device.commitReported) return { status: 200, message: 'commit already current' };
      this.background(device.uuid, () => this.reportCommit(identifier, target));
      return { status: 202, message: 'reporting the commit' };
    }
    this.background(device.uuid, () => this.runUpdate(identifier, device, device.onUpdate!, target));
    return { status: 202, message: 'update started' };
  }

  /** Runs the restart action, if the profile has one; the hook is answered at once. */
  async restart(identifier: string, device: BalenaDevice): Promise<HookAnswer> {
    if (!device.onRestart) return { status: 200, message: 'nothing to do' };
    if (this.running.has(device.uuid)) return { status: 200, message: 'an action is under way' };
    this.background(device.uuid, async () => {
      const ended = await this.run(identifier, device, device.onRestart!, 'restart', {});
      await this.supervisorLog(device.uuid, ended ? `restart action failed: ${ended}` : 'restart action done');
    });
    return { status: 200, message: 'restart started' };
  }

  /** Stops running programs and waits for them. */
  async close(): Promise<void> {
    this.aborter.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private background(uuid: string, work: () => Promise<void>): void {
    const done = work()
      .catch((error: Error) => this.log.error('balena hook action failed', { uuid, error: error.message }))
      .finally(() => this.running.delete(uuid));
    this.running.set(uuid, done);
  }

  private async runUpdate(
    identifier: string,
    device: BalenaDevice,
    action: ProgramAction,
    target: BalenaTarget,
  ): Promise<void> {
    const failure = await this.run(identifier, device, action, 'update', targetVariables(target));
    if (failure) {
      await this.supervisorLog(device.uuid, `update to ${target.commit} failed: ${failure}`);
      return;
    }
    // Recorded before it is reported: a repeated hook then only reports, it does not run again.
    const current = (await this.devices.get(identifier)) ?? device;
    await this.devices.put(identifier, { ...current, commit: target.commit, commitReported: false });
    await this.reportCommit(identifier, target);
  }

  /** `PUT /v1/devices/:uuid {commit, ...}`: the supervisor stops repeating the hook. */
  private async reportCommit(identifier: string, target: BalenaTarget): Promise<void> {
    const device = await this.devices.get(identifier);
    if (!device) return;
    const body = {
      commit: target.commit,
      ...(target.environment && { environment: target.environment }),
      ...(target.config && { config: target.config }),
    };
    const exchange = await this.client.request('PUT', `/v1/devices/${device.uuid}`, this.aborter.signal, body);
    const result = this.client.outcomeOf(exchange, 'reporting the new commit');
    if (result.outcome !== 'acknowledged') {
      this.log.warn('could not report the new commit; reported again when the supervisor repeats the hook', {
        identifier,
        reason: result.reason,
      });
      return;
    }
    await this.devices.put(identifier, { ...((await this.devices.get(identifier)) ?? device), commitReported: true });
    this.log.info('balena device updated', { identifier, uuid: device.uuid, commit: target.commit });
    await this.supervisorLog(device.uuid, `updated to ${target.commit}`);
  }

  /** Runs one action; resolves with why it failed, or undefined when it succeeded. */
  private async run(
    identifier: string,
    device: BalenaDevice,
    action: ProgramAction,
    event: string,
    extra: Record<string, string>,
  ): Promise<string | undefined> {
    const subject: ActionSubject = {
      event,
      identifier,
      payload: device.payload ?? {},
      facts: device.facts,
      profile: device.profile,
    };
    const resolved = resolveArgv(action.argv, subject);
    if ('problem' in resolved) return resolved.problem;
    const [program] = resolved.argv;
    const log = this.log.child({ identifier, uuid: device.uuid, event, program });
    const env = deviceEnvironment(subject, {
      BALENA_DEVICE_UUID: device.uuid,
      BALENA_APP_ID: String(device.appId),
      ...extra,
    });
    // The action is kept as the profile wrote it; its timeout's default comes from the schema.
    const { timeoutMs } = withDefaults(programActionSchema, action);
    const result = await runProgram({ argv: resolved.argv, env, timeoutMs, signal: this.aborter.signal, log });
    log.info('program ended', { ...result });
    const outcome = programOutcome(program!, result);
    return outcome.outcome === 'acknowledged' ? undefined : outcome.reason;
  }

  /** A line in the device's balena dashboard log; best effort, never retried. */
  async supervisorLog(uuid: string, message: string, signal: AbortSignal = this.aborter.signal): Promise<void> {
    try {
      // The supervisor's log backend drops a line with neither isSystem nor serviceId, and uses
      // the timestamp as given, in milliseconds (seconds would date the line in 1970).
      const exchange = await this.client.request('POST', `/v1/devices/${uuid}/logs`, signal, {
        message,
        isSystem: true,
        timestamp: Date.now(),
      });
      if (!isAnswer(exchange) || exchange.status >= 300)
        this.log.debug('supervisor log line not accepted', {
          uuid,
          status: isAnswer(exchange) ? exchange.status : exchange.reason,
        });
    } catch {
      // Aborted because the engine is stopping: the change it reports is done all the same.
    }
  }
}
