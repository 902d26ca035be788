import { describe, expect, it } from 'vitest';
import { slugFromHost, tenantUrl } from './tenant-host';

describe('tenant from the Host header', () => {
  it('the first label under the base domain, port ignored, case folded', () => {
    expect(slugFromHost('acme.bridge.example.com', 'bridge.example.com')).toBe('acme');
    expect(slugFromHost('ACME.bridge.example.com:443', 'bridge.example.com')).toBe('acme');
  });

  it('nothing for the base domain itself, other domains, nested labels or invalid slugs', () => {
    expect(slugFromHost('bridge.example.com', 'bridge.example.com')).toBeNull();
    expect(slugFromHost('acme.other.com', 'bridge.example.com')).toBeNull();
    expect(slugFromHost('a.b.bridge.example.com', 'bridge.example.com')).toBeNull();
    expect(slugFromHost('-acme.bridge.example.com', 'bridge.example.com')).toBeNull();
    expect(slugFromHost(undefined, 'bridge.example.com')).toBeNull();
    expect(slugFromHost('acme.bridge.example.com', undefined)).toBeNull();
  });
});

describe("a tenant's own URL", () => {
  it('keeps the public URL’s scheme and port (the sandbox’s callback URL works as given)', () => {
    expect(tenantUrl('http://localhost:8787', 'localhost', 'demo', '/webhooks/whatsapp')).toBe(
      'http://demo.localhost:8787/webhooks/whatsapp',
    );
    expect(tenantUrl('https://bridge.example.com', 'bridge.example.com', 'acme', '/webhooks/whatsapp')).toBe(
      'https://acme.bridge.example.com/webhooks/whatsapp',
    );
  });
});
