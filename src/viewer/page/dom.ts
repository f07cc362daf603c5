// The page's elements, as the server writes them (src/viewer/player-page.ts).

/** The element with this id, of this kind; the page is broken without it, so it throws. */
export function byId<T extends Element>(id: string, kind: abstract new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof kind)) throw new Error(`watch page: no #${id}`);
  return el;
}
