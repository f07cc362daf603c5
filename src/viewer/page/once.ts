export type Then = () => void;

/**
 * Runs `fn` once; every caller (autoplay, a tap) continues when it is done. Callbacks, not
 * promises, on purpose: once loaded, a tap's play() runs inside the tap itself, which is
 * what mobile browsers accept as the user's gesture to play with sound.
 */
export function once(fn: (done: Then) => void): (then: Then) => void {
  let done = false;
  let waiting: Then[] | null = null;
  return (then) => {
    if (done) return then();
    if (waiting) return void waiting.push(then);
    waiting = [then];
    fn(() => {
      const all = waiting ?? [];
      done = true;
      waiting = null;
      all.forEach((f) => f());
    });
  };
}
