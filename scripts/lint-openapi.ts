import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { renderOpenApiDocument } from './openapi.ts';

/**
 * `npm run lint:openapi`: the served document is the route table's (else `npm run openapi`), Redocly's
 * recommended rules give no error, and Spectral's OWASP ruleset gives errors only under the two rules
 * docs/api.md explains. Exits 1 otherwise.
 */
const DOCUMENT = 'lib/http/openapi.json';
const ACCEPTED = new Set(['owasp:api4:2023-rate-limit', 'owasp:api2:2023-no-credentials-in-url']);
let failed = false;

if (readFileSync(DOCUMENT, 'utf8') !== renderOpenApiDocument()) {
  console.error(`${DOCUMENT} is not the route table's document: run npm run openapi`);
  failed = true;
}

const redocly = spawnSync('npx', ['redocly', 'lint', '--config', 'docs/openapi/redocly.yaml', DOCUMENT], { encoding: 'utf8' });
process.stdout.write(redocly.stdout + redocly.stderr);
if (redocly.status !== 0) failed = true;

const spectral = spawnSync('npx', ['spectral', 'lint', '-r', 'docs/openapi/spectral.yaml', '-f', 'json', '--quiet', DOCUMENT], { encoding: 'utf8' });
let findings: Array<{ code: string; severity: number; message: string; path: string[] }> = [];
try {
  findings = JSON.parse(spectral.stdout || '[]');
} catch {
  console.error(`spectral did not run: ${spectral.stderr}`);
  failed = true;
}
const errors = findings.filter((finding) => finding.severity === 0);
const unexpected = errors.filter((finding) => !ACCEPTED.has(finding.code));
const counts = new Map<string, number>();
for (const finding of errors) counts.set(finding.code, (counts.get(finding.code) ?? 0) + 1);
console.log(
  `spectral (OWASP): ${errors.length} errors, ${unexpected.length} outside the two accepted rules; ${findings.length - errors.length} warnings or hints`,
);
for (const [code, count] of counts) console.log(`  ${ACCEPTED.has(code) ? 'accepted' : 'ERROR   '} ${code}: ${count}`);
for (const finding of unexpected.slice(0, 20)) console.error(`  ${finding.code} at ${finding.path.join('.')}: ${finding.message}`);
if (unexpected.length > 0) failed = true;
process.exit(failed ? 1 : 0);
