import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../src/cli.js";

const defaultOut = (quick: boolean) => (quick ? "results/quick" : "results");

describe("parseCli", () => {
  it("defaults to the full run written to the results folder", () => {
    expect(parseCli([], defaultOut)).toEqual({ quick: false, out: "results", noSeed: false });
  });
  it("--quick writes beside the committed results, not over them", () => {
    expect(parseCli(["--quick"], defaultOut)).toEqual({ quick: true, out: "results/quick", noSeed: false });
  });
  it("--out, --no-write and --no-seed", () => {
    expect(parseCli(["--out", "/tmp/x", "--no-seed"], defaultOut)).toEqual({
      quick: false,
      out: "/tmp/x",
      noSeed: true,
    });
    expect(parseCli(["--no-write"], defaultOut).out).toBeNull();
  });
  it("refuses unknown flags, stray arguments and contradictions", () => {
    expect(() => parseCli(["--fast"], defaultOut)).toThrow(UsageError);
    expect(() => parseCli(["quick"], defaultOut)).toThrow(UsageError);
    expect(() => parseCli(["--out", "a", "--no-write"], defaultOut)).toThrow(/exclude/);
  });
});
