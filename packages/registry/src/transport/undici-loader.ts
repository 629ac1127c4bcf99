import type { Agent, Dispatcher } from 'undici';

/** The parts of undici the transport uses: an `Agent` per registry and `request` through one. */
export interface UndiciParts {
  /** `files` when undici's Agent and request files were loaded, `package` after the fallback. */
  readonly source: 'files' | 'package';
  readonly Agent: typeof Agent;
  request(
    dispatcher: Dispatcher,
    url: URL,
    options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
  ): Promise<Dispatcher.ResponseData>;
}

type ApiRequest = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

/**
 * Loads undici when the first request is sent. Only its `Agent` and `request` files are loaded: the
 * package entry also evaluates fetch, WebSocket, EventSource, the cache and mock layers (about a
 * third more code, measured in the README). Those files are not a public entry point, so when they
 * are missing or differ in shape (another undici version) the package entry is used instead.
 */
export async function loadUndici(): Promise<UndiciParts> {
  try {
    const [agent, api] = await Promise.all([
      import('undici/lib/dispatcher/agent.js'),
      import('undici/lib/api/api-request.js'),
    ]);
    const AgentClass = agent.default as typeof Agent;
    const apiRequest = api.default as ApiRequest;
    if (typeof AgentClass !== 'function' || typeof apiRequest !== 'function') throw new Error('layout');
    if (typeof AgentClass.prototype.dispatch !== 'function') throw new Error('layout');
    return {
      source: 'files',
      Agent: AgentClass,
      request: (dispatcher, url, options) =>
        apiRequest.call(dispatcher, { ...options, origin: url.origin, path: `${url.pathname}${url.search}` }),
    };
  } catch {
    // a bundler that wraps undici (CommonJS) may expose only its `module.exports` as `default`
    const namespace = await import('undici');
    const wrapped = (namespace as unknown as { default?: typeof namespace }).default;
    const undici = typeof wrapped?.Agent === 'function' ? wrapped : namespace;
    return {
      source: 'package',
      Agent: undici.Agent,
      request: (dispatcher, url, options) => undici.request(url, { ...options, dispatcher }),
    };
  }
}
