import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { createApi } from './api.js';
import { storedKey, storeKey } from './state.js';
import { AuditView } from './views/audit.js';
import { CompareView } from './views/compare.js';
import { GalleryView } from './views/gallery.js';
import { GenerateView } from './views/generate.js';
import { html } from './views/shared.js';
import { SignIn } from './views/sign-in.js';
import { UsageView } from './views/usage.js';

const TABS = [
  ['generate', 'Generate', GenerateView],
  ['gallery', 'Gallery', GalleryView],
  ['compare', 'Compare', CompareView],
  ['usage', 'Usage', UsageView],
  ['audit', 'Audit', AuditView],
];

function App() {
  const [key, setKey] = useState(storedKey());
  const [models, setModels] = useState(undefined);
  const [tab, setTab] = useState('generate');
  const api = useMemo(() => (key ? createApi(key) : undefined), [key]);
  if (api && models === undefined) {
    api.models().then(setModels, () => {
      storeKey('');
      setKey('');
    });
  }
  if (!api) {
    return html`<${SignIn} onSignedIn=${(signedKey, list) => {
      storeKey(signedKey);
      setModels(list);
      setKey(signedKey);
    }} />`;
  }
  if (!models) return html`<p class="loading">Loading models…</p>`;
  const View = TABS.find(([id]) => id === tab)[2];
  return html`<div>
    <header>
      <h1>pixelgate console</h1>
      <nav aria-label="Console sections"><ul>
        ${TABS.map(([id, label]) => html`<li><button type="button" aria-current=${tab === id ? 'page' : undefined} onClick=${() => setTab(id)}>${label}</button></li>`)}
      </ul></nav>
      <button type="button" onClick=${() => {
        storeKey('');
        setModels(undefined);
        setKey('');
      }}>Sign out</button>
    </header>
    <main><${View} api=${api} models=${models} /></main>
  </div>`;
}

const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
