import type { JsonSchema } from '../../core/json-schema.js';

/** A glob on an absolute path: shared by the sources whose detect blocks match paths (serial, file). */
export function pathGlobSchema(description: string, example: string): JsonSchema {
  return {
    type: 'string',
    pattern: '^/',
    description: `${description} Glob: \`*\` and \`?\` stay within one path segment, \`**\` crosses them, \`[abc]\` and \`{a,b}\` as usual.`,
    examples: [example],
  };
}
