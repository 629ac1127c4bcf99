import {
  type LineParse,
  parseHealthConfig,
  parseMaybeJSON,
  parseMaybeJSONToList,
  parseNameOrNameVal,
  parseNameVal,
  parseString,
  parseStringsWhitespaceDelimited,
} from './line-parsers.js';
import type { InstructionNode } from './node.js';
import { splitCommand } from './split-command.js';

type NodeCore = Omit<InstructionNode, 'range' | 'heredocs' | 'comments'>;

function lineParser(keyword: string, rest: string, escapeToken: string): LineParse {
  switch (keyword) {
    case 'add':
    case 'copy':
    case 'volume':
      return parseMaybeJSONToList(rest);
    case 'arg':
      return parseNameOrNameVal(rest, escapeToken);
    case 'cmd':
    case 'entrypoint':
    case 'run':
    case 'shell':
      return parseMaybeJSON(rest);
    case 'env':
      return parseNameVal(rest, 'ENV', escapeToken);
    case 'label':
      return parseNameVal(rest, 'LABEL', escapeToken);
    case 'expose':
    case 'from':
      return parseStringsWhitespaceDelimited(rest);
    case 'healthcheck':
      return parseHealthConfig(rest);
    case 'maintainer':
    case 'stopsignal':
    case 'user':
    case 'workdir':
      return parseString(rest);
    case 'onbuild':
      return rest === '' ? { args: [], json: false } : { args: [], json: false, sub: rest };
    default:
      // BuildKit keeps unknown instructions with an empty argument; the instruction stage rejects them.
      return { args: [''], json: false };
  }
}

/** splitCommand + the keyword's line parser (BuildKit's newNodeFromLine). */
export function dispatchLineParser(line: string, escapeToken: string): { node: NodeCore; lp: LineParse } {
  const { keyword, rawKeyword, flags, rest } = splitCommand(line);
  const lp = lineParser(keyword, rest, escapeToken);
  const node: NodeCore = { keyword, rawKeyword, flags, args: lp.args, json: lp.json, original: line };
  if (lp.sub !== undefined) {
    const inner = dispatchLineParser(lp.sub, escapeToken).node;
    node.child = {
      ...inner,
      heredocs: [],
      comments: [],
      range: { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } },
    };
  }
  return { node, lp };
}
