/**
 * What the store's modules share: the connection, a clock, the app version,
 * and a cache of prepared statements (each SQL text is prepared once).
 */
import type Database from 'better-sqlite3';
import type { Db } from './db';

export class StoreContext {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: Db,
    /** milliseconds since the Unix epoch */
    readonly now: () => number,
    readonly appVersion: string,
  ) {}

  /** The prepared statement of `sql` (prepared on first use). */
  sql<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as Database.Statement<unknown[], R>;
  }

  /** The prepared statement of `sql` in raw mode (rows as arrays of column values, in SELECT order; faster for long reads). */
  rawSql(sql: string): Database.Statement<unknown[], unknown[]> {
    const key = `raw:${sql}`;
    let s = this.statements.get(key);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      this.statements.set(key, s);
    }
    return s as Database.Statement<unknown[], unknown[]>;
  }

  /** Run `fn` in one IMMEDIATE (write) transaction; nested calls become savepoints of the outer one. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
