import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { auditRequest } from '../../lib/lifecycle/audit.ts';
import { createDocumentClient, createDynamoClient } from '../../lib/store/client.ts';
import { transitionKey } from '../../lib/store/keys.ts';
import { kinds, lifecycle, requests, store } from '../support/app.ts';
import { caller as newCaller, testNotary } from '../support/fixtures.ts';

const root = join(dirname(new URL(import.meta.url).pathname), '../..');
const documents = createDocumentClient(createDynamoClient({ region: 'eu-west-1', endpoint: process.env.DYNAMODB_ENDPOINT }));

const caller = () => newCaller('auditor-test');

/** A request with three transitions: created, Processing (webhook), Canceled (API). */
async function requestWithTrail() {
  const who = caller();
  const { request } = await requests.collectives.create({ name: 'Audit', type: 'Household' }, who, { correlationId: 'audit-test' });
  await lifecycle.transition(request.id, () => ({ to: 'Processing' }), { actor: { type: 'webhook', id: 'msg-1' }, source: 'webhook', correlationId: 'msg-1' });
  await requests.collectives.cancel(request.id, who, { correlationId: 'audit-test' });
  return request.id;
}

async function runCli(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'scripts/audit-verify.ts'), ...args], {
      env: { ...process.env },
      cwd: root,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('audit verification', () => {
  it('given an untouched trail, when audited, then it verifies and the CLI exits 0', async () => {
    const id = await requestWithTrail();
    expect(await auditRequest(store, kinds, id)).toEqual([]);
    const cli = await runCli('--id', id, '--endpoint', process.env.DYNAMODB_ENDPOINT!);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`OK ${id}`);
  });

  it('given a record altered directly in DynamoDB, when audited, then the broken hash is reported and the CLI exits 1', async () => {
    const id = await requestWithTrail();
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: transitionKey(id, 2),
        UpdateExpression: 'SET #at = :at',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':at': '2020-01-01T00:00:00.000Z' },
      }),
    );
    const findings = await auditRequest(store, kinds, id);
    expect(findings).toContainEqual({ requestId: id, version: 2, problem: 'hash does not match the record' });
    const cli = await runCli('--id', id, '--endpoint', process.env.DYNAMODB_ENDPOINT!);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`BROKEN ${id} v2: hash does not match the record`);
  });

  it('given a record removed from the middle of a trail, when audited, then the gap is reported', async () => {
    const id = await requestWithTrail();
    await documents.send(new DeleteCommand({ TableName: process.env.TABLE_NAME, Key: transitionKey(id, 2) }));
    const problems = (await auditRequest(store, kinds, id)).map((finding) => finding.problem);
    expect(problems).toContain('expected version 2');
    expect(problems).toContain('previousHash does not match the previous record');
  });

  it('given a request whose status was changed without a transition, when audited, then the mismatch is reported', async () => {
    const id = await requestWithTrail();
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: { pk: `REQUEST#${id}`, sk: 'REQUEST' },
        UpdateExpression: 'SET #status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'Succeeded' },
      }),
    );
    expect(await auditRequest(store, kinds, id)).toContainEqual({ requestId: id, version: 3, problem: 'request is Succeeded, the trail ends in Canceled' });
  });

  it('given a whole trail moved under another request of another tenant, its state copied too, when audited, then the move is reported and the CLI exits 1', async () => {
    // Prepare: two requests with the same principal, millisecond and correlation id, in two tenants.
    const at = new Date('2026-12-02T10:00:00.000Z');
    const fixed = { now: () => at };
    const { createLifecycle } = await import('../../lib/lifecycle/lifecycle.ts');
    const { createRequests } = await import('../../lib/lifecycle/requests.ts');
    const { COLLECTIVE_ONBOARDING } = await import('../../lib/kinds/collective-onboarding.ts');
    const { createPageTokens } = await import('../../lib/http/page-tokens.ts');
    const { consentLinks } = await import('../support/fixtures.ts');
    const core = createLifecycle({ notary: testNotary(), store, pageTokens: createPageTokens('audit'), kinds, ...fixed });
    const service = createRequests(COLLECTIVE_ONBOARDING, core, { consentLinks: consentLinks(), allowLoopbackHttpReturnUrl: true });
    const principal = { principalId: 'same-principal', scopes: new Set(['onboarding:write']) };
    const source = (await service.create({ name: 'Audit', type: 'Household' }, { ...principal, tenantId: randomUUID() }, { correlationId: 'same-correlation' }))
      .request;
    const target = (await service.create({ name: 'Audit', type: 'Household' }, { ...principal, tenantId: randomUUID() }, { correlationId: 'same-correlation' }))
      .request;
    expect(await auditRequest(store, kinds, target.id)).toEqual([]);

    // Act: the source's trail and state written under the target's key.
    const trail = await documents.send(
      new QueryCommand({
        TableName: process.env.TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':pk': `REQUEST#${source.id}`, ':t': 'TRANSITION#' },
      }),
    );
    for (const item of trail.Items ?? []) {
      await documents.send(new PutCommand({ TableName: process.env.TABLE_NAME, Item: { ...item, pk: `REQUEST#${target.id}`, requestId: target.id } }));
    }
    const lastHash = (trail.Items ?? []).at(-1)!.hash;
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: { pk: `REQUEST#${target.id}`, sk: 'REQUEST' },
        UpdateExpression: 'SET lastHash = :hash',
        ExpressionAttributeValues: { ':hash': lastHash },
      }),
    );

    // Assess
    expect(await auditRequest(store, kinds, target.id)).toContainEqual({
      requestId: target.id,
      version: 1,
      problem: 'hash does not match the record and its request',
    });
    const cli = await runCli('--id', target.id, '--endpoint', process.env.DYNAMODB_ENDPOINT!);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`BROKEN ${target.id} v1: hash does not match the record and its request`);
  });

  it('when every request is walked, then the corrupted ones are among the findings and the CLI exits 1', async () => {
    const id = await requestWithTrail();
    await documents.send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: transitionKey(id, 1),
        UpdateExpression: 'SET #to = :to',
        ExpressionAttributeNames: { '#to': 'to' },
        ExpressionAttributeValues: { ':to': 'Processing' },
      }),
    );
    const cli = await runCli('--endpoint', process.env.DYNAMODB_ENDPOINT!);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`BROKEN ${id} v1`);
    expect(cli.stdout).toMatch(/\d+ request\(s\) checked/);
  }, 120_000);
});
