import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import * as fc from "fast-check";
import Ajv from "ajv";
import {
  NotebookFormatError,
  parseNotebook,
  parseNotebookBytes,
  serializeNotebook,
  sourceToLines,
  type SdeNotebook,
} from "../../../src/notebook/format";

const fixtures = join(__dirname, "../../fixtures/notebooks");
const read = (name: string) => readFileSync(join(fixtures, name), "utf8");
const schema = JSON.parse(readFileSync(join(__dirname, "../../../schemas/sdenb.schema.json"), "utf8"));
const validate = new Ajv({ strict: false }).compile(schema);

function formatError(text: string): NotebookFormatError {
  try {
    parseNotebook(text);
  } catch (e) {
    expect(e).toBeInstanceOf(NotebookFormatError);
    return e as NotebookFormatError;
  }
  throw new Error("expected a NotebookFormatError");
}

describe("round trip", () => {
  const canonicalFiles = [
    ...readdirSync(fixtures).filter((f) => f.endsWith(".sdenb")).map((f) => join(fixtures, f)),
    ...readdirSync(join(__dirname, "../../../notebooks"))
      .filter((f) => f.endsWith(".sdenb"))
      .map((f) => join(__dirname, "../../../notebooks", f)),
  ];
  it.each(canonicalFiles)("%s is byte-identical after parse + serialize", (file) => {
    const text = readFileSync(file, "utf8");
    expect(serializeNotebook(parseNotebook(text))).toBe(text);
  });

  it("reads the parts of the canonical fixture", () => {
    const nb = parseNotebook(read("canonical.sdenb"));
    expect(nb.metadata).toEqual({ title: "Every feature of the format", section: 0 });
    expect(nb.cells).toHaveLength(3);
    expect(nb.cells[0]!.source).toBe('# Title\n\nSome *prose* with "quotes", a tab\t, and unicode: ✓ 数据.\n');
    expect(nb.cells[1]!.source).toBe("const x = 1;\nx + 1");
    expect(nb.cells[1]!.execution).toEqual({ order: 3, success: true });
    expect(nb.cells[1]!.outputs![1]!.items[0]).toEqual({ mime: "image/png", encoding: "base64", data: "iVBORw0KGgo=", extra: {} });
    expect(nb.cells[2]!.id).toBeUndefined();
    expect(nb.cells[2]!.source).toBe("");
  });
});

describe("unknown fields", () => {
  it("survive at every level, including a key named __proto__", () => {
    const text = read("unknown-fields-everywhere.sdenb");
    const nb = parseNotebook(text);
    expect(nb.extra).toEqual({ toolVersion: "9.9.9", signature: null });
    const cell = nb.cells[0]!;
    expect(cell.extra.collapsed).toBe(true);
    expect(Object.getOwnPropertyNames(cell.extra)).toContain("__proto__");
    expect(Object.getPrototypeOf(cell.extra)).toBe(Object.prototype);
    expect(cell.execution?.extra).toEqual({ durationMs: 12 });
    expect(cell.outputs![0]!.extra).toEqual({ outputTag: "x" });
    expect(cell.outputs![0]!.items[0]!.extra).toEqual({ itemFlag: true });
    expect(serializeNotebook(nb)).toBe(text);
  });

  it("are written after the known keys, in their original order", () => {
    const text = JSON.stringify({ zeta: 1, cells: [], alpha: 2, version: 1, format: "sde-notebook" });
    expect(Object.keys(JSON.parse(serializeNotebook(parseNotebook(text))))).toEqual([
      "format",
      "version",
      "metadata",
      "cells",
      "zeta",
      "alpha",
    ]);
  });
});

describe("canonical output", () => {
  it("uses 2-space indent, \\n line ends and a trailing newline", () => {
    const out = serializeNotebook(parseNotebook('{"format":"sde-notebook","version":1,"cells":[{"kind":"code","source":"a\\r\\nb"}]}'));
    expect(out.endsWith("}\n")).toBe(true);
    expect(out.split("\n")[1]).toBe('  "format": "sde-notebook",');
    expect(JSON.parse(out).cells[0].source).toEqual(["a\r\n", "b"]);
  });

  it("drops outputs and execution when asked to", () => {
    const out = JSON.parse(serializeNotebook(parseNotebook(read("canonical.sdenb")), { includeOutputs: false }));
    expect(out.cells[1].outputs).toBeUndefined();
    expect(out.cells[1].execution).toBeUndefined();
    expect(out.cells[1].source).toEqual(["const x = 1;\n", "x + 1"]);
  });

  it("splits source into lines that keep their newline", () => {
    expect(sourceToLines("")).toEqual([]);
    expect(sourceToLines("a")).toEqual(["a"]);
    expect(sourceToLines("a\n")).toEqual(["a\n"]);
    expect(sourceToLines("a\n\nb")).toEqual(["a\n", "\n", "b"]);
  });
});

describe("empty and malformed files", () => {
  it("opens an empty or blank file as a starter notebook", () => {
    for (const text of ["", "  \n\t"]) {
      const nb = parseNotebook(text);
      expect(nb.cells.map((c) => c.kind)).toEqual(["markdown", "code"]);
    }
    expect(parseNotebookBytes(new Uint8Array()).cells).toHaveLength(2);
  });

  it("accepts a UTF-8 byte order mark", () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(read("canonical.sdenb"))]);
    expect(parseNotebookBytes(bytes).cells).toHaveLength(3);
  });

  it("names the line and column of invalid JSON", () => {
    const e = formatError('{\n  "format": "sde-notebook",\n  "version": 1,\n  "cells": [\n    {"kind": "code", "source": "x",}\n  ]\n}\n');
    expect(e.line).toBe(5);
    expect(e.column).toBe(36);
    expect(e.message).toBe("Invalid JSON: expected a property name in double quotes (line 5, column 36)");
  });

  it("names an unterminated document", () => {
    const e = formatError('{"format": "sde-notebook", "cells": [');
    expect(e.message).toMatch(/^Invalid JSON: /);
    expect(e.line).toBe(1);
  });

  it("rejects a file that is not an SDE Lab notebook", () => {
    const e = formatError('{\n  "nbformat": 4,\n  "cells": []\n}');
    expect(e.message).toBe('Not an SDE Lab notebook: expected "format": "sde-notebook" at the top level (line 1, column 1, at format)');
    expect(formatError("[1, 2]").message).toMatch(/^The notebook must be a JSON object \(line 1, column 1\)/);
  });

  it("rejects a newer format version with advice", () => {
    const e = formatError('{"format": "sde-notebook", "version": 7, "cells": []}');
    expect(e.message).toContain("format version 7, newer than this SDE Lab reads (1); update the extension");
    expect(e.column).toBe(39);
  });

  it("points at a wrong cell kind", () => {
    const text = ['{"format": "sde-notebook", "version": 1, "cells": [', '  {"kind": "code", "source": ""},', '  {"kind": "raw", "source": ""}', "]}"].join("\n");
    const e = formatError(text);
    expect([e.line, e.column, e.path]).toEqual([3, 12, "cells[1].kind"]);
    expect(e.problem).toBe('"kind" must be "markdown" or "code"');
  });

  it("points at non-string source lines and bad outputs", () => {
    expect(formatError('{"format":"sde-notebook","version":1,"cells":[{"kind":"code","source":["a", 3]}]}').path).toBe("cells[0].source[1]");
    expect(
      formatError('{"format":"sde-notebook","version":1,"cells":[{"kind":"code","source":"","outputs":[{"items":[{"mime":"text/plain"}]}]}]}').path,
    ).toBe("cells[0].outputs[0].items[0].data");
    expect(formatError('{"format":"sde-notebook","version":1,"cells":{}}').problem).toBe('"cells" must be an array');
  });

  it("reports invalid UTF-8 with its position", () => {
    const bytes = Buffer.concat([Buffer.from('{\n  "format": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n}')]);
    expect(() => parseNotebookBytes(bytes)).toThrow(new NotebookFormatError("The file is not valid UTF-8 text", 2, 14, ""));
  });
});

// Arbitrary notebooks built from the model, so properties cover every field.
const jsonObject = fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }) as fc.Arbitrary<Record<string, never>>;
const notebookArb: fc.Arbitrary<SdeNotebook> = fc.record({
  metadata: jsonObject,
  extra: jsonObject,
  cells: fc.array(
    fc.record(
      {
        id: fc.string(),
        kind: fc.constantFrom("markdown" as const, "code" as const),
        language: fc.constantFrom("typescript", "markdown", "javascript"),
        source: fc.string({ unit: "grapheme" }),
        metadata: jsonObject,
        extra: jsonObject,
        execution: fc.record({ order: fc.nat(), success: fc.boolean() }, { requiredKeys: [] }),
        outputs: fc.array(
          fc.record({
            items: fc.array(
              fc.record({ mime: fc.constantFrom("text/plain", "text/markdown", "application/json"), data: fc.string(), extra: jsonObject }),
              { maxLength: 3 },
            ),
            metadata: jsonObject,
            extra: jsonObject,
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ["kind", "language", "source", "metadata", "extra"] },
    ),
    { maxLength: 4 },
  ),
});

describe("properties (fast-check)", () => {
  it("any text either parses or raises NotebookFormatError (2,000 inputs)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.string({ unit: "binary" })), (text) => {
        try {
          parseNotebook(text);
        } catch (e) {
          if (!(e instanceof NotebookFormatError)) throw e;
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("any bytes either parse or raise NotebookFormatError (1,000 inputs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseNotebookBytes(bytes);
        } catch (e) {
          if (!(e instanceof NotebookFormatError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("a damaged canonical file parses or raises NotebookFormatError (1,000 mutations)", () => {
    const base = read("canonical.sdenb");
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.nat(20), fc.string({ maxLength: 3 }), (at, cut, insert) => {
        const text = base.slice(0, at) + insert + base.slice(at + cut);
        try {
          parseNotebook(text);
        } catch (e) {
          if (!(e instanceof NotebookFormatError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("serialize is a fixed point: serialized notebooks round-trip byte for byte and match the schema (1,000 notebooks)", () => {
    fc.assert(
      fc.property(notebookArb, (nb) => {
        const once = serializeNotebook(nb);
        expect(serializeNotebook(parseNotebook(once))).toBe(once);
        expect(validate(JSON.parse(once))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("JSON Schema", () => {
  it("rejects what the parser rejects for shape", () => {
    expect(validate({ format: "sde-notebook", version: 1, cells: [{ kind: "raw", source: "" }] })).toBe(false);
    expect(validate({ format: "sde-notebook", version: 1, cells: [{ kind: "code" }] })).toBe(false);
    expect(validate({ format: "other", version: 1, cells: [] })).toBe(false);
  });
});
