import { ConflictError, NotFoundError, ValidationError } from '../lifecycle/errors.ts';
import type { KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import { canTransition } from '../lifecycle/status-machine.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import { validate } from '../lifecycle/validation.ts';
import { PROVIDER_EVENT_TYPES, webhookEvent } from './event.ts';
import { type SignedMessage, verify } from './signature.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash } = process.getBuiltinModule('node:crypto');

export type WebhookResult = { outcome: 'applied'; version: number } | { outcome: 'duplicate' } | { outcome: 'ignored'; reason: string };

export interface WebhookReceiverOptions {
  lifecycle: Pick<Lifecycle, 'transition'>;
  store: Pick<RequestStore, 'findWebhookMessage'>;
  /** Every kind: a provider's event may be about a request of any. */
  kinds: KindRegistry;
  /** The signing keys now (a function when they may rotate while the function is warm). */
  keys: readonly Buffer[] | (() => readonly Buffer[]);
  inboxTtlSeconds: number;
  /** `upstream` in proxy mode: the event reports a change the platform made, not one a provider made here. */
  actorType?: 'webhook' | 'upstream';
  now?: () => Date;
}

function parseEvent(body: Buffer) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new ValidationError('The webhook body is not valid UTF-8 JSON.', [], 'malformed_json');
  }
  return validate(webhookEvent(), json, 'webhook body', `The webhook body is not an ${PROVIDER_EVENT_TYPES.join(' or ')} event.`);
}

/**
 * Verify the signature over the raw bytes, then apply the event as a transition with actor
 * `webhook`. The message id is written in the same transaction as the transition, so a redelivery is a
 * duplicate however it races; an event the status machine does not allow now is ignored, writing nothing.
 * A message id is one message to one request (docs/api.md): under another request it is another message,
 * and under the same request with other bytes it is a 409, so no sender is told a lost event arrived.
 */
export function createWebhookReceiver(options: WebhookReceiverOptions) {
  const now = options.now ?? (() => new Date());
  const keys = typeof options.keys === 'function' ? options.keys : () => options.keys as readonly Buffer[];

  return async function receive(message: SignedMessage): Promise<WebhookResult> {
    const messageId = verify(message, keys(), Math.floor(now().getTime() / 1000));
    const event = parseEvent(message.body);
    const payloadHash = createHash('sha256').update(message.body).digest('hex');
    const { id, status, errors, entity } = event.data;
    const eventType = event.type;
    let ignored: string | undefined;
    const result = await options.lifecycle.transition(
      id,
      (current) => {
        const kind = options.kinds.get(current.kind);
        if (!kind) throw new NotFoundError(`No request with id ${id}.`);
        if (kind.event !== eventType) {
          ignored = `The request is not what ${eventType} is about: send ${kind.event} for it.`;
          return 'unchanged';
        }
        if (!canTransition(current.status, status, kind.machine)) {
          ignored = `A ${current.status} request cannot become ${status}.`;
          return 'unchanged';
        }
        const details = kind.providerDetails?.(current, { status, errors, entity });
        return { to: status, reason: `Provider reported ${status}`, ...(errors ? { errors } : {}), ...(details ? { details } : {}) };
      },
      {
        actor: { type: options.actorType ?? 'webhook', id: messageId },
        source: 'webhook',
        correlationId: messageId,
        inbox: { messageId, payloadHash, expiresAt: Math.floor(now().getTime() / 1000) + options.inboxTtlSeconds },
      },
    );
    if (result.outcome === 'applied') return { outcome: 'applied', version: result.record.version };
    // Not applied: a redelivery of a message applied earlier is a duplicate, not a late event; the same id
    // with other bytes is not a redelivery.
    const applied = await options.store.findWebhookMessage(id, messageId);
    if (applied?.payloadHash === payloadHash) return { outcome: 'duplicate' };
    if (applied) {
      throw new ConflictError('This webhook-id was used for another message to this request; send a new id for a new message.', 'webhook_id_reused');
    }
    if (result.outcome === 'duplicate-message') {
      throw new ConflictError('The request is being changed by others right now; retry.', 'concurrent_modification');
    }
    return { outcome: 'ignored', reason: ignored ?? 'The request is already in that state.' };
  };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
