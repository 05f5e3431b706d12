// The import rules that are the architecture (docs/architecture.md, "The floors"), checked by
// `npm run lint` and in CI. Each rule has a failing example in test/architecture/import-rules.test.ts.
//
// The floors, from the top: functions/ → lib/app/ → lib/http/ → the features and adapters → lib/kinds/,
// lib/config/, lib/telemetry/ → lib/lifecycle/ (the core). A module may import its own floor and the ones
// below, never one above; type-only imports count too.
const FLOORS = [
  ['functions', '^functions/'],
  ['the composition root', '^lib/app/'],
  ['the HTTP adapter', '^lib/http/'],
  ['the features and adapters', '^lib/(events|guided-sessions|pages|proofs|proxy|store|webhooks)/'],
  ['the kinds and the foundations', '^lib/(kinds|config|telemetry)/'],
  ['the lifecycle core', '^lib/lifecycle/'],
];

const higherFloors = FLOORS.map(([name, path], index) => ({
  name: `no-import-up-from-${name.replace(/\W+/g, '-')}`,
  comment: `${name} may not import a higher floor: ${
    FLOORS.slice(0, index)
      .map(([higher]) => higher)
      .join(', ') || '(none)'
  }`,
  severity: 'error',
  from: { path },
  to: { path: FLOORS.slice(0, index).map(([, higher]) => higher) },
})).filter((rule) => rule.to.path.length > 0);

module.exports = {
  forbidden: [
    {
      name: 'domain-imports-no-aws-http-or-proxy',
      comment: 'The domain (lib/lifecycle, lib/kinds) knows no AWS, no HTTP, no middleware, no platform: of the npm registry only valibot, for its schemas.',
      severity: 'error',
      from: { path: '^lib/(lifecycle|kinds)/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'],
        pathNot: '(^|/)node_modules/valibot/',
      },
    },
    {
      name: 'domain-imports-no-adapter',
      comment: 'The domain imports no adapter: not lib/http, lib/proxy, lib/store or anything else above it.',
      severity: 'error',
      from: { path: '^lib/(lifecycle|kinds)/' },
      to: { path: '^lib/', pathNot: '^lib/(lifecycle|kinds)/' },
    },
    {
      name: 'core-knows-no-kind',
      comment: 'The lifecycle core takes the kinds it is given: it never imports one (lib/kinds is built on it).',
      severity: 'error',
      from: { path: '^lib/lifecycle/' },
      to: { path: '^lib/kinds/' },
    },
    {
      name: 'handler-reaches-only-the-app',
      comment:
        'A handler takes what it serves from the composition root (lib/app) and the HTTP stack: it never reaches the store, the platform or any adapter itself.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^lib/', pathNot: '^lib/(app|http|kinds|lifecycle)/' },
    },
    ...higherFloors,
    {
      name: 'no-circular',
      comment: 'Modules that import each other in a circle cannot be read, or built, one before the other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'service-imports-no-tooling',
      comment: 'What deploys (functions/, lib/) never imports the scripts or the tests.',
      severity: 'error',
      from: { path: '^(functions|lib)/' },
      to: { path: '^(scripts|test)/' },
    },
    {
      name: 'service-imports-no-dev-dependency',
      comment:
        'What deploys runs on dependencies only: a devDependency is not installed where it runs. Types are erased; the OpenAPI builder runs at build time (npm run openapi).',
      severity: 'error',
      from: { path: '^(functions|lib)/', pathNot: '^lib/http/openapi\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'sdk-loaded-with-require',
      comment:
        'What deploys loads the AWS SDK with require (lib/store/sdk.ts and the clients loaded on first use): an import statement of the CommonJS SDK makes Node lex its modules at every cold start, tens of millions of instructions (docs/performance.md, "Cold init"). Its types are free.',
      severity: 'error',
      from: { path: '^(functions|lib)/' },
      to: { path: '(^|/)node_modules/@aws-sdk/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'crypto-as-builtin',
      comment:
        "What deploys takes node:crypto with process.getBuiltinModule('node:crypto'): an import statement builds an ES module of all its exports at every cold start, about 2 million instructions (docs/performance.md). Its types are free.",
      severity: 'error',
      from: { path: '^(functions|lib)/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?crypto$', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
