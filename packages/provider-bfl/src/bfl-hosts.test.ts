import { BackendError, checkedUrl, hostAllowed } from '@pixelgate/core/provider-utils';
import { describe, expect, it } from 'vitest';

describe('hostAllowed', () => {
  it('matches exact hosts on the default port only', () => {
    expect(hostAllowed(new URL('https://api.eu.bfl.ai/v1/get_result?id=1'), ['api.eu.bfl.ai'])).toBe(true);
    expect(hostAllowed(new URL('https://api.eu.bfl.ai:8443/x'), ['api.eu.bfl.ai'])).toBe(false);
    expect(hostAllowed(new URL('https://api.eu.bfl.ai.evil.com/x'), ['api.eu.bfl.ai'])).toBe(false);
  });
  it('matches host:port entries exactly', () => {
    expect(hostAllowed(new URL('http://127.0.0.1:4000/x'), ['127.0.0.1:4000'])).toBe(true);
    expect(hostAllowed(new URL('http://127.0.0.1:4001/x'), ['127.0.0.1:4000'])).toBe(false);
  });
  it('matches wildcard subdomains but not the bare domain or look-alikes', () => {
    expect(hostAllowed(new URL('https://delivery-eu1.bfl.ai/a.jpg'), ['*.bfl.ai'])).toBe(true);
    expect(hostAllowed(new URL('https://bfl.ai/a.jpg'), ['*.bfl.ai'])).toBe(false);
    expect(hostAllowed(new URL('https://evilbfl.ai/a.jpg'), ['*.bfl.ai'])).toBe(false);
  });
});

describe('checkedUrl', () => {
  const options = { provider: 'bfl', hosts: ['api.bfl.ai'], allowHttp: false, what: 'polling URL' };
  it('accepts https on an allowed host', () => {
    expect(checkedUrl('https://api.bfl.ai/v1/get_result?id=1', options).host).toBe('api.bfl.ai');
  });
  it.each([
    ['http://api.bfl.ai/v1/get_result', 'plain http'],
    ['https://user:pw@api.bfl.ai/x', 'credentials in the URL'],
    ['https://169.254.169.254/latest/meta-data', 'a metadata address'],
    ['not a url', 'not a URL'],
  ])('refuses %s (%s) as malformed_response without quoting the path', (text) => {
    let caught: unknown;
    try {
      checkedUrl(text, options);
    } catch (error) {
      caught = error;
    }
    expect(BackendError.isBackendError(caught) && caught.reason).toBe('malformed_response');
    expect((caught as Error).message).not.toContain('meta-data');
  });
});
