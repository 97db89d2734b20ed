import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { IssueCode, ProfileIssue } from './errors.js';
import type { JsonSchema } from './json-schema.js';
import { closestWord } from './closest-word.js';
import { AJV_DEFAULTS_OPTIONS, AJV_OPTIONS, prebuiltValidator } from './prebuilt-validators.js';
import { issueAt, type NodePath, type YamlSource } from './yaml-source.js';

/** ajv's compilers, by whether they fill defaults in, each loaded the first time it is needed. */
const compilers = new Map<boolean, Ajv2020>();
/** The validators, per schema object, by whether they fill defaults in. */
const compiled = { plain: new WeakMap<object, ValidateFunction>(), filling: new WeakMap<object, ValidateFunction>() };

/** ajv's compiler, loaded the first time a schema has no validator generated at build time. */
function compiler(fillsDefaults: boolean): Ajv2020 {
  let ajv = compilers.get(fillsDefaults);
  if (!ajv) {
    const { Ajv2020: Constructor } = createRequire(import.meta.url)('ajv/dist/2020.js') as {
      Ajv2020: new (options: object) => Ajv2020;
    };
    ajv = new Constructor(fillsDefaults ? AJV_DEFAULTS_OPTIONS : AJV_OPTIONS);
    compilers.set(fillsDefaults, ajv);
  }
  return ajv;
}

/**
 * A schema's validator, once per schema object: generated at build time, or compiled now. With
 * `fillsDefaults`, it also writes the schema's defaults into the data it checks (ajv's
 * `useDefaults`): only for data that is the engine's own (the config), never a profile.
 */
export function compileSchema(schema: JsonSchema, fillsDefaults = false): ValidateFunction {
  const cache = fillsDefaults ? compiled.filling : compiled.plain;
  let validate = cache.get(schema);
  if (!validate) {
    validate = prebuiltValidator(schema, fillsDefaults) ?? compiler(fillsDefaults).compile(schema);
    cache.set(schema, validate);
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
      const suggestion = closestWord(key, known);
      const hint = suggestion
        ? `; did you mean \`${suggestion}\`?`
        : known.length
          ? `; allowed: ${known.join(', ')}`
          : '';
      return at([...path, key], 'key', 'unknown-key', `unknown key \`${key}\` in ${describe(path)}${hint}`);
    }
    case 'required':
      return at(path, 'key', 'missing-key', `${describe(path)} needs \`${String(error.params.missingProperty)}\``);
    case 'type':
      return at(
        path,
        'value',
        'wrong-type',
        `${describe(path)} must be ${String(error.params.type).replace(',', ' or ')}`,
      );
    case 'anyOf': {
      // One message for the value rather than one per branch; a name close to an allowed one
      // (`hid`, `Vidoe`) is named.
      const branches = (error.parentSchema?.anyOf ?? []) as { enum?: unknown[]; description?: string }[];
      const names = branches.flatMap((branch) => branch.enum ?? []).map(String);
      const suggestion = typeof error.data === 'string' ? closestWord(error.data, names) : undefined;
      const what =
        branches.find((branch) => branch.enum && branch.description)?.description ??
        (names.length ? `one of ${names.join(', ')}` : 'one of the allowed forms');
      return at(
        path,
        'value',
        'invalid-value',
        `${describe(path)} must be ${what}${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
      );
    }
    case 'not': {
      // A key refused where it is (e.g. `map` in an ignore profile): the schema says why.
      const why = (error.parentSchema as { description?: string } | undefined)?.description;
      return at(path, 'key', 'unknown-key', `${describe(path)} is not allowed here${why ? `: ${why}` : ''}`);
    }
    case 'enum':
      return at(
        path,
        'value',
        'invalid-value',
        `${describe(path)} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`,
      );
    case 'pattern':
      // `\S`: a text that must say something; the pattern itself means nothing to a reader.
      if (error.params.pattern === '\\S') return at(path, 'value', 'invalid-value', `${describe(path)} is blank`);
      return at(path, 'value', 'invalid-value', `${describe(path)} ${error.message ?? 'is not valid'}`);
    default:
      return at(path, 'value', 'invalid-value', `${describe(path)} ${error.message ?? 'is not valid'}`);
  }
}

/** The keys an unknown key most likely meant (`notfiy` → `notify`), as `instancePath/key`. */
function misspeltKeys(errors: readonly ErrorObject[]): Set<string> {
  const meant = new Set<string>();
  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue;
    const known = Object.keys((error.parentSchema?.properties ?? {}) as object);
    const suggestion = closestWord(String(error.params.additionalProperty), known);
    if (suggestion) meant.add(`${error.instancePath}/${suggestion}`);
  }
  return meant;
}

/**
 * Checks `data` against `schema`, each problem positioned on the offending node. Problems at or
 * below a path in `covered` are left out: another check has already reported them better. With
 * `fillsDefaults`, the schema's defaults are written into `data` as it is checked.
 */
export function schemaIssues(
  source: YamlSource,
  data: unknown,
  schema: JsonSchema,
  covered: readonly NodePath[] = [],
  fillsDefaults = false,
): ProfileIssue[] {
  const validate = compileSchema(schema, fillsDefaults);
  if (validate(data)) return [];
  const coveredPrefixes = covered.map((path) => `/${path.join('/')}`);
  const issues: ProfileIssue[] = [];
  const errors = validate.errors ?? [];
  // The branches of a failed anyOf: the anyOf's own error says it once, or, when a branch failed
  // on one item of a list (itself an anyOf), that item's error does, closer to the mistake.
  const anyOfs = errors.filter((error) => error.keyword === 'anyOf');
  const within = (outer: ErrorObject, error: ErrorObject) =>
    error !== outer && error.schemaPath.startsWith(`${outer.schemaPath}/`);
  const shown = anyOfs.filter((outer) => !anyOfs.some((inner) => within(outer, inner)));
  const misspelt = misspeltKeys(errors);
  for (const error of errors) {
    // A missing key written under a misspelt name: the unknown key's "did you mean" says it all.
    if (error.keyword === 'required' && misspelt.has(`${error.instancePath}/${String(error.params.missingProperty)}`))
      continue;
    if (coveredPrefixes.some((prefix) => error.instancePath === prefix || error.instancePath.startsWith(`${prefix}/`)))
      continue;
    if (error.keyword === 'anyOf' ? !shown.includes(error) : anyOfs.some((outer) => within(outer, error))) continue;
    const issue = toIssue(source, error);
    if (issue) issues.push(issue);
  }
  return issues;
}
