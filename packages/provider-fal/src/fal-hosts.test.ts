import { BackendError, checkedUrl, hostAllowed } from '@pixelgate/core/provider-utils';
import { describe, expect, it } from 'vitest';

describe('fal host allow lists', () => {
  it('matches fal media subdomains but not look-alikes or other ports', () => {
    expect(hostAllowed(new URL('https://v3.fal.media/files/a.png'), ['fal.media', '*.fal.media'])).toBe(true);
    expect(hostAllowed(new URL('https://fal.media.evil.com/a.png'), ['fal.media', '*.fal.media'])).toBe(
      false,
    );
    expect(hostAllowed(new URL('https://queue.fal.run:444/x'), ['queue.fal.run'])).toBe(false);
  });

  it('refuses a status URL off the list as malformed_response, naming only the host', () => {
    let caught: unknown;
    try {
      checkedUrl('https://queue.example.com/fal-ai/flux/requests/1/status?token=secret', {
        provider: 'fal',
        hosts: ['queue.fal.run'],
        allowHttp: false,
        what: 'status_url',
      });
    } catch (error) {
      caught = error;
    }
    expect(BackendError.isBackendError(caught) && caught.reason).toBe('malformed_response');
    expect((caught as Error).message).toContain('queue.example.com');
    expect((caught as Error).message).not.toContain('token=secret');
  });
});
