/**
 * A TCK worker process: loads the engine module once, then runs the scenarios the runner sends
 * it, one at a time, answering each with its outcome. The runner kills the process when a
 * scenario overruns its time limit (a synchronous hang cannot be interrupted from inside).
 */
import { pathToFileURL } from 'node:url';
import type { TckScenario } from './gherkin-loader.ts';
import { runScenario, type EngineModule, type ScenarioOutcome } from './steps.ts';

/** Runner → worker. */
export type WorkerRequest =
  | { readonly type: 'init'; readonly engine: string; readonly featuresFolder: string }
  | { readonly type: 'run'; readonly scenario: TckScenario };

/** Worker → runner. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: string; readonly outcome: ScenarioOutcome };

let engine: EngineModule | undefined;
let loadError: string | undefined;
let featuresFolder = '.';

function send(reply: WorkerReply): void {
  process.send?.(reply);
}

async function onMessage(msg: WorkerRequest): Promise<void> {
  if (msg.type === 'init') {
    featuresFolder = msg.featuresFolder;
    try {
      const mod = (await import(pathToFileURL(msg.engine).href)) as Partial<EngineModule>;
      if (typeof mod.openGeode !== 'function' || typeof mod.isGeodeError !== 'function') {
        throw new Error(`${msg.engine} does not export openGeode and isGeodeError`);
      }
      engine = mod as EngineModule;
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 3).join(' | ') : String(err);
      loadError = `engine failed to load: ${text}`;
    }
    send({ type: 'ready' });
    return;
  }
  const { scenario } = msg;
  let outcome: ScenarioOutcome;
  if (engine === undefined) outcome = { status: 'failed', reason: loadError ?? 'engine not loaded' };
  else {
    try {
      outcome = await runScenario(scenario, engine, { featuresFolder });
    } catch (err) {
      outcome = { status: 'failed', reason: `runner error: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  send({ type: 'result', id: scenario.id, outcome });
}

// Messages are handled strictly one after another (the runner sends the next one only after a reply).
let queue: Promise<void> = Promise.resolve();
process.on('message', (msg: WorkerRequest) => {
  queue = queue.then(() => onMessage(msg));
});
process.on('disconnect', () => process.exit(0));
