// Sign-in: the key is checked against the API (a one-item dataset list) before it is stored.
import { useState } from 'preact/hooks';
import { html } from 'htm/preact';
import { api, ok } from './api.ts';
import { forgetKey, storeKey } from './session.ts';
import { ErrorBox } from './components.ts';

export function Login({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    storeKey(key.trim(), remember);
    try {
      await ok(api.GET('/v1/datasets', { params: { query: { limit: 1 } } }));
      onSignedIn();
    } catch (err) {
      forgetKey();
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <form class="card" onSubmit=${submit}>
      <h1>simsiam-service</h1>
      <label>API key
        <input name="apiKey" type="password" autocomplete="off" required placeholder="ssk_…" value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} />
      </label>
      <label class="inline"><input type="checkbox" checked=${remember} onChange=${(e: Event) => setRemember((e.target as HTMLInputElement).checked)} /> Remember on this computer</label>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      ${error && html`<${ErrorBox} error=${error} />`}
      <p class="hint">The key is printed by <code>npm start</code> and kept in <code>DATA_DIR/api-key</code>.</p>
    </form>
  </main>`;
}
