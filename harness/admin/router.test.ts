import { describe, expect, it } from 'vitest';
import { matchRoute } from './router.js';

describe('matchRoute', () => {
  it.each([
    ['POST', '/reset', 'reset'],
    ['GET', '/proxies', 'listProxies'],
    ['POST', '/proxies', 'createProxy'],
    ['POST', '/populate', 'populate'],
    ['GET', '/proxies/db', 'getProxy'],
    ['POST', '/proxies/db', 'updateProxy'],
    ['PATCH', '/proxies/db', 'updateProxy'],
    ['DELETE', '/proxies/db', 'deleteProxy'],
    ['GET', '/proxies/db/toxics', 'listToxics'],
    ['POST', '/proxies/db/toxics', 'addToxic'],
    ['GET', '/proxies/db/toxics/lat', 'getToxic'],
    ['POST', '/proxies/db/toxics/lat', 'updateToxic'],
    ['PATCH', '/proxies/db/toxics/lat', 'updateToxic'],
    ['DELETE', '/proxies/db/toxics/lat', 'removeToxic'],
    ['GET', '/proxies/db/ledger', 'ledger'],
    ['GET', '/version', 'version'],
    ['GET', '/metrics', 'metrics'],
  ])('%s %s → %s', (method, path, name) => {
    const match = matchRoute(method, path);
    expect(match).toMatchObject({ kind: 'route', name });
  });

  it('extracts and percent-decodes names, ignoring the query string', () => {
    expect(matchRoute('GET', '/proxies/my%20db/toxics/lat%2Fx?pretty=1')).toEqual({
      kind: 'route',
      name: 'getToxic',
      proxy: 'my db',
      toxic: 'lat/x',
    });
  });

  it('answers 405 with the allowed methods for a known path', () => {
    expect(matchRoute('PUT', '/proxies')).toEqual({ kind: 'method-not-allowed', allow: ['GET', 'POST'] });
    expect(matchRoute('GET', '/reset')).toEqual({ kind: 'method-not-allowed', allow: ['POST'] });
    expect(matchRoute('DELETE', '/proxies/db/ledger')).toEqual({ kind: 'method-not-allowed', allow: ['GET'] });
  });

  it.each(['/', '/nope', '/proxies/', '/proxies/db/', '/proxies/db/toxics/', '/proxies//toxics', '/proxies/db/toxics/a/b', '/proxies/%zz', 'proxies'])(
    '404 for %s',
    (path) => {
      expect(matchRoute('GET', path)).toEqual({ kind: 'not-found' });
    },
  );
});
