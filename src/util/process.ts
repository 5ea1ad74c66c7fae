/**
 * True while a process with this pid exists (EPERM: it exists but is another user's).
 * Used to tell abandoned temporary files and locks from those of a process still at work.
 *
 * @example if (!processAlive(pidFromLockFile)) removeStaleLock();
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
