import { describe, expect, it } from 'vitest';
import { describeError } from '../../lib/http/problem.ts';
import { parseSecrets, type RejectReason, SignatureRejected, type SignedMessage, sign, TOLERANCE_SECONDS, verify } from '../../lib/webhooks/signature.ts';

/** The example published with the Standard Webhooks specification: an independent check of the framing. */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;

const OTHER_SECRET = `whsec_${Buffer.from('another-secret-thirty-two-bytes!').toString('base64')}`;
const THIRD_SECRET = `whsec_${Buffer.from('a-third-secret-nobody-configured').toString('base64')}`;

const keyOf = (secret: string) => parseSecrets(secret)[0]!;

function vectorMessage(overrides: Partial<SignedMessage> = {}): SignedMessage {
  return {
    id: VECTOR.id,
    timestamp: String(VECTOR.timestamp),
    signature: VECTOR.signature,
    body: Buffer.from(VECTOR.body),
    ...overrides,
  };
}

/** Runs verify and returns why it refused; fails the test if it accepted. */
function rejection(message: SignedMessage, keys: readonly Buffer[], nowSeconds: number): RejectReason {
  try {
    verify(message, keys, nowSeconds);
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureRejected);
    expect(describeError(error)?.status).toBe(401);
    return (error as SignatureRejected).reason;
  }
  throw new Error('verify accepted a message it should have refused');
}

describe('Standard Webhooks signature', () => {
  describe('the published vector', () => {
    it('sign() produces the published signature', () => {
      expect(sign(keyOf(VECTOR.secret), VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    });

    it('sign() gives the same signature for the body as bytes and as text, and for the timestamp as text', () => {
      expect(sign(keyOf(VECTOR.secret), VECTOR.id, String(VECTOR.timestamp), Buffer.from(VECTOR.body))).toBe(VECTOR.signature);
    });

    it('verify() accepts the published signature at its own timestamp and returns the message id', () => {
      expect(verify(vectorMessage(), [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe(VECTOR.id);
    });

    it('a secret given without the whsec_ prefix is the same key', () => {
      expect(parseSecrets(VECTOR.secret.slice('whsec_'.length))).toEqual(parseSecrets(VECTOR.secret));
    });
  });

  describe('signature header', () => {
    it('given several signatures with a wrong one first, when one of them matches, then the message is accepted', () => {
      const wrong = sign(keyOf(OTHER_SECRET), VECTOR.id, VECTOR.timestamp, VECTOR.body);
      const message = vectorMessage({ signature: `${wrong} ${VECTOR.signature}` });

      expect(verify(message, [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe(VECTOR.id);
    });

    it('ignores entries of other versions and accepts the v1 entry that matches', () => {
      const message = vectorMessage({ signature: `v1a,${VECTOR.signature.slice(3)} v2,abc ${VECTOR.signature}` });

      expect(verify(message, [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe(VECTOR.id);
    });

    it('does not accept the right HMAC under another version label', () => {
      const message = vectorMessage({ signature: `v1a,${VECTOR.signature.slice(3)}` });

      expect(rejection(message, [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('given several signatures of which none matches, then the message is rejected', () => {
      const a = sign(keyOf(OTHER_SECRET), VECTOR.id, VECTOR.timestamp, VECTOR.body);
      const b = sign(keyOf(THIRD_SECRET), VECTOR.id, VECTOR.timestamp, VECTOR.body);

      expect(rejection(vectorMessage({ signature: `${a} ${b}` }), [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('rejects a signature that is not base64 of an HMAC, without throwing anything but a rejection', () => {
      expect(rejection(vectorMessage({ signature: 'v1,not-a-signature' }), [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe('invalid_signature');
      expect(rejection(vectorMessage({ signature: 'v1,' }), [keyOf(VECTOR.secret)], VECTOR.timestamp)).toBe('invalid_signature');
    });
  });

  describe('secret rotation', () => {
    const keys = parseSecrets(`${VECTOR.secret}, ${OTHER_SECRET}`);

    it('given two configured secrets, a message signed with the first verifies', () => {
      expect(verify(vectorMessage(), keys, VECTOR.timestamp)).toBe(VECTOR.id);
    });

    it('given two configured secrets, a message signed with the second verifies', () => {
      const signature = sign(keyOf(OTHER_SECRET), VECTOR.id, VECTOR.timestamp, VECTOR.body);

      expect(verify(vectorMessage({ signature }), keys, VECTOR.timestamp)).toBe(VECTOR.id);
    });

    it('given two configured secrets, a message signed with neither is rejected', () => {
      const signature = sign(keyOf(THIRD_SECRET), VECTOR.id, VECTOR.timestamp, VECTOR.body);

      expect(rejection(vectorMessage({ signature }), keys, VECTOR.timestamp)).toBe('invalid_signature');
    });
  });

  describe('what the signature covers', () => {
    const keys = [keyOf(VECTOR.secret)];

    it('rejects a tampered body', () => {
      expect(rejection(vectorMessage({ body: Buffer.from('{"test": 2432232315}') }), keys, VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('rejects a body that differs only in whitespace (the raw bytes are signed, not the JSON value)', () => {
      expect(rejection(vectorMessage({ body: Buffer.from('{"test":2432232314}') }), keys, VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('rejects another message id under the same signature', () => {
      expect(rejection(vectorMessage({ id: 'msg_other' }), keys, VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('rejects another timestamp under the same signature, even within the tolerance', () => {
      expect(rejection(vectorMessage({ timestamp: String(VECTOR.timestamp + 1) }), keys, VECTOR.timestamp)).toBe('invalid_signature');
    });

    it('rejects a message signed with a secret that is not configured', () => {
      expect(rejection(vectorMessage(), [keyOf(OTHER_SECRET)], VECTOR.timestamp)).toBe('invalid_signature');
    });
  });

  describe('timestamp tolerance', () => {
    const keys = [keyOf(VECTOR.secret)];

    it('the tolerance is 300 seconds', () => {
      expect(TOLERANCE_SECONDS).toBe(300);
    });

    it('rejects a message 301 s old', () => {
      expect(rejection(vectorMessage(), keys, VECTOR.timestamp + 301)).toBe('timestamp_out_of_tolerance');
    });

    it('rejects a message 301 s in the future', () => {
      expect(rejection(vectorMessage(), keys, VECTOR.timestamp - 301)).toBe('timestamp_out_of_tolerance');
    });

    it('accepts a message exactly 300 s old', () => {
      expect(verify(vectorMessage(), keys, VECTOR.timestamp + 300)).toBe(VECTOR.id);
    });

    it('accepts a message exactly 300 s in the future', () => {
      expect(verify(vectorMessage(), keys, VECTOR.timestamp - 300)).toBe(VECTOR.id);
    });

    it.each(['', 'abc', '1614265330.5', '-1614265330', '1e9', ' 1614265330'])('rejects a webhook-timestamp that is not unix seconds: %j', (timestamp) => {
      const reason = rejection(vectorMessage({ timestamp }), keys, VECTOR.timestamp);
      expect(['missing_headers', 'timestamp_out_of_tolerance']).toContain(reason);
    });
  });

  describe('missing headers', () => {
    const keys = [keyOf(VECTOR.secret)];

    it.each(['id', 'timestamp', 'signature'] as const)('rejects a message without webhook-%s', (field) => {
      expect(rejection(vectorMessage({ [field]: undefined }), keys, VECTOR.timestamp)).toBe('missing_headers');
    });

    it.each(['id', 'timestamp', 'signature'] as const)('rejects a message with an empty webhook-%s', (field) => {
      expect(rejection(vectorMessage({ [field]: '' }), keys, VECTOR.timestamp)).toBe('missing_headers');
    });
  });

  describe('parseSecrets', () => {
    it('reads a comma-separated list, trimming spaces and skipping empty entries', () => {
      const keys = parseSecrets(` ${VECTOR.secret} ,, ${OTHER_SECRET},`);

      expect(keys).toHaveLength(2);
      expect(keys[0]).toEqual(Buffer.from(VECTOR.secret.slice('whsec_'.length), 'base64'));
      expect(keys[1]).toEqual(Buffer.from('another-secret-thirty-two-bytes!'));
    });

    it.each([
      ['not base64', 'whsec_this is not base64!'],
      ['base64 with stray characters', `${VECTOR.secret}$$`],
      ['shorter than 16 bytes', `whsec_${Buffer.from('fifteen bytes!!').toString('base64')}`],
      ['only the prefix', 'whsec_'],
      ['a good secret followed by garbage', `${VECTOR.secret},whsec_%%%`],
    ])('rejects %s', (_name, list) => {
      expect(() => parseSecrets(list)).toThrow(/WEBHOOK_SECRETS/);
    });

    it('does not echo the secret in its error', () => {
      const secret = 'whsec_super-secret-value!';
      expect(() => parseSecrets(secret)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('super-secret-value') }));
    });
  });
});
