/**
 * The simulator as Cloudflare's API for custom hostnames (Cloudflare for SaaS) of the sandbox zone:
 * the same contract as the test fake (sandbox/cloudflare.contract.ts), its records kept in the
 * simulator object's storage. There is no customer DNS to check, so a pending hostname is taken as
 * verified `activateAfterSeconds` after it was created (demo-tenant.json), or at once through
 * POST /sim/cloudflare/verify; the bridge sees the change on its next cron run, which the sandbox
 * triggers itself (sandbox/sandbox.mjs).
 */
import { type CfCustomHostname, CustomHostnamesZone } from '../cloudflare.contract';
import demo from './demo-tenant.json';

const KEY = 'cloudflare';

/** The sandbox zone with the records kept in `storage`. */
export async function loadZone(storage: DurableObjectStorage): Promise<CustomHostnamesZone> {
  const zone = new CustomHostnamesZone(demo.cloudflare.zoneId, demo.cloudflare.apiToken);
  zone.records = (await storage.get<Record<string, CfCustomHostname>>(KEY)) ?? {};
  const due = Date.now() - demo.cloudflare.activateAfterSeconds * 1000;
  for (const record of Object.values(zone.records))
    if (record.status === 'pending' && Date.parse(record.created_at) <= due) zone.verify(record.hostname);
  return zone;
}

export async function saveZone(storage: DurableObjectStorage, zone: CustomHostnamesZone): Promise<void> {
  await storage.put(KEY, zone.records);
}

/** One API request (`path` after /cloudflare/client/v4), answered as Cloudflare would. */
export async function cloudflareApi(
  storage: DurableObjectStorage,
  method: string,
  path: string,
  authorization: string | null,
  text: string,
): Promise<Response> {
  const zone = await loadZone(storage);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = null;
  }
  const answer = zone.handle(method, path, authorization, body);
  await saveZone(storage, zone);
  return Response.json(answer.body, { status: answer.status });
}
