import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config.ts';
import { auditAll, auditRequest, type AuditFinding } from '../lib/onboarding/audit.ts';
import { createDocumentClient, createDynamoClient } from '../lib/store/client.ts';
import { createDynamoStore } from '../lib/store/dynamo-store.ts';

const usage = `npm run audit:verify [-- --id <requestId>] [--endpoint <url> | --aws]
Walks one request's audit trail, or every request's (through the allRequests index, in pages), and reports
any broken hash chain, gap, or mismatch between a request and its trail. Exits 1 when it finds one.
Default target: the DynamoDB Local of npm start (DYNAMODB_ENDPOINT, else http://127.0.0.1:8000);
--aws uses the table TABLE_NAME in AWS with the credentials of the environment.`;

const { values } = parseArgs({
  options: {
    id: { type: 'string' },
    endpoint: { type: 'string' },
    aws: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

const config = loadConfig();
const endpoint = values.aws ? undefined : (values.endpoint ?? process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:8000');
const store = createDynamoStore(createDocumentClient(createDynamoClient({ region: config.region, endpoint })), config.tableName);
const report = (finding: AuditFinding) =>
  console.log(`BROKEN ${finding.requestId}${finding.version === null ? '' : ` v${finding.version}`}: ${finding.problem}`);

try {
  if (values.id) {
    const findings = await auditRequest(store, values.id.toLowerCase());
    findings.forEach(report);
    console.log(findings.length === 0 ? `OK ${values.id}: the trail verifies` : `${findings.length} problem(s) in ${values.id}`);
    process.exitCode = findings.length === 0 ? 0 : 1;
  } else {
    const { requests, findings } = await auditAll(store, (_id, found) => found.forEach(report));
    console.log(`${requests} request(s) checked in ${config.tableName}, ${findings.length} problem(s)`);
    process.exitCode = findings.length === 0 ? 0 : 1;
  }
} catch (error) {
  console.error(`audit could not read ${config.tableName}${endpoint ? ` at ${endpoint}` : ''}: ${(error as Error).message}`);
  process.exitCode = 2;
}
