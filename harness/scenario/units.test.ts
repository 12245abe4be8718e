import { describe, expect, it } from 'vitest';
import { parseByteSize } from './byte-size.js';
import { parseRate } from './rate.js';
import { splitCommand } from './split-command.js';

describe('parseByteSize', () => {
  it('reads bytes, decimal and binary units', () => {
    expect(parseByteSize('512')).toBe(512);
    expect(parseByteSize('512B')).toBe(512);
    expect(parseByteSize(' 64 KB ')).toBe(64_000);
    expect(parseByteSize('64kB')).toBe(64_000);
    expect(parseByteSize('10MB')).toBe(10_000_000);
    expect(parseByteSize('1GB')).toBe(1_000_000_000);
    expect(parseByteSize('64KiB')).toBe(65_536);
    expect(parseByteSize('1.5MiB')).toBe(1_572_864);
    expect(parseByteSize('1GiB')).toBe(1_073_741_824);
    expect(parseByteSize('1.1KB')).toBe(1100);
  });

  it('refuses other units, signs, exponents and fractions of a byte', () => {
    for (const text of ['', 'KB', '1kb', '1Mb', '1 TB', '-1B', '1e3', '1.5B', '1.0001KB', '0x10', '1 K B']) expect(parseByteSize(text)).toBeUndefined();
  });
});

describe('parseRate', () => {
  it('reads max, message rates and byte rates', () => {
    expect(parseRate('max')).toEqual({ kind: 'max' });
    expect(parseRate(' max ')).toEqual({ kind: 'max' });
    expect(parseRate('100/s')).toEqual({ kind: 'messages', perSec: 100 });
    expect(parseRate('2.5 / s')).toEqual({ kind: 'messages', perSec: 2.5 });
    expect(parseRate('10MB/s')).toEqual({ kind: 'bytes', bytesPerSec: 10_000_000 });
    expect(parseRate('512 KiB / s')).toEqual({ kind: 'bytes', bytesPerSec: 524_288 });
  });

  it('refuses bare numbers, zero, other time units and bits', () => {
    for (const text of ['100', '0/s', '0MB/s', '100/ms', '100/m', '10Mbit/s', 'MB/s', 'maximum', '1.5B/s', '-5/s']) expect(parseRate(text)).toBeUndefined();
  });
});

describe('splitCommand', () => {
  it('splits like a POSIX shell quotes', () => {
    expect(splitCommand('  python3  server.py --port {tcp_port} ')).toEqual(['python3', 'server.py', '--port', '{tcp_port}']);
    expect(splitCommand(`a 'b c' "d \\"e\\" \\$f \\\\" g\\ h ''`)).toEqual(['a', 'b c', 'd "e" $f \\', 'g h', '']);
    expect(splitCommand(`x"y"'z'`)).toEqual(['xyz']);
    expect(splitCommand('')).toEqual([]);
  });

  it('refuses shell features instead of passing them on', () => {
    expect(splitCommand('a | b')).toEqual({ error: 'shell feature | at character 3 is not supported (no shell runs the command)' });
    for (const text of ['a > out', 'a; b', 'a && b', 'echo $HOME', 'echo `id`', 'echo "$(id)"']) expect(splitCommand(text)).toHaveProperty('error');
    expect(splitCommand("'open")).toEqual({ error: "unterminated ' quote starting at character 1" });
    expect(splitCommand('"open')).toEqual({ error: 'unterminated " quote starting at character 1' });
    expect(splitCommand('a\\')).toEqual({ error: 'the command ends with a lone backslash' });
    expect(splitCommand("'a | b'")).toEqual(['a | b']);
  });
});
