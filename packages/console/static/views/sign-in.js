import { useState } from 'preact/hooks';
import { createApi } from '../api.js';
import { ErrorBox, html } from './shared.js';

/** Asks for an API key and checks it against the server before keeping it for the session. */
export function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const models = await createApi(key.trim()).models();
      onSignedIn(key.trim(), models);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="sign-in">
    <section class="panel">
      <h1>Sign in to pixelgate</h1>
      <p class="hint">Your API key stays in this tab's session storage and is sent only to this server.</p>
      <form onSubmit=${submit}>
        <label>API key
          <input type="password" name="apiKey" autocomplete="off" required value=${key} onInput=${(e) => setKey(e.currentTarget.value)} />
        </label>
        <p><button class="primary" type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button></p>
      </form>
      <${ErrorBox} error=${error} />
    </section>
  </main>`;
}
