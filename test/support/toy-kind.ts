import * as v from 'valibot';
import { kindRoutes } from '../../lib/app/routes/requests.ts';
import type { Kind, ListFilters } from '../../lib/lifecycle/kind.ts';
import { answer, lowerCaseId, type Output, once, requestListFields, strictObject, text } from '../../lib/lifecycle/schemas.ts';
import type { StatusMachine } from '../../lib/lifecycle/status-machine.ts';
import type { RequestError, RequestType, Status } from '../../lib/lifecycle/types.ts';

/**
 * A kind of request the service does not have, written as docs/architecture.md ("Adding a kind") says: a
 * reading of a meter, asked of its provider. Used to show that the core, the routes, the document, the
 * events and the platform client take a new kind with no change of their own.
 */
const MACHINE: StatusMachine = {
  next: { Pending: ['Succeeded', 'Failed', 'Canceled'], Processing: [], Succeeded: [], Failed: [], Canceled: [] },
  open: ['Pending'],
};
const STATUSES = ['Pending', 'Succeeded', 'Failed', 'Canceled'] as const;

const createBody = once(() => strictObject({ meterId: text(64) }));

export interface MeterReadingView {
  id: string;
  requestType: RequestType;
  status: Status;
  created: string;
  updated: string;
  data: { meterId: string };
  errors: RequestError[];
  version: number;
}

export const METER_READING: Kind<Output<ReturnType<typeof createBody>>, ListFilters, MeterReadingView> = {
  name: 'MeterReading',
  requestType: 'Entity',
  path: 'readings/meters',
  event: 'reading.status.updated',
  noun: 'meter reading request',
  machine: MACHINE,
  idParameter: 'readingRequestId',
  platformReads: false,
  schemas: {
    create: createBody,
    list: once(() => strictObject(requestListFields(STATUSES))),
    params: once(() => strictObject({ readingRequestId: lowerCaseId() })),
    view: once(() =>
      v.object({
        id: answer.id(),
        requestType: v.literal('Entity'),
        status: v.picklist(STATUSES),
        created: answer.time(),
        updated: answer.time(),
        data: v.object({ meterId: answer.text(64) }),
        errors: answer.errors(),
        version: answer.version(),
      }),
    ),
    viewName: 'MeterReadingRequest',
  },

  prepare: (input, caller) => ({
    data: { tenant: { id: caller.tenantId }, entity: { id: null, meterId: input.meterId } },
    returnUrl: null,
    platformBody: { meterId: input.meterId },
  }),

  view: (request) => ({
    id: request.id,
    requestType: 'Entity',
    status: request.status,
    created: request.created,
    updated: request.updated,
    data: { meterId: String(request.data.entity?.meterId) },
    errors: request.errors,
    version: request.version,
  }),
};

export const METER_READING_ROUTES = kindRoutes(METER_READING, {
  name: 'MeterReading',
  handlers: 'functions/meter-reading',
  access: {
    create: { permissions: ['readRequest', 'writeRequest', 'writeIdempotencyKey'] },
    list: { permissions: ['queryTenantIndexes'], secrets: ['pageTokenSecret'] },
    get: { permissions: ['readRequest'] },
    cancel: { permissions: ['readRequest', 'writeRequest'] },
    transitions: { permissions: ['readRequest', 'queryTable'], secrets: ['pageTokenSecret'] },
  },
});
