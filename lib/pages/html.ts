import type { Status } from '../lifecycle/types.ts';
import { catalogue, LANGUAGE_NAMES, LANGUAGES, type Language } from './texts/index.ts';

/**
 * HTML for people, escaped by construction: `html` is a tagged template whose values are escaped unless
 * they are `html` themselves, so a name like `<img src=x onerror=…>` is shown as text. There is no other
 * way to put text into a page.
 */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (character) => ESCAPES[character]!);

type Value = Html | string | number | null | undefined | false | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  return new Html(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index]!) : ''), ''));
}

/** Plain, readable on a phone (375 px) and a desktop; the page's only style, allowed by its hash. */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2733;background:#f3f5f7}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem 3rem}
header{display:flex;align-items:center;gap:.6rem;margin-bottom:1.25rem;color:#2d6a4f;font-weight:600}
header .mark{width:2rem;height:2rem;border-radius:.5rem;background:#2d6a4f;color:#fff;display:grid;place-items:center;font-size:1.1rem}
.card{background:#fff;border:1px solid #dde3e8;border-radius:.75rem;padding:1.25rem 1.25rem 1.5rem;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h1{font-size:1.35rem;line-height:1.3;margin:0 0 .75rem}
p{margin:.5rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:1rem 0;padding:.75rem 1rem;background:#f7f9fa;border-radius:.5rem}
dt{color:#5b6b7a}dd{margin:0;font-weight:500;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
input,select{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #768491;border-radius:.5rem;background:#fff}
a:focus-visible,input:focus,select:focus,button:focus{outline:3px solid #1d5fa8;outline-offset:2px}
.hint{color:#5b6b7a;font-size:.9rem;margin:.25rem 0 0}
.check{display:flex;gap:.6rem;align-items:flex-start;font-weight:400;margin-top:1.25rem}
.check input{width:auto;margin-top:.3rem}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
button{font:inherit;font-weight:600;padding:.7rem 1.3rem;border-radius:.5rem;border:1px solid transparent;cursor:pointer;flex:1 1 10rem}
.primary{background:#2d6a4f;color:#fff}.primary:hover{background:#24553f}
.secondary{background:#fff;color:#9b2226;border-color:#d9a5a7}.secondary:hover{background:#fbeeee}
.status{display:inline-block;padding:.15rem .6rem;border-radius:1rem;background:#e9f5ee;color:#2d6a4f;font-weight:600}
.status.bad{background:#fbeeee;color:#9b2226}
a{color:#1d5fa8}
.card a{padding:.25rem 0}
footer{margin-top:1.5rem;color:#4f5d6b;font-size:.85rem}
.languages{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:.5rem 0 0;padding:0}
.languages a,.languages span{display:inline-block;min-height:24px;min-width:24px;padding:.15rem 0}
.error{color:#9b2226;font-weight:600;margin:.3rem 0 0}
[aria-invalid=true]{border-color:#9b2226;border-width:2px}
.check input{min-width:24px;min-height:24px}
.check label{font-weight:400;margin:0}
.summary{border:2px solid #9b2226;border-radius:.5rem;padding:.5rem 1rem;margin:1rem 0}
.summary ul{margin:.25rem 0;padding-left:1.25rem}
.summary li+li{margin-top:.25rem}
@media (max-width:30rem){dl{grid-template-columns:1fr;gap:0}dd+dt{margin-top:.5rem}}
`;
/**
 * The style's CSP hash, worked out on the first page: node:crypto is fetched then, as a function without
 * the AWS SDK (the default route's) would otherwise load it at every cold start for nothing.
 */
let styleHash: string | undefined;
const styleSource = () => (styleHash ??= `'sha256-${process.getBuiltinModule('node:crypto').createHash('sha256').update(STYLE).digest('base64')}'`);

/** An HTML page for people (not a page of a list). */
export interface HtmlPage {
  status: number;
  title: string;
  body: Html;
  /** Where the page's forms may go besides this origin (the request's return address, after a decision). */
  formTargets?: readonly string[];
}

/** A file the person downloads from a page (their consent receipt). */
export interface Download {
  download: { body: string; contentType: string; filename: string };
}

/** A page's answer: the page, a 303 to where the person goes next, or a file to keep. */
export type HtmlReply = HtmlPage | { redirect: string } | Download;

/**
 * The response of a page. Its headers: a strict Content-Security-Policy (nothing but the
 * page's own style; forms only to this origin and the return address; never framed), no referrer (the
 * token is in the URL), never cached, no sniffing.
 */
export function htmlResponse(page: HtmlPage, language: Language = 'en') {
  const formAction = ["'self'", ...(page.formTargets ?? [])].join(' ');
  const { frame } = catalogue(language);
  const document = html`<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
<header><span class="mark" aria-hidden="true">⚡</span><span>${frame.brand}</span></header>
<div class="card">
${page.body}
</div>
<footer>
<p>${frame.footer}</p>
<nav aria-label="${frame.languages}"><ul class="languages">${LANGUAGES.map((other) =>
    other === language
      ? html`<li><span lang="${other}" aria-current="true">${LANGUAGE_NAMES[other]}</span></li>`
      : html`<li><a href="?lang=${other}" lang="${other}" hreflang="${other}">${LANGUAGE_NAMES[other]}</a></li>`,
  )}</ul></nav>
</footer>
</main>
</body>
</html>`;
  return {
    statusCode: page.status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'none'; style-src ${styleSource()}; img-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    },
    body: document.text,
  };
}

/** A request's status as a pill in the page's language, red when it ended without connecting. */
export const statusPill = (status: Status, language: Language) =>
  html`<span class="status${['Failed', 'Canceled'].includes(status) ? ' bad' : ''}">${catalogue(language).status[status]}</span>`;

/** An error page: what went wrong in words a person understands, in their language, and nothing internal. */
export function errorPage(status: number, language: Language): HtmlPage {
  const errors = catalogue(language).errors;
  const { title, message } = errors[status as keyof typeof errors] ?? errors[status >= 500 ? 500 : 400];
  return { status, title, body: html`<h1>${title}</h1><p>${message}</p>` };
}
