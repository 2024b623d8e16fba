/**
 * The seed's MNIST model: 784 -> 128 -> 64 -> 10, ReLU between layers, softmax
 * cross-entropy on the output, He-normal weights and zero biases.
 *
 * Layout: a layer computes `y = x W + b` with `x` of shape [batch, in] and `W` of shape
 * [in, out], all row-major, so `W1` holds 784 x 128 floats and `W1[i * 128 + j]` links
 * input pixel `i` to hidden unit `j`. Gradients use the same names and layouts.
 */
import { gaussian, mulberry32 } from "@a2s/random";
import { type FloatArray, matmul, matmulTransA, matmulTransB } from "./matmul.js";
import { argmax, crossEntropyGradient, crossEntropySum } from "./softmax.js";

/** Units per layer, input first. */
export const LAYER_SIZES = [784, 128, 64, 10] as const;

/** Tensor names in the seed's dictionary order. */
export const PARAM_NAMES = ["W1", "b1", "W2", "b2", "W3", "b3"] as const;
export type MlpParamName = (typeof PARAM_NAMES)[number];

export type MlpDType = "float32" | "float64";
/** The typed array of a dtype. */
export type ArrayOf<D extends MlpDType> = D extends "float64" ? Float64Array : Float32Array;
/** Parameters or gradients, keyed as the seed keys them. */
export type MlpParams<D extends MlpDType = "float32"> = Record<MlpParamName, ArrayOf<D>>;

export interface MlpOptions<D extends MlpDType = "float32"> {
  /** Seed of the He-normal initialisation (mulberry32 + Box-Muller). Default 0. */
  seed?: number;
  /** Largest batch `forward` accepts; buffers are sized for it once. Default 64. */
  maxBatch?: number;
  /** Element type of weights, activations and gradients. Default `"float32"`. */
  dtype?: D;
}

/** Loss and accuracy over a whole set. */
export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  /** Share of images whose largest logit is the label, in [0, 1]. */
  accuracy: number;
}

const [IN, H1, H2, OUT] = LAYER_SIZES;

/**
 * The model with its parameters, gradients and every activation buffer allocated once:
 * a training step (`forward`, `backward`) allocates nothing.
 */
export class Mlp<D extends MlpDType = "float32"> {
  /** The weights, updated in place by an optimizer's `update(params, grads)`. */
  readonly params: MlpParams<D>;
  /** Written by {@link Mlp.backward}; the same arrays every step. */
  readonly grads: MlpParams<D>;
  readonly maxBatch: number;
  readonly dtype: D;
  #rows = 0;
  #x: FloatArray = new Float32Array(0);
  readonly #h1: ArrayOf<D>;
  readonly #h2: ArrayOf<D>;
  readonly #logits: ArrayOf<D>;
  readonly #dLogits: ArrayOf<D>;
  readonly #dH2: ArrayOf<D>;
  readonly #dH1: ArrayOf<D>;

  constructor(options: MlpOptions<D> = {}) {
    const { seed = 0, maxBatch = 64 } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`maxBatch must be an integer >= 1; got ${maxBatch}`);
    }
    this.dtype = options.dtype ?? ("float32" as D);
    this.maxBatch = maxBatch;
    const alloc = (n: number) =>
      (this.dtype === "float64" ? new Float64Array(n) : new Float32Array(n)) as ArrayOf<D>;
    const shapes: Record<MlpParamName, number> = {
      W1: IN * H1,
      b1: H1,
      W2: H1 * H2,
      b2: H2,
      W3: H2 * OUT,
      b3: OUT,
    };
    const make = () =>
      Object.fromEntries(PARAM_NAMES.map((name) => [name, alloc(shapes[name])])) as MlpParams<D>;
    this.params = make();
    this.grads = make();
    const normal = gaussian(mulberry32(seed));
    // He-normal: standard deviation sqrt(2 / fan_in) keeps ReLU activations' variance steady.
    for (const [name, fanIn] of [
      ["W1", IN],
      ["W2", H1],
      ["W3", H2],
    ] as const) {
      const w = this.params[name];
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < w.length; i++) w[i] = normal() * std;
    }
    this.#h1 = alloc(maxBatch * H1);
    this.#h2 = alloc(maxBatch * H2);
    this.#logits = alloc(maxBatch * OUT);
    this.#dLogits = alloc(maxBatch * OUT);
    this.#dH2 = alloc(maxBatch * H2);
    this.#dH1 = alloc(maxBatch * H1);
  }

  /**
   * Logits of a batch (`x` holds rows of 784 pixels, at most `maxBatch` rows). Returns a
   * view of an internal buffer, valid until the next call; `backward` uses this batch.
   */
  forward(x: FloatArray): ArrayOf<D> {
    const rows = x.length / IN;
    if (!Number.isInteger(rows) || rows < 1 || rows > this.maxBatch) {
      throw new RangeError(
        `forward needs 1..${this.maxBatch} rows of ${IN} values; got ${x.length} values (${rows} rows)`,
      );
    }
    const { W1, b1, W2, b2, W3, b3 } = this.params;
    this.#rows = rows;
    this.#x = x;
    denseRelu(x, W1, b1, this.#h1, rows, IN, H1);
    denseRelu(this.#h1, W2, b2, this.#h2, rows, H1, H2);
    matmul(this.#h2, W3, this.#logits, rows, H2, OUT);
    addBias(this.#logits, b3, rows, OUT);
    return this.#logits.subarray(0, rows * OUT) as ArrayOf<D>;
  }

  /** Mean cross-entropy of the last `forward` batch against `labels`. */
  loss(labels: ArrayLike<number>): number {
    this.#checkLabels(labels);
    return crossEntropySum(this.#logits, labels, this.#rows, OUT) / this.#rows;
  }

  /**
   * Gradients of the mean cross-entropy of the last `forward` batch, written into
   * {@link Mlp.grads} (returned).
   */
  backward(labels: ArrayLike<number>): MlpParams<D> {
    this.#checkLabels(labels);
    const rows = this.#rows;
    const { W2, W3 } = this.params;
    const g = this.grads;
    crossEntropyGradient(this.#logits, labels, rows, OUT, this.#dLogits);
    matmulTransA(this.#h2, this.#dLogits, g.W3, rows, H2, OUT);
    sumRows(this.#dLogits, g.b3, rows, OUT);
    matmulTransB(this.#dLogits, W3, this.#dH2, rows, OUT, H2);
    reluMask(this.#dH2, this.#h2, rows * H2);
    matmulTransA(this.#h1, this.#dH2, g.W2, rows, H1, H2);
    sumRows(this.#dH2, g.b2, rows, H2);
    matmulTransB(this.#dH2, W2, this.#dH1, rows, H2, H1);
    reluMask(this.#dH1, this.#h1, rows * H1);
    matmulTransA(this.#x, this.#dH1, g.W1, rows, IN, H1);
    sumRows(this.#dH1, g.b1, rows, H1);
    return g;
  }

  /** Predicted digit of each image in `x` (any number of rows), into `out` if given. */
  predict(x: FloatArray, out = new Uint8Array(x.length / IN)): Uint8Array {
    this.#chunks(x, (logits, start, rows) => {
      for (let i = 0; i < rows; i++) out[start + i] = argmax(logits, i * OUT, OUT);
    });
    return out;
  }

  /** Mean loss and accuracy over any number of images (in chunks of `maxBatch`). */
  evaluate(x: FloatArray, labels: Uint8Array): Evaluation {
    if (labels.length * IN !== x.length) {
      throw new RangeError(`${labels.length} labels for ${x.length / IN} images`);
    }
    let loss = 0;
    let correct = 0;
    this.#chunks(x, (logits, start, rows) => {
      const chunkLabels = labels.subarray(start, start + rows);
      loss += crossEntropySum(logits, chunkLabels, rows, OUT);
      for (let i = 0; i < rows; i++) if (argmax(logits, i * OUT, OUT) === chunkLabels[i]) correct++;
    });
    return { loss: loss / labels.length, accuracy: correct / labels.length };
  }

  /** Share of images in `x` classified as `labels` says, in [0, 1]. */
  accuracy(x: FloatArray, labels: Uint8Array): number {
    return this.evaluate(x, labels).accuracy;
  }

  #chunks(x: FloatArray, visit: (logits: ArrayOf<D>, start: number, rows: number) => void): void {
    const total = x.length / IN;
    for (let start = 0; start < total; start += this.maxBatch) {
      const rows = Math.min(this.maxBatch, total - start);
      visit(this.forward(x.subarray(start * IN, (start + rows) * IN)), start, rows);
    }
  }

  #checkLabels(labels: ArrayLike<number>): void {
    if (this.#rows === 0) throw new Error("call forward before loss or backward");
    if (labels.length !== this.#rows) {
      throw new RangeError(`${labels.length} labels for a batch of ${this.#rows} rows`);
    }
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] as number;
      if (!(Number.isInteger(label) && label >= 0 && label < OUT)) {
        throw new RangeError(`label ${label} at index ${i} is not a class 0..${OUT - 1}`);
      }
    }
  }
}

function denseRelu(
  x: FloatArray,
  w: FloatArray,
  b: FloatArray,
  out: FloatArray,
  rows: number,
  fanIn: number,
  fanOut: number,
): void {
  matmul(x, w, out, rows, fanIn, fanOut);
  addBias(out, b, rows, fanOut);
  for (let i = 0; i < rows * fanOut; i++) if ((out[i] as number) < 0) out[i] = 0;
}

function addBias(out: FloatArray, b: FloatArray, rows: number, width: number): void {
  for (let i = 0; i < rows; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) out[row + j] = (out[row + j] as number) + (b[j] as number);
  }
}

/** Zeroes the gradient where the ReLU was inactive (its output is 0). */
function reluMask(grad: FloatArray, activation: FloatArray, length: number): void {
  for (let i = 0; i < length; i++) if (activation[i] === 0) grad[i] = 0;
}

function sumRows(m: FloatArray, out: FloatArray, rows: number, width: number): void {
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const row = i * width;
    for (let j = 0; j < width; j++) out[j] = (out[j] as number) + (m[row + j] as number);
  }
}
