/** A worker thread of `parallel-check.ts`: checks each batch of rows it is sent and sends the result back. */
import { parentPort } from 'node:worker_threads'
import { checkBatch, transferList, type RowBatch } from './parallel-check.js'

parentPort?.on('message', (batch: RowBatch) => {
  const checked = checkBatch(batch)
  parentPort?.postMessage(checked, transferList(checked))
})
