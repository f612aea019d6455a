import { FUNCTIONS, type FunctionName } from '../../lib/api.js';
import { lambdaContext } from './apiGateway.js';

// biome-ignore lint/suspicious/noExplicitAny: the local runtime calls each handler with the event shape Lambda would, whatever its declared type.
type Handler = (event: any, context: ReturnType<typeof lambdaContext>) => Promise<any>;

const handlers = new Map<FunctionName, Promise<Handler>>();

/**
 * A function's real `handler`, imported on first use, as Lambda would at cold start (after the local
 * runtime has set the environment it reads).
 */
export const loadHandler = (fn: FunctionName): Promise<Handler> => {
  let handler = handlers.get(fn);
  if (!handler) {
    const url = new URL(`../../${FUNCTIONS[fn].entry}`, import.meta.url).href;
    handler = import(url).then((module: { handler: Handler }) => module.handler);
    handlers.set(fn, handler);
  }
  return handler;
};

/** Invokes a function locally with a Lambda context carrying its cloud timeout. */
export const invoke = async (fn: FunctionName, event: unknown): Promise<unknown> => {
  const definition = FUNCTIONS[fn];
  const handler = await loadHandler(fn);
  return handler(event, lambdaContext(definition.id, 'timeoutSeconds' in definition ? definition.timeoutSeconds : 29));
};
