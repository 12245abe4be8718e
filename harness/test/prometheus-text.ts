/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: it checks the
 * grammar line by line (HELP and TYPE before a family's samples, families contiguous, label
 * values properly escaped) and returns the samples so tests can look values up.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parsePrometheusText(text: string): ParsedExposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string, lineNo: number) => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`line ${lineNo}: family ${family} is not contiguous`);
    if (current) finished.add(current);
    current = family;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const lineNo = i + 1;
      if (line.startsWith('# HELP ')) {
        const [, name, ...rest] = line.slice(2).split(' ');
        if (!name || !NAME.test(name)) throw new Error(`line ${lineNo}: bad HELP name`);
        if (help.has(name)) throw new Error(`line ${lineNo}: second HELP for ${name}`);
        enter(name, lineNo);
        help.set(name, rest.join(' '));
        return;
      }
      if (line.startsWith('# TYPE ')) {
        const [, name, type, extra] = line.slice(2).split(' ');
        if (!name || !NAME.test(name) || extra !== undefined) throw new Error(`line ${lineNo}: bad TYPE line`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`line ${lineNo}: bad type ${type}`);
        if (types.has(name)) throw new Error(`line ${lineNo}: second TYPE for ${name}`);
        enter(name, lineNo);
        types.set(name, type!);
        return;
      }
      if (line.startsWith('#') || line === '') throw new Error(`line ${lineNo}: unexpected ${JSON.stringify(line)}`);
      const sample = parseSample(line, lineNo);
      if (!types.has(sample.name)) throw new Error(`line ${lineNo}: sample of ${sample.name} before its TYPE`);
      enter(sample.name, lineNo);
      samples.push(sample);
    });
  return { samples, types, help };
}

function parseSample(line: string, lineNo: number): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) throw new Error(`line ${lineNo}: no metric name`);
  const name = line.slice(0, nameEnd);
  if (!NAME.test(name)) throw new Error(`line ${lineNo}: bad metric name ${name}`);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('=', i);
      const labelName = line.slice(i, eq);
      if (eq < 0 || !LABEL_NAME.test(labelName)) throw new Error(`line ${lineNo}: bad label name at ${i}`);
      if (line[eq + 1] !== '"') throw new Error(`line ${lineNo}: label value must be quoted`);
      let value = '';
      let j = eq + 2;
      for (;;) {
        const c = line[j];
        if (c === undefined) throw new Error(`line ${lineNo}: unterminated label value`);
        if (c === '"') break;
        if (c === '\\') {
          const next = line[j + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new Error(`line ${lineNo}: bad escape \\${next}`);
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      if (labelName in labels) throw new Error(`line ${lineNo}: duplicate label ${labelName}`);
      labels[labelName] = value;
      i = j + 1;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`line ${lineNo}: expected , or } at ${i}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`line ${lineNo}: expected a space before the value`);
  const valueText = line.slice(i + 1);
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  if (valueText === '' || (Number.isNaN(value) && valueText !== 'NaN')) throw new Error(`line ${lineNo}: bad value ${valueText}`);
  return { name, labels, value };
}

/** The value of the one sample with this name and (at least) these labels. */
export function sampleValue(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}
