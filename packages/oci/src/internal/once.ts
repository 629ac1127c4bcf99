/** Memoizes an async thunk per view object (not module state): the first call's promise is reused. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    if (!p) {
      p = fn();
      // A failed attempt may be retried by the next caller.
      p.catch(() => {
        p = undefined;
      });
    }
    return p;
  };
}
