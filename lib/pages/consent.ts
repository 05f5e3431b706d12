import { ForbiddenError, NotFoundError } from '../lifecycle/errors.ts';
import type { ConsentSubjectLine, KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import type { StoredRequest } from '../lifecycle/types.ts';
import type { Decision, ProofNotary } from '../proofs/receipts.ts';
import { type Download, type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
import type { Links } from './links.ts';
import { type Catalogue, catalogue, type Language } from './texts/index.ts';

export const DECISIONS = ['approve', 'decline'] as const;
export type ConsentChoice = (typeof DECISIONS)[number];

/** Where the end user goes after a decision: the request's own return address, with the outcome. */
export function returnAddress(returnUrl: string, request: Pick<StoredRequest, 'id' | 'status'>): string {
  const url = new URL(returnUrl);
  url.searchParams.set('onboardingRequestId', request.id);
  url.searchParams.set('status', request.status);
  return url.href;
}

export const originOf = (returnUrl: string | null) => (returnUrl ? [new URL(returnUrl).origin] : []);

/** Who sent a decision, as the page saw them. */
export interface Client {
  userAgent: string | null;
  address: string | undefined;
}

/** A consent receipt, as the end user downloads it from the page. */
export const receiptDownload = (receipt: string, requestId: string): Download => ({
  download: { body: receipt, contentType: 'application/jose', filename: `consent-receipt-${requestId}.jws` },
});

/** The tenant's display name, when the integrator's token gave one. */
function tenantName(request: StoredRequest): string | null {
  const name = request.data.tenant.name;
  return typeof name === 'string' && name.trim() ? name : null;
}

/** Who asks, in the end user's words: the tenant's display name, or what stands for it. */
const asker = (request: StoredRequest, texts: Catalogue) => tenantName(request) ?? texts.consent.someone;

/** Each line of what is being connected, in the end user's words: the term, and its value or what stands for none. */
function subjectRow({ term, value }: ConsentSubjectLine, texts: Catalogue): [string, string] {
  const none: Record<ConsentSubjectLine['term'], string> = { site: texts.consent.yourSite, siteType: '—', device: '—', manufacturer: '—', model: '—' };
  const named: Partial<Record<ConsentSubjectLine['term'], Record<string, string>>> = { device: texts.devices, siteType: texts.collectiveTypes };
  const shown = named[term]?.[value] ?? value;
  return [texts.consent.terms[term], shown.trim() ? shown : none[term]];
}

/**
 * The consent page: the signed link opens the request, the end user approves or declines.
 * Approve moves it Pending → Processing, Decline Pending → Canceled with ConsentDeclined, both by the end
 * user (actor `enduser`, the link's digest; source `consent`), then 303 to the request's return address.
 * A request no longer Pending shows its status; a decision then records nothing (409).
 */
export function createConsentPages(options: {
  store: Pick<RequestStore, 'get' | 'decisionReceipt'>;
  lifecycle: Pick<Lifecycle, 'transition'>;
  /** Signs each decision's receipt (lib/proofs). */
  notary: Pick<ProofNotary, 'receipt'>;
  /** The keyed hash of a client's address, per tenant (no address is kept). */
  hashAddress: (address: string | undefined, tenantId: string) => string | null;
  /** The kinds with a consent step (./index.ts CONSENT_KINDS): a request of any other kind has no page. */
  kinds: KindRegistry;
  links: Links;
  /** The page's own address, where a decision without a return address comes back to. */
  pageUrl: (token: string) => string;
}) {
  const { links } = options;
  const subjectOf = (request: StoredRequest, texts: Catalogue) =>
    (options.kinds.get(request.kind)?.consentSubject?.(request) ?? []).map((line) => subjectRow(line, texts));

  /**
   * What the page asks, word for word, in the language shown: the receipt's `noticeHash` is of this text,
   * so the page shows it from here and nowhere else.
   */
  function noticeOf(request: StoredRequest, language: Language) {
    const texts = catalogue(language);
    const who = asker(request, texts);
    const heading = texts.consent.heading(who);
    const rows: Array<[string, string]> = [[texts.consent.terms.requestedBy, who], ...subjectOf(request, texts)];
    const statement = texts.consent.statement(who);
    return { heading, rows, statement, language, text: [heading, ...rows.map(([term, value]) => `${term}: ${value}`), statement].join('\n') };
  }

  /** The receipt of the end user's decision, if they made one. */
  const receiptOf = async (request: StoredRequest) => (await options.store.decisionReceipt(request.id)).receipt;

  async function open(token: string): Promise<StoredRequest> {
    const request = await options.store.get(links.idOf(token));
    // Only kinds with a consent step have a page; anything else is as unknown as a forged link.
    const tenantId = request && options.kinds.get(request.kind)?.consentSubject ? request.tenantId : undefined;
    links.verify('consent', token, tenantId);
    return request!;
  }

  function render(token: string, request: StoredRequest, language: Language, options: { status?: number; note?: string; receipt?: boolean } = {}): HtmlPage {
    const texts = catalogue(language);
    const pending = request.status === 'Pending';
    const documentation = request.consent?.documentationLink;
    const notice = noticeOf(request, language);
    return {
      status: options.status ?? 200,
      title: pending ? texts.consent.title : texts.consent.decided[request.status],
      formTargets: originOf(request.returnUrl),
      body: html`
<h1>${pending ? notice.heading : texts.consent.decided[request.status]}</h1>
${options.note ? html`<p role="status">${options.note}</p>` : ''}
<dl>
  ${notice.rows.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}
  <dt>${texts.consent.terms.status}</dt><dd>${statusPill(request.status, language)}</dd>
</dl>
${
  pending
    ? html`
<p>${notice.statement}</p>
${documentation ? html`<p><a href="${documentation}" rel="noreferrer noopener" target="_blank">${texts.consent.howItWorks}</a></p>` : ''}
<form method="post" aria-label="${texts.consent.decision}">
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  <div class="actions">
    <button class="primary" type="submit" name="decision" value="approve">${texts.consent.approve}</button>
    <button class="secondary" type="submit" name="decision" value="decline">${texts.consent.decline}</button>
  </div>
</form>`
    : html`<p>${texts.consent.nothingMore}</p>
${options.receipt ? html`<p><a href="${token}/receipt" download>${texts.consent.receipt}</a> ${texts.consent.receiptNote}</p>` : ''}`
}`,
    };
  }

  /** The page of a request that is no longer waiting: its status, and the receipt of the decision when there is one. */
  async function decided(token: string, request: StoredRequest, language: Language, status = 200, note?: string): Promise<HtmlPage> {
    return render(token, request, language, { status, ...(note ? { note } : {}), receipt: (await receiptOf(request)) !== undefined });
  }

  return {
    async show(token: string, language: Language): Promise<HtmlPage> {
      const request = await open(token);
      return request.status === 'Pending' ? render(token, request, language) : decided(token, request, language);
    },

    /** The end user's copy of their consent receipt, through the page's own link. */
    async receipt(token: string): Promise<Download> {
      const request = await open(token);
      const receipt = await receiptOf(request);
      if (!receipt) throw new NotFoundError('No decision has been made on this link yet.');
      return receiptDownload(receipt, request.id);
    },

    async decide(
      token: string,
      form: { decision: ConsentChoice; csrf: string },
      correlationId: string,
      client: Client,
      language: Language,
      languageQuery = '',
    ): Promise<HtmlReply> {
      const request = await open(token);
      if (!links.acceptsForm(token, form.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      const decision = form.decision;
      const actorId = links.actorId('consent', token);
      const notice = noticeOf(request, language);
      const receiptOfDecision: Decision = {
        controller: { id: request.tenantId, name: tenantName(request) },
        principalId: actorId,
        purpose: { description: notice.statement, subject: notice.rows.slice(1).map(([term, value]) => ({ term, value })) },
        notice: { text: notice.text, language: notice.language },
        decision: decision === 'approve' ? 'given' : 'refused',
        requestType: options.kinds.get(request.kind)!.requestType,
        evidence: { channel: 'consent-link', userAgent: client.userAgent, clientAddressHash: options.hashAddress(client.address, request.tenantId) },
      };
      const result = await options.lifecycle.transition(
        request.id,
        (current) => {
          if (current.status !== 'Pending') return 'unchanged';
          return decision === 'approve'
            ? { to: 'Processing', reason: 'The end user approved on the consent page' }
            : {
                to: 'Canceled',
                reason: 'The end user declined on the consent page',
                errors: [{ code: 'ConsentDeclined', message: 'The end user declined to connect.' }],
              };
        },
        {
          actor: { type: 'enduser', id: actorId },
          source: 'consent',
          correlationId,
          decision: {
            evidence: { channel: 'consent-link' },
            receipt: (record) => options.notary.receipt(receiptOfDecision, request.id, record),
          },
        },
      );
      if (result.outcome === 'duplicate-message') throw new Error('unreachable: a consent carries no message id');
      if (result.outcome === 'unchanged') return decided(token, result.request, language, 409, catalogue(language).consent.decidedAlready);
      return {
        redirect: result.request.returnUrl ? returnAddress(result.request.returnUrl, result.request) : `${options.pageUrl(token)}${languageQuery}`,
      };
    },
  };
}
