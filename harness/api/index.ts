/**
 * faultline as a library: the package's public API (`import … from 'faultline'`). Everything
 * else in the package is internal and may change; what is exported here is documented in
 * docs/api.md and tested from outside the repository (harness/test/package.test.ts packs the
 * package, installs it into a fresh project and type-checks and runs code against it).
 *
 *   createFaultProxy()  in-process or remote fault proxies, toxics typed per protocol, the ledger
 *   run()               scenario files or scenarios written in code → RunResult (results.json's shape)
 *   renderReport() …    reports from a RunResult
 *   startEchoServer() / startSinkServer() / measure()   the built-in servers and workloads alone
 *   FaultlineError      every error a user can fix, with a stable `code`
 */
export { createFaultProxy } from './fault-proxy.js';
export type { AnyToxic, FaultProxy, FaultProxyOptions, Proxy, ProxyOptions, ProxyUpdate, Toxic } from './fault-proxy.js';
export type { AnyToxicOptions, ToxicAttributes, ToxicOptions, ToxicType, ToxicUpdate } from './toxic-types.js';

export { run } from './run.js';
export type { RunOptions, ScenarioSource } from './run.js';
export type {
  ByteSize,
  Duration,
  Rate,
  RawRequestOptions,
  Scenario,
  ScenarioCheck,
  ScenarioFault,
  ScenarioProxy,
  ScenarioTarget,
  ScenarioWorkload,
  WorkloadOptions,
} from './scenario-types.js';

export { mergeResults, readResults, renderReport, writeReports } from './reports.js';
export type { ReportFormat, WriteReportsOptions } from './reports.js';

export { startEchoServer, startSinkServer } from './servers.js';
export type { BuiltinServer, BuiltinServerOptions } from './servers.js';
export { measure, metric } from './measure.js';
export type { Measurement, MeasureOptions } from './measure.js';
export type { WorkloadTypeName } from '../workload/registry.js';

export { ERROR_CODES, FaultlineError, isFaultlineError } from '../core/errors.js';
export type { ErrorCode, Location, Problem, SerializedError } from '../core/errors.js';

export type { BackendCapabilities } from '../core/backend.js';
export type { Direction, Protocol } from '../core/spec.js';
export type { Counters, LedgerEvent, ProxyLedger, ToxicLedger } from '../core/ledger.js';
export type { ToxicEffect } from '../core/effect.js';
export type {
  AssertionResult,
  AssertionStatus,
  CalibrationRow,
  ComparisonRow,
  ConfidenceInterval,
  ErrorCount,
  FaultRecord,
  HistogramSummary,
  MetricValue,
  RunResult,
  RunSummary,
  ScenarioResult,
  ScenarioStatus,
  StreamVerdict,
  TargetOutput,
  TimeSeries,
  WorkloadResult,
  WorkloadShape,
} from '../core/result.js';
export { FAULTLINE_VERSION as version } from '../core/version.js';
