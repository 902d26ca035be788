import { describe, expect, it } from 'vitest';
import { GENESYS_MEDIA_HOST_SUFFIXES } from './genesys-regions';
import { isAllowedMediaUrl } from './media-hosts';

const allowed = [...GENESYS_MEDIA_HOST_SUFFIXES, 'files.example.com'];

describe('which attachment links may go to WhatsApp', () => {
  it('https links on a Genesys cloud (any region) or a listed host', () => {
    expect(isAllowedMediaUrl('https://api-downloads.mypurecloud.ie/api/v2/downloads/x', allowed)).toBe(true);
    expect(isAllowedMediaUrl('https://api-downloads.euw2.pure.cloud/x', allowed)).toBe(true);
    expect(isAllowedMediaUrl('https://files.example.com/a.pdf', allowed)).toBe(true);
  });

  it('never http, IP literals, local names, credentials in the URL, look-alike hosts or garbage', () => {
    for (const url of [
      'http://api-downloads.mypurecloud.ie/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://localhost/x',
      'https://user:pass@files.example.com/x',
      'https://files.example.com.evil.net/x',
      'https://evilmypurecloud.ie/x',
      'https://sub.files.example.com/x',
      'not a url',
    ]) {
      expect(isAllowedMediaUrl(url, allowed), url).toBe(false);
    }
  });

  it('an entry with a scheme allows exactly that origin (the sandbox simulator over http)', () => {
    expect(isAllowedMediaUrl('http://localhost:8788/assets/agent.png', ['http://localhost:8788'])).toBe(true);
    expect(isAllowedMediaUrl('http://localhost:8789/assets/agent.png', ['http://localhost:8788'])).toBe(false);
  });
});
