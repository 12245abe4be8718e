/**
 * Reporters by name, as `--reporter console,json,junit,html,markdown` selects them.
 *
 * Two kinds: the live `console` reporter implements the run hooks (core/run-events.ts: it draws
 * progress while scenarios run), and the file reporters (`json`, `junit`, `html`, `markdown`)
 * render the final RunResult once it exists (write-reports.ts). Both kinds only ever see result
 * types, never sockets.
 */
import { FaultlineError } from '../core/errors.js';
import type { RunObserver } from '../core/run-events.js';

/** A live reporter: the run hooks of core/run-events.ts, every one optional (ARCHITECTURE.md §4). */
export type Reporter = RunObserver;

/** Every reporter name `--reporter` accepts, in documentation order. */
export const REPORTER_NAMES = ['console', 'json', 'junit', 'html', 'markdown'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

/** Reporters that write a file, and the file each one writes into the output folder. */
export const REPORT_FILES = {
  json: 'results.json',
  junit: 'junit.xml',
  html: 'index.html',
  markdown: 'summary.md',
} as const satisfies Record<Exclude<ReporterName, 'console'>, string>;
export type FileReporterName = keyof typeof REPORT_FILES;

/** What `faultline run` uses without `--reporter`. */
export const DEFAULT_REPORTERS: readonly ReporterName[] = ['console', 'json', 'junit', 'html'];

/** The `--reporter` default as the CLI shows it. */
export const DEFAULT_REPORTER_LIST = DEFAULT_REPORTERS.join(',');

/**
 * Parses a comma-separated reporter list (`console,json,html`): whitespace around names is
 * ignored, duplicates collapse, order is kept. Throws FaultlineError INVALID_ARGUMENT for an
 * empty list or an unknown name, listing the known ones.
 */
export function parseReporterList(text: string, flag = '--reporter'): ReporterName[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const known = REPORTER_NAMES.join(', ');
  if (names.length === 0) {
    throw new FaultlineError('INVALID_ARGUMENT', `${flag} needs at least one reporter, got ${JSON.stringify(text)}`, {
      where: { path: flag },
      hint: `choose from ${known}`,
    });
  }
  const unknown = names.filter((n) => !(REPORTER_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    const list = unknown.map((n) => JSON.stringify(n)).join(', ');
    throw new FaultlineError('INVALID_ARGUMENT', `${flag}: unknown reporter${unknown.length > 1 ? 's' : ''} ${list}; expected a comma-separated list of ${known}`, {
      where: { path: flag },
      hint: `for example ${flag} ${DEFAULT_REPORTER_LIST}`,
    });
  }
  return [...new Set(names)] as ReporterName[];
}

/** The file reporters among `names`, in REPORT_FILES order. */
export function fileReporters(names: readonly ReporterName[]): FileReporterName[] {
  return (Object.keys(REPORT_FILES) as FileReporterName[]).filter((n) => names.includes(n));
}

/** A live reporter with a name, for messages about it. */
export interface NamedReporter {
  name: string;
  reporter: Reporter;
}

const SYNC_HOOKS = ['onRunStart', 'onScenarioStart', 'onScenarioProgress', 'onFaultApplied', 'onScenarioEnd'] as const;

/**
 * One reporter that forwards every hook to each of `reporters` in turn (awaiting every
 * `onRunEnd`). Each is isolated: one that throws (a bug in it) cannot take the run or the others
 * down — its error goes to `onError` once, and it hears nothing more.
 */
export function combineReporters(reporters: readonly NamedReporter[], onError: (name: string, hook: string, error: unknown) => void): Reporter {
  const failed = new Set<string>();
  const live = () => reporters.filter(({ name }) => !failed.has(name));
  const fail = (name: string, hook: string, error: unknown) => {
    failed.add(name);
    onError(name, hook, error);
  };
  const combined: Reporter = {
    async onRunEnd(result) {
      for (const { name, reporter } of live()) {
        try {
          await reporter.onRunEnd?.(result);
        } catch (error) {
          fail(name, 'onRunEnd', error);
        }
      }
    },
  };
  for (const hook of SYNC_HOOKS) {
    combined[hook] = (event: never) => {
      for (const { name, reporter } of live()) {
        try {
          (reporter[hook] as ((event: never) => void) | undefined)?.call(reporter, event);
        } catch (error) {
          fail(name, hook, error);
        }
      }
    };
  }
  return combined;
}
