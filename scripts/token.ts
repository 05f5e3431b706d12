import { parseArgs } from 'node:util';
import { DEV_SCOPES, DEV_TENANT_ID, DEV_TENANT_NAME, devToken } from './local/dev-token.ts';

const usage = `npm run token -- [--tenant <uuid>] [--tenant-name "${DEV_TENANT_NAME}"] [--sub <id>] [--scope "${DEV_SCOPES}"] [--expires-in 12h]
Prints a bearer token signed with the local secret (AUTH_JWT_SECRET, or the dev default).`;

const { values } = parseArgs({
  options: {
    tenant: { type: 'string', default: DEV_TENANT_ID },
    // What the end user's pages show as who asks (the token's tenant_name claim).
    'tenant-name': { type: 'string', default: DEV_TENANT_NAME },
    sub: { type: 'string', default: 'dev-integrator' },
    scope: { type: 'string', default: DEV_SCOPES },
    'expires-in': { type: 'string', default: '12h' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(usage);
} else if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.tenant)) {
  console.error(`--tenant must be a uuid, got "${values.tenant}"\n${usage}`);
  process.exitCode = 2;
} else {
  console.log(
    await devToken({ tenantId: values.tenant, tenantName: values['tenant-name'], sub: values.sub, scope: values.scope, expiresIn: values['expires-in'] }),
  );
}
