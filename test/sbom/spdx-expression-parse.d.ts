declare module 'spdx-expression-parse' {
  function parse(source: string): unknown;
  export default parse;
}
