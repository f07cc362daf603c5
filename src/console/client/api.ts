// Every call goes to the public /v1 API with the operator's key as Bearer: anything
// the console shows, a script can do too. The key lives in sessionStorage only
// (gone when the tab closes), never in localStorage or a cookie.
const KEY = 'kasane.console.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  set: (k: string): void => sessionStorage.setItem(KEY, k),
  clear: (): void => sessionStorage.removeItem(KEY),
};

export interface Problem {
  pointer?: string;
  message: string;
  message_ja?: string;
}

/** The API's one error shape, as thrown by api(). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

function failure(status: number, body: unknown): ApiFailure {
  const e = (body as { error?: { code?: string; message?: string; problems?: Problem[] } } | null)?.error;
  return new ApiFailure(status, e?.code ?? 'http_' + status, e?.message ?? `HTTP ${status}`, e?.problems ?? []);
}

const listeners = new Set<() => void>();
/** Called when the API refuses the key (401): the shell signs out. */
export const onUnauthorized = (f: () => void) => listeners.add(f);

export async function api<T>(method: string, path: string, body?: unknown, key = session.key()): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${key ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    if (res.status === 401 && key === session.key()) listeners.forEach((f) => f());
    throw failure(res.status, parsed);
  }
  return parsed as T;
}

/** A file the API serves only with the key (a result CSV): fetched, handed to the browser as a download. */
export async function download(path: string, name: string): Promise<void> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${session.key() ?? ''}` } });
  if (!res.ok) throw failure(res.status, await res.json().catch(() => null));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** multipart POST with upload progress (fetch cannot report it; XMLHttpRequest can). */
export function postForm<T>(path: string, form: FormData, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('authorization', `Bearer ${session.key() ?? ''}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total);
    xhr.onerror = () => reject(new ApiFailure(0, 'network', 'network error'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(failure(xhr.status, body));
    };
    xhr.send(form);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
