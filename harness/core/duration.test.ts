import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { parseHostPort, formatHostPort } from './address.js';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['500us', 0.5],
    [' 3 s ', 3000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['250', '2 seconds', '-1s', 's', '', '1e3ms'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats for people', () => {
    expect(formatDuration(0.25)).toBe('250µs');
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(1250)).toBe('1.25s');
    expect(formatDuration(125_000)).toBe('2m 5s');
  });
});

describe('parseHostPort', () => {
  it('parses v4, bracketed v6, empty host and localhost', () => {
    expect(parseHostPort('127.0.0.1:8474')).toEqual({ host: '127.0.0.1', port: 8474 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort(':5000')).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(parseHostPort('localhost:1')).toEqual({ host: '127.0.0.1', port: 1 });
    expect(formatHostPort({ host: '::1', port: 9 })).toBe('[::1]:9');
  });

  it.each(['local373', '127.0.0.1', '1.2.3.4:99999', 'a:b', '::1:80'])('rejects %j', (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });
});
