// Hash routes: #/datasets/ds_1, #/jobs/new, #/jobs/job_1, #/compare?ids=a,b, #/embeddings, #/evaluations.
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  page: string;
  id?: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = 'datasets', id] = path.split('/').filter(Boolean);
  return { page, id, query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const go = (hash: string) => {
  location.hash = hash;
};
