/**
 * A fake Cloudflare API (v4) at the HTTP boundary, for Cloudflare for SaaS custom hostnames of the
 * zone the tests configure (CLOUDFLARE_SAAS_ZONE_ID, CLOUDFLARE_SAAS_API_TOKEN in vitest.config.ts). The
 * answers come from the contract shared with the sandbox simulator (sandbox/cloudflare.contract.ts),
 * where each rule quotes Cloudflare's docs; scripted answers (5xx, hangs) come first.
 */
import { env } from 'cloudflare:workers';
import { CustomHostnamesZone } from '../../sandbox/cloudflare.contract';
import { Script, answer } from './scripted';

export class FakeCloudflare {
  readonly script = new Script();
  readonly zone = new CustomHostnamesZone(env.CLOUDFLARE_SAAS_ZONE_ID!, env.CLOUDFLARE_SAAS_API_TOKEN!);
  /** Every request with the status it got, failures included. */
  readonly requests: Array<{ method: string; path: string; status: number }> = [];

  /** The hostname as Cloudflare holds it, if it does. */
  hostname(hostname: string) {
    return this.zone.byHostname(hostname);
  }

  /** The customer's DNS is in place: Cloudflare reports the hostname and its certificate active. */
  verify(hostname: string): void {
    if (!this.zone.verify(hostname)) throw new Error(`the fake Cloudflare has no custom hostname ${hostname}`);
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/client\/v4/, '');
    const scripted = this.script.take(`${request.method} ${path}`);
    if (scripted) {
      this.requests.push({ method: request.method, path, status: scripted.status });
      return answer(scripted, request.signal);
    }
    const text = await request.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = null;
    }
    const result = this.zone.handle(request.method, path, request.headers.get('authorization'), body);
    this.requests.push({ method: request.method, path, status: result.status });
    return Response.json(result.body, { status: result.status });
  }
}
