/** faultline's version, read once from package.json (two folders above both harness/ and dist/). */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const FAULTLINE_VERSION: string = pkg.version;
