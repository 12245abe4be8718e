/**
 * The admin API's routes: Toxiproxy's (gorilla/mux) plus faultline's ledger route. An unknown
 * path is a 404 and a known path with another method a 405, as gorilla/mux answers.
 *
 * Path segments are percent-decoded one by one, so a proxy named `a b` is `/proxies/a%20b`.
 * The query string is ignored.
 */

export type RouteName =
  | 'reset'
  | 'listProxies'
  | 'createProxy'
  | 'populate'
  | 'getProxy'
  | 'updateProxy'
  | 'deleteProxy'
  | 'listToxics'
  | 'addToxic'
  | 'getToxic'
  | 'updateToxic'
  | 'removeToxic'
  | 'ledger'
  | 'version'
  | 'metrics';

export type RouteMatch =
  | { kind: 'route'; name: RouteName; proxy: string; toxic: string }
  | { kind: 'not-found' }
  | { kind: 'method-not-allowed'; allow: string[] };

/** Routes whose handler reads a JSON body; every other route ignores the body. */
export const ROUTES_WITH_BODY: ReadonlySet<RouteName> = new Set(['createProxy', 'populate', 'updateProxy', 'addToxic', 'updateToxic']);

interface RouteDef {
  /** Literal segments, or `{proxy}` / `{toxic}`. */
  segments: string[];
  methods: Record<string, RouteName>;
}

const ROUTES: RouteDef[] = [
  { segments: ['reset'], methods: { POST: 'reset' } },
  { segments: ['proxies'], methods: { GET: 'listProxies', POST: 'createProxy' } },
  { segments: ['populate'], methods: { POST: 'populate' } },
  { segments: ['proxies', '{proxy}'], methods: { GET: 'getProxy', POST: 'updateProxy', PATCH: 'updateProxy', DELETE: 'deleteProxy' } },
  { segments: ['proxies', '{proxy}', 'toxics'], methods: { GET: 'listToxics', POST: 'addToxic' } },
  {
    segments: ['proxies', '{proxy}', 'toxics', '{toxic}'],
    methods: { GET: 'getToxic', POST: 'updateToxic', PATCH: 'updateToxic', DELETE: 'removeToxic' },
  },
  { segments: ['proxies', '{proxy}', 'ledger'], methods: { GET: 'ledger' } },
  { segments: ['version'], methods: { GET: 'version' } },
  { segments: ['metrics'], methods: { GET: 'metrics' } },
];

export function matchRoute(method: string, url: string): RouteMatch {
  const path = url.split('?', 1)[0]!;
  if (!path.startsWith('/')) return { kind: 'not-found' };
  const raw = path.slice(1).split('/');
  let segments: string[];
  try {
    segments = raw.map((s) => decodeURIComponent(s));
  } catch {
    return { kind: 'not-found' };
  }
  for (const route of ROUTES) {
    const params = matchSegments(route.segments, segments);
    if (!params) continue;
    const name = route.methods[method];
    if (!name) return { kind: 'method-not-allowed', allow: Object.keys(route.methods) };
    return { kind: 'route', name, proxy: params.proxy ?? '', toxic: params.toxic ?? '' };
  }
  return { kind: 'not-found' };
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith('{')) {
      if (s === '') return undefined;
      params[p.slice(1, -1)] = s;
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}
