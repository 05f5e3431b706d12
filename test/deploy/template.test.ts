import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * What a security reviewer checks in the deployable stack, read from the CloudFormation template that
 * `serverless package` (osls, offline) produces for the prod stage. The packaging shell holds secrets on
 * purpose: none of them may reach the template.
 */
const root = join(dirname(new URL(import.meta.url).pathname), '../..');
const SHELL_SECRETS = {
  AUTH_JWT_SECRET: 'shell-secret-must-not-leak-0123456789abcdef',
  PAGE_TOKEN_SECRET: 'shell-page-secret-must-not-leak',
  WEBHOOK_SECRETS: `whsec_${Buffer.from('shell-webhook-secret-must-not-leak').toString('base64')}`,
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
  REALTO_CLIENT_SECRET: 'shell-realto-secret-must-not-leak',
  LINK_SECRET: 'shell-link-secret-must-not-leak',
};
const DOCUMENTED_ROUTES = [
  'POST /v1/onboarding/collectives',
  'GET /v1/onboarding/collectives',
  'GET /v1/onboarding/collectives/{onboardingRequestId}',
  'PATCH /v1/onboarding/collectives/{onboardingRequestId}/cancel',
  'GET /v1/onboarding/collectives/{onboardingRequestId}/transitions',
  'GET /v1/onboarding/collectives/{onboardingRequestId}/evidence',
  'GET /v1/onboarding/collectives/{onboardingRequestId}/consent-receipt',
  'POST /v1/onboarding/entities',
  'GET /v1/onboarding/entities',
  'GET /v1/onboarding/entities/{onboardingRequestId}',
  'PATCH /v1/onboarding/entities/{onboardingRequestId}/cancel',
  'GET /v1/onboarding/entities/{onboardingRequestId}/transitions',
  'GET /v1/onboarding/entities/{onboardingRequestId}/evidence',
  'GET /v1/onboarding/entities/{onboardingRequestId}/consent-receipt',
  'POST /v1/offboarding/entities',
  'GET /v1/offboarding/entities',
  'GET /v1/offboarding/entities/{offboardingRequestId}',
  'PATCH /v1/offboarding/entities/{offboardingRequestId}/cancel',
  'GET /v1/offboarding/entities/{offboardingRequestId}/transitions',
  'GET /v1/offboarding/entities/{offboardingRequestId}/evidence',
  'POST /v1/webhook-endpoints',
  'GET /v1/webhook-endpoints',
  'GET /v1/webhook-endpoints/{endpointId}',
  'PATCH /v1/webhook-endpoints/{endpointId}',
  'DELETE /v1/webhook-endpoints/{endpointId}',
  'POST /v1/webhook-endpoints/{endpointId}/rotate-secret',
  'POST /v1/webhook-endpoints/{endpointId}/test',
  'GET /v1/webhook-endpoints/{endpointId}/deliveries',
  'POST /v1/webhook-endpoints/{endpointId}/deliveries/{eventId}/retry',
  'POST /v1/guided-onboarding-sessions',
  'GET /v1/guided-onboarding-sessions',
  'GET /v1/guided-onboarding-sessions/{onboardingSessionId}',
  'POST /v1/webhooks/onboarding',
  'GET /v1/openapi.json',
  'GET /.well-known/jwks.json',
  // The end user's pages: the signed link in the path is their only credential.
  'GET /consent/{token}',
  'POST /consent/{token}',
  'GET /consent/{token}/receipt',
  'GET /guided/{token}',
  'POST /guided/{token}',
  'GET /guided/{token}/receipt',
  // Every request no route takes, to the fallback (functions/meta/fallback.ts): 404 or 405, HTML under the pages.
  '$default',
];

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Template = { Resources: Record<string, Resource> };
let outDir: string;
let proxyOutDir: string;
let template: Template;
let proxyTemplate: Template;
let rawTemplate: string;
let rawProxyTemplate: string;

const resources = (type: string, from: Template = template) => Object.entries(from.Resources).filter(([, r]) => r.Type === type);

/** The statements a function's role allows, as `action on resource` strings. */
function allowed(from: Template, roleName: string): string[] {
  return from.Resources[roleName]!.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement)
    .filter((statement: any) => statement.Effect === 'Allow')
    .flatMap((statement: any) => [statement.Action].flat().map((action: string) => `${action} on ${JSON.stringify(statement.Resource)}`));
}

const SECRET_READS = {
  pageToken: 'ssm:GetParameter on [{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/onboarding/prod/page-token-secret"}]',
  webhook: 'ssm:GetParameter on [{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/onboarding/prod/webhook-secrets"}]',
  realto: 'ssm:GetParameter on [{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/onboarding/prod/realto-client-secret"}]',
  link: 'ssm:GetParameter on [{"Fn::Sub":"arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/onboarding/prod/link-secret"}]',
};
const PLATFORM_CALLERS = ['Create', 'List', 'Get', 'Cancel']
  .flatMap((verb) => [`${verb}CollectiveOnboarding`, `${verb}EntityOnboarding`])
  .concat('CreateEntityOffboarding', 'CancelEntityOffboarding', 'Cleanup', 'ListGuidedSessions', 'GetGuidedSession');
/** The functions that page through a list and so sign continuation tokens. */
const PAGE_TOKEN_READERS = [
  'ListCollectiveOnboarding',
  'ListEntityOnboarding',
  'CollectiveOnboardingTransitions',
  'EntityOnboardingTransitions',
  'ListEntityOffboarding',
  'EntityOffboardingTransitions',
  'ListWebhookEndpoints',
  'ListWebhookDeliveries',
  'ListGuidedSessions',
];
/** The functions that sign or check the end user's links: the pages, and those that hand links out. */
const LINK_SIGNERS = [
  'CreateCollectiveOnboarding',
  'CreateEntityOnboarding',
  'ListCollectiveOnboarding',
  'ListEntityOnboarding',
  'GetCollectiveOnboarding',
  'GetEntityOnboarding',
  'CreateGuidedSession',
  'ListGuidedSessions',
  'GetGuidedSession',
  'ConsentPage',
  'ConsentDecision',
  'GuidedPage',
  'GuidedSubmit',
  'ConsentReceiptDownload',
  'GuidedReceiptDownload',
];
const signsLinks = (name: string) => LINK_SIGNERS.some((signer) => name === `${signer}LambdaFunction`);
const readsPageTokens = (name: string) => PAGE_TOKEN_READERS.some((reader) => name === `${reader}LambdaFunction`);

/** The text of the first entry of a zip whose name ends with `suffix` (central directory, stored or deflated). */
function zipEntryText(zipFile: string, suffix: string): string {
  const zip = readFileSync(zipFile);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let entry = zip.readUInt32LE(end + 16);
  for (let index = 0; index < zip.readUInt16LE(end + 10); index++) {
    const method = zip.readUInt16LE(entry + 10);
    const size = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const name = zip.toString('utf8', entry + 46, entry + 46 + nameLength);
    if (name.endsWith(suffix)) {
      const local = zip.readUInt32LE(entry + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  throw new Error(`no entry ending with ${suffix} in ${zipFile}`);
}

/**
 * The prod stage packaged into a fresh folder, one at a time (they share `.esbuild/`): as users type it,
 * `npm run package -- --stage prod`, or straight through osls.
 */
async function packageStack(extraEnv: Record<string, string>, through: 'npm' | 'osls') {
  const dir = mkdtempSync(join(tmpdir(), 'onboarding-package-'));
  const osls = join(dirname(createRequire(import.meta.url).resolve('osls/package.json')), 'bin', 'serverless.js');
  const [command, args] =
    through === 'npm'
      ? (['npm', ['run', '-s', 'package', '--', '--stage', 'prod', '--package', dir]] as const)
      : ([process.execPath, [osls, 'package', '--stage', 'prod', '--package', dir]] as const);
  // The tests' own PUBLIC_URL is a local one: a prod stack serves its pages from its own API.
  const { PUBLIC_URL: _local, ...shell } = process.env;
  await promisify(execFile)(command, [...args], {
    cwd: root,
    env: {
      ...shell,
      ...SHELL_SECRETS,
      AUTH_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      ...extraEnv,
    },
    timeout: 120_000,
  });
  const raw = readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
  return { dir, raw, parsed: JSON.parse(raw) as Template };
}

beforeAll(async () => {
  const local = await packageStack({ ONBOARDING_MODE: 'local', STAGE: 'dev' }, 'npm');
  ({ dir: outDir, raw: rawTemplate, parsed: template } = local);
  const proxy = await packageStack({ ONBOARDING_MODE: 'realto', REALTO_CLIENT_ID: 'client-of-this-stack' }, 'osls');
  ({ dir: proxyOutDir, raw: rawProxyTemplate, parsed: proxyTemplate } = proxy);
}, 300_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  rmSync(proxyOutDir, { recursive: true, force: true });
});

describe('the packaged prod stack', () => {
  it('has one zip per function, each with its bundle', () => {
    const zips = readdirSync(outDir).filter((name) => name.endsWith('.zip'));
    expect(zips).toHaveLength(resources('AWS::Lambda::Function').length);
    for (const zip of zips) expect(statSync(join(outDir, zip)).size).toBeGreaterThan(1_000);
  });

  it('runs every function on nodejs24.x arm64 with its own role, HTTP functions within 20 s and most within 10 s', () => {
    const functions = resources('AWS::Lambda::Function');
    // 31 routes (with the evidence, consent receipts and key set), 3 for guided sessions, 6 pages, the two
    // jobs, the stream's publisher, the delivery worker and the fallback of the `$default` route.
    expect(functions.length).toBe(46);
    const longer = ['CleanupLambdaFunction', 'DeliverEventsLambdaFunction', 'PublishEventsLambdaFunction', 'AttemptDeliveriesLambdaFunction'];
    // A test event or a retry waits for the endpoint's answer (10 s at most) within API Gateway's 30 s.
    const waitForAnEndpoint = ['TestWebhookEndpointLambdaFunction', 'RetryWebhookDeliveryLambdaFunction'];
    const roles = new Set<string>();
    for (const [name, fn] of functions) {
      expect(fn.Properties.Runtime, name).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, name).toEqual(['arm64']);
      expect(fn.Properties.MemorySize, name).toBe(512);
      if (!longer.includes(name)) expect(fn.Properties.Timeout, name).toBeLessThanOrEqual(waitForAnEndpoint.includes(name) ? 20 : 10);
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      expect(role, name).not.toBe('IamRoleLambdaExecution');
      roles.add(role);
    }
    expect(roles.size).toBe(functions.length);
  });

  it('grants only named DynamoDB actions on the table and its indexes, never a wildcard', () => {
    for (const [name, role] of resources('AWS::IAM::Role')) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          const targets = JSON.stringify(statement.Resource);
          expect(targets, name).not.toBe('"*"');
          expect(targets, name).not.toContain('"*"');
          for (const action of actions) {
            expect(action, name).not.toMatch(/\*/);
            if (action.startsWith('dynamodb:')) {
              const stream = ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams'];
              expect(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', ...stream], name).toContain(
                action,
              );
              expect(targets, name).toContain('OnboardingTable');
              // The stream is read by its consumer only (the Framework's default role, which no function uses,
              // is given it too); deletes are of outbound events' items only (endpoints, deliveries).
              if (stream.includes(action)) expect(['PublishEventsIamRoleLambdaExecution', 'IamRoleLambdaExecution']).toContain(name);
              if (action === 'dynamodb:DeleteItem')
                expect(statement.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'], name).toEqual(['ENDPOINT#*', 'DELIVERY#*']);
            }
          }
        }
      }
    }
  });

  it('gives the read-only functions no write action in local mode', () => {
    const actionsOf = (roleName: string) =>
      template.Resources[roleName]!.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()));
    expect(actionsOf('GetCollectiveOnboardingIamRoleLambdaExecution')).not.toContain('dynamodb:PutItem');
    expect(actionsOf('ListEntityOnboardingIamRoleLambdaExecution')).toEqual(expect.not.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem']));
    expect(actionsOf('OpenapiIamRoleLambdaExecution').filter((action: string) => action.startsWith('dynamodb:'))).toEqual([]);
  });

  it("sets log retention on every log group, the HTTP API's access log included", () => {
    const groups = resources('AWS::Logs::LogGroup');
    for (const [name, group] of groups) expect(group.Properties.RetentionInDays, name).toBe(90);
    const stage = resources('AWS::ApiGatewayV2::Stage')[0]![1];
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(JSON.parse(stage.Properties.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(groups.map(([name]) => name)).toContain('HttpApiLogGroup');
  });

  it('lets each function put only the items its code writes, by their partition key', () => {
    const leadingKeys = (from: Template, roleName: string) =>
      from.Resources[roleName]!.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement)
        .filter((statement: any) => [statement.Action].flat().includes('dynamodb:PutItem'))
        .flatMap((statement: any) => statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'])
        .sort();
    expect(leadingKeys(template, 'CreateEntityOnboardingIamRoleLambdaExecution')).toEqual(['IDEMPOTENCY#*', 'REQUEST#*']);
    expect(leadingKeys(template, 'CancelCollectiveOnboardingIamRoleLambdaExecution')).toEqual(['REQUEST#*']);
    expect(leadingKeys(template, 'OnboardingWebhookIamRoleLambdaExecution')).toEqual(['REQUEST#*', 'WEBHOOK#*']);
    expect(leadingKeys(template, 'CleanupIamRoleLambdaExecution')).toEqual(['REQUEST#*', 'SESSION#*']);
    // A guided session's page creates the request and claims the session; a consent decision writes the request only.
    expect(leadingKeys(template, 'GuidedSubmitIamRoleLambdaExecution')).toEqual(['REQUEST#*', 'SESSION#*']);
    expect(leadingKeys(template, 'ConsentDecisionIamRoleLambdaExecution')).toEqual(['REQUEST#*']);
    expect(leadingKeys(template, 'CreateGuidedSessionIamRoleLambdaExecution')).toEqual(['SESSION#*']);
    for (const role of ['ConsentPageIamRoleLambdaExecution', 'GuidedPageIamRoleLambdaExecution', 'GetGuidedSessionIamRoleLambdaExecution']) {
      expect(leadingKeys(template, role), role).toEqual([]);
    }
    // The outbound events' functions write endpoints, deliveries and attempts, and no request; the sweep writes nothing.
    for (const role of ['CreateWebhookEndpointIamRoleLambdaExecution', 'PublishEventsIamRoleLambdaExecution', 'AttemptDeliveriesIamRoleLambdaExecution']) {
      expect(leadingKeys(template, role), role).toEqual(['DELIVERY#*', 'ENDPOINT#*']);
    }
    expect(leadingKeys(template, 'DeliverEventsIamRoleLambdaExecution')).toEqual([]);
    for (const [name] of resources('AWS::IAM::Role')) expect(leadingKeys(template, name), name).not.toContain(undefined);
  });

  it('keeps the table safe: on-demand, point-in-time recovery, deletion protection, TTL, encryption', () => {
    const table = template.Resources.OnboardingTable!;
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled).toBe(true);
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.SSESpecification.SSEEnabled).toBe(true);
  });

  it('allows no browser origin unless the stage lists some (the API is for back ends)', () => {
    expect(template.Resources.HttpApi!.Properties.CorsConfiguration).toBeUndefined();
  });

  it('routes exactly the documented endpoints, with throttling on the stage', () => {
    const routes = resources('AWS::ApiGatewayV2::Route')
      .map(([, route]) => route.Properties.RouteKey)
      .sort();
    expect(routes).toEqual([...DOCUMENTED_ROUTES].sort());
    const stage = resources('AWS::ApiGatewayV2::Stage')[0]![1];
    expect(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.Properties.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it.each([
    ['local', () => template],
    ['proxy', () => proxyTemplate],
  ] as const)('in %s mode, sends every request no route takes ($default) to the fallback, whose role touches no table, secret or key', (_mode, of) => {
    const from = of();
    const defaults = resources('AWS::ApiGatewayV2::Route', from).filter(([, route]) => route.Properties.RouteKey === '$default');
    expect(defaults).toHaveLength(1);
    const integration = defaults[0]![1].Properties.Target['Fn::Join'][1][1].Ref as string;
    expect(from.Resources[integration]!.Properties.IntegrationUri).toEqual({ 'Fn::GetAtt': ['FallbackLambdaFunction', 'Arn'] });
    const fallback = from.Resources.FallbackLambdaFunction!;
    const role = fallback.Properties.Role['Fn::GetAtt'][0] as string;
    expect(role).toBe('FallbackIamRoleLambdaExecution');
    const actions = allowed(from, role).map((entry) => entry.split(' on ')[0]!);
    expect(actions.filter((action) => /^(dynamodb|ssm|kms|events|lambda|sqs):/.test(action))).toEqual([]);
    // Its own logs, and nothing else.
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((action) => action.startsWith('logs:'))).toBe(true);
    expect(Object.keys(fallback.Properties.Environment.Variables).filter((name) => name.endsWith('_PARAMETER'))).toEqual([]);
    expect(fallback.Properties.Timeout).toBeLessThanOrEqual(10);
  });

  it('schedules the cleanup hourly with retries and a dead-letter queue, and alarms on errors and queue depth', () => {
    const rules = Object.fromEntries(
      resources('AWS::Events::Rule').map(([, rule]) => [JSON.stringify(rule.Properties.Targets), rule.Properties.ScheduleExpression]),
    );
    expect(Object.entries(rules).find(([target]) => target.includes('CleanupLambdaFunction'))?.[1]).toBe('rate(1 hour)');
    const configs = resources('AWS::Lambda::EventInvokeConfig').map(([, config]) => config.Properties);
    const asyncConfig = configs.find((config) => JSON.stringify(config.FunctionName).includes('Cleanup'))!;
    expect(asyncConfig.MaximumRetryAttempts).toBe(2);
    expect(JSON.stringify(asyncConfig.DestinationConfig.OnFailure)).toContain('CleanupDeadLetterQueue');
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
    expect(alarms.some((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible')).toBe(true);
    expect(alarms.some((alarm) => alarm.MetricName === 'Errors')).toBe(true);
    expect(alarms.some((alarm) => alarm.MetricName === '5xx')).toBe(true);
  });

  it("reads the table's stream with the events publisher only: request items, failed batches halved and then to a dead-letter queue", () => {
    const table = template.Resources.OnboardingTable!;
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const mappings = resources('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties);
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]!;
    expect(mapping.FunctionName).toEqual({ 'Fn::GetAtt': ['PublishEventsLambdaFunction', 'Arn'] });
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['OnboardingTable', 'StreamArn'] });
    expect(mapping.BisectBatchOnFunctionError).toBe(true);
    expect(JSON.stringify(mapping.DestinationConfig)).toContain('EventsDeadLetterQueue');
    expect(mapping.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern))).toEqual([
      { dynamodb: { NewImage: { entity: { S: ['OnboardingRequest'] } } } },
    ]);
  });

  it("retries deliveries every minute, and lets only the publisher put events, on the stage's own bus", () => {
    const schedules = resources('AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes('DeliverEventsLambdaFunction'));
    expect(schedules.map(([, rule]) => rule.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);
    expect(template.Resources.EventBus).toMatchObject({ Type: 'AWS::Events::EventBus', Properties: { Name: 'onboarding-prod' } });
    for (const [name, role] of resources('AWS::IAM::Role')) {
      const puts = allowed(template, name).filter((entry) => entry.startsWith('events:PutEvents'));
      expect(puts, name).toEqual(name === 'PublishEventsIamRoleLambdaExecution' ? ['events:PutEvents on [{"Fn::GetAtt":["EventBus","Arn"]}]'] : []);
      expect(role.Type).toBe('AWS::IAM::Role');
    }
    const publisher = template.Resources.PublishEventsLambdaFunction!.Properties.Environment.Variables;
    expect(publisher.EVENT_BUS_NAME).toBe('onboarding-prod');
  });

  it('lets only the publisher and the sweep invoke the delivery worker, which Lambda retries twice and then gives to the dead-letter queue', () => {
    const worker = { 'Fn::GetAtt': ['AttemptDeliveriesLambdaFunction', 'Arn'] };
    for (const [name] of resources('AWS::IAM::Role')) {
      const invokes = allowed(template, name).filter((entry) => entry.startsWith('lambda:InvokeFunction'));
      const callers = ['PublishEventsIamRoleLambdaExecution', 'DeliverEventsIamRoleLambdaExecution'];
      expect(invokes, name).toEqual(callers.includes(name) ? [`lambda:InvokeFunction on ${JSON.stringify([worker])}`] : []);
    }
    for (const caller of ['PublishEventsLambdaFunction', 'DeliverEventsLambdaFunction']) {
      expect(template.Resources[caller]!.Properties.Environment.Variables.DELIVERY_WORKER_FUNCTION, caller).toEqual({ Ref: 'AttemptDeliveriesLambdaFunction' });
    }
    const configs = resources('AWS::Lambda::EventInvokeConfig').filter(([, resource]) => JSON.stringify(resource).includes('AttemptDeliveries'));
    expect(configs).toHaveLength(1);
    expect(configs[0]![1].Properties.MaximumRetryAttempts).toBe(2);
    expect(JSON.stringify(configs[0]![1].Properties.DestinationConfig.OnFailure)).toContain('EventsDeadLetterQueue');
    // The stream is read up to 4 batches at a time per shard: the publisher waits on no receiver.
    expect(resources('AWS::Lambda::EventSourceMapping').map(([, mapping]) => mapping.Properties.ParallelizationFactor)).toEqual([4]);
  });

  it('signs receipts and checkpoints with a retained P-256 KMS key that only the functions recording decisions or terminal statuses may sign with', () => {
    expect(template.Resources.ProofSigningKey).toMatchObject({
      Type: 'AWS::KMS::Key',
      DeletionPolicy: 'Retain',
      Properties: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Tags: [{ Key: 'onboarding-proofs', Value: 'prod' }] },
    });
    const key = JSON.stringify([{ 'Fn::GetAtt': ['ProofSigningKey', 'Arn'] }]);
    // What can end in a terminal status or record a decision: cancels, the webhook, the cleanup, the consent and guided pages.
    const signers = [
      'CancelCollectiveOnboarding',
      'CancelEntityOnboarding',
      'CancelEntityOffboarding',
      'OnboardingWebhook',
      'Cleanup',
      'ConsentDecision',
      'GuidedSubmit',
    ].map((name) => `${name}IamRoleLambdaExecution`);
    for (const [name] of resources('AWS::IAM::Role')) {
      const kms = allowed(template, name).filter((entry) => entry.startsWith('kms:'));
      const signs = kms.filter((entry) => entry.startsWith('kms:Sign'));
      expect(signs, name).toEqual(signers.includes(name) ? [`kms:Sign on ${key}`] : []);
      // Nothing reaches the key beyond signing and reading its public half.
      expect(
        kms.every((entry) => entry.startsWith('kms:Sign') || entry.startsWith('kms:GetPublicKey')),
        name,
      ).toBe(true);
    }
    const keySet = template.Resources.SigningKeysIamRoleLambdaExecution!.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
    expect(keySet.filter((statement: any) => JSON.stringify(statement.Action).includes('kms'))).toEqual([
      expect.objectContaining({ Action: ['kms:GetPublicKey'], Condition: { StringEquals: { 'aws:ResourceTag/onboarding-proofs': 'prod' } } }),
    ]);
    const signing = template.Resources.CancelCollectiveOnboardingLambdaFunction!.Properties.Environment.Variables.SIGNING_KMS_KEY_IDS;
    expect(JSON.stringify(signing)).toContain('ProofSigningKey');
  });

  it('holds secrets only as SSM parameter names, never as values, whatever the packaging shell had set', () => {
    for (const secret of Object.values(SHELL_SECRETS)) {
      expect(rawTemplate).not.toContain(secret);
      expect(rawProxyTemplate).not.toContain(secret);
    }
    for (const [stack, from] of [
      ['local', template],
      ['proxy', proxyTemplate],
    ] as const) {
      for (const [name, fn] of resources('AWS::Lambda::Function', from)) {
        const variables = fn.Properties.Environment.Variables;
        for (const key of ['AUTH_JWT_SECRET', 'PAGE_TOKEN_SECRET', 'WEBHOOK_SECRETS', 'REALTO_CLIENT_SECRET', 'LINK_SECRET', 'DYNAMODB_ENDPOINT']) {
          expect(variables[key] ?? '', `${name} ${key}`).toBe('');
        }
        expect(variables.PAGE_TOKEN_SECRET_PARAMETER, name).toBe(readsPageTokens(name) ? '/onboarding/prod/page-token-secret' : undefined);
        // The platform's own consent links are handed out in proxy mode: no function there reads ours.
        expect(variables.LINK_SECRET_PARAMETER, `${stack} ${name}`).toBe(stack === 'local' && signsLinks(name) ? '/onboarding/prod/link-secret' : undefined);
      }
    }
  });

  it('starts every function with the settings its template gives it, in both modes (a secret it lacks is one it never reads)', async () => {
    const { loadConfig } = await import('../../lib/config/settings.ts');
    for (const [name, fn] of [...resources('AWS::Lambda::Function'), ...resources('AWS::Lambda::Function', proxyTemplate)]) {
      // CloudFormation fills in references (the API's own address) at deploy time: a stand-in here.
      const variables = Object.fromEntries(
        Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : 'https://abc123.execute-api.eu-west-1.amazonaws.com',
        ]),
      );
      expect(() => loadConfig({ ...variables, AWS_LAMBDA_FUNCTION_NAME: name, AWS_REGION: 'eu-west-1' }), name).not.toThrow();
    }
  });

  it('lets only the webhook function read the webhook secrets, only the paging functions the page-token secret, and no function the Realto secret in local mode', () => {
    for (const [name, fn] of resources('AWS::Lambda::Function')) {
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      const reads = allowed(template, role);
      expect(reads.includes(SECRET_READS.pageToken), name).toBe(readsPageTokens(name));
      expect(reads.includes(SECRET_READS.link), name).toBe(signsLinks(name));
      expect(reads, name).not.toContain(SECRET_READS.realto);
      const webhook = name === 'OnboardingWebhookLambdaFunction';
      expect(reads.includes(SECRET_READS.webhook), name).toBe(webhook);
      expect(Boolean(fn.Properties.Environment.Variables.WEBHOOK_SECRETS_PARAMETER), name).toBe(webhook);
    }
  });
});

describe('packaging a production stack that could not start', () => {
  it('given no AUTH_JWKS_URL, then npm run package -- --stage prod refuses, naming it, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onboarding-package-'));
    try {
      const refused = await promisify(execFile)('npm', ['run', '-s', 'package', '--', '--stage', 'prod', '--package', dir], {
        cwd: root,
        env: { ...process.env, AUTH_JWKS_URL: '', SLS_TELEMETRY_DISABLED: '1' },
        timeout: 120_000,
      }).then(
        () => undefined,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(refused?.code).not.toBe(0);
      expect(`${refused?.stdout}${refused?.stderr}`).toContain('Packaging the prod stage needs AUTH_JWKS_URL');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the packaged prod stack in proxy mode (ONBOARDING_MODE=realto)', () => {
  it("runs every function in proxy mode with the client id, and only the platform callers with the client secret's parameter name", () => {
    for (const [name, fn] of resources('AWS::Lambda::Function', proxyTemplate)) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.ONBOARDING_MODE, name).toBe('realto');
      expect(variables.REALTO_CLIENT_ID, name).toBe('client-of-this-stack');
      const callsPlatform = PLATFORM_CALLERS.some((caller) => name === `${caller}LambdaFunction`);
      expect(variables.REALTO_CLIENT_SECRET_PARAMETER, name).toBe(callsPlatform ? '/onboarding/prod/realto-client-secret' : undefined);
    }
  });

  it('ships the Realto client only in the bundles of a proxy-mode stack, and only in the functions that call the platform', () => {
    const bundle = (dir: string, fn: string) => zipEntryText(join(dir, `${fn}.zip`), '.mjs');
    expect(bundle(outDir, 'createCollectiveOnboarding')).toContain('This Idempotency-Key was used with a different request body.');
    expect(bundle(outDir, 'createCollectiveOnboarding')).not.toContain('/v1/authentication');
    expect(bundle(proxyOutDir, 'createCollectiveOnboarding')).toContain('/v1/authentication');
    expect(bundle(proxyOutDir, 'listEntityOnboarding')).toContain('/v1/authentication');
    expect(bundle(proxyOutDir, 'entityOnboardingTransitions')).not.toContain('/v1/authentication');
  });

  it('lets exactly the functions that call the platform read its client secret', () => {
    for (const [name, fn] of resources('AWS::Lambda::Function', proxyTemplate)) {
      const reads = allowed(proxyTemplate, fn.Properties.Role['Fn::GetAtt'][0]);
      expect(reads.includes(SECRET_READS.realto), name).toBe(PLATFORM_CALLERS.some((caller) => name === `${caller}LambdaFunction`));
      expect(reads, name).not.toContain(SECRET_READS.link);
    }
  });

  it('lets get and list record the transitions they observe on the platform, and nothing beyond that', () => {
    for (const role of ['GetEntityOnboardingIamRoleLambdaExecution', 'ListCollectiveOnboardingIamRoleLambdaExecution']) {
      const actions = allowed(proxyTemplate, role).map((entry) => entry.split(' on ')[0]!);
      expect(actions, role).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
      expect(
        actions.filter(
          (action) => action.startsWith('dynamodb:') && !['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'].includes(action),
        ),
        role,
      ).toEqual([]);
    }
  });
});
