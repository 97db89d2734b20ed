// The shape of engine/'s imports: shared code in engine/core/ imports nothing else of the engine,
// and no file is part of an import cycle (type-only imports count: a cycle of types still ties
// the files' meanings together). Read from the TypeScript sources, not the compiled output, where
// type imports are gone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './paths.js';

const ENGINE = path.join(ROOT, 'engine');
const STATIC_IMPORT = /^(?:import|export)\s[^'";]*?from\s+'(\.{1,2}\/[^']+)'/gm;

/** Every .ts file under engine/ with the engine files it imports statically, by path from the root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(ENGINE, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of files) {
    const absolute = path.join(ENGINE, file);
    const imports = [...readFileSync(absolute, 'utf8').matchAll(STATIC_IMPORT)].map((match) =>
      path.relative(ROOT, path.resolve(path.dirname(absolute), match[1]!)).replace(/\.js$/, '.ts'),
    );
    graph.set(path.relative(ROOT, absolute), imports);
  }
  return graph;
}

/** The strongly connected groups of more than one file (Tarjan), each a cycle or several. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    order.set(file, order.size);
    low.set(file, order.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(file, Math.min(low.get(file)!, order.get(next)!));
    }
    if (low.get(file) !== order.get(file)) return;
    const group: string[] = [];
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      group.push(member);
      if (member === file) break;
    }
    if (group.length > 1 || graph.get(file)?.includes(file)) found.push(group.sort());
  };
  for (const file of graph.keys()) if (!order.has(file)) visit(file);
  return found;
}

test('every import in engine/ names a file that exists', () => {
  const graph = importGraph();
  const missing = [...graph].flatMap(([file, imports]) =>
    imports.filter((target) => !graph.has(target)).map((target) => `${file} → ${target}`),
  );
  assert.deepEqual(missing, []);
});

test('no file in engine/ is part of an import cycle', () => {
  assert.deepEqual(cycles(importGraph()), []);
});

test('the cycle finder finds a cycle of two and of three files', () => {
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['a']],
        ['c', ['a']],
      ]),
    ),
    [['a', 'b']],
  );
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
      ]),
    ),
    [['a', 'b', 'c']],
  );
});

test('engine/core/ imports nothing of the engine outside itself', () => {
  const outside = [...importGraph()]
    .filter(([file]) => file.startsWith(`engine${path.sep}core${path.sep}`))
    .flatMap(([file, imports]) =>
      imports
        .filter((target) => !target.startsWith(`engine${path.sep}core${path.sep}`))
        .map((target) => `${file} → ${target}`),
    );
  assert.deepEqual(outside, []);
});
