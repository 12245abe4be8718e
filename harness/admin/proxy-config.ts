/**
 * `faultline proxy --config FILE`: a JSON array of proxies, as toxiproxy-server's `-config` and
 * `/populate` take it (entries may add `protocol` and `session_idle_timeout`). Every problem is a
 * FaultlineError naming the file, so a bad file exits 2 with what is wrong and where.
 */
import { FaultlineError } from '../core/errors.js';
import { parseJsonText } from '../core/json-text.js';
import type { ProxyInput } from '../core/spec.js';
import { readUserFile } from '../core/user-file.js';
import { populateInputFrom } from './api-input.js';

export async function loadProxyConfig(file: string): Promise<ProxyInput[]> {
  const text = readUserFile(file, 'config file');
  const parsed = parseJsonText(text);
  if (!parsed.ok) {
    const { line, column, message } = parsed.problem;
    throw new FaultlineError('PARSE_ERROR', `config file ${file} is not valid JSON at line ${line}, column ${column}: ${message}`, {
      where: { file, line, column },
      hint: 'the file is a JSON array of proxies: [{"name": "db", "listen": "127.0.0.1:15432", "upstream": "127.0.0.1:5432"}]',
    });
  }
  return populateInputFrom(parsed.value, file);
}
