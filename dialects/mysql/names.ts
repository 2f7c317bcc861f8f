import type { IdentifierRules } from '../../lib/identifiers.js';

/** What MySQL accepts as one identifier part. */
export const identifierRules: IdentifierRules = {
  maxLength: 64,
  unit: 'characters',
  refuse(part) {
    // The server strips or rejects these, so the name it would act on is not the one given.
    if (part.endsWith(' ')) return 'ends with a space, which MySQL does not allow in names';
    if ([...part].some((ch) => ch.codePointAt(0)! > 0xffff))
      return 'contains a character outside the Basic Multilingual Plane, which MySQL names cannot hold';
    return undefined;
  },
};

/** Quotes one validated identifier part; the quote character is doubled inside it. */
export function quoteMysql(part: string): string {
  return `\`${part.replaceAll('`', '``')}\``;
}
