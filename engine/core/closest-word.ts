/** Edits (insert, delete, replace) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** How many leading characters `a` and `b` share, without case. */
function sharedPrefix(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length]!.toLowerCase() === b[length]!.toLowerCase()) length++;
  return length;
}

/** Below this, a shared beginning says nothing (`se` begins `serial` and `sensor`). */
const MIN_PREFIX = 4;

/**
 * The candidate a mistyped `word` most likely meant, for a "did you mean" hint: compared without
 * case (`vendorID` is `vendorId`), within a few edits for its length (`param` is `params`), else
 * the one candidate that shares the longest beginning with it, of at least four characters
 * (`serial` and `serialNo` are `serialNumber`); nothing when none is close or two are as close.
 */
export function closestWord(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  let byPrefix: string | undefined;
  let longestPrefix = MIN_PREFIX - 1;
  let prefixTied = false;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
    const prefix = sharedPrefix(word, candidate);
    if (prefix > longestPrefix) [byPrefix, longestPrefix, prefixTied] = [candidate, prefix, false];
    else if (prefix === longestPrefix && byPrefix !== undefined) prefixTied = true;
  }
  return best ?? (prefixTied ? undefined : byPrefix);
}
