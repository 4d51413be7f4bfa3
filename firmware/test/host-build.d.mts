// Types for host-build.mjs (imported by contract.test.ts).
export declare const firmwareDir: string;
export declare function buildHostTests(opts?: { cxx?: string }): { binary: string; flags: string[]; sanitized: boolean; rebuilt: boolean };
export declare const runEnv: NodeJS.ProcessEnv;
export declare function parseSummary(output: string): { tests: number; passed: number; failed: number; checks: number } | null;
export declare function checkGlue(opts?: { cxx?: string }): { file: string; ok: boolean; output: string }[];
