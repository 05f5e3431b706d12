// The `functions` of serverless.yml, from the function table (lib/app/function-table.ts): each route's function
// with its HTTP event, the fallback on API Gateway's `$default` route, each job with its schedule, each stream
// consumer with the table's stream, each worker invoked by others, and for each its role (the `custom.iam`
// statements it needs in this stack's mode) and the SSM parameter names of the secrets it reads. Nothing is
// declared here.
// Node 24 loads the TypeScript table directly (npm scripts run it; see toolchain notes in docs/).
const {
  ASYNC_WORKERS,
  DEFAULT_TIMEOUT_SECONDS,
  FALLBACK_ROUTE,
  JOBS,
  ROUTES,
  SECRET_SETTINGS,
  STREAM_CONSUMERS,
  secretsOf,
} = require('../lib/app/function-table.ts');

/** What a function may touch in `mode`: its own statements, the platform's on top in proxy mode. */
function access(fn, mode) {
  const callsPlatform = mode === 'realto' && fn.access.platform !== undefined;
  const secrets = secretsOf(fn, mode);
  const permissions = [...new Set([...fn.access.permissions, ...(callsPlatform ? fn.access.platform.permissions : []), ...secrets])];
  // A function that may invoke a worker is told its name (serverless's logical id for it: Ref is the name).
  const workers = ASYNC_WORKERS.filter((worker) => permissions.includes(worker.invokedWith));
  return {
    iamRoleStatements: permissions.map((name) => `\${self:custom.iam.${name}}`),
    environment: Object.fromEntries([
      ...secrets.map((name) => [`${SECRET_SETTINGS[name]}_PARAMETER`, `\${self:custom.secretParameters.${name}}`]),
      ...workers.map((worker) => [worker.nameSetting, { Ref: `${worker.function[0].toUpperCase()}${worker.function.slice(1)}LambdaFunction` }]),
    ]),
  };
}

/** What must be set before a production stack is packaged: without it every cold start would fail. */
async function refuseIncompleteProduction(resolveVariable, mode) {
  const stage = await resolveVariable('sls:stage');
  if (stage !== 'prod' && stage !== 'production') return;
  const missing = [];
  if (!(await resolveVariable('self:provider.environment.AUTH_JWKS_URL'))) {
    missing.push("AUTH_JWKS_URL (your identity provider's JWKS; or custom.stages.prod.authJwksUrl): deployed functions accept no other tokens");
  }
  const realto = String(await resolveVariable('self:provider.environment.REALTO_BASE_URL'));
  if (mode === 'realto' && !realto.startsWith('https:')) missing.push(`REALTO_BASE_URL as an https: URL (got ${realto}): the client secret is sent there`);
  // Unset, it is the stage's own API (a CloudFormation reference); set, the end user's pages must be https.
  const publicUrl = await resolveVariable('self:provider.environment.PUBLIC_URL');
  if (typeof publicUrl === 'string' && !publicUrl.startsWith('https:'))
    missing.push(`PUBLIC_URL as an https: URL (got ${publicUrl}): the end user's links point there`);
  if (mode === 'realto' && !(await resolveVariable('self:provider.environment.REALTO_CLIENT_ID')))
    missing.push('REALTO_CLIENT_ID (or custom.stages.prod.realtoClientId)');
  if (missing.length) throw new Error(`Packaging the ${stage} stage needs ${missing.join('; and ')}`);
}

module.exports = async ({ resolveVariable }) => {
  const mode = await resolveVariable('self:custom.mode');
  await refuseIncompleteProduction(resolveVariable, mode);
  const functions = {};
  for (const route of ROUTES) {
    const { iamRoleStatements, environment } = access(route, mode);
    functions[route.function] = {
      handler: route.handler,
      timeout: route.timeout ?? DEFAULT_TIMEOUT_SECONDS,
      ...(Object.keys(environment).length ? { environment } : {}),
      iamRoleStatements,
      events: [{ httpApi: { method: route.http.method, path: route.http.path } }],
    };
  }
  {
    // Every request no route takes, any method (osls writes `httpApi: '*'` as the route key `$default`).
    const { iamRoleStatements, environment } = access(FALLBACK_ROUTE, mode);
    functions[FALLBACK_ROUTE.function] = {
      handler: FALLBACK_ROUTE.handler,
      timeout: FALLBACK_ROUTE.timeout ?? DEFAULT_TIMEOUT_SECONDS,
      ...(Object.keys(environment).length ? { environment } : {}),
      iamRoleStatements,
      events: [{ httpApi: '*' }],
    };
  }
  for (const job of JOBS) {
    const { iamRoleStatements, environment } = access(job, mode);
    functions[job.function] = {
      handler: job.handler,
      timeout: job.timeout,
      environment: { ...job.environment, ...environment },
      iamRoleStatements,
      maximumRetryAttempts: job.retries,
      maximumEventAge: 3600,
      destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': [job.deadLetterQueue, 'Arn'] } } },
      events: [{ schedule: { rate: `\${self:custom.stages.\${sls:stage}.${job.scheduleSetting}, '${job.defaultSchedule}'}` } }],
    };
  }
  for (const consumer of STREAM_CONSUMERS) {
    const { iamRoleStatements, environment } = access(consumer, mode);
    functions[consumer.function] = {
      handler: consumer.handler,
      timeout: consumer.timeout,
      environment: { ...consumer.environment, ...environment },
      iamRoleStatements,
      events: [
        {
          stream: {
            type: 'dynamodb',
            arn: { 'Fn::GetAtt': ['OnboardingTable', 'StreamArn'] },
            startingPosition: 'TRIM_HORIZON',
            batchSize: consumer.batchSize,
            parallelizationFactor: consumer.parallelization,
            ...(consumer.batchWindowSeconds ? { batchWindow: consumer.batchWindowSeconds } : {}),
            maximumRetryAttempts: consumer.retries,
            bisectBatchOnFunctionError: true,
            filterPatterns: consumer.filterPatterns,
            destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': [consumer.deadLetterQueue, 'Arn'] } } },
          },
        },
      ],
    };
  }
  for (const worker of ASYNC_WORKERS) {
    const { iamRoleStatements, environment } = access(worker, mode);
    functions[worker.function] = {
      handler: worker.handler,
      timeout: worker.timeout,
      environment: { ...worker.environment, ...environment },
      iamRoleStatements,
      maximumRetryAttempts: worker.retries,
      maximumEventAge: 6 * 3600,
      destinations: { onFailure: { type: 'sqs', arn: { 'Fn::GetAtt': [worker.deadLetterQueue, 'Arn'] } } },
    };
  }
  return functions;
};
