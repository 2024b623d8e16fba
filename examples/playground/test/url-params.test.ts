import { describe, expect, it } from "vitest";
import { parsePageParams, UrlParamError } from "../src/url-params.js";

function refusal(search: string): UrlParamError {
  try {
    parsePageParams(search);
  } catch (error) {
    expect(error).toBeInstanceOf(UrlParamError);
    return error as UrlParamError;
  }
  throw new Error(`${search} was accepted`);
}

describe("the page's query string", () => {
  it("reads the autorun the browser tests use", () => {
    expect(
      parsePageParams("?autorun&stack=tfjs-wasm&optimizer=adam&steps=200&seed=7&learningRate=0.002"),
    ).toEqual({
      autorun: true,
      stack: "tfjs-wasm",
      optimizer: "adam",
      steps: 200,
      seed: 7,
      options: { learningRate: 0.002 },
    });
  });

  it("leaves out what is not given, and does not autorun without the flag", () => {
    expect(parsePageParams("")).toEqual({ autorun: false, options: {} });
    expect(parsePageParams("?stack=typed")).toEqual({ autorun: false, stack: "typed", options: {} });
  });

  it("refuses an unknown stack or optimizer, naming the parameter", () => {
    expect(refusal("?stack=onnxruntime-webgpu").param).toBe("stack");
    expect(refusal("?optimizer=lion").message).toContain("a2s, adam, rmsprop, sgd");
  });

  it("refuses steps, seed and evalEvery that are not whole numbers in range", () => {
    for (const bad of ["0", "1.5", "", "abc", "100001"]) expect(refusal(`?steps=${bad}`).param).toBe("steps");
    expect(refusal("?seed=4294967296").param).toBe("seed");
    expect(refusal("?evalEvery=-1").param).toBe("evalEvery");
  });

  it("takes only options of the chosen optimizer, as finite numbers", () => {
    expect(refusal("?optimizer=adam&lrAdam=0.1").param).toBe("lrAdam");
    expect(refusal("?lrAdam=0.1").message).toContain("optimizer=");
    expect(refusal("?optimizer=a2s&lrAdam=Infinity").param).toBe("lrAdam");
    expect(refusal("?optimizer=a2s&unknown=1").param).toBe("unknown");
    // Names an object inherits are not parameters either.
    expect(refusal("?optimizer=a2s&toString=1").param).toBe("toString");
  });
});
