import type { BuildEvents } from '../engine/build-request.js';

type Shown = string;

/**
 * The progress events of a build that may be restarted in place (see `build()`): the first attempt's
 * events go to the listener as they happen, and the stage, instruction and warning events it showed
 * are remembered in order; the restart replays the same steps (the plan and the cache keys are the
 * same), so its events that repeat what was shown, in the same order, are dropped. Listeners see each
 * step once, and the restart's own events from where the first attempt stopped. Should the restart
 * differ (a cache entry gone in between), everything from the first difference on is passed on.
 */
export class RestartEvents {
  private readonly shown: Shown[] = [];

  constructor(private readonly events: BuildEvents | undefined) {}

  /** Events of the first attempt: passed on, and remembered. */
  first(): BuildEvents | undefined {
    return this.wrap((key) => {
      this.shown.push(key);
      return true;
    });
  }

  /** Events of the restart: those that repeat the first attempt's, in order, are dropped. */
  restart(): BuildEvents | undefined {
    let next = 0;
    return this.wrap((key) => {
      if (next < this.shown.length && this.shown[next] === key) {
        next++;
        return false;
      }
      next = Number.POSITIVE_INFINITY;
      return true;
    });
  }

  /** `pass(key)` decides whether a progress event is passed on; output, info and push always are. */
  private wrap(pass: (key: Shown) => boolean): BuildEvents | undefined {
    const e = this.events;
    if (!e) return undefined;
    // methods are called on the listener itself (it may be a class instance)
    return {
      output: (chunk, stream) => e.output?.(chunk, stream),
      info: (m) => e.info?.(m),
      push: (p) => e.push?.(p),
      stage: (s) => {
        if (pass(`stage ${s.index}`)) e.stage?.(s);
      },
      instructionStart: (s) => {
        if (pass(`start ${s.stage}:${s.line}`)) e.instructionStart?.(s);
      },
      instructionEnd: (s) => {
        if (pass(`end ${s.stage}:${s.line}:${s.cached === true}`)) e.instructionEnd?.(s);
      },
      warning: (w) => {
        if (pass(`warning ${w.line}:${w.rule}:${w.message}`)) e.warning?.(w);
      },
    };
  }
}
