// The dashboard's shell: sign-in, navigation and the page for the current route.
import { render } from 'preact';
import { useState } from 'preact/hooks';
import './styles.css';
import { html } from 'htm/preact';
import { Login } from './login.ts';
import { forgetKey, storedKey } from './session.ts';
import { closeSubscriptions } from './api.ts';
import { useRoute } from './route.ts';
import { DatasetsPage } from './datasets.ts';
import { JobsPage } from './jobs.ts';
import { JobPage } from './jobLive.ts';
import { JobForm } from './jobForm.ts';
import { ComparePage } from './compare.ts';
import { EmbeddingsPage } from './embeddings.ts';
import { EvaluationsPage } from './evaluations.ts';

const TABS = [
  ['datasets', 'Datasets'],
  ['jobs', 'Jobs'],
  ['embeddings', 'Embeddings'],
  ['evaluations', 'Evaluations'],
] as const;

function Page() {
  const route = useRoute();
  switch (route.page) {
    case 'jobs':
      if (route.id === 'new') return html`<${JobForm} datasetId=${route.query.get('dataset') ?? undefined} />`;
      return route.id ? html`<${JobPage} id=${route.id} />` : html`<${JobsPage} />`;
    case 'compare':
      return html`<${ComparePage} ids=${(route.query.get('ids') ?? '').split(',').filter(Boolean)} />`;
    case 'embeddings':
      return html`<${EmbeddingsPage} jobId=${route.query.get('job') ?? undefined} />`;
    case 'evaluations':
      return html`<${EvaluationsPage} jobId=${route.query.get('job') ?? undefined} />`;
    default:
      return html`<${DatasetsPage} id=${route.id} />`;
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(() => storedKey() !== null);
  const route = useRoute();
  if (!signedIn) return html`<${Login} onSignedIn=${() => setSignedIn(true)} />`;
  const active = route.page === 'compare' ? 'jobs' : route.page;
  const signOut = () => {
    forgetKey();
    closeSubscriptions();
    setSignedIn(false);
  };
  return html`<div class="shell">
    <header>
      <span class="brand">simsiam-service</span>
      <nav>${TABS.map(([page, label]) => html`<a href=${`#/${page}`} class=${active === page ? 'active' : ''}>${label}</a>`)}</nav>
      <button type="button" class="link" onClick=${signOut}>Sign out</button>
    </header>
    <main><${Page} /></main>
  </div>`;
}

const root = document.getElementById('app')!;
// drop the static "Loading the dashboard…" line: render() adds to what is there
root.replaceChildren();
render(html`<${App} />`, root);
