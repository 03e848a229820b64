import { sql, type Kysely } from 'kysely'
import type { StoreConnection } from './connection/index.js'
import type { Database } from './schema.js'

/** A witness's cosignature of the tree head of the checkpoint at `seq`. */
export interface StoredCosignature {
  readonly seq: number
  readonly witness: string
  /** The signature line, without its newline. */
  readonly line: string
  readonly cosignedAt: Date
  readonly receivedAt: Date
}

/**
 * The cosignatures witnesses posted, one per witness and tree size (a repeated post of the same
 * tree head replaces the witness's earlier one: its time moves). The gateway verifies them
 * before storing; verification of the log never trusts this table, it re-checks the lines.
 */
export class AuditCosignatureStore {
  readonly #db: Kysely<Database>

  constructor(connection: StoreConnection<Database>) {
    this.#db = connection.db
  }

  /** Stores or refreshes a witness's cosignature of the checkpoint at `seq`. */
  async put(cosignature: StoredCosignature): Promise<void> {
    await sql`insert into audit_cosignatures (seq, witness, line, cosigned_at, received_at)
              values (${cosignature.seq}, ${cosignature.witness}, ${cosignature.line}, ${cosignature.cosignedAt}, ${cosignature.receivedAt})
              on conflict (seq, witness) do update set line = excluded.line, cosigned_at = excluded.cosigned_at, received_at = excluded.received_at`.execute(this.#db)
  }

  /** The cosignatures of the checkpoints at these seqs. */
  async of(seqs: readonly number[]): Promise<StoredCosignature[]> {
    if (seqs.length === 0) return []
    const rows = await this.#db.selectFrom('audit_cosignatures').selectAll().where('seq', 'in', [...seqs]).orderBy('seq').orderBy('witness').execute()
    return rows.map(cosignatureOf)
  }

  /** Each witness's newest cosignature: what it last vouched for. */
  async latestByWitness(): Promise<StoredCosignature[]> {
    const rows = await this.#db
      .selectFrom('audit_cosignatures as c')
      .selectAll('c')
      .where(({ eb, selectFrom }) => eb('c.seq', '=', selectFrom('audit_cosignatures as d').select(({ fn }) => fn.max('d.seq').as('seq')).whereRef('d.witness', '=', 'c.witness')))
      .orderBy('c.witness')
      .execute()
    return rows.map(cosignatureOf)
  }
}

function cosignatureOf(row: { seq: number; witness: string; line: string; cosigned_at: Date; received_at: Date }): StoredCosignature {
  return { seq: Number(row.seq), witness: row.witness, line: row.line, cosignedAt: row.cosigned_at, receivedAt: row.received_at }
}
