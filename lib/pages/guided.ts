import { type GuidedService, identifierOf } from '../guided-sessions/service.ts';
import type { OnboardingRequestView } from '../kinds/onboarding.ts';
import { ConflictError, ForbiddenError, GoneError, ValidationError } from '../lifecycle/errors.ts';
import type { SessionStore } from '../lifecycle/store.ts';
import { ENTITY_TYPES, type GuidedSession } from '../lifecycle/types.ts';
import { originOf, returnAddress } from './consent.ts';
import { type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
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
}) {
  const { links, guided } = options;

  async function open(token: string): Promise<GuidedSession> {
    const session = await options.sessions.getSession(links.idOf(token));
    links.verify('guided', token, session?.tenantId);
    if (guided.isExpired(session!)) throw new GoneError('This session has expired.');
    return session!;
  }

  function done(session: GuidedSession, request: OnboardingRequestView, status: number, note: string): HtmlPage {
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
${session.returnUrl ? html`<p><a href="${returnAddress(session.returnUrl, request)}">Back to ${session.companyName}</a></p>` : ''}`,
    };
  }

  function form(token: string, session: GuidedSession, status = 200, problem?: string, given?: Partial<GuidedForm>): HtmlPage {
    const preset = session.entityType;
    const identifier = preset ? identifierOf(preset) : undefined;
    return {
      status,
      title: `Connect your ${session.manufacturer} device`,
      formTargets: originOf(session.returnUrl),
      body: html`
<h1>${session.companyName} asks to connect your ${session.manufacturer} ${preset ? (TYPE_NAMES[preset] ?? preset).toLowerCase() : 'device'}</h1>
<p>Tell us which device it is. We use these details only to find it on the Realto energy platform.</p>
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
    <span>I agree that ${session.companyName} connects this device to the Realto energy platform and reads its energy data.</span></label>
  <div class="actions"><button class="primary" type="submit">Connect my device</button></div>
</form>`,
    };
  }

  return {
    async show(token: string): Promise<HtmlPage> {
      const session = await open(token);
      const request = await guided.requestOf(session);
      if (request) return done(session, request, 200, 'Your details were sent. You can close this page.');
      return form(token, session);
    },

    async submit(token: string, given: GuidedForm, correlationId: string): Promise<HtmlReply> {
      const session = await open(token);
      if (!links.acceptsForm(token, given.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      // The end user of a guided session is named by the session's id (never the link).
      const actor = { type: 'enduser' as const, id: session.id };
      const first = await guided.requestOf(session);
      if (first) {
        // Sent before: the first one stands; its consent is carried through if the page died in between.
        const current = first.status === 'Pending' ? await guided.consented(first.id, actor, correlationId) : first;
        return done(session, current, 409, 'You have sent these details already; nothing more was created.');
      }
      const entityType = session.entityType ?? given.entityType;
      if (!entityType || !(ENTITY_TYPES as readonly string[]).includes(entityType)) return form(token, session, 400, 'Choose the type of device.', given);
      try {
        const request = await guided.submit(
          session,
          { entityType: entityType as never, model: given.model, identifier: given.identifier.trim() },
          actor,
          correlationId,
        );
        return { redirect: session.returnUrl ? returnAddress(session.returnUrl, request) : options.pageUrl(token) };
      } catch (error) {
        if (error instanceof ConflictError) {
          const winner = await guided.requestOf((await options.sessions.getSession(session.id))!);
          if (winner) return done(session, winner, 409, 'You have sent these details already; nothing more was created.');
        }
        if (error instanceof ValidationError) {
          return form(token, session, 400, error.message, given);
        }
        throw error;
      }
    },
  };
}
