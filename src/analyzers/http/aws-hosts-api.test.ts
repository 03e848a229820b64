import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { testGateway, type TestGateway } from '../../server/test-gateway.js'
import { testStores } from '../../store/connection/index.js'

// Attack review (issue 14 bypass 9): AWS Query API writes sent as GET to dualstack, VPC endpoint,
// FIPS, global and China hosts passed the starter policy's "http-reads" allow rule.

const POLICY = `
version: 1
default: review
default_review: { approvers: [group:security], timeout: 1h }
rules:
  - id: http-reads
    match: { kind: http }
    when: http.parse_error == "" && !http.mutating && !http.admin
    effect: allow
`

const HOSTS = [
  'ec2.dualstack.us-east-1.amazonaws.com',
  'vpce-0a1b2c3d4e5f6a7b8-abcdefgh.ec2.us-east-1.vpce.amazonaws.com',
  'ec2-fips.us-east-1.api.aws',
  'iam.global.api.aws',
  'sts.amazonaws.com',
  'ec2.cn-north-1.api.amazonwebservices.com.cn',
  'unlisted-service.eu-west-3.amazonaws.com',
]

for (const store of testStores()) {
  describe(`AWS Query writes as GET over the HTTP API on ${store.name}`, () => {
    let gw: TestGateway
    let drop: () => Promise<void>
    before(async () => {
      const connection = await store.open()
      drop = connection.drop
      gw = await testGateway(connection, { policy: POLICY, targets: [{ name: 'aws', kind: 'http', labels: { env: 'prod' } }] })
    })
    after(async () => {
      await gw.close()
      await drop()
    })

    const submit = async (url: string) => {
      const response = await gw.call('POST', '/v1/actions', { as: 'deployBot', body: { kind: 'http', target: 'aws', payload: { method: 'GET', url } } })
      assert.equal(response.status, 201, JSON.stringify(response.body))
      return response.body
    }

    for (const host of HOSTS) {
      it(`holds GET ?Action=RunInstances to ${host} for review, and allows a Describe`, async () => {
        const write = await submit(`https://${host}/?Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1&Version=2016-11-15`)
        assert.equal(write.status, 'pending', JSON.stringify(write.impact))
        assert.equal(write.impact.facts.mutating, true)
        assert.equal(write.impact.facts.operation, 'RunInstances')
        const read = await submit(`https://${host}/?Action=DescribeInstances&Version=2016-11-15`)
        assert.equal(read.status, 'allowed')
      })
    }
  })
}
