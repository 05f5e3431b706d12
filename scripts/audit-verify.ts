import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/settings.ts';
import { ALL_KINDS } from '../lib/kinds/index.ts';
import { type AuditFinding, auditAll, auditRequest } from '../lib/lifecycle/audit.ts';
import { registryOf } from '../lib/lifecycle/kind.ts';
import type { Jwks } from '../lib/proofs/jws.ts';
import { verifyBundle } from '../lib/proofs/verify-bundle.ts';
import { createDocumentClient, createDynamoClient } from '../lib/store/client.ts';
import { createDynamoStore } from '../lib/store/dynamo-store.ts';
import { findStack } from './local/stacks.ts';

const usage = `npm run audit:verify [-- --id <requestId>] [--port <n> | --endpoint <url> [--table <name>] | --aws]
npm run audit:verify -- --bundle <file> [--jwks <file>]
Walks one request's audit trail, or every request's (through the allRequests index, in pages), and reports
any broken hash chain, gap, or mismatch between a request and its trail. Exits 1 when it finds one.
Default target: the stack npm start runs in this checkout (the one on --port or PORT when several run);
--endpoint reads another DynamoDB (table TABLE_NAME); --aws the deployed table TABLE_NAME, with the
credentials of the environment.
--bundle verifies an evidence bundle saved from GET …/{id}/evidence offline, with no table and no network:
its trail, its consent receipts and signed checkpoints, and that none is missing. Its signatures are checked
under the key set it carries, or, with --jwks, only under a key set saved earlier from
GET /.well-known/jwks.json (which a forged bundle cannot bring along). Exits 1 when it finds a problem,
2 when a file cannot be read as JSON.`;

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    port: { type: 'string' },
    endpoint: { type: 'string' },
    table: { type: 'string' },
    aws: { type: 'boolean' },
    bundle: { type: 'string' },
    jwks: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

/** A file's JSON, or a plain sentence saying why not (exit 2: nothing was verified). */
function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the ${what} ${file} is not JSON`);
  }
}

function readTrustedJwks(file: string): Jwks {
  const jwks = readJson(file, 'key set') as Partial<Jwks> | null;
  const isKey = (key: unknown) => typeof key === 'object' && key !== null && typeof (key as { kid?: unknown }).kid === 'string';
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys) || !jwks.keys.every(isKey)) {
    throw new Error(`the key set ${file} is not a JWKS ({ "keys": [...] }, as GET /.well-known/jwks.json serves it)`);
  }
  return jwks as Jwks;
}

/** Offline: the bundle's file (and the trusted key set's) is all it reads. */
function verifyBundleFile(file: string, jwksFile: string | undefined): number {
  let bundle: unknown;
  let trustedJwks: Jwks | undefined;
  try {
    bundle = readJson(file, 'bundle');
    trustedJwks = jwksFile ? readTrustedJwks(jwksFile) : undefined;
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const { problems, summary } = verifyBundle(bundle, trustedJwks ? { trustedJwks } : {});
  const id = summary.requestId ?? file;
  if (problems.length > 0) {
    for (const problem of problems) console.log(`BROKEN ${id}: ${problem}`);
    console.log(`${problems.length} problem(s) in the evidence bundle of ${id}`);
    return 1;
  }
  const keys = summary.keyIds.length > 0 ? summary.keyIds.join(', ') : 'none';
  console.log(
    `OK ${id}: ${summary.transitions} transition(s), ${summary.receipts} receipt(s), ${summary.checkpoints} checkpoint(s) verify; ` +
      `key id(s) used: ${keys}, from ${trustedJwks ? `the trusted key set ${jwksFile}` : "the bundle's own key set"}`,
  );
  if (!trustedJwks) {
    console.log(
      "WARNING: checked against the bundle's own keys only: anyone can re-sign a whole bundle with keys of their own. Pass --jwks with the key set you trust (saved from GET /.well-known/jwks.json).",
    );
  }
  // A checkpoint proves what it signs and what came before; the records after the newest one are proven
  // by nothing but their hashes (a request still open), and a trail cut after a checkpoint cannot be told.
  if (summary.signedUpTo < summary.transitions) {
    console.log(`NOTE: v${summary.signedUpTo + 1} to v${summary.transitions} come after the newest checkpoint: their hashes chain, nothing signs them yet.`);
  }
  return 0;
}

if (values.bundle) {
  const targets = (['id', 'port', 'endpoint', 'table', 'aws'] as const).filter((option) => values[option] !== undefined);
  if (targets.length > 0) {
    console.error(`--bundle reads a file, not a table: it takes no ${targets.map((option) => `--${option}`).join(', ')}`);
    process.exit(2);
  }
  process.exit(verifyBundleFile(values.bundle, values.jwks));
}
if (values.jwks) {
  console.error('--jwks is the key set to verify a --bundle under: it goes with --bundle only');
  process.exit(2);
}

const config = loadConfig();
let endpoint: string | undefined;
let tableName = values.table ?? config.tableName;
if (values.endpoint) {
  endpoint = values.endpoint;
} else if (!values.aws) {
  try {
    const stack = findStack(values.port ? Number(values.port) : undefined);
    endpoint = stack.dynamoEndpoint;
    tableName = values.table ?? stack.tableName;
    console.log(`Auditing the local stack on port ${stack.port} (${stack.mode} mode; DynamoDB Local at ${endpoint}, table ${tableName})`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}
const store = createDynamoStore(createDocumentClient(createDynamoClient({ region: config.region, endpoint })), tableName);
const kinds = registryOf(ALL_KINDS);
const report = (finding: AuditFinding) =>
  console.log(`BROKEN ${finding.requestId}${finding.version === null ? '' : ` v${finding.version}`}: ${finding.problem}`);

try {
  if (values.id) {
    const findings = await auditRequest(store, kinds, values.id.toLowerCase());
    findings.forEach(report);
    console.log(findings.length === 0 ? `OK ${values.id}: the trail verifies` : `${findings.length} problem(s) in ${values.id}`);
    process.exitCode = findings.length === 0 ? 0 : 1;
  } else {
    const { requests, findings } = await auditAll(store, kinds, (_id, found) => found.forEach(report));
    console.log(`${requests} request(s) checked in ${tableName}, ${findings.length} problem(s)`);
    process.exitCode = findings.length === 0 ? 0 : 1;
  }
} catch (error) {
  console.error(`audit could not read ${tableName}${endpoint ? ` at ${endpoint}` : ''}: ${(error as Error).message}`);
  process.exitCode = 2;
}
