import type { Document, LineCounter } from 'yaml';
import type { ProfileIssue } from './errors.js';
import { yamlLibrary } from './yaml-library.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/**
 * A YamlSource for a file read on the fast path (fast-yaml.ts): `yaml` parses it, with
 * positions, only when something asks where a node is: an issue to position, the tests of a
 * profile. `parsed` is that same parse, for the caller that then checks the file the slow way.
 */
export class LazyYamlSource implements YamlSource {
  private result?: { source?: YamlSource; issues: ProfileIssue[] };

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  parsed(): { source?: YamlSource; issues: ProfileIssue[] } {
    return (this.result ??= parseYamlSource(this.file, this.text));
  }

  get document(): Document.Parsed {
    return this.parsed().source?.document ?? unreadable().document;
  }

  get lineCounter(): LineCounter {
    return this.parsed().source?.lineCounter ?? unreadable().lineCounter;
  }
}

/**
 * What positions come from when `yaml` cannot read a file the fast parser could: an empty
 * document, every position 1:1. The caller re-checks any file with an issue the slow way, so
 * such positions are never reported; fast-yaml.test.ts checks that the case does not arise.
 */
function unreadable(): YamlSource {
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  return { file: '', text: '', document: parseDocument('', { lineCounter }) as Document.Parsed, lineCounter };
}
