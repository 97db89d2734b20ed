import { FACT_FIELDS } from '../sources/fact-fields.js';
import { closestWord } from '../core/closest-word.js';

/**
 * The fact path a mistyped `var` path most likely meant (`usb.vendorID` → `usb.vendorId`,
 * `param.site` → `params.site`), or undefined when nothing is close. Only the root and the
 * field after it are known; deeper segments are kept as written.
 */
export function suggestFactPath(path: string): string | undefined {
  const [root = '', field, ...rest] = path.split('.');
  const knownRoot = FACT_FIELDS[root] ? root : closestWord(root, Object.keys(FACT_FIELDS));
  if (!knownRoot) return undefined;
  const fields = FACT_FIELDS[knownRoot]!;
  let knownField = field;
  if (field !== undefined && fields !== 'any' && !fields.includes(field)) knownField = closestWord(field, fields);
  if (field !== undefined && knownField === undefined) return undefined;
  const suggestion = [knownRoot, ...(knownField === undefined ? [] : [knownField]), ...rest].join('.');
  return suggestion === path ? undefined : suggestion;
}
