import { describe, expect, it } from 'vitest';
import { BackendError, GatewayError } from '../errors/gateway-error.ts';
import { guardedProviderStep, waitOrAbort } from './plugin-steps.ts';

describe('waitOrAbort', () => {
  it('resolves after the wait when nothing aborts', async () => {
    await expect(waitOrAbort(1, new AbortController().signal, 'p')).resolves.toBeUndefined();
  });

  it('rejects at once with ABORTED on an abort mid-wait, and with TIMEOUT on a deadline', async () => {
    const controller = new AbortController();
    const waiting = waitOrAbort(60_000, controller.signal, 'p');
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    const deadline = new AbortController();
    deadline.abort(new DOMException('late', 'TimeoutError'));
    await expect(waitOrAbort(60_000, deadline.signal, 'p')).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('guardedProviderStep', () => {
  const context = { signal: new AbortController().signal };

  it('passes results and GatewayErrors through unchanged', async () => {
    await expect(guardedProviderStep('p', context, async () => ({ images: [] }))).resolves.toEqual({
      images: [],
    });
    const refusal = new BackendError('no', { reason: 'content_filtered', provider: 'p' });
    await expect(guardedProviderStep('p', context, () => Promise.reject(refusal))).rejects.toBe(refusal);
  });

  it('turns anything else into malformed_response without the original message', async () => {
    const error = (await guardedProviderStep('p', context, () =>
      Promise.reject(new TypeError('secret body text')),
    ).catch((thrown: unknown) => thrown)) as GatewayError;
    expect(GatewayError.isInstance(error)).toBe(true);
    expect(BackendError.isBackendError(error) && error.reason).toBe('malformed_response');
    expect(error.message).not.toContain('secret body text');
  });

  it('does not start a step once aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await expect(
      guardedProviderStep('p', controller, async () => {
        ran = true;
        return { images: [] };
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ran).toBe(false);
  });
});
