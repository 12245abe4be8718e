/**
 * `faultline proxy --config FILE`: a JSON array of proxies, as toxiproxy-server's `-config` and
 * `/populate` take it (entries may add `protocol` and `session_idle_timeout`). Every problem is a
 * FaultlineError naming the file, so a bad file exits 2 with what is wrong and where.
 */
import { FaultlineError } from '../core/errors.js';
import type { ProxyInput } from '../core/spec.js';
import { readUserFile } from '../core/user-file.js';
import { populateInputFrom } from './api-input.js';

export async function loadProxyConfig(file: string): Promise<ProxyInput[]> {
  const text = readUserFile(file, 'config file');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new FaultlineError('PARSE_ERROR', `config file ${file} is not valid JSON: ${message}`, {
      where: { file, ...jsonErrorPosition(text, message) },
      hint: 'the file is a JSON array of proxies: [{"name": "db", "listen": "127.0.0.1:15432", "upstream": "127.0.0.1:5432"}]',
    });
  }
  return populateInputFrom(body, file);
}

/** Line and column of a JSON.parse error, when V8's message gives a position. */
function jsonErrorPosition(text: string, message: string): { line?: number; column?: number } {
  const match = /at position (\d+)/.exec(message);
  if (!match) return {};
  const offset = Math.min(Number(match[1]), text.length);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
