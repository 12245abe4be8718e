/**
 * The shape `targets:`, `proxies:` and `workloads:` share: a map of name → definition. Each name
 * must be an identifier; each definition loads to a spec (kept only when it has no problems) and
 * an info that references to it are checked against (kept even when the definition has other
 * problems, so one mistake does not cascade into "unknown proxy" errors everywhere it is used).
 */
import type { Field } from './load-context.js';
import { IDENTIFIER } from './scenario-keys.js';

export interface LoadedNamed<S, I> {
  /** Valid definitions, in file order. */
  specs: S[];
  /** Every declared name; `undefined` info when too little is valid to check references against. */
  byName: Map<string, I | undefined>;
}

export function loadNamed<S, I>(
  field: Field,
  section: { what: string; example: string; required: boolean },
  loadOne: (name: string, field: Field) => { spec?: S | undefined; info?: I | undefined },
): LoadedNamed<S, I> {
  const out: LoadedNamed<S, I> = { specs: [], byName: new Map() };
  if (section.required && !field.require(`a map of ${section.what}s, e.g. ${section.example}`)) return out;
  const entries = field.map(`a map of ${section.what} name → ${section.what}`);
  if (!entries) return out;
  if (section.required && entries.size === 0) field.problem(`expected at least one ${section.what}, e.g. ${section.example}`);
  for (const [name, definition] of entries.entries()) {
    if (!IDENTIFIER.regex.test(name)) definition.keyProblem(`invalid ${section.what} name "${name}": expected ${IDENTIFIER.text}`);
    const before = definition.ctx.problems.length;
    const { spec, info } = loadOne(name, definition);
    out.byName.set(name, info);
    if (spec !== undefined && definition.ctx.problems.length === before) out.specs.push(spec);
  }
  return out;
}
