// Comments that name a file of the repository name one that exists: a comment pointing at a
// moved file (or at notes kept outside the repository) sends the next reader nowhere.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './paths.js';

const FOLDERS = ['engine', 'test', 'bench', 'scripts'];
/** A path from the repository's top: one of its folders, then names, ending in a file or a `/`. */
const NAMED_PATH =
  /(?<![\w/.-])(?:engine|test|docs|bench|scripts|examples|profiles|schemas)\/[\w.-]+(?:\/[\w.-]+)*(?:\.(?:ts|mjs|md|json|ya?ml|py)\b|\/)/g;
/** Notes that are not part of the repository, which a comment must not send a reader to. */
const OUTSIDE = /\.\.\/shared\/|\breference\/(?:backends|detection)\.md/;

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

/** The comment text of a source file: line comments and the lines of block comments. */
function comments(text: string): string[] {
  return [...text.matchAll(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g)].map((match) => match[0]);
}

test('every repository path a comment names exists, and no comment points outside the repository', () => {
  const missing: string[] = [];
  let named = 0;
  for (const file of FOLDERS.flatMap(sourceFiles)) {
    for (const comment of comments(readFileSync(path.join(ROOT, file), 'utf8'))) {
      if (OUTSIDE.test(comment)) missing.push(`${file}: points outside the repository: ${comment.slice(0, 80)}`);
      for (const [named_path] of comment.matchAll(NAMED_PATH)) {
        named++;
        if (!existsSync(path.join(ROOT, named_path))) missing.push(`${file}: ${named_path}`);
      }
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(named > 20, `only ${named} paths found in comments: the scan itself is broken`);
});
