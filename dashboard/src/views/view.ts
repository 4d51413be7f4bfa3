import type { Api } from '../model.js';

/** What every page gets, and what it gives back to the shell (main.ts). */
export interface Ctx {
  api: Api;
  /** Shows an error in the page's alert region (screen readers announce it). */
  error(message: string | null): void;
}

export interface View {
  title: string;
  el: HTMLElement;
  /** Called at once and then every poll period while the page is visible. */
  refresh(): Promise<void>;
  dispose?(): void;
  /** Poll period override (ms), e.g. a large cloud fleet costs one request per kit. */
  everyMs?(): number;
}
