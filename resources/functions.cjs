// The `functions` of serverless.yml, from the function table (lib/app/functions.ts): each route's function
// with its HTTP event, each job with its schedule, and for each its role (the `custom.iam` statements it
// needs in this stack's mode) and the SSM parameter names of the secrets it reads. Nothing is declared here.
// Node 24 loads the TypeScript table directly (npm scripts run it; see toolchain notes in docs/).
const { DEFAULT_TIMEOUT_SECONDS, JOBS, ROUTES, SECRET_SETTINGS } = require('../lib/app/functions.ts');

/** What a function may touch in `mode`: its own statements, the platform's on top in proxy mode. */
function access(fn, mode) {
  const callsPlatform = mode === 'realto' && fn.platform !== undefined;
  const secrets = [...(fn.secrets ?? []), ...(callsPlatform ? ['realtoClientSecret'] : [])];
  const permissions = [...new Set([...fn.permissions, ...(callsPlatform ? fn.platform.permissions : []), ...secrets])];
  return {
    iamRoleStatements: permissions.map((name) => `\${self:custom.iam.${name}}`),
    environment: Object.fromEntries(secrets.map((name) => [`${SECRET_SETTINGS[name]}_PARAMETER`, `\${self:custom.secretParameters.${name}}`])),
  };
}

module.exports = async ({ resolveVariable }) => {
  const mode = await resolveVariable('self:custom.mode');
  const functions = {};
  for (const route of ROUTES) {
    const { iamRoleStatements, environment } = access(route, mode);
    functions[route.function] = {
      handler: route.handler,
      timeout: route.timeout ?? DEFAULT_TIMEOUT_SECONDS,
      ...(Object.keys(environment).length ? { environment } : {}),
      iamRoleStatements,
      events: [{ httpApi: { method: route.method, path: route.path } }],
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
  return functions;
};
