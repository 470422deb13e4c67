// BullMQ workload: a Queue (producer), a Worker and a QueueEvents listener.
// Every job must complete with the right return value, seen both through
// job.waitUntilFinished (QueueEvents) and the 'completed' events.
'use strict';
const { Queue, Worker, QueueEvents, FlowProducer } = require('bullmq');

const url = new URL(process.env.FW_URL);
const connection = {
  host: url.hostname,
  port: Number(url.port || 6379),
  db: Number((url.pathname || '/0').slice(1) || 0),
};
if (url.username) connection.username = decodeURIComponent(url.username);
if (url.password) connection.password = decodeURIComponent(url.password);
// ioredis 6 speaks RESP3 by default; `?protocol=2` in the URL selects RESP2 (as redis-py does).
if (url.searchParams.get('protocol')) connection.protocol = Number(url.searchParams.get('protocol'));
const N = Number(process.env.FW_JOBS || 20);
// Queue name, unique per run (frameworks.sh sets FW_QUEUE) so reruns against one server do not mix.
const NAME = process.env.FW_QUEUE || 'fw-bullmq';

async function main() {
  const queueEvents = new QueueEvents(NAME, { connection });
  const completed = new Map();
  queueEvents.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, returnvalue));
  const failed = [];
  queueEvents.on('failed', ({ jobId, failedReason }) => failed.push(`${jobId}: ${failedReason}`));
  await queueEvents.waitUntilReady();

  const queue = new Queue(NAME, { connection });
  const worker = new Worker(
    NAME,
    async (job) => {
      if (job.name === 'boom') throw new Error(`boom ${job.data.x}`);
      if (job.name === 'sum') {
        // A flow's parent: runs after its children, sums their results.
        const values = Object.values(await job.getChildrenValues());
        return values.reduce((a, b) => a + b, 0);
      }
      return job.data.x + job.data.y;
    },
    { connection, concurrency: 2 },
  );
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
  const check = (what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      console.log(`bullmq: ${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      bad++;
    }
  };
  // A delayed job and a prioritized one.
  const delayed = await queue.add('add', { x: 40, y: 2 }, { delay: 500 });
  check('delayed job', await delayed.waitUntilFinished(queueEvents, 60000), 42);
  const prio = await queue.add('add', { x: 1, y: 1 }, { priority: 5 });
  check('prioritized job', await prio.waitUntilFinished(queueEvents, 60000), 2);
  // A job that fails twice (2 attempts, fixed backoff) and ends failed.
  const boom = await queue.add('boom', { x: 7 }, { attempts: 2, backoff: { type: 'fixed', delay: 100 } });
  let reason = null;
  try {
    await boom.waitUntilFinished(queueEvents, 60000);
  } catch (e) {
    reason = e.message;
  }
  check('failing job reason', reason, 'boom 7');
  const boomJob = await queue.getJob(boom.id);
  check('failing job attempts', boomJob && boomJob.attemptsMade, 2);
  check('failing job state', await boom.getState(), 'failed');
  // A flow: a parent job that runs once its three children are done.
  const flowProducer = new FlowProducer({ connection });
  const flow = await flowProducer.add({
    name: 'sum',
    queueName: NAME,
    data: {},
    children: [1, 2, 3].map((i) => ({ name: 'add', queueName: NAME, data: { x: i, y: i } })),
  });
  check('flow parent', await flow.job.waitUntilFinished(queueEvents, 60000), 12);
  await flowProducer.close();
  const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized');
  check('job counts', counts, { completed: N + 6, failed: 1, waiting: 0, active: 0, delayed: 0, prioritized: 0 });
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
