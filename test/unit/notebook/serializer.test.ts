import { describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { SdeNotebookSerializer } from "../../../src/notebook/serializer";

const fixture = (name: string) => readFileSync(join(__dirname, "../../fixtures/notebooks", name));
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function serializer(saveOutputs = true) {
  const showError = vi.fn<(message: string) => void>();
  return { s: new SdeNotebookSerializer({ saveOutputs: () => saveOutputs, showError }), showError };
}

describe("SdeNotebookSerializer", () => {
  it("round-trips canonical files through VS Code's notebook data byte for byte", () => {
    const { s } = serializer();
    for (const name of ["canonical.sdenb", "unknown-fields-everywhere.sdenb"]) {
      const bytes = fixture(name);
      expect(decode(s.serializeNotebook(s.deserializeNotebook(bytes)))).toBe(decode(bytes));
    }
  });

  it("maps cells, outputs and execution summaries to VS Code's model", () => {
    const { s } = serializer();
    const data = s.deserializeNotebook(fixture("canonical.sdenb"));
    expect(data.cells.map((c) => [c.kind, c.languageId])).toEqual([
      [vscode.NotebookCellKind.Markup, "markdown"],
      [vscode.NotebookCellKind.Code, "typescript"],
      [vscode.NotebookCellKind.Code, "typescript"],
    ]);
    const code = data.cells[1]!;
    expect(code.executionSummary).toEqual({ executionOrder: 3, success: true });
    expect(code.outputs![0]!.items.map((i) => [i.mime, decode(i.data)])).toEqual([
      ["text/plain", "2"],
      ["application/json", "2"],
    ]);
    expect(Array.from(code.outputs![1]!.items[0]!.data.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it("saves outputs a run added, and saves a new cell the same way every time", () => {
    const { s } = serializer();
    const data = s.deserializeNotebook(new Uint8Array());
    const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "40 + 2", "typescript");
    cell.outputs = [new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text("42")])];
    cell.executionSummary = { executionOrder: 1, success: true };
    data.cells.push(cell);
    const saved = JSON.parse(decode(s.serializeNotebook(data)));
    const last = saved.cells[2];
    expect(last.id).toBeUndefined();
    expect(last.outputs).toEqual([{ items: [{ mime: "text/plain", data: "42" }], metadata: {} }]);
    expect(last.execution).toEqual({ order: 1, success: true });
    const first = decode(s.serializeNotebook(data));
    expect(decode(s.serializeNotebook(data))).toBe(first);
    expect(decode(s.serializeNotebook(s.deserializeNotebook(new TextEncoder().encode(first))))).toBe(first);
  });

  it("keeps a code cell without an outputs key without one until a run gives it outputs", () => {
    const { s } = serializer();
    const text = `${JSON.stringify({ format: "sde-notebook", version: 1, metadata: {}, cells: [{ kind: "code", language: "typescript", source: ["1"], metadata: {} }, { kind: "code", language: "typescript", source: ["2"], metadata: {}, outputs: [] }] }, null, 2)}\n`;
    const data = s.deserializeNotebook(new TextEncoder().encode(text));
    expect(decode(s.serializeNotebook(data))).toBe(text);
    data.cells[0]!.outputs = [new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text("1")])];
    expect(JSON.parse(decode(s.serializeNotebook(data))).cells.map((c: { outputs?: unknown[] }) => c.outputs?.length)).toEqual([1, 0]);
    data.cells[0]!.outputs = [];
    expect(decode(s.serializeNotebook(data))).toBe(text);
  });

  it("leaves outputs out when the setting is off", () => {
    const { s } = serializer(false);
    const saved = JSON.parse(decode(s.serializeNotebook(s.deserializeNotebook(fixture("canonical.sdenb")))));
    expect(saved.cells.map((c: { outputs?: unknown }) => c.outputs)).toEqual([undefined, undefined, undefined]);
  });

  it("refuses a malformed file with a message that says where and what to do", () => {
    const { s, showError } = serializer();
    const bad = new TextEncoder().encode('{"format": "sde-notebook", "version": 1, "cells": [}');
    expect(() => s.deserializeNotebook(bad)).toThrow(
      "SDE Lab could not open this notebook: Invalid JSON: expected a value (line 1, column 52). The file was not changed.",
    );
    expect(showError).toHaveBeenCalledTimes(1);
    expect(showError.mock.calls[0]![0]).toContain("Open With... > Text Editor");
  });
});

describe("SdeNotebookSerializer and outputs it did not make", () => {
  it("renders only safe kinds and markdown without HTML, and saves the file back byte for byte", () => {
    const { s } = serializer();
    const bytes = fixture("crafted-outputs.sdenb");
    const data = s.deserializeNotebook(bytes);
    const shown = data.cells.slice(1).map((c) => c.outputs!.flatMap((o) => o.items.map((i) => [i.mime, decode(i.data)])));
    expect(shown[0]).toEqual([["text/markdown", expect.stringMatching(/^\*\*saved markdown\*\* &lt;img src="x" onerror=.* and `<code>` stays$/)]]);
    expect(shown[1]).toEqual([["text/plain", "(a saved output of type text/html is not shown: SDE Lab renders only text, markdown, JSON and PNG images)"]]);
    expect(shown[2]).toEqual([["text/plain", "(a saved output of type application/javascript is not shown: SDE Lab renders only text, markdown, JSON and PNG images)"]]);
    expect(shown[3]).toEqual([["text/plain", "plain fallback"]]);
    expect(decode(s.serializeNotebook(data))).toBe(decode(bytes));
  });
});
