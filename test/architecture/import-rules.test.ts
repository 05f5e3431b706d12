import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/local/build.ts';

/**
 * The import rules of .dependency-cruiser.cjs, each shown failing on a small tree that breaks it (a rule
 * without a failing example is not yet a rule), and holding on the project itself. The tree is written to a
 * folder of its own, beside a link to the project's node_modules, and checked as `npm run lint` checks.
 */
interface Violation {
  rule: string;
  from: string;
  to: string;
}

const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

function cruise(cwd: string, folders: string[]): Violation[] {
  const run = spawnSync(process.execPath, [CLI, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...folders], { cwd, encoding: 'utf8' });
  if (!run.stdout) throw new Error(`dependency-cruiser failed: ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  return result.summary.violations.map((violation) => ({ rule: violation.rule.name, from: violation.from, to: violation.to }));
}

/** A tree of `files` (path → source) under a fresh folder, with the project's rules and TypeScript settings. */
let tree: string;
function write(files: Record<string, string>) {
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), source);
  }
}

const BROKEN: Record<string, string> = {
  // The floors' own modules, for the others to import.
  'lib/lifecycle/core.ts': 'export const core = 1;\n',
  'lib/kinds/kind.ts': "import { core } from '../lifecycle/core.ts';\nexport const kind = core;\n",
  'lib/http/handler.ts': 'export const http = 1;\n',
  'lib/store/store.ts': 'export const store = 1;\n',
  'lib/proxy/platform.ts': 'export const platform = 1;\n',
  'lib/app/app.ts': 'export const app = 1;\n',
  'scripts/tool.ts': 'export const tool = 1;\n',
  // Each breaks one rule.
  'lib/lifecycle/uses-aws.ts': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = DynamoDBClient;\n",
  'lib/kinds/uses-middy.ts': "import middy from '@middy/core';\nexport const stack = middy;\n",
  'lib/kinds/uses-valibot.ts': "import * as v from 'valibot';\nexport const schema = v.string;\n",
  'lib/lifecycle/uses-http.ts': "import { http } from '../http/handler.ts';\nexport const answer = http;\n",
  'lib/kinds/uses-proxy.ts': "import type { platform } from '../proxy/platform.ts';\nexport type Platform = typeof platform;\n",
  'lib/lifecycle/uses-kind.ts': "import { kind } from '../kinds/kind.ts';\nexport const known = kind;\n",
  'functions/create/handler.ts': "import { store } from '../../lib/store/store.ts';\nexport const handler = store;\n",
  'functions/get/handler.ts': "import { app } from '../../lib/app/app.ts';\nexport const handler = app;\n",
  'lib/store/uses-app.ts': "import { app } from '../app/app.ts';\nexport const built = app;\n",
  'lib/http/uses-app.ts': "import { app } from '../app/app.ts';\nexport const built = app;\n",
  'lib/pages/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
  'lib/pages/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
  'lib/app/uses-tool.ts': "import { tool } from '../../scripts/tool.ts';\nexport const used = tool;\n",
  'lib/store/imports-sdk.ts':
    "import { GetCommand } from '@aws-sdk/lib-dynamodb';\nimport type { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const get = GetCommand as unknown as DynamoDBClient;\n",
  'lib/http/imports-crypto.ts':
    "import { createHash } from 'node:crypto';\nimport type { KeyObject } from 'node:crypto';\nexport const hash = createHash as unknown as KeyObject;\n",
  'lib/store/uses-dev-dependency.ts':
    "import { expect } from 'vitest';\nimport type { Context } from 'aws-lambda';\nexport const check = expect as unknown as Context;\n",
};

let violations: Violation[] = [];
const brokenBy = (rule: string) => violations.filter((violation) => violation.rule === rule).map(({ from, to }) => `${from} → ${to}`);

beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), 'import-rules-'));
  cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(tree, '.dependency-cruiser.cjs'));
  cpSync(join(ROOT, 'tsconfig.json'), join(tree, 'tsconfig.json'));
  cpSync(join(ROOT, 'package.json'), join(tree, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  write(BROKEN);
  violations = cruise(tree, ['functions', 'lib', 'scripts']);
}, 60_000);

afterAll(() => rmSync(tree, { recursive: true, force: true }));

describe('the import rules (npm run lint)', () => {
  it('refuse the domain an AWS, middleware or any npm import but valibot, type-only ones too', () => {
    // Resolved through the link to the project's node_modules: named by the package in the path.
    expect(brokenBy('domain-imports-no-aws-http-or-proxy').sort()).toEqual([
      expect.stringMatching(/^lib\/kinds\/uses-middy\.ts → .*node_modules\/@middy\/core\//),
      expect.stringMatching(/^lib\/lifecycle\/uses-aws\.ts → .*node_modules\/@aws-sdk\/client-dynamodb\//),
    ]);
  });

  it('refuse the domain an adapter (HTTP, the platform, the store)', () => {
    expect(brokenBy('domain-imports-no-adapter').sort()).toEqual([
      'lib/kinds/uses-proxy.ts → lib/proxy/platform.ts',
      'lib/lifecycle/uses-http.ts → lib/http/handler.ts',
    ]);
  });

  it('refuse the lifecycle core a kind of its own', () => {
    expect(brokenBy('core-knows-no-kind')).toEqual(['lib/lifecycle/uses-kind.ts → lib/kinds/kind.ts']);
  });

  it('refuse a handler the store (it takes what it serves from the composition root)', () => {
    expect(brokenBy('handler-reaches-only-the-app')).toEqual(['functions/create/handler.ts → lib/store/store.ts']);
  });

  it('refuse a module a higher floor', () => {
    const up = violations.filter((violation) => violation.rule.startsWith('no-import-up-from-')).map(({ from, to }) => `${from} → ${to}`);
    expect(up.sort()).toEqual(
      expect.arrayContaining([
        'lib/http/uses-app.ts → lib/app/app.ts',
        'lib/lifecycle/uses-http.ts → lib/http/handler.ts',
        'lib/lifecycle/uses-kind.ts → lib/kinds/kind.ts',
        'lib/store/uses-app.ts → lib/app/app.ts',
      ]),
    );
    expect(up.some((found) => found.startsWith('functions/get/'))).toBe(false);
  });

  it('refuse modules that import each other in a circle', () => {
    // One violation per circle, found from whichever end the cruise met first.
    expect(brokenBy('no-circular')).toEqual([expect.stringMatching(/^lib\/pages\/(a|b)\.ts → lib\/pages\/(b|a)\.ts$/)]);
  });

  it('refuse what deploys an import of the scripts or the tests', () => {
    expect(brokenBy('service-imports-no-tooling')).toEqual(['lib/app/uses-tool.ts → scripts/tool.ts']);
  });

  it('refuse what deploys a devDependency, but not its types', () => {
    expect(brokenBy('service-imports-no-dev-dependency')).toEqual([expect.stringMatching(/^lib\/store\/uses-dev-dependency\.ts → .*node_modules\/vitest\//)]);
  });

  it('refuse what deploys an import statement of the AWS SDK, but not its types', () => {
    expect(brokenBy('sdk-loaded-with-require').sort()).toEqual([
      expect.stringMatching(/^lib\/lifecycle\/uses-aws\.ts → .*node_modules\/@aws-sdk\/client-dynamodb\//),
      expect.stringMatching(/^lib\/store\/imports-sdk\.ts → .*node_modules\/@aws-sdk\/lib-dynamodb\//),
    ]);
  });

  it('refuse what deploys an import statement of node:crypto, but not its types', () => {
    expect(brokenBy('crypto-as-builtin')).toEqual([expect.stringMatching(/^lib\/http\/imports-crypto\.ts → (node:)?crypto$/)]);
  });

  it('let the domain use valibot, and a handler the composition root', () => {
    const froms = violations.map((violation) => violation.from);
    expect(froms).not.toContain('lib/kinds/uses-valibot.ts');
    expect(froms).not.toContain('functions/get/handler.ts');
  });

  it('hold on the project itself', () => {
    expect(cruise(ROOT, ['functions', 'lib', 'scripts'])).toEqual([]);
  }, 60_000);
});
