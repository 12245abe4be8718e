/**
 * docs/toxics.md documents every TCP and UDP toxic with a table rendered from its AttributeSchema,
 * so the docs cannot drift from what the API accepts: a changed unit, default, range or
 * description fails here until the doc row is updated.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AttributeDef } from './attributes.js';
import { datagramToxicTypes } from './datagram/index.js';
import { streamToxicTypes } from './stream/index.js';
import type { ToxicType } from './types.js';

const DOC = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/toxics.md'), 'utf8');

/** The TCP part of the doc: from its heading to the UDP heading; the UDP part: the rest. */
const TCP = DOC.slice(DOC.indexOf('## TCP stream toxics'), DOC.indexOf('## UDP datagram toxics'));
const UDP = DOC.slice(DOC.indexOf('## UDP datagram toxics'));

function range(def: AttributeDef): string {
  if (def.max !== undefined) return def.min !== undefined ? `${def.min} to ${def.max}` : def.above !== undefined ? `> ${def.above}, ≤ ${def.max}` : `≤ ${def.max}`;
  if (def.above !== undefined) return `> ${def.above}`;
  if (def.min !== undefined) return `≥ ${def.min}`;
  return 'any';
}

function row(key: string, def: AttributeDef): string {
  return `| \`${key}\` | ${def.unit} | ${def.default} | ${range(def)} | ${def.description} |`;
}

/** The text of one toxic's section in `part`: from its heading to the next heading. */
function section(part: string, type: string): string {
  const start = part.indexOf(`#### \`${type}\``);
  if (start < 0) return '';
  const next = part.indexOf('\n#', start + 1);
  return part.slice(start, next < 0 ? undefined : next);
}

describe('docs/toxics.md', () => {
  it('has the TCP part before a UDP heading', () => {
    expect(TCP.length).toBeGreaterThan(1000);
    expect(DOC).toContain('## UDP datagram toxics');
  });

  const parts: Array<[string, string, readonly ToxicType[]]> = [
    ['TCP', TCP, streamToxicTypes],
    ['UDP', UDP, datagramToxicTypes],
  ];
  for (const [protocol, part, types] of parts) for (const type of types) {
    it(`documents ${protocol} ${type.type} with a row per attribute, as the schema says`, () => {
      const text = section(part, type.type);
      expect(text, `a "#### \`${type.type}\`" section`).not.toBe('');
      for (const [key, def] of Object.entries(type.attributes)) expect(text).toContain(row(key, def));
      const rows = text.split('\n').filter((line) => line.startsWith('| `'));
      expect(rows).toHaveLength(Object.keys(type.attributes).length);
    });
  }

  it('says where faultline differs from Toxiproxy on purpose', () => {
    const start = TCP.indexOf('### Where faultline differs from Toxiproxy on purpose');
    expect(start).toBeGreaterThan(0);
    const differences = TCP.slice(start);
    for (const topic of ['reset_peer', 'toxicity', 'randomness', 'timeout', 'unreachable upstream', 'rate: 0', 'average_size: 0', 'segment loss']) {
      expect(differences).toContain(topic);
    }
  });
});
