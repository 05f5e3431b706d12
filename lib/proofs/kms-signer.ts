import { createRequire } from 'node:module';
import type * as Kms from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { Jwks, PublicJwk, Signer } from './jws.ts';
import { publicJwkOf } from './local-signer.ts';

/** The SDK's client is required on first use, not imported (see lib/store/sdk.ts). */
const load = createRequire(import.meta.url);

/**
 * The signing key deployed: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) whose private half never
 * leaves KMS. `keyIds` newest first: the first signs (kms:Sign, granted to the signing functions only),
 * every one is published in the JWKS (kms:GetPublicKey), so receipts signed before a rotation still verify.
 */
export function kmsSigner(keyIds: readonly string[], options: { region: string }): Signer {
  // Loaded on the first signature, not at cold start: most invocations of a signing function sign nothing.
  let kms: Promise<{ client: KMSClient; sdk: typeof Kms }> | undefined;
  const connect = () => {
    // A failure to load is a rejection, as an import's would be.
    kms ??= Promise.resolve().then(() => {
      const sdk = load('@aws-sdk/client-kms') as typeof Kms;
      return { sdk, client: new sdk.KMSClient({ region: options.region }) };
    });
    return kms;
  };
  // Each key's public half, asked once per cold start; a failed ask is asked again next time.
  const published = new Map<string, Promise<PublicJwk>>();
  const publicKey = (KeyId: string) => {
    let jwk = published.get(KeyId);
    if (!jwk) {
      jwk = connect().then(async ({ client, sdk }) => {
        const { PublicKey } = await client.send(new sdk.GetPublicKeyCommand({ KeyId }));
        return publicJwkOf(
          process
            .getBuiltinModule('node:crypto')
            .createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' })
            .export({ format: 'jwk' }) as { x: string; y: string },
        );
      });
      jwk.catch(() => published.delete(KeyId));
      published.set(KeyId, jwk);
    }
    return jwk;
  };
  const jwks = async (): Promise<Jwks> => ({ keys: await Promise.all(keyIds.map(publicKey)) });
  return {
    kid: async () => (await publicKey(keyIds[0]!)).kid,
    async sign(data) {
      const { client, sdk } = await connect();
      const { Signature } = await client.send(new sdk.SignCommand({ KeyId: keyIds[0], Message: data, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      return joseSignature(Buffer.from(Signature!));
    },
    jwks,
  };
}

/** KMS answers an ECDSA signature DER-encoded (SEQUENCE of two INTEGERs); JWS writes r and s as 32 bytes each. */
export function joseSignature(der: Buffer): Buffer {
  let offset = 2 + (der[1]! & 0x80 ? der[1]! & 0x7f : 0);
  const integer = () => {
    const length = der[offset + 1]!;
    const value = der.subarray(offset + 2, offset + 2 + length);
    offset += 2 + length;
    const trimmed = value.subarray(Math.max(0, value.length - 32));
    return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  return Buffer.concat([integer(), integer()]);
}
