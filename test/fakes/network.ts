/**
 * Routes the Worker's outbound fetch to the fakes by host, and fails loudly on any other host so
 * a test can never reach (or silently skip) a real upstream. Tests, queue consumers and Durable
 * Objects share one isolate in vitest-pool-workers, so one global covers all of them.
 */
import { FakeGenesys } from './genesys.fake';
import { FakeMeta } from './meta.fake';

export interface FakeNetwork {
  genesys: FakeGenesys;
  meta: FakeMeta;
  unhandled: string[];
}

const realFetch = globalThis.fetch;

export function installFakeNetwork(): FakeNetwork {
  const net: FakeNetwork = { genesys: new FakeGenesys(), meta: new FakeMeta(), unhandled: [] };
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const host = new URL(request.url).host;
    switch (host) {
      case 'login.genesys.fake':
        return net.genesys.login.fetch(request);
      case 'api.genesys.fake':
        return net.genesys.api.fetch(request);
      case 'graph.fake':
        return net.meta.graph.fetch(request);
      default:
        net.unhandled.push(request.url);
        throw new Error(`test network: no fake for ${request.url}`);
    }
  };
  return net;
}

export function uninstallFakeNetwork(): void {
  globalThis.fetch = realFetch;
}
