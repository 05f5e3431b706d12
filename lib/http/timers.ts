/**
 * node:timers for @middy/core, which imports its setTimeout from there: serverless.yml's esbuild `alias`
 * points `node:timers` here. These are the same functions as the module's (Node's globals are node:timers'
 * own), but an import statement of a builtin makes Node build an ES module of all its exports at every cold
 * start, about 1.4 million instructions for this one (docs/performance.md, "Cold init").
 */
export const { setTimeout, clearTimeout } = globalThis;
