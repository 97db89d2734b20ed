import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { IssueCode, ProfileIssue } from '../errors.js';
import type { JsonSchema } from '../sources/source-definition.js';
import { AJV_OPTIONS, prebuiltValidator } from './prebuilt-validators.js';
import { issueAt, type NodePath, type YamlSource } from './yaml-source.js';

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

/** ajv's compiler, loaded the first time a schema has no validator generated at build time. */
function compiler(): Ajv2020 {
  if (!ajv) {
    const { Ajv2020: Constructor } = createRequire(import.meta.url)('ajv/dist/2020.js') as { Ajv2020: new (options: object) => Ajv2020 };
    ajv = new Constructor(AJV_OPTIONS);
  }
  return ajv;
}

/** A schema's validator, once per schema object: generated at build time, or compiled now. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = prebuiltValidator(schema) ?? compiler().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Splits an ajv instance path (`/detect/usb/vendorId`) into a node path. */
function toNodePath(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

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

function describe(path: NodePath): string {
  return path.length === 0 ? 'the profile' : `\`${path.join('.')}\``;
}

/** One ajv error as a positioned issue, or nothing for errors that only echo others. */
function toIssue(source: YamlSource, error: ErrorObject): ProfileIssue | undefined {
  const path = toNodePath(error.instancePath);
  const at = (target: NodePath, part: 'key' | 'value', code: IssueCode, message: string) =>
    issueAt(source, target, part, 'error', code, message);
  switch (error.keyword) {
    case 'if': // the failing `then` reports the actual problem
      return undefined;
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties ?? {}) as object);
      const suggestion = closest(key, known);
      const hint = suggestion ? `; did you mean \`${suggestion}\`?` : known.length ? `; allowed: ${known.join(', ')}` : '';
      return at([...path, key], 'key', 'unknown-key', `unknown key \`${key}\` in ${describe(path)}${hint}`);
    }
    case 'required':
      return at(path, 'key', 'missing-key', `${describe(path)} needs \`${String(error.params.missingProperty)}\``);
    case 'type':
      return at(path, 'value', 'wrong-type', `${describe(path)} must be ${String(error.params.type).replace(',', ' or ')}`);
    case 'enum':
      return at(path, 'value', 'invalid-value', `${describe(path)} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`);
    default:
      return at(path, 'value', 'invalid-value', `${describe(path)} ${error.message ?? 'is not valid'}`);
  }
}

/**
 * Checks `data` against `schema`, each problem positioned on the offending node. Problems at or
 * below a path in `covered` are left out: another check has already reported them better.
 */
export function schemaIssues(source: YamlSource, data: unknown, schema: JsonSchema, covered: readonly NodePath[] = []): ProfileIssue[] {
  const validate = compileSchema(schema);
  if (validate(data)) return [];
  const coveredPrefixes = covered.map((path) => `/${path.join('/')}`);
  const issues: ProfileIssue[] = [];
  for (const error of validate.errors ?? []) {
    if (coveredPrefixes.some((prefix) => error.instancePath === prefix || error.instancePath.startsWith(`${prefix}/`))) continue;
    const issue = toIssue(source, error);
    if (issue) issues.push(issue);
  }
  return issues;
}

