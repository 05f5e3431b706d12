import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config/settings.ts';
import { ALL_KINDS } from '../lib/kinds/index.ts';
import { type AuditFinding, auditAll, auditRequest } from '../lib/lifecycle/audit.ts';
import { registryOf } from '../lib/lifecycle/kind.ts';
import { createDocumentClient, createDynamoClient } from '../lib/store/client.ts';
import { createDynamoStore } from '../lib/store/dynamo-store.ts';
import { findStack } from './local/stacks.ts';

const usage = `npm run audit:verify [-- --id <requestId>] [--port <n> | --endpoint <url> [--table <name>] | --aws]
Walks one request's audit trail, or every request's (through the allRequests index, in pages), and reports
any broken hash chain, gap, or mismatch between a request and its trail. Exits 1 when it finds one.
Default target: the stack npm start runs in this checkout (the one on --port or PORT when several run);
--endpoint reads another DynamoDB (table TABLE_NAME); --aws the deployed table TABLE_NAME, with the
credentials of the environment.`;

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    port: { type: 'string' },
    endpoint: { type: 'string' },
    table: { type: 'string' },
    aws: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
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
