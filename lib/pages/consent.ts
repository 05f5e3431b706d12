import { ForbiddenError, NotFoundError } from '../lifecycle/errors.ts';
import type { ConsentSubjectLine, KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import type { StoredRequest } from '../lifecycle/types.ts';
import type { Decision, ProofNotary } from '../proofs/receipts.ts';
import { type Download, type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
import type { Links } from './links.ts';
import { TYPE_NAMES } from './words.ts';

export const DECISIONS = ['approve', 'decline'] as const;
export type ConsentChoice = (typeof DECISIONS)[number];

const STATUS_WORDS: Record<string, string> = {
  Pending: 'Waiting for your decision',
  Processing: 'Approved: the connection is being set up',
  Succeeded: 'Connected',
  Failed: 'The connection failed',
  Canceled: 'Not connected',
};

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

/** Who asks, in the end user's words: the tenant's display name when the integrator's token gave one. */
function asker(request: StoredRequest): string {
  const name = request.data.tenant.name;
  return typeof name === 'string' && name.trim() ? name : 'Your energy provider';
}

/** Each line of what is being connected, in the end user's words: the term, and its value or what stands for none. */
const SUBJECT_WORDS: Record<ConsentSubjectLine['term'], { term: string; none: string }> = {
  site: { term: 'What', none: 'Your site' },
  siteType: { term: 'Kind', none: '—' },
  device: { term: 'Device', none: 'Device' },
  manufacturer: { term: 'Manufacturer', none: '—' },
  model: { term: 'Model', none: '—' },
};

function subjectRow({ term, value }: ConsentSubjectLine): [string, string] {
  const words = SUBJECT_WORDS[term];
  const shown = term === 'device' ? (TYPE_NAMES[value] ?? value) : value;
  return [words.term, shown.trim() ? shown : words.none];
}

/**
 * The consent page: the signed link opens the request, the end user approves or declines.
 * Approve moves it Pending → Processing, Decline Pending → Canceled with ConsentDeclined, both by the end
 * user (actor `enduser`, the link's digest; source `consent`), then 303 to the request's return address.
 * A request no longer Pending shows its status; a decision then records nothing (409).
 */
export function createConsentPages(options: {
  store: Pick<RequestStore, 'get' | 'sealedTrail'>;
  lifecycle: Pick<Lifecycle, 'transition'>;
  /** Signs each decision's receipt (lib/proofs). */
  notary: Pick<ProofNotary, 'receipt'>;
  /** The keyed hash of a client's address (no address is kept). */
  hashAddress: (address: string | undefined) => string | null;
  /** The kinds with a consent step (./index.ts CONSENT_KINDS): a request of any other kind has no page. */
  kinds: KindRegistry;
  links: Links;
  /** The page's own address, where a decision without a return address comes back to. */
  pageUrl: (token: string) => string;
}) {
  const { links } = options;
  const subjectOf = (request: StoredRequest) => (options.kinds.get(request.kind)?.consentSubject?.(request) ?? []).map(subjectRow);

  /**
   * What the page asks, word for word: the receipt's `noticeHash` is of this text, so the page shows it
   * from here and nowhere else.
   */
  function noticeOf(request: StoredRequest) {
    const heading = `${asker(request)} asks to connect your energy data`;
    const rows: Array<[string, string]> = [['Requested by', asker(request)], ...subjectOf(request)];
    const statement = `If you approve, ${asker(request)} can read and manage this connection on the Realto energy platform. You can withdraw it later through them.`;
    return { heading, rows, statement, language: 'en', text: [heading, ...rows.map(([term, value]) => `${term}: ${value}`), statement].join('\n') };
  }

  /** The receipt of the request's latest decision, if the end user made one. */
  async function receiptOf(request: StoredRequest): Promise<string | undefined> {
    return (await options.store.sealedTrail(request.id)).seals.findLast((seal) => seal.receipt)?.receipt;
  }

  async function open(token: string): Promise<StoredRequest> {
    const request = await options.store.get(links.idOf(token));
    // Only kinds with a consent step have a page; anything else is as unknown as a forged link.
    const tenantId = request && options.kinds.get(request.kind)?.consentSubject ? request.tenantId : undefined;
    links.verify('consent', token, tenantId);
    return request!;
  }

  function render(token: string, request: StoredRequest, options: { status?: number; note?: string; receipt?: boolean } = {}): HtmlPage {
    const pending = request.status === 'Pending';
    const documentation = request.consent?.documentationLink;
    const notice = noticeOf(request);
    return {
      status: options.status ?? 200,
      title: pending ? 'Connect your energy account' : STATUS_WORDS[request.status]!,
      formTargets: originOf(request.returnUrl),
      body: html`
<h1>${pending ? notice.heading : STATUS_WORDS[request.status]}</h1>
${options.note ? html`<p role="status">${options.note}</p>` : ''}
<dl>
  ${notice.rows.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}
  <dt>Status</dt><dd>${statusPill(request.status)}</dd>
</dl>
${
  pending
    ? html`
<p>${notice.statement}</p>
${documentation ? html`<p><a href="${documentation}" rel="noreferrer noopener" target="_blank">How this works</a></p>` : ''}
<form method="post" aria-label="Your decision">
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  <div class="actions">
    <button class="primary" type="submit" name="decision" value="approve">Approve</button>
    <button class="secondary" type="submit" name="decision" value="decline">Decline</button>
  </div>
</form>`
    : html`<p>Nothing more to do here.</p>
${options.receipt ? html`<p><a href="${token}/receipt" download>Download your consent receipt</a> (signed proof of your decision, to keep).</p>` : ''}`
}`,
    };
  }

  /** The page of a request that is no longer waiting: its status, and the receipt of the decision when there is one. */
  async function decided(token: string, request: StoredRequest, status = 200, note?: string): Promise<HtmlPage> {
    return render(token, request, { status, ...(note ? { note } : {}), receipt: (await receiptOf(request)) !== undefined });
  }

  return {
    async show(token: string): Promise<HtmlPage> {
      const request = await open(token);
      return request.status === 'Pending' ? render(token, request) : decided(token, request);
    },

    /** The end user's copy of their consent receipt, through the page's own link. */
    async receipt(token: string): Promise<Download> {
      const request = await open(token);
      const receipt = await receiptOf(request);
      if (!receipt) throw new NotFoundError('No decision has been made on this link yet.');
      return receiptDownload(receipt, request.id);
    },

    async decide(token: string, form: { decision: ConsentChoice; csrf: string }, correlationId: string, client: Client): Promise<HtmlReply> {
      const request = await open(token);
      if (!links.acceptsForm(token, form.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      const decision = form.decision;
      const actorId = links.actorId('consent', token);
      const notice = noticeOf(request);
      const receiptOfDecision: Decision = {
        controller: { id: request.tenantId, name: asker(request) },
        principalId: actorId,
        purpose: { description: notice.statement, subject: notice.rows.slice(1).map(([term, value]) => ({ term, value })) },
        notice: { text: notice.text, language: notice.language },
        decision: decision === 'approve' ? 'given' : 'refused',
        requestType: options.kinds.get(request.kind)!.requestType,
        evidence: { channel: 'consent-link', userAgent: client.userAgent, clientAddressHash: options.hashAddress(client.address) },
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
      if (result.outcome === 'unchanged') return decided(token, result.request, 409, 'This was decided already; nothing was changed.');
      return { redirect: result.request.returnUrl ? returnAddress(result.request.returnUrl, result.request) : options.pageUrl(token) };
    },
  };
}
