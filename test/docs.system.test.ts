// The documentation stays true to the code: links resolve, and the reference pages name every
// fact, detect key, operator and backend type the engine has.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { BACKENDS } from '../engine/backends/index.js';
import { FACT_FIELDS } from '../engine/sources/fact-fields.js';
import { OPERATORS } from '../engine/logic/operators.js';
import { SOURCES } from '../engine/sources/index.js';
import { ROOT, runCli } from './paths.js';

function markdownFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    if (statSync(full).isDirectory()) return markdownFiles(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

const DOCUMENTS = [
  path.join(ROOT, 'README.md'),
  ...markdownFiles(path.join(ROOT, 'docs')),
  ...markdownFiles(path.join(ROOT, 'examples')),
];
const read = (file: string) => readFileSync(file, 'utf8');
const withoutCode = (text: string) => text.replace(/```[\s\S]*?```/g, '');

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(file: string): Set<string> {
  return new Set([...read(file).matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1]!)));
}

describe('documentation links', () => {
  for (const document of DOCUMENTS) {
    test(`${path.relative(ROOT, document)}: every relative link resolves`, () => {
      const broken: string[] = [];
      for (const [, target] of withoutCode(read(document)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [file, fragment] = target!.split('#') as [string, string | undefined];
        const resolved = file === '' ? document : path.resolve(path.dirname(document), file);
        if (!existsSync(resolved)) broken.push(`${target}: no such file`);
        else if (fragment && resolved.endsWith('.md') && !anchors(resolved).has(fragment))
          broken.push(`${target}: no such heading`);
      }
      assert.deepEqual(broken, []);
    });
  }
});

describe('documentation content', () => {
  const writing = read(path.join(ROOT, 'docs', 'writing-profiles.md'));

  test('writing-profiles.md names every fact', () => {
    for (const [root, fields] of Object.entries(FACT_FIELDS)) {
      if (fields === 'any') assert.ok(writing.includes(`\`${root}.*\``), `${root}.*`);
      else for (const field of fields) assert.ok(writing.includes(`\`${root}.${field}\``), `${root}.${field}`);
    }
  });

  test('writing-profiles.md names every detect key and every operator', () => {
    for (const source of SOURCES) {
      for (const key of Object.keys(source.detectSchema.properties as object))
        assert.ok(writing.includes(`| \`${source.kind}\` | \`${key}\` |`), `${source.kind}.${key}`);
    }
    for (const operator of Object.keys(OPERATORS)) assert.ok(writing.includes(`\`${operator}\``), operator);
  });

  test('the backends index lists every backend type and built-in name', () => {
    const index = read(path.join(ROOT, 'docs', 'backends', 'README.md'));
    for (const definition of BACKENDS) {
      assert.ok(index.includes(`| \`${definition.type}\` |`), definition.type);
      if (definition.builtIn)
        assert.ok(
          index.includes(`| \`${definition.builtIn.name}\` | \`${definition.type}\` |`),
          definition.builtIn.name,
        );
      for (const variable of Object.keys(definition.builtIn?.environment ?? {}))
        assert.ok(index.includes(variable), variable);
    }
  });

  test('the README command table has every command synopsis of `engine --help`, and nothing else', () => {
    const help = runCli(['--help']);
    assert.equal(help.status, 0);
    const synopses = help.stdout
      .split('\n\n')[1]!
      .split('\n')
      .slice(1)
      .map((line) => line.trim())
      .filter((line) => line.startsWith('engine ') && !line.startsWith('engine --version'));
    const table = [...read(path.join(ROOT, 'README.md')).matchAll(/^\| `(engine[^`]*)` \|/gm)].map((match) =>
      match[1]!.replace(/\\\|/g, '|'),
    );
    assert.ok(synopses.length >= 5, help.stdout);
    assert.deepEqual(
      table.filter((line) => !line.startsWith('engine --version')),
      synopses,
    );
    for (const command of ['list', 'schema', 'validate', 'test'])
      assert.equal(runCli([command, '--help']).status, 0, `engine ${command} --help`);
  });

  test('the README starts with the two set-up commands: run the engine, run the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(read(path.join(ROOT, 'README.md')))![1]!;
    const commands = firstBlock.trim().split('\n');
    assert.match(commands[0]!, /^npm ci && npx engine --profiles \.\/profiles\b/);
    assert.match(commands[1]!, /^npm ci && npm test\b/);
  });

  test('docs/ci.md holds a GitHub Actions workflow running engine validate --format github and engine test', () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(read(path.join(ROOT, 'docs', 'ci.md')))![1]!;
    const workflow = parse(block) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const runs = Object.values(workflow.jobs).flatMap((job) => job.steps.map((step) => step.run ?? ''));
    assert.ok(runs.some((run) => /npx engine validate .*--format github/.test(run)));
    assert.ok(runs.some((run) => /npx engine test /.test(run)));
  });
});

describe('documentation examples', () => {
  const blocks = [...read(path.join(ROOT, 'docs', 'writing-profiles.md')).matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (match) => match[1]!,
  );

  test('the profile at the top of writing-profiles.md is valid and passes its own tests', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'engine-docs-'));
    writeFileSync(path.join(folder, 'gps-ublox.yaml'), blocks[0]!);
    const result = runCli(['test', folder]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^1 passed, 0 failed/m);
  });

  test('the test file of writing-profiles.md passes against the shipped profiles', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'engine-docs-'));
    for (const name of readdirSync(path.join(ROOT, 'profiles')).filter((file) => !file.includes('.test.')))
      copyFileSync(path.join(ROOT, 'profiles', name), path.join(folder, name));
    const testFile = blocks.find((block) => block.includes('# profiles/gps-ublox.test.yaml'))!;
    writeFileSync(path.join(folder, 'docs.test.yaml'), testFile);
    const result = runCli(['test', path.join(folder, 'docs.test.yaml')]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^2 passed, 0 failed/m);
  });
});
