import type { BackendNames } from '../backends/index.js';
import type { ProfileIssue } from '../errors.js';
import { checkExpression, checkMapKeys, checkTemplate } from '../logic/check-logic.js';
import { cachedLinearRegex } from '../logic/linear-regex.js';
import { UNSAFE_PATH_SEGMENTS } from '../logic/operators.js';
import { isCatchAll } from '../match/detect-checks.js';
import { compileGlob, type GlobKind } from '../match/glob.js';
import { unknownFactReason } from '../map/facts.js';
import type { BackendDefinition } from '../backends/backend-definition.js';
import { compileSchema } from './schema-issues.js';
import type { JsonSchema } from '../sources/source-definition.js';
import { SOURCES } from '../sources/index.js';
import type { Detect, FileDetect, Profile, SerialDetect, SerialProbe, UsbDetect } from './profile.js';
import { issueAt, nodeAt, type NodePath, type YamlSource } from './yaml-source.js';

/**
 * USB-serial bridge chips whose ids thousands of unrelated products share; `*` for a whole
 * vendor of them when no product id is given.
 */
const GENERIC_BRIDGES: Readonly<Record<string, string>> = {
  '10c4:ea60': 'Silicon Labs CP210x',
  '10c4:ea70': 'Silicon Labs CP2105',
  '10c4:ea71': 'Silicon Labs CP2108',
  '1a86:7523': 'WCH CH340',
  '1a86:5523': 'WCH CH341',
  '1a86:55d4': 'WCH CH9102',
  '0403:6001': 'FTDI FT232R',
  '0403:6010': 'FTDI FT2232',
  '0403:6011': 'FTDI FT4232',
  '0403:6014': 'FTDI FT232H',
  '0403:6015': 'FTDI FT-X',
  '067b:2303': 'Prolific PL2303',
  '067b:23a3': 'Prolific PL2303GS',
  '0483:5740': 'STMicroelectronics virtual COM port',
};

const GENERIC_VENDORS = new Set(Object.keys(GENERIC_BRIDGES).map((id) => id.split(':')[0]!));

const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string').map((item) => item.toLowerCase());

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What lint reads of a profile; any part may be missing or mistyped when the schema failed. */
type Loose<T> = { [K in keyof T]?: unknown };

const CHANGE_ROOTS = ['event', 'identifier', 'payload', 'facts', 'profile'];

/** Why a `var` path names nothing in a change (`event`, `identifier`, `payload`, `facts.*`, `profile`). */
function unknownChangeReason(path: string): string | undefined {
  const [root, ...rest] = path.split('.');
  if (path === '' || root === 'payload') return undefined;
  if (!CHANGE_ROOTS.includes(root!)) return `\`${root}\` is not known here; notify options read ${CHANGE_ROOTS.join(', ')}`;
  return root === 'facts' && rest.length ? unknownFactReason(rest.join('.')) : undefined;
}

/**
 * The checks a schema cannot express: JSON-logic, patterns that must compile, hex strings,
 * backend names, and matchers too broad to be safe. Runs whether or not the schema held, so
 * one mistake does not hide others; each check looks only at values of the type it needs.
 */
export function lintProfile(source: YamlSource, profile: Loose<Profile>, backends: BackendNames): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const at = (path: NodePath, part: 'key' | 'value', severity: 'error' | 'warning', code: ProfileIssue['code'], message: string) =>
    issues.push(issueAt(source, path, part, severity, code, message));
  const detect: Loose<Detect> = isObject(profile.detect) ? profile.detect : {};
  const usb: Loose<UsbDetect> = isObject(detect.usb) ? detect.usb : {};
  const serial: Loose<SerialDetect> = isObject(detect.serial) ? detect.serial : {};
  const file: Loose<FileDetect> = isObject(detect.file) ? detect.file : {};

  if (isObject(profile.detect) && !SOURCES.some((definition) => detect[definition.kind as keyof Detect] !== undefined)) {
    at(['detect'], 'key', 'error', 'missing-key', `\`detect\` needs at least one of ${SOURCES.map((definition) => definition.kind).join(', ')}`);
  }
  if (detect.when !== undefined) {
    for (const problem of checkExpression(detect.when, ['detect', 'when'])) at(problem.path, problem.part, problem.severity, problem.code, problem.message);
  }
  for (const problem of checkMapKeys(isObject(profile.map) ? profile.map : {}, ['map'])) at(problem.path, problem.part, problem.severity, problem.code, problem.message);
  for (const [key, value] of Object.entries(isObject(profile.map) ? profile.map : {})) {
    if (UNSAFE_PATH_SEGMENTS.has(key)) continue; // reported above
    for (const problem of checkTemplate(value, ['map', key])) at(problem.path, problem.part, problem.severity, problem.code, problem.message);
  }

  const globs: [NodePath, unknown, GlobKind][] = [
    [['detect', 'usb', 'manufacturer'], usb.manufacturer, 'text'],
    [['detect', 'usb', 'product'], usb.product, 'text'],
    [['detect', 'usb', 'serialNumber'], usb.serialNumber, 'text'],
    [['detect', 'serial', 'path'], serial.path, 'path'],
    [['detect', 'serial', 'interfaceName'], serial.interfaceName, 'text'],
    [['detect', 'serial', 'description'], serial.description, 'text'],
    [['detect', 'file', 'path'], file.path, 'path'],
  ];
  for (const [path, pattern, kind] of globs) {
    if (typeof pattern !== 'string') continue;
    const compiled = compileGlob(pattern, kind);
    if (!compiled.ok) at(path, 'value', 'error', 'invalid-glob', `glob \`${pattern}\`: ${compiled.reason}`);
    else for (const warning of compiled.warnings) at(path, 'value', 'warning', 'glob-unclosed-bracket', `glob \`${pattern}\`: ${warning}`);
  }

  const probe: Loose<SerialProbe> = isObject(serial.probe) ? serial.probe : {};
  const probePath = ['detect', 'serial', 'probe'];
  if (typeof probe.expect === 'string') {
    const compiled = cachedLinearRegex(probe.expect);
    if (!compiled.ok) at([...probePath, 'expect'], 'value', 'error', 'invalid-regex', compiled.reason);
  }
  if (isObject(probe.expect) && typeof probe.expect.hex === 'string') checkHex(probe.expect.hex, [...probePath, 'expect', 'hex'], true, at);
  if (isObject(probe.write) && typeof probe.write.hex === 'string') checkHex(probe.write.hex, [...probePath, 'write', 'hex'], false, at);
  if (typeof probe.write === 'string') checkLiteralEscapes(source, [...probePath, 'write'], probe.write, at);

  for (const [index, entry] of (Array.isArray(profile.notify) ? profile.notify : []).entries()) {
    if (isObject(entry) && typeof entry.backend === 'string' && entry.backend !== '' && !backends.has(entry.backend)) {
      at(['notify', index, 'backend'], 'value', 'error', 'unknown-backend', `no backend named \`${entry.backend}\`; known: ${[...backends.keys()].join(', ')}`);
    }
    const definition = isObject(entry) && typeof entry.backend === 'string' ? backends.get(entry.backend) : undefined;
    for (const { path, over } of definition?.notifyLogic ?? []) {
      const value = path.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), entry);
      if (value === undefined) continue;
      for (const problem of checkTemplate(value, ['notify', index, ...path], over === 'facts' ? unknownFactReason : unknownChangeReason)) at(problem.path, problem.part, problem.severity, problem.code, problem.message);
    }
  }

  if (isObject(detect.usb) && isCatchAll(detect as Detect) && !(typeof profile.priority === 'number' && profile.priority < 0)) {
    at(['detect', 'usb'], 'value', 'warning', 'catch-all', 'an empty `usb` block matches every USB device (hubs, keyboards, this gateway\'s own radios); it always ranks below the other profiles, but say that it is meant with `priority: -1` (or lower)');
  }
  const map = isObject(profile.map) ? profile.map : {};
  const notified = new Map<string, BackendDefinition>();
  for (const entry of Array.isArray(profile.notify) ? profile.notify : []) {
    const definition = isObject(entry) && typeof entry.backend === 'string' ? backends.get(entry.backend) : undefined;
    if (definition) notified.set(definition.type, definition);
  }
  for (const definition of notified.values()) {
    for (const [field, why] of Object.entries(definition.ignoredFields ?? {})) {
      if (field in map) at(['map', field], 'key', 'warning', 'ignored-field', `\`${field}\` is dropped by the ${definition.type} backend: ${why}`);
    }
    for (const problem of constantProblems(definition, map)) at(problem.path, 'value', 'error', 'invalid-value', problem.message);
  }

  const broad = broadMatcher(usb, isObject(serial.probe) || serial.interfaceName !== undefined || serial.description !== undefined || readsUsbStrings(detect.when));
  if (broad) {
    at(['detect', 'usb', broad.key], 'value', 'warning', 'broad-matcher', `${broad.what} is shared by thousands of products; narrow it with manufacturer, product or serialNumber (or a \`when\` on them), or a serial probe`);
  }
  return issues;
}

/** Whether a map value is a constant: no JSON-logic (an object with one key) anywhere in it. */
function isConstant(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isConstant);
  if (isObject(value)) return Object.keys(value).length !== 1 && Object.values(value).every(isConstant);
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
 */
function constantProblems(definition: BackendDefinition, map: Record<string, unknown>): { path: NodePath; message: string }[] {
  if (!definition.documentSchema) return [];
  const constants = Object.fromEntries(Object.entries(map).filter(([, value]) => isConstant(value)));
  const document = definition.document ? definition.document(constants) : constants;
  const validate = compileSchema(partialDocumentSchema(definition.documentSchema));
  if (validate(document)) return [];
  // Unknown fields are left to the device's problems: a profile may map fields for other backends.
  return (validate.errors ?? [])
    .filter((error) => error.keyword !== 'additionalProperties')
    .map((error) => {
      const path = error.instancePath.split('/').slice(1).map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      return { path: ['map', ...path], message: `a notified backend would refuse this value (as Nuvla does): it ${error.message}` };
    });
}

type Report = (path: NodePath, part: 'key' | 'value', severity: 'error' | 'warning', code: ProfileIssue['code'], message: string) => void;

function checkHex(hex: string, path: NodePath, wildcards: boolean, at: Report): void {
  const pairs = hex.trim().split(/\s+/).join('');
  if (pairs === '') return; // the schema reports an empty string
  const valid = wildcards ? /^([0-9a-fA-F]{2}|\?\?)+$/ : /^([0-9a-fA-F]{2})+$/;
  if (!valid.test(pairs)) {
    const allowed = wildcards ? 'hex pairs or `??`' : 'hex pairs';
    at(path, 'value', 'error', 'invalid-hex', `\`${hex}\` is not a whole number of bytes written as ${allowed}`);
  }
}

/** `write: AT\r` unquoted or single-quoted sends a backslash and an `r`, not a carriage return. */
function checkLiteralEscapes(source: YamlSource, path: NodePath, text: string, at: Report): void {
  const escape = /\\[rnt0x]/.exec(text)?.[0];
  if (!escape) return;
  // The style is read only now: looking a node up parses the file with positions (fast-yaml.ts).
  const { node } = nodeAt(source, path);
  const style = (node as { type?: string } | undefined)?.type;
  if (style !== 'QUOTE_DOUBLE') {
    at(path, 'value', 'warning', 'probe-literal-escape', `\`${escape}\` here is sent as two characters; write the string in double quotes for YAML to turn it into one byte`);
  }
}

/** Whether a `when` condition looks at the USB strings, and so can narrow a generic id. */
function readsUsbStrings(when: unknown): boolean {
  return /"var":\s*(\[\s*)?"(usb\.(manufacturer|product|vendorName|productName|serialNumber)|serial\.(interfaceName|description))"/.test(JSON.stringify(when ?? null));
}

/** The generic bridge a USB matcher relies on alone, if any. */
function broadMatcher(usb: Loose<UsbDetect>, narrowed: boolean): { key: 'vendorId' | 'productId'; what: string } | undefined {
  if (usb.manufacturer || usb.product || usb.serialNumber || narrowed) return undefined;
  const vendors = list(usb.vendorId);
  const products = list(usb.productId);
  if (products.length === 0) {
    const vendor = vendors.find((id) => GENERIC_VENDORS.has(id));
    return vendor ? { key: 'vendorId', what: `vendor ${vendor}, a maker of USB-serial bridge chips,` } : undefined;
  }
  for (const vendor of vendors) {
    for (const product of products) {
      const chip = GENERIC_BRIDGES[`${vendor}:${product}`];
      if (chip) return { key: 'productId', what: `${vendor}:${product} (${chip})` };
    }
  }
  return undefined;
}
