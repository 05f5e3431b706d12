import { ForbiddenError } from '../lifecycle/errors.ts';
import type { ConsentSubjectLine, KindRegistry } from '../lifecycle/kind.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { RequestStore } from '../lifecycle/store.ts';
import type { StoredRequest } from '../lifecycle/types.ts';
import { type HtmlPage, type HtmlReply, html, statusPill } from './html.ts';
import type { Links } from './links.ts';
import { TYPE_NAMES } from './words.ts';

export const DECISIONS = ['approve', 'decline'] as const;
export type Decision = (typeof DECISIONS)[number];

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
  store: Pick<RequestStore, 'get'>;
  lifecycle: Pick<Lifecycle, 'transition'>;
  /** The kinds with a consent step (./index.ts CONSENT_KINDS): a request of any other kind has no page. */
  kinds: KindRegistry;
  links: Links;
  /** The page's own address, where a decision without a return address comes back to. */
  pageUrl: (token: string) => string;
}) {
  const { links } = options;
  const subjectOf = (request: StoredRequest) => (options.kinds.get(request.kind)?.consentSubject?.(request) ?? []).map(subjectRow);

  async function open(token: string): Promise<StoredRequest> {
    const request = await options.store.get(links.idOf(token));
    // Only kinds with a consent step have a page; anything else is as unknown as a forged link.
    const tenantId = request && options.kinds.get(request.kind)?.consentSubject ? request.tenantId : undefined;
    links.verify('consent', token, tenantId);
    return request!;
  }

  function render(token: string, request: StoredRequest, status = 200, note?: string): HtmlPage {
    const pending = request.status === 'Pending';
    const documentation = request.consent?.documentationLink;
    return {
      status,
      title: pending ? 'Connect your energy account' : STATUS_WORDS[request.status]!,
      formTargets: originOf(request.returnUrl),
      body: html`
<h1>${pending ? html`${asker(request)} asks to connect your energy data` : STATUS_WORDS[request.status]}</h1>
${note ? html`<p role="status">${note}</p>` : ''}
<dl>
  <dt>Requested by</dt><dd>${asker(request)}</dd>
  ${subjectOf(request).map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}
  <dt>Status</dt><dd>${statusPill(request.status)}</dd>
</dl>
${
  pending
    ? html`
<p>If you approve, ${asker(request)} can read and manage this connection on the Realto energy platform. You can withdraw it later through them.</p>
${documentation ? html`<p><a href="${documentation}" rel="noreferrer noopener" target="_blank">How this works</a></p>` : ''}
<form method="post" aria-label="Your decision">
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  <div class="actions">
    <button class="primary" type="submit" name="decision" value="approve">Approve</button>
    <button class="secondary" type="submit" name="decision" value="decline">Decline</button>
  </div>
</form>`
    : html`<p>Nothing more to do here.</p>`
}`,
    };
  }

  return {
    async show(token: string): Promise<HtmlPage> {
      return render(token, await open(token));
    },

    async decide(token: string, form: { decision: Decision; csrf: string }, correlationId: string): Promise<HtmlReply> {
      const request = await open(token);
      if (!links.acceptsForm(token, form.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      const decision = form.decision;
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
        { actor: { type: 'enduser', id: links.actorId('consent', token) }, source: 'consent', correlationId },
      );
      if (result.outcome === 'duplicate-message') throw new Error('unreachable: a consent carries no message id');
      if (result.outcome === 'unchanged') return render(token, result.request, 409, 'This was decided already; nothing was changed.');
      return { redirect: result.request.returnUrl ? returnAddress(result.request.returnUrl, result.request) : options.pageUrl(token) };
    },
  };
}
