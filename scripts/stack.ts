import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { type Mode, ROOT, readServerlessBuild } from './local/build.ts';

/**
 * `npm run stack [-- --mode realto] [file]`: a stack trace a function logged, read back to the source.
 * The bundles are minified, names too, and carry no source map (serverless.yml), so a logged frame says
 * `functions/<path>.mjs:<line>:<column>` of minified code. esbuild builds the same bundles again from this
 * checkout, with a source map, and each frame gets the source file, line and column beside it. Read it at
 * the commit that was deployed, in the stack's mode: the bundle must be the same.
 */
const FRAME = /((?:[^\s()]*\/)?(functions\/[\w./-]+)\.mjs):(\d+):(\d+)/g;

/** Each bundle a trace names, built as serverless.yml builds it, with its source map. */
async function sourceMaps(trace: string, mode: Mode): Promise<Map<string, SourceMap>> {
  const entries = [...new Set([...trace.matchAll(FRAME)].map((frame) => frame[2]!))];
  const { options, outputFileExtension } = readServerlessBuild(mode);
  const outdir = join(ROOT, '.stack');
  const built = await esbuild.build({
    ...options,
    absWorkingDir: ROOT,
    entryPoints: entries.map((entry) => `${entry}.ts`),
    outbase: ROOT,
    outdir,
    sourcemap: 'external',
    write: false,
    logLevel: 'error',
  });
  const maps = new Map<string, SourceMap>();
  for (const entry of entries) {
    const map = built.outputFiles.find((file) => file.path === join(outdir, `${entry}${outputFileExtension}.map`));
    if (map) maps.set(entry, new SourceMap(JSON.parse(map.text)));
  }
  return maps;
}

/** The trace with each frame of a bundle followed by where it is in the source: `[lib/x.ts:12:5]`. */
export async function readStack(trace: string, mode: Mode = 'local'): Promise<string> {
  const maps = await sourceMaps(trace, mode);
  return trace.replace(FRAME, (frame, _file, entry: string, line: string, column: string) => {
    const origin = maps.get(entry)?.findOrigin(Number(line), Number(column));
    if (!origin || !('fileName' in origin)) return frame;
    return `${frame} [${relative(ROOT, join(ROOT, '.stack', entry, '..', origin.fileName))}:${origin.lineNumber}:${origin.columnNumber}]`;
  });
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ options: { mode: { type: 'string', default: 'local' } }, allowPositionals: true });
  if (values.mode !== 'local' && values.mode !== 'realto') throw new Error('--mode is local or realto');
  const trace = readFileSync(positionals[0] ?? 0, 'utf8');
  process.stdout.write(await readStack(trace, values.mode));
}
