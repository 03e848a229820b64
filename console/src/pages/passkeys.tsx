import { startRegistration } from '@simplewebauthn/browser'
import { useState } from 'react'
import { api } from '../api'
import { clock } from '../format'
import { usePoll } from '../hooks'

interface Passkey {
  readonly credential_id: string
  readonly name: string
  readonly created_at: string
  readonly last_used_at: string | null
  readonly revoked_at: string | null
}

/**
 * Your passkeys: the credentials that sign approvals where a rule says `assurance: passkey`.
 * Register several (a laptop, a phone, a security key); revoke one you lost. Each registration
 * is an audit event carrying its public key, against which every approval it signs is checked.
 */
export function PasskeysPage() {
  const passkeys = usePoll((signal) => api<{ passkeys: Passkey[] }>('/v1/passkeys', { signal }), 10_000, 'passkeys')
  const [name, setName] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ bad: boolean; text: string } | undefined>()

  const register = async () => {
    setBusy(true)
    setMessage(undefined)
    try {
      const optionsJSON = await api<Parameters<typeof startRegistration>[0]['optionsJSON']>('/v1/passkeys/registration-options', { method: 'POST' })
      const response = await startRegistration({ optionsJSON })
      await api('/v1/passkeys', { method: 'POST', body: { name: name.trim(), response } })
      setName('')
      setMessage({ bad: false, text: 'Passkey registered.' })
      passkeys.reload()
    } catch (reason) {
      setMessage({ bad: true, text: (reason as Error).message })
    } finally {
      setBusy(false)
    }
  }

  const revoke = async (passkey: Passkey) => {
    setMessage(undefined)
    try {
      await api(`/v1/passkeys/${passkey.credential_id}`, { method: 'DELETE' })
      passkeys.reload()
    } catch (reason) {
      setMessage({ bad: true, text: (reason as Error).message })
    }
  }

  const list = passkeys.data?.passkeys ?? []
  return (
    <section className="page passkeys">
      <header className="page-head">
        <h1 tabIndex={-1}>Passkeys</h1>
        <p className="muted">Approvals of rules with assurance: passkey are signed by one of these, for exactly the action you see.</p>
      </header>
      <section className="panel" aria-labelledby="register-title">
        <h2 id="register-title">Register a passkey</h2>
        <div className="register">
          <label htmlFor="passkey-name">Name</label>
          <input id="passkey-name" value={name} onChange={(event) => setName(event.target.value)} maxLength={100} placeholder="e.g. work laptop" />
          <button type="button" className="approve" disabled={busy} onClick={() => void register()}>
            Register
          </button>
        </div>
      </section>
      {message && (
        <p className={`alert ${message.bad ? 'alert-bad' : 'alert-info'}`} role={message.bad ? 'alert' : 'status'}>
          {message.text}
        </p>
      )}
      {passkeys.data && list.length === 0 && <p className="empty">No passkeys yet.</p>}
      <ul className="grant-list">
        {list.map((passkey) => (
          <li key={passkey.credential_id} className={`panel passkey ${passkey.revoked_at ? 'grant-ended' : ''}`}>
            <div className="grant-head">
              <strong>{passkey.name}</strong>
              <span className="mono small">{passkey.credential_id.slice(0, 16)}…</span>
              <span className="muted">
                registered {clock(passkey.created_at)}
                {passkey.last_used_at && ` · last used ${clock(passkey.last_used_at)}`}
                {passkey.revoked_at && ` · revoked ${clock(passkey.revoked_at)}`}
              </span>
            </div>
            {!passkey.revoked_at && (
              <button type="button" className="deny" onClick={() => void revoke(passkey)}>
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  )
}
