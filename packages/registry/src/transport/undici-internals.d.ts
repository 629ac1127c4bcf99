// undici (8.x) has no `exports` map, so these files of its own are importable; they carry no types
// of their own. `undici-loader.ts` checks their shape at run time and falls back to `undici`.
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: unknown;
  export default Agent;
}
declare module 'undici/lib/api/api-request.js' {
  const request: unknown;
  export default request;
}
