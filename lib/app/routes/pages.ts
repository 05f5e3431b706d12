import { route } from '../../http/route.ts';
import { consentForm, guidedForm, linkParams } from '../../pages/forms.ts';

/**
 * The end user's pages: server-rendered HTML behind the same API Gateway, the signed
 * link in the path as the only credential. Part of the route table of ../function-table.ts; not API, so not in
 * the OpenAPI document.
 */
const tag = 'Pages';
const errors = [400, 403, 404, 409, 410, 413, 415] as const;

export const PAGE_ROUTES = {
  consent: route({
    function: 'consentPage',
    handler: 'functions/pages/consent.show',
    access: {
      permissions: ['readRequest', 'queryTable'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'GET',
      path: '/consent/{token}',
      auth: 'none',
      input: { params: linkParams },
      ok: { status: 200, description: 'The consent page', body: null },
      errors,
      operationId: 'showConsentPage',
      summary: "The end user's consent page",
      tag,
      html: true,
    },
  }),
  consentDecision: route({
    function: 'consentDecision',
    handler: 'functions/pages/consent.decide',
    access: {
      permissions: ['readRequest', 'writeRequest', 'queryTable', 'signProofs'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'POST',
      path: '/consent/{token}',
      auth: 'none',
      input: { params: linkParams, body: consentForm },
      ok: { status: 303, description: "To the request's return address, or back to the page", body: null },
      errors,
      operationId: 'decideConsent',
      summary: 'The end user approves or declines',
      tag,
      html: true,
    },
  }),
  consentReceipt: route({
    function: 'consentReceiptDownload',
    handler: 'functions/pages/consent.receipt',
    access: {
      permissions: ['readRequest', 'queryTable'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'GET',
      path: '/consent/{token}/receipt',
      auth: 'none',
      input: { params: linkParams },
      ok: { status: 200, description: "The end user's consent receipt (a compact JWS), to keep", body: null },
      errors,
      operationId: 'downloadConsentReceipt',
      summary: "The end user's consent receipt",
      tag,
      html: true,
    },
  }),
  guided: route({
    function: 'guidedPage',
    handler: 'functions/pages/guided.show',
    access: {
      permissions: ['readRequest', 'queryTable'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'GET',
      path: '/guided/{token}',
      auth: 'none',
      input: { params: linkParams },
      ok: { status: 200, description: "The guided session's page", body: null },
      errors,
      operationId: 'showGuidedPage',
      summary: "The end user's guided onboarding page",
      tag,
      html: true,
    },
  }),
  guidedSubmit: route({
    function: 'guidedSubmit',
    handler: 'functions/pages/guided.submit',
    access: {
      permissions: ['readRequest', 'writeRequest', 'writeSession', 'queryTable', 'signProofs'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'POST',
      path: '/guided/{token}',
      auth: 'none',
      input: { params: linkParams, body: guidedForm },
      ok: { status: 303, description: "To the session's return address, or back to the page", body: null },
      errors,
      operationId: 'submitGuidedSession',
      summary: 'The end user enters the device and consents',
      tag,
      html: true,
    },
  }),
  guidedReceipt: route({
    function: 'guidedReceiptDownload',
    handler: 'functions/pages/guided.receipt',
    access: {
      permissions: ['readRequest', 'queryTable'],
      secrets: ['linkSecret'],
    },
    http: {
      method: 'GET',
      path: '/guided/{token}/receipt',
      auth: 'none',
      input: { params: linkParams },
      ok: { status: 200, description: "The end user's consent receipt (a compact JWS), to keep", body: null },
      errors,
      operationId: 'downloadGuidedReceipt',
      summary: "The end user's consent receipt of a guided session",
      tag,
      html: true,
    },
  }),
};
