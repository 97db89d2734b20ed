/**
 * Something outside the engine keeps it from starting (a busy port, a locked state folder, a
 * profiles path that is not a folder): printed as one line, exit 1, never a stack trace.
 */
export class StartupRefusal extends Error {
  override readonly name = 'StartupRefusal';
}

/** The refusal for an error the status server's `listen` raised, or undefined if not one. */
export function listenRefusal(error: unknown, host: string, port: number): StartupRefusal | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE')
    return new StartupRefusal(
      `cannot listen on ${where}: the address is in use (another engine?); choose another --port`,
    );
  if (code === 'EACCES')
    return new StartupRefusal(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new StartupRefusal(`cannot listen on ${where}: no such address on this machine`);
  return undefined;
}
