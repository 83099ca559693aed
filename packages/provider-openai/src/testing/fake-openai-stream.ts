import type { ServerResponse } from 'node:http';
import { type ImagePlan, reportedQuality, usageOf } from './fake-openai-images.ts';
import { type FakeOpenAIContext, render } from './fake-openai-shared.ts';
import type { FakeOpenAIScenario } from './fake-openai-types.ts';

/** One event as OpenAI writes it: an `event:` line, one `data:` line of JSON, a blank line. */
function eventText(name: string, data: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Writes, waiting for the socket to drain; false once the client has gone. */
async function write(response: ServerResponse, text: string): Promise<boolean> {
  if (response.destroyed || response.writableEnded) return false;
  if (response.write(text)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
  return !response.destroyed;
}

/**
 * The events of a streamed answer, in OpenAI's order (reference 1.5): for each image its partial
 * images (`partial_image_index` from 0), then its `completed` event with the usage of that image
 * (the input tokens on the first one only, so the events add up to the call's usage).
 */
async function* streamEvents(context: FakeOpenAIContext, plan: ImagePlan): AsyncGenerator<string> {
  const common = {
    size: `${plan.width}x${plan.height}`,
    quality: reportedQuality(plan),
    background: plan.background === 'transparent' ? 'transparent' : 'opaque',
    output_format: plan.format,
  };
  for (let image = 0; image < plan.n; image++) {
    for (let partial = 0; partial < (plan.partialImages ?? 0); partial++) {
      const bytes = await render(
        context,
        plan.width,
        plan.height,
        plan.format,
        `${plan.drawFrom}#partial${partial}`,
        image,
      );
      yield eventText(`${plan.eventPrefix}.partial_image`, {
        type: `${plan.eventPrefix}.partial_image`,
        b64_json: Buffer.from(bytes).toString('base64'),
        created_at: Math.floor(Date.now() / 1000),
        ...common,
        partial_image_index: partial,
      });
    }
    const bytes = await render(
      context,
      plan.width,
      plan.height,
      plan.format,
      plan.drawFrom,
      image,
      plan.compression,
    );
    yield eventText(`${plan.eventPrefix}.completed`, {
      type: `${plan.eventPrefix}.completed`,
      b64_json: Buffer.from(bytes).toString('base64'),
      created_at: Math.floor(Date.now() / 1000),
      ...common,
      usage: usageOf(plan, 1, image === 0),
    });
  }
}

/** The error event OpenAI's streaming clients read (`event: error`, the error object inside). */
function errorEvent(scenario: Extract<FakeOpenAIScenario, { type: 'stream_error' }>): string {
  return eventText('error', {
    type: 'error',
    error: {
      message: scenario.message ?? 'The server had an error while processing your request. Sorry about that!',
      type: scenario.errorType ?? 'server_error',
      param: null,
      code: scenario.code ?? null,
    },
  });
}

/**
 * Answers a `stream: true` request with `text/event-stream`. Scenarios: `stream_error` sends an
 * error event after some events, `stream_stall` stops sending and waits for the client to leave,
 * `truncated` cuts the connection inside the second event. Open streams are counted, so tests
 * can see an aborted client close the upstream connection.
 */
export async function streamAnswer(
  context: FakeOpenAIContext,
  response: ServerResponse,
  plan: ImagePlan,
  scenario: FakeOpenAIScenario | undefined,
  headers: Record<string, string>,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...headers,
  });
  context.openStreams += 1;
  response.once('close', () => {
    context.openStreams -= 1;
  });
  let sent = 0;
  for await (const text of streamEvents(context, plan)) {
    if (scenario?.type === 'stream_error' && sent === (scenario.afterEvents ?? 1)) {
      await write(response, errorEvent(scenario));
      break;
    }
    if (scenario?.type === 'stream_stall' && sent === (scenario.afterEvents ?? 1)) {
      if (!response.destroyed) await new Promise((resolve) => response.once('close', resolve));
      return;
    }
    if (scenario?.type === 'truncated' && sent === 1) {
      // Let the bytes reach the socket before cutting it, as a dropped connection would.
      await new Promise<void>((resolve) =>
        response.write(text.slice(0, Math.floor(text.length / 2)), () => resolve()),
      );
      setImmediate(() => response.destroy());
      return;
    }
    if (!(await write(response, text))) return;
    sent += 1;
  }
  response.end();
}
