/**
 * A module loaded at its first use, once (heavy or native dependencies that many configurations
 * never need). A failed load is kept and handed back as an Error on every call, so that each user
 * reports it in its own terms (a failed probe, a request to retry) instead of crashing.
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T | Error> {
  let loading: Promise<T | Error> | undefined;
  return () =>
    (loading ??= load().then(
      (loaded) => loaded,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    ));
}
