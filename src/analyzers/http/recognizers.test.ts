import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { analyzeHttp } from './analyze-http.js'
import type { HttpFacts } from './facts.js'
import { AWS_SERVICES, GCP_ADMIN_APIS, GCP_ADMIN_ROUTES, GITHUB_ADMIN_PREFIXES, GITHUB_ADMIN_ROUTES, GITHUB_ORDINARY_ROUTES } from './recognizers.js'

// Every entry of the recognizer table is exercised here with a request built from its own
// pattern, so an entry shadowed by an earlier one, or a pattern that matches nothing, fails.

const SAMPLE_VALUES: Readonly<Record<string, string>> = { owner: 'acme', repo: 'api', org: 'acme', user: 'bob', branch: 'release/v1', bucket: 'logs', project: 'p', account: 'sa@p.iam.gserviceaccount.com', parent: 'projects', enterprise: 'big' }

/** A concrete path for a pattern: placeholders filled with sample values, `/**` one segment deeper. */
function examplePath(pattern: string): string {
  return pattern.replace(/\/\*\*$/, '/deeper').replace(/\{([a-z]+)\+?\}/gi, (_, name: string) => SAMPLE_VALUES[name] ?? `${name}1`)
}

/** The methods to try for a route's methods spec: every listed one, or a few changing ones for `*`. */
function methodsOf(spec: string): string[] {
  return spec === '*' ? ['POST', 'PUT', 'PATCH', 'DELETE'] : spec.split('|')
}

function facts(method: string, url: string, extra: Record<string, unknown> = {}): HttpFacts {
  return analyzeHttp({ method, url, ...extra }).facts
}

describe('GitHub recognizer table', () => {
  for (const [methods, pattern, operation, does] of GITHUB_ADMIN_ROUTES) {
    for (const method of methodsOf(methods)) {
      it(`recognizes ${method} ${pattern} as ${operation}, administering`, () => {
        const { facts: found, highlights } = analyzeHttp({ method, url: `https://api.github.com${examplePath(pattern)}` })
        assert.deepEqual([found.service, found.operation, found.admin, found.mutating], ['github', operation, true, true])
        assert.match(highlights[0] ?? '', /^administers GitHub [^{}]+: [^{}]+$/, `every placeholder of "${does}" filled`)
      })
    }
    it(`does not count GET ${pattern} as administration`, () => {
      const { admin, mutating } = facts('GET', `https://api.github.com${examplePath(pattern)}`)
      assert.deepEqual({ admin, mutating }, { admin: false, mutating: false })
    })
    it(`recognizes ${pattern} on GitHub Enterprise Server under /api/v3`, () => {
      const method = methodsOf(methods)[0] as string
      assert.equal(facts(method, `https://git.acme.corp/api/v3${examplePath(pattern)}`).operation, operation)
    })
  }

  for (const [methods, pattern, operation] of GITHUB_ORDINARY_ROUTES) {
    it(`recognizes ${methods} ${pattern} as ${operation}, not administering`, () => {
      const { operation: found, admin } = facts(methodsOf(methods)[0] as string, `https://api.github.com${examplePath(pattern)}`)
      assert.deepEqual({ operation: found, admin }, { operation, admin: false })
    })
  }

  for (const prefix of GITHUB_ADMIN_PREFIXES) {
    it(`counts any change under ${prefix} as administration`, () => {
      const { service, operation, admin } = facts('POST', `https://api.github.com${examplePath(prefix)}/new/endpoint`)
      assert.deepEqual({ service, operation, admin }, { service: 'github', operation: '', admin: true })
    })
  }
})

describe('AWS recognizer table', () => {
  for (const entry of AWS_SERVICES) {
    const url = `https://${entry.endpoint}.us-east-1.amazonaws.com/`
    it(`names ${entry.endpoint} endpoints ${entry.service}, global and regional`, () => {
      for (const host of [`${entry.endpoint}.amazonaws.com`, `${entry.endpoint}.eu-west-1.amazonaws.com`, `${entry.endpoint}-fips.us-gov-west-1.amazonaws.com`]) {
        assert.equal(facts('POST', `https://${host}/`, { body: 'Action=ListThings' }).service, entry.service, host)
      }
    })
    it(`does not count a read of ${entry.service} as administration`, () => {
      const { operation, admin, mutating } = facts('GET', `${url}?Action=ListThings`)
      assert.deepEqual({ operation, admin, mutating }, { operation: 'ListThings', admin: false, mutating: false })
    })
    it(`judges a change through ${entry.service} by its rule (${String(entry.admin)})`, () => {
      const change = entry.admin instanceof RegExp ? 'AssumeRole' : 'CreateThing'
      const expected = entry.admin !== null
      assert.equal(facts('POST', url, { headers: { 'X-Amz-Target': `Prefix.${change}` } }).admin, expected)
    })
    it(`counts an access change through ${entry.service} as administration`, () => {
      assert.equal(facts('POST', url, { body: { Action: 'PutResourcePolicy' } }).admin, true)
    })
  }

  // Attack review (issue 14 bypass 9, issue 16): Query API writes sent as GET to the other forms
  // of AWS's hosts read as non-mutating.
  const hostForms = [
    ['ec2.us-east-1.api.aws', 'aws.ec2'],
    ['ec2.dualstack.us-east-1.amazonaws.com', 'aws.ec2'],
    ['ec2-fips.dualstack.us-east-1.amazonaws.com', 'aws.ec2'],
    ['ec2-fips.us-east-1.api.aws', 'aws.ec2'],
    ['fips.ec2.us-east-1.amazonaws.com', 'aws.ec2'],
    ['vpce-0a1b2c3d4e5f6a7b8-abcdefgh.ec2.us-east-1.vpce.amazonaws.com', 'aws.ec2'],
    ['vpce-0a1b2c3d4e5f6a7b8-abcdefgh-us-east-1a.ec2.us-east-1.vpce.amazonaws.com', 'aws.ec2'],
    ['iam.global.api.aws', 'aws.iam'],
    ['iam.us-gov.amazonaws.com', 'aws.iam'],
    ['sts.amazonaws.com', 'aws.sts'],
    ['sts.us-gov-west-1.amazonaws.com', 'aws.sts'],
    ['iam.cn-north-1.amazonaws.com.cn', 'aws.iam'],
    ['ec2.cn-northwest-1.api.amazonwebservices.com.cn', 'aws.ec2'],
    ['ec2.us-iso-east-1.c2s.ic.gov', 'aws.ec2'],
    ['iam.us-isob-east-1.sc2s.sgov.gov', 'aws.iam'],
    ['ec2.eusc-de-east-1.amazonaws.eu', 'aws.ec2'],
    ['EC2.US-EAST-1.AMAZONAWS.COM.', 'aws.ec2'],
    // Unlisted endpoints: named by their labels, judged by the operation.
    ['newservice.us-east-1.amazonaws.com', 'aws.newservice'],
    ['api.ecr.us-east-1.amazonaws.com', 'aws.api.ecr'],
    ['something.else.api.aws', 'aws.something.else'],
  ] as const
  for (const [host, service] of hostForms) {
    it(`reads GET ?Action=RunInstances to ${host} as a change of ${service}`, () => {
      const found = facts('GET', `https://${host}/?Action=RunInstances&Version=2016-11-15`)
      assert.deepEqual([found.service, found.operation, found.mutating], [service, 'RunInstances', true])
      assert.equal(facts('GET', `https://${host}/?action=DescribeInstances`).mutating, false)
    })
  }

  it('counts an IAM change sent as GET to its global dualstack host as administration', () => {
    assert.deepEqual(
      [facts('GET', 'https://iam.global.api.aws/?Action=CreateAccessKey&UserName=admin').admin, facts('GET', 'https://iam.global.api.aws/?Action=ListUsers').admin],
      [true, false],
    )
  })

  it('recognizes S3 access changes in every partition', () => {
    assert.equal(facts('PUT', 'https://logs.s3.us-iso-east-1.c2s.ic.gov/?policy').admin, true)
  })

  it('does not take an S3 bucket host for a service endpoint', () => {
    assert.equal(facts('POST', 'https://iam.s3.amazonaws.com/', { body: 'Action=CreateUser' }).service, 'aws.s3')
  })

  it('ignores Action parameters and X-Amz-Target on hosts that are not AWS', () => {
    const found = facts('GET', 'https://iam.example.com/?Action=CreateUser', { headers: { 'x-amz-target': 'A.CreateAccount' } })
    assert.deepEqual([found.service, found.operation, found.admin], ['', '', false])
  })
})

describe('Google Cloud recognizer table', () => {
  for (const [methods, api, pattern, operation] of GCP_ADMIN_ROUTES) {
    for (const method of methodsOf(methods)) {
      it(`recognizes ${method} ${api} ${pattern} as ${operation}, administering`, () => {
        const { facts: found, highlights } = analyzeHttp({ method, url: `https://${api}.googleapis.com${examplePath(pattern)}` })
        assert.match(highlights[0] ?? '', /^[^{}]+$/, 'every placeholder filled')
        const verb = { POST: 'insert', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? ''
        assert.deepEqual([found.service, found.operation, found.admin], [`gcp.${api}`, operation.replace('{verb}', verb), true])
      })
    }
  }

  for (const [api, does] of Object.entries(GCP_ADMIN_APIS)) {
    it(`counts any change through gcp.${api} as administration`, () => {
      const { highlights, facts: found } = analyzeHttp({ method: 'POST', url: `https://${api}.googleapis.com/v1/something/new` })
      assert.equal(found.admin, true)
      assert.ok(highlights.includes(does))
      assert.equal(facts('GET', `https://${api}.googleapis.com/v1/something/new`).admin, false)
    })
  }

  it('recognizes setIamPolicy of any API on www.googleapis.com by the path', () => {
    const found = facts('POST', 'https://www.googleapis.com/compute/v1/projects/p/global/images/i/setIamPolicy')
    assert.deepEqual([found.service, found.operation, found.admin], ['gcp.compute', 'setIamPolicy', true])
  })

  it('counts setIamPolicy as administration whatever the method', () => {
    assert.equal(facts('GET', 'https://pubsub.googleapis.com/v1/projects/p/topics/t:setIamPolicy').admin, true)
  })
})
