#!/usr/bin/env node
// Fails at once (exit 1, one line per service) when the Redis or PostgreSQL that the store suites
// run against cannot be reached, so CI never skips those suites silently. No dependencies: a TCP
// connection plus a PING (Redis) or an SSLRequest probe (PostgreSQL answers 'S' or 'N').
import { connect } from 'node:net';

function probe(name, url, request, accept) {
  return new Promise((resolve) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      resolve(`${name}: ${url} is not a URL`);
      return;
    }
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port) });
    const timer = setTimeout(() => finish(`${name}: no answer from ${parsed.host} within 3 s`), 3000);
    const finish = (problem) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(problem);
    };
    socket.once('connect', () => socket.write(request));
    socket.once('data', (data) =>
      finish(accept(data) ? undefined : `${name}: ${parsed.host} answered unexpectedly`),
    );
    socket.once('error', (error) =>
      finish(`${name}: cannot connect to ${parsed.host} (${error.code ?? error.message})`),
    );
  });
}

const redis = process.env.PIXELGATE_TEST_REDIS_URL;
const postgres = process.env.PIXELGATE_TEST_POSTGRES_URL;
const problems = (
  await Promise.all([
    redis
      ? probe('Redis', redis, 'PING\r\n', (data) => data.toString().startsWith('+PONG'))
      : 'Redis: PIXELGATE_TEST_REDIS_URL is not set',
    postgres
      ? probe(
          'PostgreSQL',
          postgres,
          Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]),
          (data) => data[0] === 0x53 || data[0] === 0x4e,
        )
      : 'PostgreSQL: PIXELGATE_TEST_POSTGRES_URL is not set',
  ])
).filter(Boolean);
for (const problem of problems) console.error(`check-services: ${problem}`);
process.exit(problems.length ? 1 : 0);
