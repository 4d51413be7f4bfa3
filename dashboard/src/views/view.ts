import type { Api } from '../model.js';
import type { StreamMsg } from '../stream.js';

/** What every page gets, and what it gives back to the shell (main.ts). */
export interface Ctx {
  api: Api;
  /** Shows an error in the page's alert region (screen readers announce it). */
  error(message: string | null): void;
  /** Why this session may not change anything (a cloud viewer), or null: pages show the reason instead of controls the API would refuse. */
  readOnly: string | null;
}

export interface View {
  title: string;
  el: HTMLElement;
  /** Called at once and then every poll period while the page is visible. */
  refresh(): Promise<void>;
  dispose?(): void;
  /** Poll period override (ms), e.g. a large cloud fleet costs one request per kit. */
  everyMs?(): number;
  /**
   * A live-stream message (stream.ts): true when the view applied it (or it does not concern the
   * view), false when the view needs a refresh. A view with `live` is not polled while the stream is up.
   */
  live?(m: StreamMsg): boolean;
  /** Every second while the page is visible: redraw what depends on the time ("silent 28 s", time left). */
  tick?(now: number): void;
}
