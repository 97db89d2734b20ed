// Who may call the balena hooks. The supervisor sends them without authentication, so the
// engine narrows them by network: on a host-network gateway (the supervisor on loopback) it
// listens on loopback only, and it answers only the supervisor's own address and the
// addresses listed in `hookAllowFrom`.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { isLoopback, unmapped } from '../../core/loopback.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The hosts and addresses a hook request may come from, and where to listen. */
export class HookAccess {
  private constructor(
    private readonly allowed: BlockList,
    /** The host to bind: the hook address's, or loopback when that is a wildcard nobody else needs. */
    readonly listenHost: string,
    /** Who is answered, for the log: the supervisor's addresses, then the allow-list. */
    readonly callers: readonly string[],
  ) {}

  /**
   * Works out the access from the hook address's host, the supervisor's address and the
   * allow-list (addresses or CIDR blocks such as `172.17.0.0/16`). The supervisor's host is
   * resolved once here. Throws on an allow-list entry that is neither.
   */
  static async resolve(hookHost: string, supervisorAddress: string, allowFrom: readonly string[]): Promise<HookAccess> {
    const allowed = new BlockList();
    const supervisorHost = new URL(supervisorAddress).hostname.replace(/^\[|\]$/g, '');
    const supervisor = isIP(supervisorHost)
      ? [supervisorHost]
      : (await lookup(supervisorHost, { all: true }).catch(() => [])).map((entry) => entry.address);
    for (const address of supervisor)
      allowed.addAddress(unmapped(address), isIP(unmapped(address)) === 6 ? 'ipv6' : 'ipv4');
    for (const entry of allowFrom) {
      const [address = '', prefix] = entry.split('/');
      const family = isIP(address);
      if (!family || (prefix !== undefined && !/^\d{1,3}$/.test(prefix)))
        throw new Error(`hookAllowFrom: \`${entry}\` is neither an IP address nor a CIDR block`);
      if (prefix === undefined) allowed.addAddress(address, family === 6 ? 'ipv6' : 'ipv4');
      else allowed.addSubnet(address, Number(prefix), family === 6 ? 'ipv6' : 'ipv4');
    }
    // A gateway app on the host network: the supervisor calls over loopback, and nobody else
    // needs to reach the hooks, so the wildcard the default address names is not bound.
    const onlyLoopback =
      supervisor.length > 0 &&
      supervisor.every(isLoopback) &&
      allowFrom.every((entry) => isLoopback(entry.split('/')[0]!));
    const loopbackHost = supervisor.every((address) => isIP(unmapped(address)) === 6) ? '::1' : '127.0.0.1';
    return new HookAccess(allowed, WILDCARDS.has(hookHost) && onlyLoopback ? loopbackHost : hookHost, [
      ...supervisor,
      ...allowFrom,
    ]);
  }

  /** Whether a request from this peer address may be served. */
  allows(remoteAddress: string | undefined): boolean {
    if (!remoteAddress) return false;
    const address = unmapped(remoteAddress);
    return this.allowed.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}
