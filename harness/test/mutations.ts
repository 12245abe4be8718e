/**
 * Mutations of valid inputs for property tests: a parsed document changed in its tree (a field
 * deleted, replaced or added) and a text changed as an editor or a crash would (cut short, spliced,
 * a line doubled). The scenario loader's and the results reader's property tests feed their
 * valid files through these.
 */
import fc from 'fast-check';

export type TreeMutation = { op: 'delete' | 'replace' | 'insert'; pick: number; key: string; value: unknown };

/** Tree mutations whose new keys and values come from the given arbitraries. */
export function treeMutation(key: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>): fc.Arbitrary<TreeMutation> {
  return fc.record({ op: fc.constantFrom('delete', 'replace', 'insert'), pick: fc.nat(), key, value });
}

/** Every (container, key) slot in a tree, depth first. */
function slots(tree: unknown): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const out: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach((child, i) => (out.push({ parent: node, key: i }), walk(child)));
    else if (node !== null && typeof node === 'object') for (const [k, child] of Object.entries(node)) out.push({ parent: node as Record<string, unknown>, key: k }), walk(child);
  };
  walk(tree);
  return out;
}

/** A copy of `tree` with the mutations applied, each at the slot its `pick` selects. */
export function mutateTree(tree: unknown, mutations: TreeMutation[]): unknown {
  let root = structuredClone(tree);
  for (const m of mutations) {
    const all = slots(root);
    if (all.length === 0) {
      root = m.value;
      continue;
    }
    const { parent, key } = all[m.pick % all.length]!;
    if (m.op === 'replace') (parent as Record<string | number, unknown>)[key] = m.value;
    else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(key as number, 1) : delete parent[key as string];
    else {
      const target = (parent as Record<string | number, unknown>)[key];
      if (Array.isArray(target)) target.push(m.value);
      else if (target !== null && typeof target === 'object') (target as Record<string, unknown>)[m.key] = m.value;
      else (parent as Record<string | number, unknown>)[key] = { [m.key]: m.value };
    }
  }
  return root;
}

export type TextEdit = { op: 'truncate'; at: number } | { op: 'splice'; at: number; remove: number; insert: string } | { op: 'duplicate-line'; at: number };

/** Text edits that insert one of `inserts` or a short random string. */
export function textEdit(inserts: readonly string[]): fc.Arbitrary<TextEdit> {
  return fc.oneof(
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('splice' as const), at: fc.nat(), remove: fc.nat({ max: 20 }), insert: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...inserts)) }),
    fc.record({ op: fc.constant('duplicate-line' as const), at: fc.nat() }),
  );
}

export function editText(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % out.length;
    if (edit.op === 'truncate') out = out.slice(0, at);
    else if (edit.op === 'splice') out = out.slice(0, at) + edit.insert + out.slice(at + edit.remove);
    else {
      const lines = out.split('\n');
      const i = edit.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      out = lines.join('\n');
    }
  }
  return out;
}
