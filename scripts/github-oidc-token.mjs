// Prints a fresh OIDC token of this GitHub Actions job, for the audience CS_AUDIENCE (default
// "countersign"), from the runtime's token endpoint: the action's COUNTERSIGN_TOKEN_COMMAND.
const base = process.env.ACTIONS_ID_TOKEN_REQUEST_URL
const bearer = process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
if (!base || !bearer) {
  console.error("no OIDC token for this job: give the workflow 'permissions: id-token: write'")
  process.exit(1)
}
const url = new URL(base)
url.searchParams.set('audience', process.env.CS_AUDIENCE || 'countersign')
try {
  const response = await fetch(url, { headers: { authorization: `bearer ${bearer}`, accept: 'application/json' } })
  if (!response.ok) throw new Error(`the token endpoint answered HTTP ${response.status}`)
  const { value } = await response.json()
  if (typeof value !== 'string' || value === '') throw new Error('the token endpoint answered without a token')
  process.stdout.write(value)
} catch (error) {
  console.error(`cannot get the job's OIDC token: ${error.message}`)
  process.exit(1)
}
