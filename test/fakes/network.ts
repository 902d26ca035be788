/**
 * Routes the Worker's outbound fetch to the fakes by host, and fails loudly on any other host so
 * a test can never reach (or silently skip) a real upstream. Tests, queue consumers and Durable
 * Objects share one isolate in vitest-pool-workers, so one global covers all of them.
 */
import { afterEach, beforeEach } from 'vitest';
import { FakeAlertReceiver } from './alerts.fake';
import { FakeCloudflare } from './cloudflare.fake';
import { FakeGenesys } from './genesys.fake';
import { FakeMeta } from './meta.fake';

export interface FakeNetwork {
  cloudflare: FakeCloudflare;
  genesys: FakeGenesys;
  meta: FakeMeta;
  /** Alert channels' webhooks (our own protocol). */
  alerts: FakeAlertReceiver;
  unhandled: string[];
}

const realFetch = globalThis.fetch;

export function installFakeNetwork(): FakeNetwork {
  const net: FakeNetwork = {
    cloudflare: new FakeCloudflare(),
    genesys: new FakeGenesys(),
    meta: new FakeMeta(),
    alerts: new FakeAlertReceiver(),
    unhandled: [],
  };
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const host = new URL(request.url).host;
    let handled: Promise<Response>;
    switch (host) {
      case 'login.genesys.fake':
        handled = Promise.resolve(net.genesys.login.fetch(request));
        break;
      case 'api.genesys.fake':
        handled = Promise.resolve(net.genesys.api.fetch(request));
        break;
      case 'api.cloudflare.fake':
        handled = net.cloudflare.fetch(request);
        break;
      case 'graph.fake':
        handled = Promise.resolve(net.meta.graph.fetch(request));
        break;
      case 'alerts.fake':
        handled = net.alerts.fetch(request);
        break;
      default:
        net.unhandled.push(request.url);
        throw new Error(`test network: no fake for ${request.url}`);
    }
    // Like real fetch: an aborted signal (a client timeout) rejects with its reason.
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (!signal) return handled;
    return Promise.race([
      handled,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason));
      }),
    ]);
  };
  return net;
}

export function uninstallFakeNetwork(): void {
  globalThis.fetch = realFetch;
}

/**
 * Installs a fresh fake network before each test of the calling file and removes it after.
 * The returned object always points at the current test's fakes.
 */
export function useFakeNetwork(): FakeNetwork {
  let current: FakeNetwork | undefined;
  beforeEach(() => {
    current = installFakeNetwork();
  });
  afterEach(() => uninstallFakeNetwork());
  const now = () => {
    if (!current) throw new Error('the fake network exists only inside a test');
    return current;
  };
  return {
    get cloudflare() {
      return now().cloudflare;
    },
    get genesys() {
      return now().genesys;
    },
    get meta() {
      return now().meta;
    },
    get alerts() {
      return now().alerts;
    },
    get unhandled() {
      return now().unhandled;
    },
  };
}
