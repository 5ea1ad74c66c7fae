/**
 * Runs at most `n` tasks at once; the rest wait in order. Only leaf work (a transfer, an
 * existence check) takes a slot, never a task that waits on others, so a deep graph cannot
 * deadlock with all slots held by parents.
 *
 * @example const limit = limiter(4); await Promise.all(items.map((x) => limit(() => work(x))));
 */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`concurrency must be a positive integer, not ${n}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so a newcomer arriving in
    // between cannot take it too.
    if (running >= n) await new Promise<void>((start) => waiting.push(start));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
