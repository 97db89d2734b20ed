import { yamlLibrary } from '../core/yaml-library.js';
import { FACT_FIELDS } from '../sources/fact-fields.js';
import type { JsonSchema } from '../core/json-schema.js';
import { isPlainObject } from '../core/plain-object.js';

/** Common JSON-logic shapes, offered as completions where an expression goes. */
export const LOGIC_SNIPPETS = [
  { label: 'equals', description: 'A fact equals a value', body: { '==': [{ var: 'usb.product' }, '${1:value}'] } },
  { label: 'is present', description: 'A fact is not null', body: { '!=': [{ var: 'usb.serialNumber' }, null] } },
  {
    label: 'glob',
    description: 'A fact matches a text glob (case-insensitive)',
    body: { glob: ['${1:*GPS*}', { var: 'usb.product' }] },
  },
  {
    label: 'regex',
    description: 'A fact matches a regular expression',
    body: { regex: ['${1:^u-blox}', { var: 'usb.manufacturer' }] },
  },
  {
    label: 'has interface class',
    description: 'Some USB interface has this class name',
    body: { in: ['${1:Video}', { map: [{ var: 'usb.interfaces' }, { var: 'className' }] }] },
  },
  {
    label: 'and',
    description: 'All conditions hold',
    body: { and: [{ '==': [{ var: 'usb.product' }, '${1:value}'] }, { '!=': [{ var: 'usb.serialNumber' }, null] }] },
  },
  {
    label: 'or',
    description: 'One condition holds',
    body: {
      or: [{ '==': [{ var: 'usb.productId' }, '${1:01a7}'] }, { '==': [{ var: 'usb.productId' }, '${2:01a8}'] }],
    },
  },
];

/** Map values: the facts by name, then a concatenation and a choice. */
export function mapValueSnippets(): { label: string; description?: string; body: unknown }[] {
  const facts = Object.entries(FACT_FIELDS).flatMap(([root, fields]) =>
    fields === 'any' ? [`${root}.\${1:name}`] : fields.map((field) => `${root}.${field}`),
  );
  return [
    ...facts.map((path) => ({ label: `var ${path}`, body: { var: path } })),
    {
      label: 'cat',
      description: 'Text joined from constants and facts',
      body: { cat: ['${1:prefix-}', { var: 'usb.serialNumber' }] },
    },
    {
      label: 'if',
      description: 'A choice: the first fact if present, else the second',
      body: { if: [{ var: 'serial.byId' }, { var: 'serial.byId' }, { var: 'serial.path' }] },
    },
  ];
}

/**
 * Rewrites a schema for editors, everywhere in it: examples that are objects or lists (which
 * editors show as `[object Object]`) become YAML text in `markdownDescription` and completions
 * in `defaultSnippets`; scalar examples stay as they are. Returns a new schema.
 */
export function withEditorHints(schema: JsonSchema): JsonSchema {
  return rewrite(schema) as JsonSchema;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (!isPlainObject(node)) return node;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // `examples`, `default`, `const` and `enum` are data, not schemas: copied as they are.
    result[key] = ['examples', 'default', 'const', 'enum', 'defaultSnippets'].includes(key) ? value : rewrite(value);
  }
  const examples = Array.isArray(node.examples) ? node.examples : [];
  const structured = examples.filter((example) => typeof example === 'object' && example !== null);
  if (structured.length === 0) return result;
  const scalars = examples.filter((example) => typeof example !== 'object' || example === null);
  if (scalars.length > 0) result.examples = scalars;
  else delete result.examples;
  const text = structured
    .map((example) => `\`\`\`yaml\n${yamlLibrary().stringify(example, { lineWidth: 0 }).trimEnd()}\n\`\`\``)
    .join('\n\n');
  result.markdownDescription = `${typeof node.description === 'string' ? `${node.description}\n\n` : ''}Example${structured.length > 1 ? 's' : ''}:\n\n${text}`;
  const snippets = Array.isArray(node.defaultSnippets) ? node.defaultSnippets : [];
  result.defaultSnippets = [
    ...snippets,
    ...structured.map((body, index) => ({ label: `example${structured.length > 1 ? ` ${index + 1}` : ''}`, body })),
  ];
  return result;
}
