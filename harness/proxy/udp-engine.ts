/**
 * UDP engine — placeholder for the contract only; the UDP issue replaces this file.
 */
import type { EngineDeps, ProxyEngine } from './engine.js';

export function createUdpEngine(deps: EngineDeps): ProxyEngine {
  void deps;
  throw new Error('UDP proxies are not implemented yet');
}
