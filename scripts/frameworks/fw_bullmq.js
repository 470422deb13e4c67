// BullMQ workload: a Queue (producer), a Worker and a QueueEvents listener.
// Every job must complete with the right return value, seen both through
// job.waitUntilFinished (QueueEvents) and the 'completed' events.
'use strict';
const { Queue, Worker, QueueEvents } = require('bullmq');

const url = new URL(process.env.FW_URL);
const connection = {
  host: url.hostname,
  port: Number(url.port || 6379),
  db: Number((url.pathname || '/0').slice(1) || 0),
};
const N = Number(process.env.FW_JOBS || 20);
const NAME = 'fw-bullmq';

async function main() {
  const queueEvents = new QueueEvents(NAME, { connection });
  const completed = new Map();
  queueEvents.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, returnvalue));
  const failed = [];
  queueEvents.on('failed', ({ jobId, failedReason }) => failed.push(`${jobId}: ${failedReason}`));
  await queueEvents.waitUntilReady();

  const queue = new Queue(NAME, { connection });
  const worker = new Worker(NAME, async (job) => job.data.x + job.data.y, { connection, concurrency: 2 });
  worker.on('error', (err) => console.log(`bullmq: worker error: ${err}`));
  await worker.waitUntilReady();

  const jobs = [];
  for (let i = 0; i < N; i++) jobs.push(await queue.add('add', { x: i, y: 2 * i }));
  let bad = 0;
  for (let i = 0; i < N; i++) {
    const got = await jobs[i].waitUntilFinished(queueEvents, 60000);
    if (got !== 3 * i) {
      console.log(`bullmq: job ${i}: expected ${3 * i}, got ${JSON.stringify(got)}`);
      bad++;
    }
  }
  // Every completion must also have been seen as a 'completed' event.
  for (let t = 0; t < 100 && completed.size < N; t++) await new Promise((r) => setTimeout(r, 100));
  if (completed.size !== N) {
    console.log(`bullmq: saw ${completed.size} 'completed' events, expected ${N}`);
    bad++;
  }
  if (failed.length) {
    console.log(`bullmq: failed jobs: ${failed.join('; ')}`);
    bad++;
  }
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active');
  if (counts.completed !== N || counts.failed || counts.waiting || counts.active) {
    console.log(`bullmq: job counts ${JSON.stringify(counts)}, expected ${N} completed only`);
    bad++;
  }
  await worker.close();
  await queue.close();
  await queueEvents.close();
  console.log(`bullmq: ${N} jobs done, ${bad} wrong`);
  return bad ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`bullmq: error: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
