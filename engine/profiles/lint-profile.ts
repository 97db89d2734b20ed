import type { BackendNames } from '../backends/index.js';
import type { ProfileIssue } from '../core/errors.js';
import { checkMapKeys, checkTemplate } from '../logic/check-logic.js';
import { UNSAFE_PATH_SEGMENTS } from '../logic/operators.js';
import { unknownFactReason } from '../sources/fact-fields.js';
import type { BackendDefinition } from '../backends/backend-definition.js';
import { compileSchema } from '../core/schema-issues.js';
import { valueErrorText } from '../core/schema-error-text.js';
import type { JsonSchema } from '../core/json-schema.js';
import type { Profile } from './profile.js';
import { lintDetect } from './lint-detect.js';
import { issueAt, type NodePath, type YamlSource } from '../core/yaml-source.js';
import { isPlainObject } from '../core/plain-object.js';

/** What lint reads of a profile; any part may be missing or mistyped when the schema failed. */
type Loose<T> = { [K in keyof T]?: unknown };

const CHANGE_ROOTS = ['event', 'identifier', 'payload', 'facts', 'profile'];

/** Why a `var` path names nothing in a change (`event`, `identifier`, `payload`, `facts.*`, `profile`). */
function unknownChangeReason(path: string): string | undefined {
  const [root, ...rest] = path.split('.');
  if (path === '' || root === 'payload') return undefined;
  if (!CHANGE_ROOTS.includes(root!))
    return `\`${root}\` is not known here; notify options read ${CHANGE_ROOTS.join(', ')}`;
  return root === 'facts' && rest.length ? unknownFactReason(rest.join('.')) : undefined;
}

/**
 * The checks a schema cannot express: JSON-logic, patterns that must compile, hex strings,
 * backend names, and matchers too broad to be safe. Runs whether or not the schema held, so
 * one mistake does not hide others; each check looks only at values of the type it needs.
 */
export function lintProfile(source: YamlSource, profile: Loose<Profile>, backends: BackendNames): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const at = (
    path: NodePath,
    part: 'key' | 'value',
    severity: 'error' | 'warning',
    code: ProfileIssue['code'],
    message: string,
  ) => issues.push(issueAt(source, path, part, severity, code, message));
  issues.push(
    ...lintDetect(source, profile.detect, ['detect'], {
      priority: typeof profile.priority === 'number' ? profile.priority : undefined,
      broad: typeof profile.broad === 'string' && /\S/.test(profile.broad),
    }),
  );
  for (const problem of checkMapKeys(isPlainObject(profile.map) ? profile.map : {}, ['map']))
    at(problem.path, problem.part, problem.severity, problem.code, problem.message);
  for (const [key, value] of Object.entries(isPlainObject(profile.map) ? profile.map : {})) {
    if (UNSAFE_PATH_SEGMENTS.has(key)) continue; // reported above
    for (const problem of checkTemplate(value, ['map', key]))
      at(problem.path, problem.part, problem.severity, problem.code, problem.message);
  }

  for (const [index, entry] of (Array.isArray(profile.notify) ? profile.notify : []).entries()) {
    if (
      isPlainObject(entry) &&
      typeof entry.backend === 'string' &&
      entry.backend !== '' &&
      !backends.has(entry.backend)
    ) {
      at(
        ['notify', index, 'backend'],
        'value',
        'error',
        'unknown-backend',
        `no backend named \`${entry.backend}\`; known: ${[...backends.keys()].join(', ')}`,
      );
    }
    const definition =
      isPlainObject(entry) && typeof entry.backend === 'string' ? backends.get(entry.backend) : undefined;
    for (const { path, over } of definition?.notifyLogic ?? []) {
      const value = path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), entry);
      if (value === undefined) continue;
      for (const problem of checkTemplate(
        value,
        ['notify', index, ...path],
        over === 'facts' ? unknownFactReason : unknownChangeReason,
      ))
        at(problem.path, problem.part, problem.severity, problem.code, problem.message);
    }
  }

  const map = isPlainObject(profile.map) ? profile.map : {};
  const notified = new Map<string, BackendDefinition>();
  for (const entry of Array.isArray(profile.notify) ? profile.notify : []) {
    const definition =
      isPlainObject(entry) && typeof entry.backend === 'string' ? backends.get(entry.backend) : undefined;
    if (definition) notified.set(definition.type, definition);
  }
  for (const definition of notified.values()) {
    for (const [field, why] of Object.entries(definition.ignoredFields ?? {})) {
      if (field in map)
        at(
          ['map', field],
          'key',
          'warning',
          'ignored-field',
          `\`${field}\` is dropped by the ${definition.type} backend: ${why}`,
        );
    }
    for (const problem of constantProblems(definition, map))
      at(problem.path, 'value', 'error', 'invalid-value', problem.message);
  }
  return issues;
}

/** Whether a map value is a constant: no JSON-logic (an object with one key) anywhere in it. */
function isConstant(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isConstant);
  if (isPlainObject(value)) return Object.keys(value).length !== 1 && Object.values(value).every(isConstant);
  return true;
}

/**
 * A backend's document schema without its required fields: what a profile's constants are
 * checked against. Made once per schema (ajv compiles by object); the build generates its
 * validator too (build-validators.ts), so a start never compiles it.
 */
const partialSchemas = new WeakMap<JsonSchema, JsonSchema>();
export function partialDocumentSchema(schema: JsonSchema): JsonSchema {
  let partial = partialSchemas.get(schema);
  if (!partial) {
    partial = { ...schema, required: [] };
    partialSchemas.set(schema, partial);
  }
  return partial;
}

/**
 * The constant fields of `map` that the backend's document schema refuses, after the backend's
 * own preparation (blank strings left out): what Nuvla would answer 400 to, whatever the device.
 * Each string item of an `identifier` list is checked as the identifier it may become.
 */
function constantProblems(
  definition: BackendDefinition,
  map: Record<string, unknown>,
): { path: NodePath; message: string }[] {
  if (!definition.documentSchema) return [];
  const listed = Array.isArray(map.identifier) ? map.identifier : undefined;
  const constants = Object.fromEntries(
    Object.entries(map).filter(([key, value]) => !(listed && key === 'identifier') && isConstant(value)),
  );
  const problems = documentProblems(definition, constants, []);
  for (const [index, candidate] of (listed ?? []).entries())
    // Items of other types are the schema's to report.
    if (typeof candidate === 'string')
      problems.push(...documentProblems(definition, { identifier: candidate }, ['identifier', index]));
  return problems;
}

/** What the backend's document schema refuses in these fields, positioned under `map` (`at` replacing a field's path). */
function documentProblems(
  definition: BackendDefinition,
  fields: Record<string, unknown>,
  at: NodePath,
): { path: NodePath; message: string }[] {
  const document = definition.document ? definition.document(fields) : fields;
  const validate = compileSchema(partialDocumentSchema(definition.documentSchema!));
  if (validate(document)) return [];
  // Unknown fields are left to the device's problems: a profile may map fields for other backends.
  return (validate.errors ?? [])
    .filter((error) => error.keyword !== 'additionalProperties')
    .map((error) => {
      const path = error.instancePath
        .split('/')
        .slice(1)
        .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      return {
        path: ['map', ...(at.length > 0 ? at : path)],
        message: `a notified backend would refuse this value (as Nuvla does): ${valueErrorText(error, document)}`,
      };
    });
}
