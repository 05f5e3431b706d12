import { type GuidedService, identifierOf } from '../guided-sessions/service.ts';
import type { OnboardingRequestView } from '../kinds/onboarding.ts';
import { ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError } from '../lifecycle/errors.ts';
import type { TransitionMeta } from '../lifecycle/lifecycle.ts';
import type { RequestStore, SessionStore } from '../lifecycle/store.ts';
import { ENTITY_TYPES, type EntityType, type GuidedSession } from '../lifecycle/types.ts';
import type { Decision, ProofNotary } from '../proofs/receipts.ts';
import { type Client, originOf, receiptDownload, returnAddress } from './consent.ts';
import { type Download, type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
import type { Links } from './links.ts';
import { type Catalogue, catalogue, type Language } from './texts/index.ts';

/** The guided form as sent: every field is checked by the page, so that each error is shown at its field. */
export interface GuidedForm {
  entityType?: string | undefined;
  model?: string | undefined;
  identifier?: string | undefined;
  consent?: string | undefined;
  csrf: string;
}

/** The form's fields a person can get wrong, in the order the page shows them. */
type Field = 'entityType' | 'model' | 'identifier' | 'consent';
type FieldErrors = Partial<Record<Field, string>>;

const MODEL_MAX = 100;

const deviceName = (texts: Catalogue, type: string) => texts.devices[type as EntityType] ?? type;

/**
 * The guided session's page: the end user enters the device (its type when the session does
 * not preset one, its model, and the identifier that fits the type) and consents; the submit creates the
 * session's one request and moves it to Processing. An expired session's page says so (410) and takes
 * nothing; a used one shows the request it yielded. Everything in the household's language.
 */
export function createGuidedPages(options: {
  sessions: Pick<SessionStore, 'getSession'>;
  guided: GuidedService;
  links: Links;
  pageUrl: (token: string) => string;
  /** The receipt of the session's request, for the end user to keep. */
  trails: Pick<RequestStore, 'decisionReceipt'>;
  /** Signs the consent receipt of the submit (lib/proofs). */
  notary: Pick<ProofNotary, 'receipt'>;
  /** The keyed hash of a client's address, per tenant (no address is kept). */
  hashAddress: (address: string | undefined, tenantId: string) => string | null;
}) {
  const { links, guided } = options;

  /** What the page asks the end user to agree to, word for word: the receipt's `noticeHash` is of this text. */
  function noticeOf(session: GuidedSession, language: Language) {
    const texts = catalogue(language);
    const device = session.entityType ? texts.inSentence(deviceName(texts, session.entityType)) : texts.guided.aDevice;
    const heading = texts.guided.heading(session.companyName, session.manufacturer, device);
    const intro = texts.guided.intro;
    const agreement = texts.guided.agreement(session.companyName);
    return { heading, intro, agreement, language, text: [heading, intro, agreement].join('\n') };
  }

  /** The receipt of the session's submit, if it was made. */
  const receiptOf = async (requestId: string | undefined) => (requestId ? (await options.trails.decisionReceipt(requestId)).receipt : undefined);

  async function open(token: string): Promise<GuidedSession> {
    const session = await options.sessions.getSession(links.idOf(token));
    links.verify('guided', token, session?.tenantId);
    if (guided.isExpired(session!)) throw new GoneError('This session has expired.');
    return session!;
  }

  async function done(token: string, session: GuidedSession, request: OnboardingRequestView, language: Language, first: boolean): Promise<HtmlPage> {
    const texts = catalogue(language);
    const receipt = await receiptOf(request.id);
    const type = String(request.data.entity?.type ?? '');
    return {
      status: first ? 200 : 409,
      title: texts.guided.sentTitle,
      body: html`
<h1>${first ? texts.guided.thanks : texts.guided.alreadyTitle}</h1>
<p role="status">${first ? texts.guided.sent : texts.guided.already}</p>
<dl>
  <dt>${texts.guided.requestedBy}</dt><dd>${session.companyName}</dd>
  <dt>${texts.guided.device}</dt><dd>${texts.product(session.manufacturer, texts.inSentence(deviceName(texts, type)))}</dd>
  <dt>${texts.guided.status}</dt><dd>${statusPill(request.status, language)}</dd>
</dl>
${receipt ? html`<p><a href="${token}/receipt" download>${texts.guided.receipt}</a> ${texts.guided.receiptNote}</p>` : ''}
${session.returnUrl ? html`<p><a href="${returnAddress(session.returnUrl, request)}">${texts.guided.back(session.companyName)}</a></p>` : ''}`,
    };
  }

  /** The form, with each error next to its field (and named by it), and a summary first that links to each. */
  function form(token: string, session: GuidedSession, language: Language, errors: FieldErrors = {}, given?: GuidedForm): HtmlPage {
    const texts = catalogue(language);
    const preset = session.entityType;
    const identifier = texts.guided.identifiers[preset ? identifierOf(preset).field : 'any'];
    const notice = noticeOf(session, language);
    const failed = Object.keys(errors) as Field[];
    /** A field's attributes: marked invalid and described by its error when it has one. */
    const described = (field: Field, hint?: string) => {
      const ids = [hint, errors[field] ? `${field}-error` : undefined].filter(Boolean).join(' ');
      return html`${errors[field] ? html` aria-invalid="true"` : ''}${ids ? html` aria-describedby="${ids}"` : ''}`;
    };
    const errorOf = (field: Field) => (errors[field] ? html`<p class="error" id="${field}-error">${errors[field]}</p>` : '');
    return {
      status: failed.length ? 400 : 200,
      title: texts.guided.title(session.manufacturer),
      formTargets: originOf(session.returnUrl),
      body: html`
<h1>${notice.heading}</h1>
<p>${notice.intro}</p>
${
  failed.length
    ? html`<div role="alert" class="summary"><p class="error">${texts.guided.fix}</p><ul>${failed.map((field) => html`<li><a href="#${field}">${errors[field]}</a></li>`)}</ul></div>`
    : ''
}
<form method="post" aria-label="${texts.guided.form}" novalidate>
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  ${
    preset
      ? ''
      : html`
  <label for="entityType">${texts.guided.type}</label>
  <select id="entityType" name="entityType" required${described('entityType')}>
    <option value=""${given?.entityType ? '' : html` selected`}>${texts.guided.choose}</option>
    ${ENTITY_TYPES.map((type) => html`<option value="${type}"${given?.entityType === type ? html` selected` : ''}>${deviceName(texts, type)}</option>`)}
  </select>
  ${errorOf('entityType')}`
  }
  <label for="model">${texts.guided.model}</label>
  <input id="model" name="model" required maxlength="${MODEL_MAX}" autocomplete="off" value="${given?.model ?? ''}"${described('model')}>
  ${errorOf('model')}
  <label for="identifier">${identifier.label}</label>
  <input id="identifier" name="identifier" required maxlength="64" autocomplete="off" value="${given?.identifier ?? ''}"${described('identifier', 'identifier-hint')}>
  <p class="hint" id="identifier-hint">${identifier.hint}</p>
  ${errorOf('identifier')}
  <div class="check"><input type="checkbox" id="consent" name="consent" value="yes" required${given?.consent === 'yes' ? html` checked` : ''}${described('consent')}>
    <label for="consent">${notice.agreement}</label></div>
  ${errorOf('consent')}
  <div class="actions"><button class="primary" type="submit">${texts.guided.submit}</button></div>
</form>`,
    };
  }

  /** What is wrong with a form, field by field, in the page's language; nothing when it can be sent. */
  function check(session: GuidedSession, given: GuidedForm, language: Language): { errors: FieldErrors; entityType?: EntityType } {
    const texts = catalogue(language);
    const errors: FieldErrors = {};
    const type = session.entityType ?? given.entityType;
    const entityType = type && (ENTITY_TYPES as readonly string[]).includes(type) ? (type as EntityType) : undefined;
    if (!entityType) errors.entityType = texts.guided.errors.type;
    const model = given.model?.trim() ?? '';
    if (!model || model.length > MODEL_MAX) errors.model = texts.guided.errors.model;
    const identifier = given.identifier?.trim() ?? '';
    // Which identifier fits is known only with the type; without one, only that something was entered.
    const rule = entityType ? identifierOf(entityType) : undefined;
    const label = texts.guided.identifiers[rule?.field ?? 'any'].label;
    if (!identifier) errors.identifier = texts.guided.errors.identifierMissing(label);
    else if (rule && !rule.pattern.test(identifier)) errors.identifier = texts.guided.errors.identifier(label);
    if (given.consent !== 'yes') errors.consent = texts.guided.errors.consent;
    return { errors, ...(entityType ? { entityType } : {}) };
  }

  return {
    async show(token: string, language: Language): Promise<HtmlPage> {
      const session = await open(token);
      const request = await guided.requestOf(session);
      if (request) return done(token, session, request, language, true);
      return form(token, session, language);
    },

    /** The end user's copy of their consent receipt, through the page's own link. */
    async receipt(token: string): Promise<Download> {
      const session = await options.sessions.getSession(links.idOf(token));
      links.verify('guided', token, session?.tenantId);
      const receipt = await receiptOf(session!.onboardingRequestId ?? undefined);
      if (!receipt) throw new NotFoundError('Nothing has been sent from this link yet.');
      return receiptDownload(receipt, session!.onboardingRequestId!);
    },

    async submit(token: string, given: GuidedForm, correlationId: string, client: Client, language: Language, languageQuery = ''): Promise<HtmlReply> {
      const session = await open(token);
      if (!links.acceptsForm(token, given.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      // The end user of a guided session is named by the session's id (never the link).
      const actor = { type: 'enduser' as const, id: session.id };
      const notice = noticeOf(session, language);
      const texts = catalogue(language);
      const decisionOf = (entityType: string, model: string): NonNullable<TransitionMeta['decision']> => {
        const receipt: Decision = {
          controller: { id: session.tenantId, name: session.companyName },
          principalId: session.id,
          purpose: {
            description: notice.agreement,
            subject: [
              { term: texts.guided.device, value: deviceName(texts, entityType) },
              { term: texts.consent.terms.manufacturer, value: session.manufacturer },
              { term: texts.consent.terms.model, value: model },
            ],
          },
          notice: { text: notice.text, language: notice.language },
          decision: 'given',
          requestType: 'Entity',
          evidence: { channel: 'guided-session', userAgent: client.userAgent, clientAddressHash: options.hashAddress(client.address, session.tenantId) },
        };
        return { evidence: { channel: 'guided-session' }, receipt: (record, next) => options.notary.receipt(receipt, next.id, record) };
      };
      const first = await guided.requestOf(session);
      if (first) {
        // Sent before: the first one stands. If the page died between its two steps, this send's consent
        // carries it on, and only a send that gives consent does.
        if (first.status !== 'Pending') return done(token, session, first, language, false);
        if (given.consent !== 'yes') return form(token, session, language, { consent: texts.guided.errors.consent }, given);
        const information = (first.data.entity?.information ?? {}) as Record<string, unknown>;
        const decision = decisionOf(String(information.type ?? ''), String(information.model ?? ''));
        return done(token, session, await guided.consented(first.id, actor, correlationId, decision), language, false);
      }
      const { errors, entityType } = check(session, given, language);
      if (Object.keys(errors).length > 0 || !entityType) return form(token, session, language, errors, given);
      const model = given.model!.trim();
      try {
        const request = await guided.submit(
          session,
          { entityType, model, identifier: given.identifier!.trim() },
          actor,
          correlationId,
          decisionOf(entityType, model),
        );
        return { redirect: session.returnUrl ? returnAddress(session.returnUrl, request) : `${options.pageUrl(token)}${languageQuery}` };
      } catch (error) {
        if (error instanceof ConflictError) {
          const winner = await guided.requestOf((await options.sessions.getSession(session.id))!);
          if (winner) return done(token, session, winner, language, false);
        }
        // The service's own checks, should one refuse what the page let through: shown at the identifier.
        if (error instanceof ValidationError) {
          const label = texts.guided.identifiers[identifierOf(entityType).field].label;
          return form(token, session, language, { identifier: texts.guided.errors.identifier(label) }, given);
        }
        throw error;
      }
    },
  };
}
