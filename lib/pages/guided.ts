import { type GuidedService, identifierOf } from '../guided-sessions/service.ts';
import type { OnboardingRequestView } from '../kinds/onboarding.ts';
import { ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError } from '../lifecycle/errors.ts';
import type { TransitionMeta } from '../lifecycle/lifecycle.ts';
import type { RequestStore, SessionStore } from '../lifecycle/store.ts';
import { ENTITY_TYPES, type GuidedSession } from '../lifecycle/types.ts';
import type { Decision, ProofNotary } from '../proofs/receipts.ts';
import { type Client, originOf, receiptDownload, returnAddress } from './consent.ts';
import { type Download, type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
import type { Links } from './links.ts';
import { TYPE_NAMES } from './words.ts';

export interface GuidedForm {
  entityType?: string | undefined;
  model: string;
  identifier: string;
  consent: 'yes';
  csrf: string;
}

/**
 * The guided session's page: the end user enters the device (its type when the session does
 * not preset one, its model, and the identifier that fits the type) and consents; the submit creates the
 * session's one request and moves it to Processing. An expired session's page says so (410) and takes
 * nothing; a used one shows the request it yielded.
 */
export function createGuidedPages(options: {
  sessions: Pick<SessionStore, 'getSession'>;
  guided: GuidedService;
  links: Links;
  pageUrl: (token: string) => string;
  /** The trail of the session's request, for the end user's receipt. */
  trails: Pick<RequestStore, 'sealedTrail'>;
  /** Signs the consent receipt of the submit (lib/proofs). */
  notary: Pick<ProofNotary, 'receipt'>;
  /** The keyed hash of a client's address (no address is kept). */
  hashAddress: (address: string | undefined) => string | null;
}) {
  const { links, guided } = options;

  /** What the page asks the end user to agree to, word for word: the receipt's `noticeHash` is of this text. */
  function noticeOf(session: GuidedSession) {
    const device = session.entityType ? (TYPE_NAMES[session.entityType] ?? session.entityType).toLowerCase() : 'device';
    const heading = `${session.companyName} asks to connect your ${session.manufacturer} ${device}`;
    const intro = 'Tell us which device it is. We use these details only to find it on the Realto energy platform.';
    const agreement = `I agree that ${session.companyName} connects this device to the Realto energy platform and reads its energy data.`;
    return { heading, intro, agreement, language: 'en', text: [heading, intro, agreement].join('\n') };
  }

  /** The receipt of the session's submit, if it was made. */
  async function receiptOf(requestId: string | undefined): Promise<string | undefined> {
    if (!requestId) return undefined;
    return (await options.trails.sealedTrail(requestId)).seals.findLast((seal) => seal.receipt)?.receipt;
  }

  async function open(token: string): Promise<GuidedSession> {
    const session = await options.sessions.getSession(links.idOf(token));
    links.verify('guided', token, session?.tenantId);
    if (guided.isExpired(session!)) throw new GoneError('This session has expired.');
    return session!;
  }

  async function done(token: string, session: GuidedSession, request: OnboardingRequestView, status: number, note: string): Promise<HtmlPage> {
    const receipt = await receiptOf(request.id);
    return {
      status,
      title: 'Your device is being connected',
      body: html`
<h1>${status === 200 ? 'Thank you' : 'Already submitted'}</h1>
<p role="status">${note}</p>
<dl>
  <dt>Requested by</dt><dd>${session.companyName}</dd>
  <dt>Device</dt><dd>${session.manufacturer} ${(TYPE_NAMES[String(request.data.entity?.type)] ?? String(request.data.entity?.type ?? '')).toLowerCase()}</dd>
  <dt>Status</dt><dd>${statusPill(request.status)}</dd>
</dl>
${receipt ? html`<p><a href="${token}/receipt" download>Download your consent receipt</a> (signed proof of your consent, to keep).</p>` : ''}
${session.returnUrl ? html`<p><a href="${returnAddress(session.returnUrl, request)}">Back to ${session.companyName}</a></p>` : ''}`,
    };
  }

  function form(token: string, session: GuidedSession, status = 200, problem?: string, given?: Partial<GuidedForm>): HtmlPage {
    const preset = session.entityType;
    const identifier = preset ? identifierOf(preset) : undefined;
    const notice = noticeOf(session);
    return {
      status,
      title: `Connect your ${session.manufacturer} device`,
      formTargets: originOf(session.returnUrl),
      body: html`
<h1>${notice.heading}</h1>
<p>${notice.intro}</p>
${problem ? html`<p class="status bad" role="alert">${problem}</p>` : ''}
<form method="post" aria-label="Your device">
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  ${
    preset
      ? ''
      : html`
  <label for="entityType">Type of device</label>
  <select id="entityType" name="entityType" required>
    <option value=""${given?.entityType ? '' : html` selected`} disabled>Choose…</option>
    ${ENTITY_TYPES.map((type) => html`<option value="${type}"${given?.entityType === type ? html` selected` : ''}>${TYPE_NAMES[type] ?? type}</option>`)}
  </select>`
  }
  <label for="model">Model</label>
  <input id="model" name="model" required maxlength="100" autocomplete="off" value="${given?.model ?? ''}">
  <label for="identifier">${identifier?.label ?? 'Serial number, VIN (cars) or EAN (meters)'}</label>
  <input id="identifier" name="identifier" required maxlength="64" autocomplete="off" aria-describedby="identifier-hint" value="${given?.identifier ?? ''}">
  <p class="hint" id="identifier-hint">${identifier?.hint ?? "On the device's label, the registration papers or your energy bill"}</p>
  <label class="check"><input type="checkbox" name="consent" value="yes" required>
    <span>${notice.agreement}</span></label>
  <div class="actions"><button class="primary" type="submit">Connect my device</button></div>
</form>`,
    };
  }

  return {
    async show(token: string): Promise<HtmlPage> {
      const session = await open(token);
      const request = await guided.requestOf(session);
      if (request) return done(token, session, request, 200, 'Your details were sent. You can close this page.');
      return form(token, session);
    },

    /** The end user's copy of their consent receipt, through the page's own link. */
    async receipt(token: string): Promise<Download> {
      const session = await options.sessions.getSession(links.idOf(token));
      links.verify('guided', token, session?.tenantId);
      const receipt = await receiptOf(session!.onboardingRequestId ?? undefined);
      if (!receipt) throw new NotFoundError('Nothing has been sent from this link yet.');
      return receiptDownload(receipt, session!.onboardingRequestId!);
    },

    async submit(token: string, given: GuidedForm, correlationId: string, client: Client): Promise<HtmlReply> {
      const session = await open(token);
      if (!links.acceptsForm(token, given.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      // The end user of a guided session is named by the session's id (never the link).
      const actor = { type: 'enduser' as const, id: session.id };
      const notice = noticeOf(session);
      const decisionOf = (entityType: string, model: string): TransitionMeta['decision'] => {
        const receipt: Decision = {
          controller: { id: session.tenantId, name: session.companyName },
          principalId: session.id,
          purpose: {
            description: notice.agreement,
            subject: [
              { term: 'Device', value: TYPE_NAMES[entityType] ?? entityType },
              { term: 'Manufacturer', value: session.manufacturer },
              { term: 'Model', value: model },
            ],
          },
          notice: { text: notice.text, language: notice.language },
          decision: 'given',
          requestType: 'Entity',
          evidence: { channel: 'guided-session', userAgent: client.userAgent, clientAddressHash: options.hashAddress(client.address) },
        };
        return { evidence: { channel: 'guided-session' }, receipt: (record, next) => options.notary.receipt(receipt, next.id, record) };
      };
      const first = await guided.requestOf(session);
      if (first) {
        // Sent before: the first one stands; its consent is carried through if the page died in between.
        const entity = first.data.entity ?? {};
        const current =
          first.status === 'Pending'
            ? await guided.consented(first.id, actor, correlationId, decisionOf(String(entity.type ?? ''), String(entity.model ?? '')))
            : first;
        return done(token, session, current, 409, 'You have sent these details already; nothing more was created.');
      }
      const entityType = session.entityType ?? given.entityType;
      if (!entityType || !(ENTITY_TYPES as readonly string[]).includes(entityType)) return form(token, session, 400, 'Choose the type of device.', given);
      try {
        const request = await guided.submit(
          session,
          { entityType: entityType as never, model: given.model, identifier: given.identifier.trim() },
          actor,
          correlationId,
          decisionOf(entityType, given.model),
        );
        return { redirect: session.returnUrl ? returnAddress(session.returnUrl, request) : options.pageUrl(token) };
      } catch (error) {
        if (error instanceof ConflictError) {
          const winner = await guided.requestOf((await options.sessions.getSession(session.id))!);
          if (winner) return done(token, session, winner, 409, 'You have sent these details already; nothing more was created.');
        }
        if (error instanceof ValidationError) {
          return form(token, session, 400, error.message, given);
        }
        throw error;
      }
    },
  };
}
