import { describe, expect, it } from "vitest";
import { challengeDone, describeProgress, patternOfCellId, withMilestone, withVerdict } from "../../../src/content/progress-record";

const stage = (name: string, passed: boolean, ran = true) => ({ name, passed, ran });

describe("progress record", () => {
  it("marks milestones once and describes them in words", () => {
    const a = withMilestone({}, "retry-backoff", "ran");
    expect(withMilestone(a, "retry-backoff", "ran")).toBe(a);
    const b = withMilestone(withMilestone(a, "retry-backoff", "diagram"), "retry-backoff", "read");
    expect(describeProgress(b["retry-backoff"])).toBe("read · ran · diagram previewed");
    expect(describeProgress(undefined)).toBe("");
  });

  it("counts stages passed from the first and keeps the best run", () => {
    let r = withVerdict({}, { id: "bulkhead", passed: false, stages: [stage("works", true), stage("survives", false), stage("scale", false, false)] });
    expect(r.bulkhead).toEqual({ stages: 3, stagesPassed: 1 });
    expect(describeProgress(r.bulkhead)).toBe("stage 1 of 3");
    r = withVerdict(r, { id: "bulkhead", passed: false, stages: [stage("works", false), stage("survives", false, false), stage("scale", false, false)] });
    expect(r.bulkhead!.stagesPassed).toBe(1);
    r = withVerdict(r, { id: "bulkhead", passed: true, stages: [stage("works", true), stage("survives", true), stage("scale", true)] });
    expect(challengeDone(r.bulkhead)).toBe(true);
    expect(describeProgress(r.bulkhead)).toBe("all 3 stages passed");
    // A challenge whose stages changed starts over.
    r = withVerdict(r, { id: "bulkhead", passed: false, stages: [stage("works", false), stage("new", false, false)] });
    expect(r.bulkhead).toEqual({ stages: 2, stagesPassed: 0 });
  });

  it("counts a knob challenge as one stage", () => {
    expect(withVerdict({}, { id: "cqrs", passed: true, stages: [] }).cqrs).toEqual({ stages: 1, stagesPassed: 1 });
    expect(withVerdict({}, { id: "cqrs", passed: false, stages: [] }).cqrs).toEqual({ stages: 1, stagesPassed: 0 });
  });

  it("maps a cell id to the longest matching pattern id", () => {
    const ids = ["timeout", "retry-backoff", "client-side-discovery", "client-side"];
    expect(patternOfCellId("client-side-discovery-check", ids)).toBe("client-side-discovery");
    expect(patternOfCellId("timeout", ids)).toBe("timeout");
    expect(patternOfCellId("timeouts-table", ids)).toBeUndefined();
    expect(patternOfCellId(undefined, ids)).toBeUndefined();
  });
});
