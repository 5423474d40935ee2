/** Seeded value generators for the property tests. */
import * as fc from 'fast-check';

/** Printable Unicode: any code point except C0/C1 controls, DEL, unpaired surrogates and noncharacters. */
export const printableChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`.split('')) },
  { weight: 3, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCodePoint(c)) },
  { weight: 2, arbitrary: fc.integer({ min: 0xa0, max: 0xd7ff }).map((c) => String.fromCodePoint(c)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0xe000, max: 0x10ffff })
      .filter((c) => (c < 0xfdd0 || c > 0xfdef) && (c & 0xfffe) !== 0xfffe)
      .map((c) => String.fromCodePoint(c)),
  },
);

export const printableString = fc.array(printableChar, { minLength: 0, maxLength: 24 }).map((a) => a.join(''));

/** Strings a hostile config might carry: shell and systemd metacharacters in clusters. */
export const hostileString = fc
  .array(
    fc.oneof(
      printableChar,
      fc.constantFrom('$(id)', '`id`', '${HOME}', '$HOME', '%n', '%%', ';', ' ; ', "'", '"', '\\', '\\n', '-', '--x', '*', '~', '!', '#', '&&', '|'),
    ),
    { maxLength: 12 },
  )
  .map((a) => a.join(''));

export const SEED = 20251001;
