// Authoring help: a mistyped `var` path is an error that names what was meant (case-insensitive,
// `param` → `params`), and an operator from another language gets the JSON-logic one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkExpression, checkTemplate } from '../../engine/logic/check-logic.js';
import { suggestFactPath } from '../../engine/logic/suggest-fact-path.js';
import { suggestOperator } from '../../engine/logic/suggest-operator.js';

test('fact paths: case, a missing letter, a root typo, a shortened name; nothing for what is far from every fact', () => {
  assert.equal(suggestFactPath('usb.vendorID'), 'usb.vendorId');
  assert.equal(suggestFactPath('USB.serialnumber'), 'usb.serialNumber');
  assert.equal(suggestFactPath('param.site'), 'params.site');
  assert.equal(suggestFactPath('serial.interfacenumber'), 'serial.interfaceNumber');
  assert.equal(suggestFactPath('file.nmae'), 'file.name');
  // A beginning of the name, or a shortened one: edits alone are too many.
  assert.equal(suggestFactPath('usb.serial'), 'usb.serialNumber');
  assert.equal(suggestFactPath('usb.serialNo'), 'usb.serialNumber');
  assert.equal(suggestFactPath('usb.manufact'), 'usb.manufacturer');
  assert.equal(suggestFactPath('usb.interfaces.0.class'), undefined);
  assert.equal(suggestFactPath('usb.zzzzzzzzzz'), undefined);
  assert.equal(suggestFactPath('weather.today'), undefined);
});

test('operators: from other languages, and typos of named ones', () => {
  assert.deepEqual(['=', '&&', '||', 'not', 'contains', 'Var', 'cats', 'substring', '~~'].map(suggestOperator), [
    '==',
    'and',
    'or',
    '!',
    'in',
    'var',
    'cat',
    'substr',
    undefined,
  ]);
});

test('an unknown var path is an error that carries the suggestion, in `when` and in `map`', () => {
  const [inWhen] = checkExpression({ '==': [{ var: 'usb.vendorID' }, '1546'] }, ['detect', 'when']);
  assert.deepEqual(
    [inWhen!.severity, inWhen!.code, inWhen!.path],
    ['error', 'logic-unknown-fact', ['detect', 'when', '==', 0, 'var']],
  );
  assert.match(inWhen!.message, /did you mean `usb\.vendorId`\?$/);
  const [inMap] = checkTemplate({ cat: ['at ', { var: 'param.site' }] }, ['map', 'description']);
  assert.equal(inMap!.severity, 'error');
  assert.match(inMap!.message, /did you mean `params\.site`\?$/);
  const [operator] = checkExpression({ '=': [{ var: 'usb.vendorId' }, '1546'] }, ['detect', 'when']);
  assert.equal(operator!.code, 'logic-unknown-operator');
  assert.match(operator!.message, /did you mean `==`\?/);
});
