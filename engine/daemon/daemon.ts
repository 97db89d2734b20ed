import { hostname } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Backend } from '../backends/backend.js';
import { backendType, type BackendNames } from '../backends/index.js';
import { backendNamesOf, loadConfigOrDefault, type EngineConfig } from '../config/load-config.js';
import type { ProfileIssue } from '../core/errors.js';
import { Inventory } from '../inventory/inventory.js';
import type { Logger } from '../core/log.js';
import { detectBlocks } from '../match/detect-checks.js';
import { ProfileIndex, probeCandidates } from '../match/matcher.js';
import { ProbeResultsFile } from '../probe/probe-results-file.js';
import { Prober, probeFingerprint, proberOptionsFrom } from '../probe/prober.js';
import { CheckCache } from '../profiles/check-cache.js';
import type { CheckHelper } from '../profiles/check-in-parallel.js';
import type { LoadedProfile } from '../profiles/profile.js';
import { ProfileStore } from '../profiles/profile-store.js';
import { ProfileWatcher } from '../profiles/watch-profiles.js';
import { desiredState, type DesiredState } from '../reconcile/desired-state.js';
import { DeviceEvaluations } from '../reconcile/device-evaluations.js';
import { HoldTimesFile } from '../reconcile/hold-times-file.js';
import { absentAtStart, LeavingDevices, type HoldTimes, type LeavingDevice } from '../reconcile/leaving-devices.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { DEFAULT_RETRY_POLICY } from '../reconcile/retry-policy.js';
import { daemonStatus, type DaemonSnapshot } from '../server/daemon-status.js';
import { DeliveryMetrics } from '../server/delivery-metrics.js';
import { startStatusServer, type StatusServer } from '../server/status-server.js';
import { SOURCES } from '../sources/index.js';
import type { Source } from '../sources/source.js';
import type { DeviceEvent } from '../core/device-event.js';
import type { Facts } from '../core/facts.js';
import { PairCounts } from '../core/pair-counts.js';
import { PacedTask } from '../core/paced-task.js';
import { withDefaults } from '../core/with-defaults.js';

export interface DaemonOptions {
  /** The profiles folders, earliest first: a later folder's profile replaces an earlier one of its name. */
  profileFolders: readonly string[];
  configFile?: string;
  stateDir: string;
  host: string;
  port: number;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /**
   * Helper threads started at launch to check a large profiles folder with this thread
   * (check-in-parallel.ts); the first load of the profiles uses them, or ends them unused.
   */
  checkHelpers?: readonly CheckHelper[];
}

/** The longest a stream of profile reloads delays applying them (see `profilesChangedSoon`). */
const PROFILE_BATCH_MAX_MS = 500;

/** The configuration could not be used; the issues say why. */
export class ConfigError extends Error {
  constructor(
    readonly issues: ProfileIssue[],
    /** The config file's text, to show the issues with their source lines. */
    readonly texts: ReadonlyMap<string, string> = new Map(),
  ) {
    super('the engine configuration has errors');
  }
}

/**
 * Each source's `holdMs` setting, its schema's default where the config gives none: the hold of
 * its devices whose profile sets none. A source without the setting holds nothing.
 */
function sourceHoldsOf(config: EngineConfig): Map<string, number> {
  return new Map(
    SOURCES.map((definition) => {
      const settings = definition.configSchema
        ? withDefaults(definition.configSchema, config.sources[definition.kind] ?? {})
        : {};
      const { holdMs } = settings as { holdMs?: unknown };
      return [definition.kind, typeof holdMs === 'number' ? holdMs : 0];
    }),
  );
}

/** What exists only once start-up has made it: the config and what is built from it. */
interface Running {
  config: EngineConfig;
  /** The backends profiles may notify, by name, from the config (fixed once started). */
  backendNames: BackendNames;
  store: ProfileStore;
  reconciler: Reconciler;
  prober: Prober;
  probeResults: ProbeResultsFile;
}

/**
 * The running engine: sources feed the inventory, every change recomputes what the backends
 * should hold, and the reconciler makes them hold it. Profile edits take effect as they happen.
 */
export class Daemon {
  private readonly startedAt = new Date();
  /** Set once start-up has built everything; until then the status server says "starting". */
  private running: Running | undefined;
  private readonly inventory = new Inventory();
  private index = new ProfileIndex([]);
  private desired: DesiredState = { entries: new Map(), devices: [] };
  /** What each unchanged device matched and mapped to, kept from one recompute to the next. */
  private readonly evaluations = new DeviceEvaluations();
  private sources: Source[] = [];
  private ready = false;
  /** Events by source and action, for the metrics. */
  private readonly events = new PairCounts();
  private readonly backends = new Map<string, Backend>();
  private watcher: ProfileWatcher | undefined;
  /** Started first (see start); settles once its thread listens, or could not. */
  private statusServer: Promise<StatusServer> | undefined;
  /** Recomputes asked for by events: one for those of a burst, paced by what the last one took. */
  private readonly recomputes = new PacedTask(() => this.recomputeNow());
  private profilesChangePending = false;
  private sourcesStarted = false;
  private reportedProblems = new Set<string>();
  private reportedWarnings = new Set<string>();
  private readonly aborter = new AbortController();
  /** Delivery latency, last delivery per backend and the process figures, for the metrics. */
  private readonly deliveryMetrics = new DeliveryMetrics();
  /** The winning profile per device key, to log a line when it changes. */
  private matchedProfiles = new Map<string, string>();
  /** Devices gone within their hold, whose registrations are kept in case they come back. */
  private readonly leaving = new LeavingDevices((device) => this.holdEnded(device));
  /** When each hold under way ends, kept for the next start (set once the state folder is known). */
  private holdTimes: HoldTimesFile | undefined;
  /** Each source's `holdMs` setting: the hold of its devices whose profile sets none. */
  private sourceHolds = new Map<string, number>();
  /** The start's profile checks being kept for the next start (check-cache.ts). */
  private checksSaved: Promise<void> = Promise.resolve();

  constructor(readonly options: DaemonOptions) {}

  /** Starts everything; resolves with the status server's port once start-up devices are known. */
  async start(): Promise<number> {
    const { log } = this.options;
    const config = await this.loadConfig();
    // The status server first: its thread starts while the profiles load (this thread does not
    // wait for it), a busy port refuses start-up before anything is delivered, and the server
    // answers (not ready) while the rest starts.
    const { token } = config.status;
    this.statusServer = startStatusServer(
      daemonStatus(() => this.snapshot()),
      this.options.host,
      this.options.port,
      log,
      { token },
    );
    // Awaited below, after the profiles are loaded; a refusal is thrown there.
    this.statusServer.catch(() => undefined);
    const backendNames = backendNamesOf(config);
    const store = new ProfileStore(this.options.profileFolders, backendNames);
    // Watched before they are read: a profile written while the folders are read (a ConfigMap
    // updated, files copied in during a restart) is reloaded once start-up is done, not missed.
    this.watcher = new ProfileWatcher(store, () => this.profilesChangedSoon(), log, config.profiles.resyncMs);
    await this.watcher.start(true);
    const checkCache = new CheckCache(this.options.stateDir, store.folders, backendNames, log);
    const known = checkCache.load();
    const helpers = this.options.checkHelpers ?? [];
    const watcher = this.watcher;
    const loaded = await store.loadAll({
      helpers,
      known,
      listingOf: (folder) => watcher.listingAtStart(folder),
      listed: (files) => log.debug('profile files listed; reading them', { files }),
    });
    void this.reportHelpers(helpers);
    const { port } = await this.statusServer;
    log.info('status server listening', { host: this.options.host, port, locked: token !== undefined });
    for (const issue of store.issues()) log.warn('profile problem', { ...issue });
    const { retryBaseMs, retryCapMs, concurrency } = config.delivery;
    const reconciler = new Reconciler({
      backends: this.backends,
      stateDir: this.options.stateDir,
      log,
      policy: { ...DEFAULT_RETRY_POLICY, baseMs: retryBaseMs, capMs: retryCapMs },
      concurrency,
      observe: (backend, outcome, elapsedMs) => this.deliveryMetrics.observe(backend, outcome, elapsedMs),
    });
    // Before any backend writes to the state folder: loading removes what writes killed
    // half-way by an earlier run left there.
    await reconciler.start();
    const holdTimes = new HoldTimesFile(this.options.stateDir, log);
    const holdsKept = await holdTimes.load();
    this.holdTimes = holdTimes;
    this.leaving.keepIn(holdTimes);
    this.createBackends(config);
    await this.startBackends();
    this.index = new ProfileIndex(store.profiles(), config.ignore);
    const probeResults = new ProbeResultsFile(this.options.stateDir, log);
    const prober = this.createProber(config, probeResults);
    prober.restore(await probeResults.load());
    this.running = { config, backendNames, store, reconciler, prober, probeResults };
    this.sourceHolds = sourceHoldsOf(config);
    this.sources = SOURCES.map((definition) =>
      definition.create(config.sources[definition.kind] ?? {}, {
        emit: (event) => this.onEvent(event),
        log: log.child({ source: definition.kind }),
        blocks: detectBlocks(this.index.profiles, definition.kind),
      }),
    );
    await Promise.all(this.sources.map((source) => source.start(this.aborter.signal)));
    this.sourcesStarted = true;
    this.recompute();
    this.holdAbsentAtStart(reconciler, holdsKept);
    // Only now is every device present at start-up known: registrations this engine made for
    // devices that are gone may be removed.
    reconciler.allowDeletes();
    this.watcher.release();
    this.ready = true;
    log.info('engine ready', {
      profiles: this.index.profiles.length,
      devices: this.inventory.size,
      port,
      checked: loaded.checked,
      reused: loaded.reused,
      helped: loaded.helped,
    });
    // What this start checked, kept for the next (in the background, off the start's path).
    if (loaded.checked > 0 || loaded.reused !== known.size) this.checksSaved = checkCache.save(store.knownChecks());
    return port;
  }

  /**
   * Says, once the check helpers have ended (the store ends them), whether any failed: its files
   * were checked on this thread, so nothing is lost but the time, and a start that is slower
   * than it should be has its reason in the log.
   */
  private async reportHelpers(helpers: readonly CheckHelper[]): Promise<void> {
    if (helpers.length === 0) return;
    await Promise.all(helpers.map((helper) => helper.gone));
    const failures = helpers.flatMap((helper) => (helper.failure === undefined ? [] : [helper.failure]));
    for (const error of failures)
      this.options.log.warn('a profile check helper thread failed; this thread checked its files', { error });
    this.options.log.debug('profile check helpers ended', { helpers: helpers.length, failed: failures.length });
  }

  /** What the status server shows, as it is now. */
  snapshot(): DaemonSnapshot {
    const { startedAt, ready, deliveryMetrics, running, inventory, sources, leaving, desired } = this;
    // The status server starts first: until everything else exists, only "starting".
    if (running === undefined) return { startedAt, ready: false, deliveryMetrics };
    const { reconciler, prober, store } = running;
    return {
      startedAt,
      ready,
      deliveryMetrics,
      // What takes a pass over profiles, devices or deliveries is computed only when read: a
      // health check reads `ready` alone.
      running: {
        profiles: this.index.profiles,
        get profileFiles() {
          return store.files();
        },
        get profileIssues() {
          return store.issues();
        },
        devices: this.desired.devices,
        get leaving() {
          return leaving.list(desired.devices);
        },
        get inventory() {
          return inventory.devices();
        },
        events: this.events,
        get sources() {
          return sources.map((source) => source.status());
        },
        get deliveries() {
          return reconciler.status();
        },
        deliveryOutcomes: reconciler.outcomes,
        probeRecords: (key) => prober.records(key),
        probeOutcomes: prober.outcomes,
      },
    };
  }

  /** Stops watching and sending; registrations of present devices stay; state is saved. */
  async stop(): Promise<void> {
    this.ready = false;
    this.aborter.abort();
    // Registrations of devices within their hold stay, like a present device's: the next start
    // removes those whose device is not there (Reconciler.allowDeletes).
    this.leaving.clear();
    // A helper still checking (a stop during start-up) has nothing left to do.
    for (const helper of this.options.checkHelpers ?? []) helper.end();
    await this.watcher?.stop();
    await Promise.all(this.sources.map((source) => source.stop()));
    await this.running?.prober.stop();
    await this.running?.probeResults.flushed();
    await this.checksSaved;
    await this.running?.reconciler.stop();
    await this.holdTimes?.close();
    await Promise.all([...this.backends.values()].map((backend) => backend?.close()));
    await (await this.statusServer?.catch(() => undefined))?.close();
    this.deliveryMetrics.close();
    this.options.log.info('engine stopped');
  }

  private async loadConfig(): Promise<EngineConfig> {
    const loaded = await loadConfigOrDefault(this.options.configFile, this.options.env);
    if (!loaded.config) throw new ConfigError(loaded.issues, loaded.texts);
    return loaded.config;
  }

  private createBackends(config: EngineConfig): void {
    for (const configured of config.backends) {
      const log = this.options.log.child({ backend: configured.name });
      this.backends.set(
        configured.name,
        backendType(configured.type)!.create(configured.options, {
          name: configured.name,
          log,
          stateDir: this.options.stateDir,
        }),
      );
    }
  }

  private createProber(config: EngineConfig, probeResults: ProbeResultsFile): Prober {
    const prober: Prober = new Prober({
      ...proberOptionsFrom(config.sources.serial ?? {}),
      log: this.options.log.child({ component: 'prober' }),
      onResult: (kept) => {
        if (kept) probeResults.save(prober.snapshot());
        this.scheduleRecompute();
      },
    });
    return prober;
  }

  /** Backends that listen or restore something start now; one that fails is logged, not fatal. */
  private async startBackends(): Promise<void> {
    await Promise.all(
      [...this.backends].map(async ([name, backend]) => {
        try {
          await backend.start?.();
        } catch (error) {
          this.options.log.error('backend could not start; its deliveries go on', {
            backend: name,
            error: (error as Error).message,
          });
        }
      }),
    );
  }

  private onEvent(event: DeviceEvent): void {
    this.events.add(event.source, event.action);
    this.options.log.debug('device event', { action: event.action, key: event.key });
    // A USB device's ttys come a moment after it (and go with it): the serial source looks again.
    for (const source of this.sources) if (source.kind !== event.source) source.otherSourceReported?.(event);
    if (event.action === 'remove') this.holdRegistrations(event.key);
    if (!this.inventory.apply(event)) return;
    this.scheduleRecompute();
  }

  private scheduleRecompute(): void {
    // Events often come in bursts (a composite device, a folder of nodes): compute once. A
    // recompute looks at every present device, so in a burst the next one waits as long as the
    // last one took (PacedTask), and the events pile up for it.
    this.recomputes.schedule();
  }

  /**
   * Applies profile changes once the reloads that came together are done: a ConfigMap update
   * reloads every file one after the other, and each would otherwise rebuild the index, the
   * sources' plans and every device's desired state. A stream of reloads that never pauses is
   * still applied every PROFILE_BATCH_MAX_MS.
   */
  private profilesChangedSoon(): void {
    if (this.profilesChangePending) return;
    this.profilesChangePending = true;
    void (async () => {
      const since = Date.now();
      // The reload after the one reported starts once the report's callers have returned: looked
      // at on the next turn of the event loop.
      await nextTurn();
      const store = this.running?.store;
      while (store?.reloading && Date.now() - since < PROFILE_BATCH_MAX_MS) {
        await store.settled();
        await nextTurn();
      }
      this.profilesChangePending = false;
      if (!this.aborter.signal.aborted) await this.profilesChanged();
    })();
  }

  private async profilesChanged(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.index = new ProfileIndex(running.store.profiles(), running.config.ignore);
    await Promise.all(
      this.sources.map((source) => source.profilesChanged?.(detectBlocks(this.index.profiles, source.kind))),
    );
    this.recompute();
  }

  /**
   * Reads every profile file again (on SIGHUP, as daemons conventionally do): a change the
   * watcher missed is picked up. What changed is logged and applied; the engine goes on.
   */
  async reloadProfiles(reason: string): Promise<void> {
    const { log } = this.options;
    const store = this.running?.store;
    if (!this.ready || !store) return log.info('not reloading the profiles: the engine is stopping', { reason });
    log.info('reloading the profiles folder', { reason, folders: store.folders });
    try {
      const report = await store.reloadAll();
      const changedFiles = new Set(report.changed);
      for (const file of report.updated) {
        const issues = store.issuesOf(file);
        for (const issue of issues) log.warn('profile problem', { ...issue });
        log.info('profile file reloaded', { file, changed: changedFiles.has(file), issues: issues.length });
      }
      const { files, changed, added, removed } = report;
      log.info('profiles folder reloaded', {
        reason,
        files,
        changed: changed.length,
        added: added.length,
        removed: removed.length,
      });
      if (changed.length > 0) this.profilesChangedSoon();
    } catch (error) {
      log.error('profiles folder could not be read again; the profiles in use stay', {
        reason,
        error: (error as Error).message,
      });
    }
  }

  /** Recomputes now; the next scheduled recompute is paced by this one. */
  private recompute(): void {
    this.recomputes.run();
  }

  private recomputeNow(): void {
    const running = this.running;
    if (!running) return;
    // Work: the event-loop delay is sampled while it lasts (an idle engine samples nothing).
    this.deliveryMetrics.working();
    const { params } = running.config;
    const host = { hostname: hostname(), arch: process.arch };
    const present = desiredState({
      index: this.index,
      devices: this.inventory.devices(),
      params,
      host,
      backends: running.backendNames,
      probed: (key, entry) => running.prober.verdict(key, entry),
      evaluations: this.evaluations,
    });
    this.leaving.settle(present);
    this.desired = this.leaving.applyTo(present);
    this.requestProbes(running.prober, { params, host });
    const problems = new Set(
      this.desired.devices.flatMap((device) => device.problems.map((problem) => `${device.key}: ${problem}`)),
    );
    for (const problem of problems)
      if (!this.reportedProblems.has(problem)) this.options.log.error('device not delivered', { problem });
    this.reportedProblems = problems;
    const warnings = new Set(this.desired.devices.flatMap((device) => device.warnings ?? []));
    for (const warning of warnings)
      if (!this.reportedWarnings.has(warning)) this.options.log.warn('device identifier', { warning });
    this.reportedWarnings = warnings;
    this.logMatches();
    running.reconciler.setDesired(this.desired.entries);
  }

  /**
   * A device is going: what it registered is kept for its hold (its profile's `holdMs`, else its
   * source's), in case it comes back.
   */
  private holdRegistrations(key: string): void {
    const view = this.desired.devices.find((device) => device.key === key);
    if (!view) return;
    const holdMs = this.holdMsOf(view.match.winner, view.source);
    // Nothing to hold (files, by default): the entries are not looked for, once per device of a burst.
    if (holdMs <= 0) return;
    const entries = [...this.desired.entries.values()].filter((entry) => entry.deviceKey === key);
    const held = this.leaving.hold(view, entries, holdMs);
    if (held) this.options.log.info('device gone; its registrations are kept for its hold', { device: key, holdMs });
  }

  /** How long a device keeps its registrations when it goes: its profile's `holdMs`, else its source's. */
  private holdMsOf(winner: LoadedProfile | undefined, source: string): number {
    return winner?.profile.holdMs ?? this.sourceHolds.get(source) ?? 0;
  }

  /**
   * What an earlier run registered for devices not present now is kept for their hold
   * (leaving-devices.ts): what is left of it for a device that was leaving when that run stopped
   * (`kept`, from holds.json), else a whole one, as if it had just gone: a USB device that
   * enumerates a moment after the engine starts keeps its registrations instead of being
   * deregistered and registered anew.
   */
  private holdAbsentAtStart(reconciler: Reconciler, kept: ReadonlyMap<string, HoldTimes>): void {
    const { log } = this.options;
    const profiles = new Map(this.index.profiles.map((loaded) => [loaded.profile.name, loaded]));
    const absent = absentAtStart(
      reconciler.heldEntries(),
      this.desired,
      (name) => profiles.get(name),
      (winner, source) => this.holdMsOf(winner, source),
    );
    const now = Date.now();
    for (const { view, entries, holdMs } of absent) {
      // Within its hold when the last run stopped: what is left of it, never more than a whole one.
      const earlier = kept.get(view.key);
      const leftMs = earlier ? Math.min(Date.parse(earlier.until) - now, holdMs) : holdMs;
      if (earlier && leftMs <= 0) {
        log.info('device absent at start-up, its hold over since an earlier run; its registrations go', {
          device: view.key,
          since: earlier.since,
          until: earlier.until,
        });
        continue;
      }
      if (!this.leaving.hold(view, entries, leftMs, now, earlier?.since)) continue;
      log.info('device absent at start-up; its registrations are kept for its hold', {
        device: view.key,
        holdMs: leftMs,
        ...(earlier && { since: earlier.since }),
      });
    }
    // Holds of devices present again, or whose registrations are gone, are over.
    for (const key of kept.keys()) if (!this.leaving.has(key)) this.holdTimes?.delete(key);
    if (absent.length > 0) this.recompute();
  }

  /**
   * A device's hold ran out: its registrations are removed now, unless it is back and still being
   * probed (LeavingDevices.settle).
   */
  private holdEnded(device: LeavingDevice): void {
    this.options.log.info('device hold ended; its registrations go unless it is back and still probing', {
      device: device.view.key,
    });
    this.scheduleRecompute();
  }

  /** One info line when a device comes to match a profile (or another one). */
  private logMatches(): void {
    const matched = new Map<string, string>();
    for (const device of this.desired.devices) {
      const profile = device.match.winner?.profile.name;
      if (!profile) continue;
      matched.set(device.key, profile);
      if (this.matchedProfiles.get(device.key) !== profile)
        this.options.log.info('device matched', { device: device.key, profile });
    }
    this.matchedProfiles = matched;
  }

  /**
   * Asks the prober for the probes that present ttys still need; forgets departed ones, and
   * ignored ones (a rule added while a probe runs stops it): an ignored port is never opened.
   */
  private requestProbes(prober: Prober, context: Pick<Facts, 'params' | 'host'>): void {
    const present = new Set<string>();
    for (const device of this.inventory.devices()) {
      // An ignored port is not wanted: forgotten below, which stops a probe under way on it.
      if (device.source !== 'serial' || !device.facts.serial || this.index.ignoredBy({ ...device.facts, ...context }))
        continue;
      present.add(device.key);
      prober.want(
        device.key,
        device.facts.serial.path,
        // With the facts matching sees: a `when` reading params.* is judged alike.
        probeCandidates(this.index, 'serial', { ...device.facts, ...context }),
        probeFingerprint(device.facts),
      );
    }
    // Until every source has reported what is present, a missing tty may just not be seen yet.
    if (!this.sourcesStarted) return;
    for (const key of prober.keys()) if (!present.has(key)) prober.forget(key);
  }
}
