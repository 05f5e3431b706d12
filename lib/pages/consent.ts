import { ForbiddenError } from '../lifecycle/errors.ts';
import type { Lifecycle } from '../lifecycle/lifecycle.ts';
import type { OnboardingStore } from '../lifecycle/store.ts';
import type { StoredRequest } from '../lifecycle/types.ts';
import { html, type Page, type PageReply, statusPill } from './html.ts';
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

/** What is being connected, from the request's snapshot. */
function subject(request: StoredRequest): Array<[string, string]> {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);
  if (request.requestType === 'Collective') {
    const collective = request.data.collective ?? {};
    return [['What', text(collective.name) ?? 'Your site'], ['Kind', text(collective.type) ?? '—']].filter((row): row is [string, string] => Boolean(row[1]));
  }
  const entity = request.data.entity ?? {};
  const information = (entity.information ?? {}) as Record<string, unknown>;
  return [
    ['Device', TYPE_NAMES[String(entity.type)] ?? text(entity.type) ?? 'Device'],
    ['Manufacturer', text(information.manufacturer) ?? '—'],
    ...(text(information.model) ? [['Model', text(information.model)!] as [string, string]] : []),
  ];
}

/**
 * The consent page (contract §9): the signed link opens the request, the end user approves or declines.
 * Approve moves it Pending → Processing, Decline Pending → Canceled with ConsentDeclined, both by the end
 * user (actor `enduser`, the link's digest; source `consent`), then 303 to the request's return address.
 * A request no longer Pending shows its status; a decision then records nothing (409).
 */
export function createConsentPages(options: {
  store: Pick<OnboardingStore, 'get'>;
  lifecycle: Pick<Lifecycle, 'transition'>;
  links: Links;
  /** The page's own address, where a decision without a return address comes back to. */
  pageUrl: (token: string) => string;
}) {
  const { links } = options;

  async function open(token: string): Promise<StoredRequest> {
    const request = await options.store.get(links.idOf(token));
    // Only onboarding requests have a consent page; anything else is as unknown as a forged link.
    const tenantId = request && request.requestType !== 'EntityOffboarding' ? request.tenantId : undefined;
    links.verify('consent', token, tenantId);
    return request!;
  }

  function render(token: string, request: StoredRequest, status = 200, note?: string): Page {
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
  ${subject(request).map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}
  <dt>Status</dt><dd>${statusPill(request.status)}</dd>
</dl>
${pending ? html`
<p>If you approve, ${asker(request)} can read and manage this connection on the Realto energy platform. You can withdraw it later through them.</p>
${documentation ? html`<p><a href="${documentation}" rel="noreferrer noopener" target="_blank">How this works</a></p>` : ''}
<form method="post" aria-label="Your decision">
  <input type="hidden" name="csrf" value="${links.formValue(token)}">
  <div class="actions">
    <button class="primary" type="submit" name="decision" value="approve">Approve</button>
    <button class="secondary" type="submit" name="decision" value="decline">Decline</button>
  </div>
</form>` : html`<p>Nothing more to do here.</p>`}`,
    };
  }

  return {
    async show(token: string): Promise<Page> {
      return render(token, await open(token));
    },

    async decide(token: string, form: { decision: Decision; csrf: string }, correlationId: string): Promise<PageReply> {
      const request = await open(token);
      if (!links.acceptsForm(token, form.csrf)) throw new ForbiddenError('The form was not sent from this page.');
      const decision = form.decision;
      const result = await options.lifecycle.transition(
        request.id,
        (current) => {
          if (current.status !== 'Pending') return 'unchanged';
          return decision === 'approve'
            ? { to: 'Processing', reason: 'The end user approved on the consent page' }
            : { to: 'Canceled', reason: 'The end user declined on the consent page', errors: [{ code: 'ConsentDeclined', message: 'The end user declined to connect.' }] };
        },
        { actor: { type: 'enduser', id: links.actorId('consent', token) }, source: 'consent', correlationId },
      );
      if (result.outcome === 'duplicate-message') throw new Error('unreachable: a consent carries no message id');
      if (result.outcome === 'unchanged') return render(token, result.request, 409, 'This was decided already; nothing was changed.');
      return { redirect: result.request.returnUrl ? returnAddress(result.request.returnUrl, result.request) : options.pageUrl(token) };
    },
  };
}
