// How a state file's entries sit in its JSON, and the text a save writes: every store's format
// on disk, old files included, is one of these layouts.

/** How the entries sit in the file. */
export interface StateFileLayout<T> {
  /** The top-level field holding the entries, beside `version`; none: the file is the entries object itself. */
  field?: string;
  /** With `field`: the format version written beside the entries, and required on reading. */
  version?: number;
  /** Entries kept as a list, each naming its own key; without it, an object by key. */
  keyOf?: (entry: T) => string;
}

/** Each entry's JSON text, by key. */
export type SerializedEntries = ReadonlyMap<string, string>;

/**
 * The file's text for these entries and other top-level fields: one entry a line, so that a
 * reader can follow it, made from the entries' texts without parsing or stringifying them again.
 */
export function layoutText<T>(
  layout: StateFileLayout<T>,
  entries: SerializedEntries,
  fields: Record<string, unknown>,
): string {
  const lines = layout.keyOf
    ? [...entries.values()]
    : [...entries].map(([key, json]) => `${JSON.stringify(key)}:${json}`);
  const [open, close] = layout.keyOf ? ['[', ']'] : ['{', '}'];
  const body = lines.length === 0 ? `${open}${close}` : `${open}\n${lines.join(',\n')}\n${close}`;
  if (layout.field === undefined) return `${body}\n`;
  const head = JSON.stringify({
    ...(layout.version === undefined ? {} : { version: layout.version }),
    ...fields,
  }).slice(0, -1);
  return `${head}${head.length > 1 ? ',' : ''}${JSON.stringify(layout.field)}:${body}}\n`;
}
