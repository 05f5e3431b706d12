import type { RequestData } from '../lifecycle/types.ts';

/**
 * Proxy mode mirrors the platform's `data` snapshot (docs/platform.md) into our copy of a request.
 * Only the documented parts are taken, each an object; a snapshot larger than this is not mirrored (the
 * request keeps what it has, which is at most our own 64 KiB input): the item must stay well within
 * DynamoDB's 400 KB, and the platform is not ours to trust with that.
 */
const MAX_SNAPSHOT_BYTES = 64 * 1024;
const PARTS = ['collective', 'entity', 'tenant', 'user', 'client'] as const;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The usable part of the platform's `data`, or undefined when there is none. */
export function platformSnapshot(data: unknown): Partial<RequestData> | undefined {
  if (!isObject(data)) return undefined;
  const picked: Record<string, Record<string, unknown>> = {};
  for (const part of PARTS) {
    const value = data[part];
    if (isObject(value)) picked[part] = value;
  }
  if (Object.keys(picked).length === 0) return undefined;
  if (Buffer.byteLength(JSON.stringify(picked)) > MAX_SNAPSHOT_BYTES) return undefined;
  return picked as Partial<RequestData>;
}

/**
 * `top` laid over `base`: objects merge key by key, anything else (arrays included) is replaced, except
 * that a null or missing value on top does not erase a value below (the platform leaves unset fields null).
 */
function overlay(base: Record<string, unknown>, top: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    const under = merged[key];
    if (value == null && under != null) continue;
    merged[key] = isObject(under) && isObject(value) ? overlay(under, value) : value;
  }
  return merged;
}

/**
 * What the platform says, over what we know: fields it leaves out keep our values (so list filters on
 * manufacturer and type still work), and `tenant.id` stays the owner tenant whatever the platform says.
 */
export function mergeSnapshot(ours: RequestData, platform: Partial<RequestData>): RequestData {
  const merged = overlay(ours as unknown as Record<string, unknown>, platform) as unknown as RequestData;
  return { ...merged, tenant: { ...merged.tenant, id: ours.tenant.id } };
}
