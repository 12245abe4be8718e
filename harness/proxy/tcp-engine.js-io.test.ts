/**
 * The TCP engine's tests (tcp-engine.test.ts) once more, over Node's own sockets: the path the
 * engine takes where the native addon is missing (FAULTLINE_TCP_IO=js) must behave the same. Each
 * test file runs in a process of its own, so setting the variable here affects only this file.
 */
process.env.FAULTLINE_TCP_IO = 'js';
await import('./tcp-engine.test.js');
