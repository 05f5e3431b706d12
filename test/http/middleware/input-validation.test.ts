import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { inputValidation } from '../../../lib/http/middleware/input-validation.ts';
import { requestBody } from '../../../lib/http/middleware/request-body.ts';
import { stateOf } from '../../../lib/http/middleware/request-state.ts';
import { onboardingIdParams as requestIdParams } from '../../../lib/kinds/onboarding.ts';
import { ValidationError } from '../../../lib/lifecycle/errors.ts';
import { strictObject } from '../../../lib/lifecycle/schemas.ts';
import { runAlone } from './support.ts';

const body = () => strictObject({ name: v.pipe(v.string(), v.maxLength(5)) });
const both = (input: Parameters<typeof inputValidation>[0]) => {
  const parse = requestBody({});
  const validate = inputValidation(input);
  return {
    before: async (request: any) => {
      await parse.before!(request);
      await validate.before!(request);
    },
  };
};

describe('the input-validation middleware', () => {
  it('given a valid path, query and body, then the validated values are in the state (ids lower-cased)', async () => {
    const id = '4B1F7A52-6F0E-4C83-9A55-0D8E0F6C2A11';
    const { event } = await runAlone(both({ params: requestIdParams, body }), {
      method: 'POST',
      pathParameters: { onboardingRequestId: id },
      body: { name: 'Home' },
    });
    expect(stateOf(event).params).toEqual({ onboardingRequestId: id.toLowerCase() });
    expect(stateOf(event).body).toEqual({ name: 'Home' });
  });

  it('given an unknown field, then a 400 naming it, and the handler is not reached', async () => {
    const { error, reached } = await runAlone(both({ body }), { method: 'POST', body: { name: 'Home', status: 'Succeeded' } });
    expect(reached).toBe(false);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toContainEqual({ path: '/status', message: 'is set by the service and may not be sent' });
  });

  it('given a query parameter on a route that takes none, then a 400: nothing is silently ignored', async () => {
    const { error } = await runAlone(both({}), { query: { debug: 'true' } });
    expect((error as ValidationError).errors).toContainEqual({ path: '/debug', message: 'is not a known field' });
  });

  it('given a body on a route that takes none, then a 400', async () => {
    const { error } = await runAlone(both({}), { method: 'PATCH', body: { reason: 'why not' } });
    expect((error as ValidationError).message).toBe('This operation takes no body.');
  });

  it('given no body on a route that needs one, then a 400 saying it is required', async () => {
    const { error } = await runAlone(both({ body }), { method: 'POST' });
    expect((error as ValidationError).errors).toEqual([{ path: '', message: 'is required' }]);
  });

  it('given a bad path parameter, then a 400 naming it', async () => {
    const { error } = await runAlone(both({ params: requestIdParams }), { pathParameters: { onboardingRequestId: 'not-a-uuid' } });
    expect((error as ValidationError).errors).toContainEqual({ path: '/onboardingRequestId', message: 'must be a valid uuid' });
  });

  it('given a field of the wrong type, then a 400 saying which type it must be', async () => {
    const { error } = await runAlone(both({ body }), { method: 'POST', body: { name: 42 } });
    expect((error as ValidationError).errors).toEqual([{ path: '/name', message: 'must be a string' }]);
  });

  it('given a JSON array where an object is expected, then a 400 saying so', async () => {
    const { error } = await runAlone(both({ body }), { method: 'POST', body: ['Home'] });
    expect((error as ValidationError).errors).toEqual([{ path: '', message: 'must be a JSON object' }]);
  });

  it('given a "__proto__" field beside valid ones, then a 400 naming it: the schema library skips such names, the service does not', async () => {
    const { error, reached } = await runAlone(both({ body }), { method: 'POST', body: JSON.parse('{"name":"Home","__proto__":{"polluted":true}}') });
    expect(reached).toBe(false);
    expect((error as ValidationError).errors).toEqual([{ path: '/__proto__', message: 'is not a known field' }]);
  });
});
