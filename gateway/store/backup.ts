import { openStore, requireStore } from './open.js';

/**
 * An online backup of the store while the gateway runs: SQLite's backup API copies a consistent
 * snapshot page by page without stopping the writer (WAL readers do not block it).
 */
export async function backupStore(dataDir: string, target: string): Promise<{ pages: number }> {
  requireStore(dataDir);
  const db = openStore(dataDir, { readonly: true });
  try {
    const r = await db.backup(target);
    return { pages: r.totalPages };
  } finally {
    db.close();
  }
}
