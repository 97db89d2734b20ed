/**
 * Which identifier each present device goes by when several would share one. A device's
 * identifier depends only on the devices present, never on which came first: a restart, a
 * replug or another plugging order gives every device the same identifier again.
 */

/** A device's claim: its identifier candidates in order, and the backends it is sent to. */
export interface IdentityClaim {
  deviceKey: string;
  /** At least one; the first is the identifier it goes by when no other device shares it. */
  candidates: readonly string[];
  backends: readonly string[];
}

/** The identifier a device goes by, and what users must know about it. */
export interface ResolvedIdentity {
  identifier: string;
  /** It goes by a later candidate because another device shares its first: names both. */
  fellBack?: string;
  /**
   * Nothing tells it apart from another device: both claim `identifier`, and only one can be
   * delivered. Names both and says why.
   */
  indistinct?: string;
}

const sharesBackend = (a: IdentityClaim, b: IdentityClaim) => a.backends.some((name) => b.backends.includes(name));

/**
 * Resolves the claims: a device whose first candidate is no other device's (on a backend both
 * are sent to) goes by it. Devices that share it are rivals; each goes by the first of its later
 * candidates that no rival has among its own (so no two rivals can end up with the same one).
 * One that has none keeps its first candidate and is marked indistinct. Pure.
 */
export function resolveIdentifiers(claims: readonly IdentityClaim[]): Map<string, ResolvedIdentity> {
  const byFirst = new Map<string, IdentityClaim[]>();
  for (const claim of claims) {
    const group = byFirst.get(claim.candidates[0]!);
    if (group) group.push(claim);
    else byFirst.set(claim.candidates[0]!, [claim]);
  }
  const resolved = new Map<string, ResolvedIdentity>();
  for (const claim of claims) {
    const first = claim.candidates[0]!;
    const rivals = byFirst.get(first)!.filter((other) => other !== claim && sharesBackend(claim, other));
    if (rivals.length === 0) {
      resolved.set(claim.deviceKey, { identifier: first });
      continue;
    }
    const named = rivals.map((rival) => rival.deviceKey).join(', ');
    const apart = claim.candidates
      .slice(1)
      .find((candidate) => rivals.every((rival) => !rival.candidates.includes(candidate)));
    resolved.set(
      claim.deviceKey,
      apart === undefined
        ? {
            identifier: first,
            indistinct: `devices ${claim.deviceKey} and ${named} share identifier ${first}, and none of their identifier candidates tells them apart (${claim.candidates.join(', ')})`,
          }
        : {
            identifier: apart,
            fellBack: `devices ${claim.deviceKey} and ${named} would share identifier ${first}; this one goes by ${apart}, the first of its identifier candidates that tells them apart`,
          },
    );
  }
  return resolved;
}
