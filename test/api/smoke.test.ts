import { describe, expect, it } from 'vitest';
import * as cancel from '../../functions/onboarding/cancel.ts';
import * as create from '../../functions/onboarding/create.ts';
import * as get from '../../functions/onboarding/get.ts';
import * as list from '../../functions/onboarding/list.ts';
import * as transitions from '../../functions/onboarding/transitions.ts';
import { apiEvent, invoke, tenant } from '../support/http.ts';

describe('smoke', () => {
  it('create get list cancel history', async () => {
    const t = await tenant();
    const created = await invoke(create.collectives, apiEvent({ method: 'POST', headers: { authorization: t.authorization }, body: { name: 'Home', type: 'Household' } }));
    console.log(created);
    const id = created.body.id;
    const got = await invoke(get.collectives, apiEvent({ headers: { authorization: t.authorization }, pathParameters: { onboardingRequestId: id } }));
    console.log(got);
    const listed = await invoke(list.collectives, apiEvent({ headers: { authorization: t.authorization } }));
    console.log(JSON.stringify(listed.body));
    const canceled = await invoke(cancel.collectives, apiEvent({ method: 'PATCH', headers: { authorization: t.authorization }, pathParameters: { onboardingRequestId: id } }));
    console.log(canceled.status, canceled.body.status);
    const history = await invoke(transitions.collectives, apiEvent({ headers: { authorization: t.authorization }, pathParameters: { onboardingRequestId: id } }));
    console.log(JSON.stringify(history.body, null, 1));
    expect(history.body.data).toHaveLength(2);
  });
});
