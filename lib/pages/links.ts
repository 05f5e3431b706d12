import { GoneError, NotFoundError } from '../lifecycle/errors.ts';

/** node:crypto as the builtin it is, not an ES import (docs/performance.md, "Cold init"). */
const { createHash, createHmac, timingSafeEqual } = process.getBuiltinModule('node:crypto');

/**
 * The end user's links: `{PUBLIC_URL}/consent/{token}` and `{PUBLIC_URL}/guided/{token}`.
 * A token is short and URL-safe: the id it opens (16 bytes) and its expiry (unix seconds, 4 bytes), with
 * an HMAC-SHA256 (truncated to 16 bytes) over them, the kind of link and the tenant. The tenant is not in
 * the token: the thing opened names it, so a token of one tenant can never open another's. A token that
 * was altered, or opens another tenant's request, is a 404; one past its expiry, a 410.
 */
export type LinkKind = 'consent' | 'guided';

const ID_BYTES = 16;
const EXPIRY_BYTES = 4;
const MAC_BYTES = 16;
const TOKEN = /^[A-Za-z0-9_-]{48}$/;

export interface LinkClaims {
  id: string;
  expiresAt: Date;
}

function uuidBytes(id: string): Buffer {
  return Buffer.from(id.replaceAll('-', ''), 'hex');
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `secret` may hold several comma-separated values, newest first (rotation, as WEBHOOK_SECRETS): links are
 * signed with the first and accepted under any, so the links already handed out keep working until the
 * old value is removed.
 */
export function createLinks(secret: () => string, now: () => Date = () => new Date()) {
  let derived: { from: string; keys: Buffer[] } | undefined;
  const keys = () => {
    const from = secret();
    if (derived?.from !== from) {
      const values = from
        .split(',')
        .map((value) => value.trim())
        .filter(Boolean);
      derived = { from, keys: values.map((value) => createHash('sha256').update(`onboarding end-user links\n${value}`).digest()) };
    }
    return derived.keys;
  };
  const key = () => keys()[0]!;
  const macWith = (signing: Buffer, kind: LinkKind, payload: Buffer, tenantId: string) =>
    createHmac('sha256', signing).update(`${kind}\n${tenantId}\n`).update(payload).digest().subarray(0, MAC_BYTES);
  const mac = (kind: LinkKind, payload: Buffer, tenantId: string) => macWith(key(), kind, payload, tenantId);
  const formValueWith = (signing: Buffer, token: string) =>
    createHmac('sha256', signing).update(`form\n${token}`).digest().subarray(0, 16).toString('base64url');

  /** A token that opens `id` of `tenantId` until `expiresAt`. */
  function sign(kind: LinkKind, subject: { id: string; tenantId: string; expiresAt: Date }): string {
    const payload = Buffer.alloc(ID_BYTES + EXPIRY_BYTES);
    uuidBytes(subject.id).copy(payload, 0);
    payload.writeUInt32BE(Math.floor(subject.expiresAt.getTime() / 1000), ID_BYTES);
    return Buffer.concat([payload, mac(kind, payload, subject.tenantId)]).toString('base64url');
  }

  /** What a token says, before it is checked against the tenant of what it opens (`verify`). */
  function read(token: string): LinkClaims & { payload: Buffer; given: Buffer } {
    if (!TOKEN.test(token)) throw new NotFoundError('This link is not valid.');
    const bytes = Buffer.from(token, 'base64url');
    const payload = bytes.subarray(0, ID_BYTES + EXPIRY_BYTES);
    return {
      id: uuidOf(payload.subarray(0, ID_BYTES)),
      expiresAt: new Date(payload.readUInt32BE(ID_BYTES) * 1000),
      payload,
      given: bytes.subarray(ID_BYTES + EXPIRY_BYTES),
    };
  }

  /**
   * Checks a token against the tenant of what it opens: altered or another tenant's is a 404 (the same
   * answer as an unknown id), expired a 410, checked in that order so an expiry tells nothing of a forgery.
   */
  function verify(kind: LinkKind, token: string, tenantId: string | undefined): LinkClaims {
    const claims = read(token);
    const signed =
      tenantId !== undefined &&
      claims.given.length === MAC_BYTES &&
      keys().some((candidate) => timingSafeEqual(macWith(candidate, kind, claims.payload, tenantId), claims.given));
    if (!signed) throw new NotFoundError('This link is not valid.');
    if (claims.expiresAt.getTime() <= now().getTime()) throw new GoneError('This link has expired.');
    return { id: claims.id, expiresAt: claims.expiresAt };
  }

  return {
    sign,
    /** The id a token names, to look up what it opens; nothing about it is trusted before `verify`. */
    idOf: (token: string) => read(token).id,
    verify,
    /** The anti-forgery value a page's form carries back: only a page rendered for this token has it. */
    formValue: (token: string) => formValueWith(key(), token),
    /** Whether a form carried this token's anti-forgery value (under any of the secret's values). */
    acceptsForm: (token: string, value: string) => {
      const given = Buffer.from(value);
      return keys().some((candidate) => {
        const expected = Buffer.from(formValueWith(candidate, token));
        return expected.length === given.length && timingSafeEqual(expected, given);
      });
    },
    /** The actor id of what the end user does through a link: its digest, never the link itself. */
    actorId: (kind: LinkKind, token: string) => `${kind}-link-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`,
  };
}

export type Links = ReturnType<typeof createLinks>;
