// A schema error names the value it is about: a null inside a list is called null, at its own
// path, not "must be string" said of the mapping around it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nuvlaboxPeripheralSchema } from '../../engine/backends/shared/nuvlabox-peripheral.js';
import { fieldPath, valueErrorText } from '../../engine/core/schema-error-text.js';
import { compileSchema, schemaIssues } from '../../engine/core/schema-issues.js';
import { parseYamlSource } from '../../engine/core/yaml-source.js';

test('paths read as written in a profile', () => {
  assert.equal(fieldPath('/additional-assets/devices/0'), 'additional-assets.devices[0]');
  assert.equal(fieldPath('/a~1b/c~0d'), 'a/b.c~d');
  assert.equal(fieldPath(''), '');
});

test('a null item of a Nuvla peripheral list is named as such, at its index', () => {
  const payload = {
    identifier: 'x',
    available: true,
    classes: ['video'],
    'additional-assets': { devices: ['/dev/video0', null] },
  };
  const validate = compileSchema(nuvlaboxPeripheralSchema);
  assert.equal(validate(payload), false);
  const error = validate.errors!.find((candidate) => candidate.keyword === 'type')!;
  assert.equal(valueErrorText(error, payload), '`additional-assets.devices[1]` is null; it must be string');
});

test('a blank text where a reason is needed reads "is blank", not the pattern', () => {
  const { source } = parseYamlSource('profile.yaml', 'broad: "  "\n');
  const schema = { type: 'object', properties: { broad: { type: 'string', pattern: '\\S' } } } as const;
  const [issue] = schemaIssues(source!, { broad: '  ' }, schema);
  assert.equal(issue!.message, '`broad` is blank');
});
