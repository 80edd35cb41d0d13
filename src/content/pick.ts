/**
 * The pattern quick pick shared by Insert Pattern Snippet and Preview Architecture Diagram:
 * every catalog entry, grouped by section under separators, with its summary.
 */
import * as vscode from "vscode";
import { SECTIONS, patternsOf, type PatternEntry } from "../catalog/index";

interface PatternItem extends vscode.QuickPickItem {
  readonly entry?: PatternEntry;
}

/** The quick pick's items: a separator per section, then its patterns in teaching order. */
export function patternPickItems(): PatternItem[] {
  return SECTIONS.flatMap((section) => {
    const entries = patternsOf(section.id);
    if (entries.length === 0) return [];
    return [
      { label: section.title, kind: vscode.QuickPickItemKind.Separator },
      ...entries.map((entry): PatternItem => ({ label: entry.title, description: entry.id, detail: entry.summary, entry })),
    ];
  });
}

/** Asks the user for a pattern; undefined if they dismissed the pick. */
export async function pickPattern(placeHolder: string): Promise<PatternEntry | undefined> {
  const picked = await vscode.window.showQuickPick(patternPickItems(), { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.entry;
}
