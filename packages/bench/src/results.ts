/** The shape of `results/bench.json`: everything one run measured, with where it ran. */

export type Kind = "A2S" | "Adam";

/** One optimizer step, A2S beside Adam in the same adapter at one size. */
export interface StepRow {
  adapter: string;
  /** Parameters in all tensors together. */
  size: number;
  /** How many tensors they are split into (6 for the MLP, 1 for a flat vector). */
  tensors: number;
  /** Median milliseconds per step, or null when the row could not run. */
  a2sMs: number | null;
  adamMs: number | null;
  /** Timed steps behind each median (after warm-up). */
  samples: number;
  /** Why the row has no numbers, or what to know about them. */
  note?: string;
}

/** A2S with every feature on beside plain A2S in one adapter at one size (issue 12's cost). */
export interface FeatureRow {
  adapter: string;
  size: number;
  /** Median milliseconds per step, or null when the row could not run. */
  plainMs: number | null;
  featuresMs: number | null;
  samples: number;
  note?: string;
}

/** Optimizer state measured from the state itself, after a few steps. */
export interface MemoryRow {
  adapter: string;
  kind: Kind;
  bytesPerParam: number;
  /** Bytes of one element of the state (4 for float32, 8 for float64). */
  bytesPerElement: number;
  /** Where the bytes were counted. */
  source: string;
}

/** The C loop's step at one size: the same tensors as the adapters' rows. */
export interface LimitRow {
  size: number;
  tensors: number;
  a2sMs: number;
  adamMs: number;
  /** Timed steps behind each median, over the runs before and after the adapters' rows. */
  samples: number;
  /** The A2S median of each run on its own: how far the machine's load moved it. */
  a2sRunMs: number[];
}

/** The hardware limit: c/fused-step.c compiled here, or why it could not run. */
export type LimitResult =
  | {
      available: true;
      /** Row label, e.g. "C limit (cc -O3 -march=native -fno-math-errno)". */
      label: string;
      /** First line of the compiler's `--version`. */
      compiler: string;
      /** Kernels in which the compiler reported a vectorised loop; null when it cannot report that. */
      vectorised: string[] | null;
      rows: LimitRow[];
    }
  | { available: false; reason: string };

/** One way of running the fused A2S step, at one size, from the WebAssembly comparison. */
export interface PlacementRow {
  variant: string;
  size: number;
  /** Median milliseconds per A2S step. */
  ms: number;
}

export interface BandwidthResult {
  elements: number;
  /** Each triad kernel's median; 12 bytes per element: two reads and one write of a float32. */
  triads: { kernel: string; ms: number; gbs: number }[];
  /** The fastest triad's GB/s: the yardstick. */
  triadGBs: number;
  /**
   * The typed A2S steps at `elements` by row name (the fused loop, the SIMD kernels with
   * and without copies), counted at 48 bytes per parameter over their two passes.
   */
  steps: { kernel: string; ms: number; gbs: number }[];
}

export interface MatmulResult {
  /** `[m, k, n]` of the product timed: a batch of 64 through the MLP's first layer. */
  shape: [number, number, number];
  ms: number;
  /** 2*m*k*n flops over the time, whether or not the kernel skipped zeros. */
  gflops: number;
  /** Which input was multiplied. */
  source: string;
}

/** Seconds per MNIST epoch (938 steps of 64) for one adapter and optimizer. */
export interface TrainingRow {
  adapter: string;
  kind: Kind;
  secondsPerEpoch: number | null;
  /**
   * CPU seconds of the process (user + system, all its threads) per epoch: less moved
   * by other processes' load than wall time, though a busy machine still inflates it.
   */
  cpuSecondsPerEpoch: number | null;
  /** Steps actually timed; fewer than 938 means the epoch was extrapolated. */
  measuredSteps: number;
  /** Test accuracy on all 10,000 images after the timed steps. */
  testAccuracy: number | null;
  note?: string;
}

/** What `python/seed_bench.py` prints. */
export interface SeedOutput {
  python: string;
  numpy: string;
  dtype: string;
  steps: {
    size: number;
    tensors: number;
    A2S: { seconds: number; samples: number; stateBytesPerParam: number };
    Adam: { seconds: number; samples: number; stateBytesPerParam: number };
  }[];
  epoch: {
    fullSteps: number;
    batch: number;
    A2S: { seconds: number; cpuSeconds: number; steps: number; testAccuracy: number };
    Adam: { seconds: number; cpuSeconds: number; steps: number; testAccuracy: number };
  };
}

export type SeedResult =
  | { available: true; blasThreads: string; output: SeedOutput }
  | { available: false; reason: string };

/** One operator type's kernels in one part of onnxruntime's fused training step, per step. */
export interface OnnxOpTime {
  op: string;
  /** The training graph's own nodes, or those the optimizer's step added. */
  part: "forward and backward" | "optimizer step";
  nodes: number;
  ms: number;
  /** For a matrix product: `[m, k, n]` and the rate its kernels reached (2mkn per node over their time). */
  shape?: [number, number, number];
  gflops?: number;
}

/** onnxruntime's profile of the fused A2S training step (see onnx-profile.ts); medians per step. */
export interface OnnxProfile {
  /** Runs profiled (each session's first left out). */
  steps: number;
  /** Wall milliseconds of a step with the profiler on (it adds time to every node). */
  stepMs: number;
  /** Milliseconds of a step inside onnxruntime's run, and the sum of its kernels' medians. */
  runMs: number;
  kernelMs: number;
  ops: OnnxOpTime[];
  /** The kernel of onnxruntime's Gemm of the first layer's product in a model of its own, in this run. */
  gemmAlone: { shape: [number, number, number]; ms: number; gflops: number };
}

export interface BenchResults {
  startedAt: string;
  quick: boolean;
  machine: {
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    /** `os.loadavg()` (1, 5, 15 minutes) when the run started and when it ended. */
    loadavgStart: number[];
    loadavgEnd: number[];
  };
  seconds: number;
  limit: LimitResult;
  /**
   * The same C file held to 128-bit lanes without FMA, what WebAssembly SIMD allows
   * (limit.ts's LIMIT_128). Absent in results written before it existed.
   */
  limit128?: LimitResult;
  steps: StepRow[];
  /** Absent in results written before the features rows existed. */
  features?: FeatureRow[];
  memory: MemoryRow[];
  bandwidth: BandwidthResult | null;
  /** The WebAssembly comparison; empty when @a2s/wasm-kernels could not run, `placementNote` says why. */
  placements: PlacementRow[];
  placementNote?: string;
  /** Empty when @a2s/mlp could not be loaded; `matmulNote` says why. */
  matmul: MatmulResult[];
  matmulNote?: string;
  training: TrainingRow[];
  /** Null when onnxruntime could not be profiled; `onnxProfileNote` says why. */
  onnxProfile?: OnnxProfile | null;
  onnxProfileNote?: string;
  seed: SeedResult;
}
