// Types of scripts/snippets.mjs for the tests that import it.
export declare const SNIPPETS_FILE: string;
export declare function generateSnippets(): Promise<Record<string, { prefix: string; description: string; body: string[] }>>;
export declare function writeSnippets(): Promise<number>;
