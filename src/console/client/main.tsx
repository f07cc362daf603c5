// The operator console: a Preact app over the public /v1 API. Screens are hash
// routes (#/templates, #/templates/<id>, #/renders, #/integrations), so reloads
// and the browser's back button work without any server-side routing.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiFailure, onUnauthorized, session } from './api.ts';
import { currentLang, L, onLang, setLang } from './i18n.ts';
import { TemplatesScreen } from './templates.tsx';
import { TemplateScreen } from './template.tsx';
import { RendersScreen } from './renders.tsx';
import { IntegrationsScreen } from './integrations.tsx';
import './console.css';

interface Self {
  id: string;
  name: string;
  scopes: string[];
}
const SELF = 'kasane.console.self';
/** Operators need the template scope (admin passes every scope); an MA tool's render key must not open the console. */
const allowed = (s: Self) => s.scopes.includes('template') || s.scopes.includes('admin');

function useHash(): string {
  const [hash, setHash] = useState(location.hash || '#/templates');
  useEffect(() => {
    const f = () => setHash(location.hash || '#/templates');
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return hash;
}

function SignIn(p: { onSignedIn: (s: Self) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const self = await api<Self>('GET', '/v1/keys/self', undefined, key.trim());
      if (!allowed(self)) {
        setError(L(
          `このキー（${self.name}）ではコンソールを使えません。MA ツール用のキー（render 権限）です。template 権限のあるオペレーター用キーでサインインしてください。`,
          `This key (${self.name}) cannot open the console: it is an MA tool key (render scope). Sign in with an operator key that has the template scope.`,
        ));
        return;
      }
      session.set(key.trim());
      sessionStorage.setItem(SELF, JSON.stringify(self));
      p.onSignedIn(self);
    } catch (err) {
      setError(err instanceof ApiFailure && err.status === 401 ? L('キーが正しくありません。', 'This key is not valid.') : L('サインインできませんでした: ', 'Could not sign in: ') + (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>{L('Kasane コンソール', 'Kasane console')}</h1>
      <form onSubmit={submit}>
        <label for="key">{L('オペレーター用 API キー', 'Operator API key')}</label>
        <input id="key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} aria-describedby="key-help" />
        <p id="key-help" class="help">{L('キーはこのタブの中だけに保存され、タブを閉じると消えます。', 'The key is kept in this tab only and is gone when you close it.')}</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {L('サインイン', 'Sign in')}
        </button>
      </form>
    </main>
  );
}

function LangSwitch() {
  const next = currentLang() === 'ja' ? 'en' : 'ja';
  return (
    <button type="button" class="secondary lang" lang={next} onClick={() => setLang(next)}>
      {next === 'en' ? 'English' : '日本語'}
    </button>
  );
}

function App() {
  const [, redraw] = useState(0);
  const [self, setSelf] = useState<Self | null>(() => (session.key() ? (JSON.parse(sessionStorage.getItem(SELF) ?? 'null') as Self | null) : null));
  const hash = useHash();
  useEffect(() => onLang(() => redraw((n) => n + 1)), []);
  useEffect(() => {
    onUnauthorized(() => signOut());
  }, []);
  const signOut = () => {
    session.clear();
    sessionStorage.removeItem(SELF);
    setSelf(null);
  };
  if (!self)
    return (
      <>
        <header class="top">
          <span class="brand">Kasane</span>
          <LangSwitch />
        </header>
        <SignIn onSignedIn={setSelf} />
      </>
    );
  const [, screen, arg] = hash.split('/');
  const nav: Array<[string, string]> = [
    ['#/templates', L('テンプレート', 'Templates')],
    ['#/renders', L('最近の動画', 'Recent renders')],
    ['#/integrations', L('連携', 'Integrations')],
  ];
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        {L('本文へ移動', 'Skip to content')}
      </a>
      <header class="top">
        <span class="brand">Kasane</span>
        <nav aria-label={L('メニュー', 'Menu')}>
          {nav.map(([href, label]) => (
            <a href={href} aria-current={hash.startsWith(href) ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">{self.name}</span>
        <LangSwitch />
        <button type="button" class="secondary" onClick={signOut}>
          {L('サインアウト', 'Sign out')}
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {screen === 'templates' && arg ? (
          <TemplateScreen id={decodeURIComponent(arg)} key={arg} />
        ) : screen === 'renders' ? (
          <RendersScreen />
        ) : screen === 'integrations' ? (
          <IntegrationsScreen />
        ) : (
          <TemplatesScreen />
        )}
      </main>
    </>
  );
}

document.documentElement.lang = currentLang();
render(<App />, document.getElementById('app')!);
