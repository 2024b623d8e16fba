/**
 * Records an ONNX graph node by node, or extends an existing model, and serialises it as
 * a ModelProto (standard `ai.onnx` operators) with onnx-proto's generated protobuf code.
 * A model can be written with a chosen subset of its outputs: only the nodes, inputs and
 * initializers those outputs need are kept, so one recording yields the several graphs
 * a sharded step runs one after the other.
 */
import { InvalidCallError } from "@a2s/core";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Element types the graphs of this package use. */
export type ElementType = "float32" | "float64" | "int64" | "uint8" | "bool";

/** A value of the graph being recorded: its name and element type. */
export interface Sym {
  readonly name: string;
  readonly dtype: ElementType;
}

/** A dimension: a fixed size, or a name for a size chosen at run time (a batch). */
export type Dim = number | string;

/** Integer attributes only: every attribute these graphs need is an int or a list of ints. */
export type IntAttributes = Readonly<Record<string, number | readonly number[]>>;

/** The `ai.onnx` opset of the graphs this package makes from scratch. */
export const OPSET_VERSION = 17;
/** IR version 8 is the one that goes with opset 17 (ONNX 1.12). */
const IR_VERSION = 8;

const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int64: onnx.TensorProto.DataType.INT64,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The element type of an ONNX data type number, if it is one of ours. */
export function elementTypeOf(dataType: number | null | undefined): ElementType | undefined {
  return (Object.keys(DATA_TYPE) as ElementType[]).find((key) => DATA_TYPE[key] === dataType);
}

function valueInfo(name: string, dtype: ElementType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[dtype],
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** The bytes of a typed array in little-endian order, as TensorProto.raw_data wants them. */
function littleEndianBytes(values: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Float32Array) view.setFloat32(4 * i, values[i] as number, true);
    else if (values instanceof Float64Array) view.setFloat64(8 * i, values[i] as number, true);
    else view.setBigInt64(8 * i, values[i] as bigint, true);
  }
  return out;
}

/** Every value name a node reads, including those its subgraphs (If, Loop, Scan) read from outside. */
function namesRead(node: onnxProto.onnx.INodeProto): string[] {
  const names = [...(node.input ?? [])];
  for (const attribute of node.attribute ?? []) {
    for (const graph of [attribute.g, ...(attribute.graphs ?? [])]) {
      for (const inner of graph?.node ?? []) names.push(...namesRead(inner));
    }
  }
  return names;
}

/** The model a builder extends: what it keeps of it besides the graph. */
interface BaseModel {
  readonly irVersion: number;
  readonly opsetImport: onnxProto.onnx.IOperatorSetIdProto[];
  readonly functions: onnxProto.onnx.IFunctionProto[];
  readonly metadataProps: onnxProto.onnx.IStringStringEntryProto[];
}

/**
 * Collects nodes, initializers, inputs and outputs of one graph. Values get generated
 * names unless one is given; `toBytes()` serialises the model.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly valueInfos: onnxProto.onnx.IValueInfoProto[] = [];
  /** Inputs and initializers: values no node of this graph produces. */
  private readonly sourceNames = new Set<string>();
  private readonly outputNames = new Set<string>();
  /** Every value name in use, so that generated names never collide with a model's own. */
  private readonly taken = new Set<string>();
  private readonly constants = new Map<string, Sym>();
  /** Values renamed when they became outputs: the name a Sym was made with, to its name now. */
  private readonly aliases = new Map<string, string>();
  private counter = 0;
  /** Put before the name of every node made from now on (an optimizer step's `step/`). */
  nodePrefix = "";

  constructor(
    private readonly graphName: string,
    private readonly base?: BaseModel,
  ) {}

  /**
   * A builder holding an existing model's graph, to add nodes to. The model keeps its
   * IR version, opset imports, functions and metadata.
   */
  static extend(bytes: Uint8Array): GraphBuilder {
    const model = onnx.ModelProto.decode(bytes);
    const graph = (model.graph ?? new onnx.GraphProto()) as onnxProto.onnx.GraphProto;
    const builder = new GraphBuilder(graph.name || "graph", {
      irVersion: Number(model.irVersion),
      opsetImport: model.opsetImport,
      functions: model.functions,
      metadataProps: model.metadataProps,
    });
    builder.nodes.push(...graph.node);
    builder.initializers.push(...graph.initializer);
    builder.inputs.push(...graph.input);
    builder.outputs.push(...graph.output);
    builder.valueInfos.push(...graph.valueInfo);
    for (const value of [...graph.input, ...graph.initializer]) {
      builder.sourceNames.add(value.name ?? "");
      builder.taken.add(value.name ?? "");
    }
    for (const output of graph.output) builder.outputNames.add(output.name ?? "");
    for (const node of graph.node) {
      // Node names too: a node made here is named as its value, which must not repeat one.
      if (node.name) builder.taken.add(node.name);
      for (const name of node.output ?? []) builder.taken.add(name);
    }
    return builder;
  }

  /** The `ai.onnx` opset the model imports. */
  get opset(): number {
    const own = this.base?.opsetImport.find(
      (entry) => (entry.domain ?? "") === "" || entry.domain === "ai.onnx",
    );
    return this.base ? Number(own?.version ?? 0) : OPSET_VERSION;
  }

  /** Whether a value of this name exists in the graph. */
  has(name: string): boolean {
    return this.taken.has(name);
  }

  /** The declared type of an input, output, initializer or annotated value: element type and dimensions. */
  typeOf(name: string): { dtype: number; dims: (Dim | undefined)[] } | undefined {
    const initializer = this.initializers.find((tensor) => tensor.name === name);
    if (initializer) return { dtype: initializer.dataType ?? 0, dims: (initializer.dims ?? []).map(Number) };
    const info = [...this.inputs, ...this.outputs, ...this.valueInfos].find((value) => value.name === name);
    const tensorType = info?.type?.tensorType;
    if (!tensorType) return undefined;
    return {
      dtype: tensorType.elemType ?? 0,
      dims: (tensorType.shape?.dim ?? []).map((dim) =>
        dim.dimParam ? dim.dimParam : dim.dimValue == null ? undefined : Number(dim.dimValue),
      ),
    };
  }

  /** Whether `name` is one of the graph's inputs (not an initializer). */
  isInput(name: string): boolean {
    return this.inputs.some((input) => input.name === name);
  }

  /** Turns an initializer into a graph input of the same type, so that callers feed it. */
  promoteToInput(name: string): Sym {
    const index = this.initializers.findIndex((tensor) => tensor.name === name);
    const tensor = this.initializers[index];
    const dtype = elementTypeOf(tensor?.dataType);
    if (tensor === undefined || dtype === undefined) {
      throw new InvalidCallError("graph", `${name} is no float initializer of the model`);
    }
    this.initializers.splice(index, 1);
    this.inputs.push(valueInfo(name, dtype, (tensor.dims ?? []).map(Number)));
    return { name, dtype };
  }

  /** Removes `name` from the graph's outputs (it stays a value the graph computes). */
  dropOutput(name: string): void {
    const index = this.outputs.findIndex((output) => output.name === name);
    if (index >= 0) this.outputs.splice(index, 1);
    this.outputNames.delete(name);
  }

  /** Names of the graph's outputs, in order. */
  outputList(): string[] {
    return this.outputs.map((output) => output.name as string);
  }

  private fresh(hint: string): string {
    let name: string;
    do {
      this.counter += 1;
      name = `${hint}_${this.counter}`;
    } while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.taken.has(name)) throw new InvalidCallError("graph", `the value name ${name} is in use already`);
    this.taken.add(name);
  }

  /** Declares a graph input. */
  input(name: string, dtype: ElementType, dims: readonly Dim[]): Sym {
    this.claim(name);
    this.sourceNames.add(name);
    this.inputs.push(valueInfo(name, dtype, dims));
    return { name, dtype };
  }

  /**
   * A constant baked into the graph. Scalars (`dims` = []) are shared: recording the same
   * value twice gives the same initializer.
   */
  constant(
    values: number | readonly number[],
    dtype: "float32" | "float64" | "int64",
    dims?: readonly number[],
  ): Sym {
    const list = typeof values === "number" ? [values] : values;
    const shape = dims ?? (typeof values === "number" ? [] : [list.length]);
    const key = `${dtype}:${shape.join("x")}:${list.join(",")}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh("const");
    const raw =
      dtype === "int64"
        ? BigInt64Array.from(list, (x) => BigInt(x))
        : dtype === "float64"
          ? Float64Array.from(list)
          : Float32Array.from(list);
    this.initializers.push({
      name,
      dataType: DATA_TYPE[dtype],
      dims: [...shape],
      rawData: littleEndianBytes(raw),
    });
    this.sourceNames.add(name);
    const sym = { name, dtype };
    this.constants.set(key, sym);
    return sym;
  }

  /** A named initializer holding a copy of `values` (the weights of an exported model). */
  weights(name: string, values: Float32Array, dims: readonly number[]): Sym {
    this.claim(name);
    this.initializers.push({
      name,
      dataType: DATA_TYPE.float32,
      dims: [...dims],
      rawData: littleEndianBytes(values),
    });
    this.sourceNames.add(name);
    return { name, dtype: "float32" };
  }

  /** Appends a node with `count` outputs, all of element type `dtype`. */
  nodeOutputs(
    opType: string,
    inputs: readonly Sym[],
    dtype: ElementType,
    count: number,
    attributes: IntAttributes = {},
  ): Sym[] {
    const first = this.node(opType, inputs, dtype, attributes);
    const outputs = [
      first.name,
      ...Array.from({ length: count - 1 }, () => this.fresh(opType.toLowerCase())),
    ];
    (this.nodes[this.nodes.length - 1] as onnxProto.onnx.INodeProto).output = outputs;
    return outputs.map((name) => ({ name, dtype }));
  }

  /** Appends a node with one output of element type `dtype`. */
  node(
    opType: string,
    inputs: readonly Sym[],
    dtype: ElementType,
    attributes: IntAttributes = {},
    outName?: string,
  ): Sym {
    let name: string;
    if (outName === undefined) name = this.fresh(opType.toLowerCase());
    else {
      this.claim(outName);
      name = outName;
    }
    this.nodes.push({
      // Named as the value it makes: onnxruntime's profiles then name each node's time.
      name: this.nodePrefix + name,
      opType,
      domain: "",
      input: inputs.map((s) => this.current(s.name)),
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) =>
        typeof value === "number"
          ? { name: key, type: onnx.AttributeProto.AttributeType.INT, i: value }
          : { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] },
      ),
    });
    return { name, dtype };
  }

  /** The name a value made as `name` has now (an output may have renamed it). */
  current(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  /**
   * Marks `sym` as a graph output and returns the name to fetch it by. A value a node of
   * this graph computes takes the output's name (the node writes the output directly);
   * a graph input, a constant or a value already output is passed through an Identity
   * node first, since an output must be produced by a node of its own.
   */
  output(sym: Sym, dims: readonly Dim[], name?: string): string {
    const current = this.current(sym.name);
    let value: Sym = { name: current, dtype: sym.dtype };
    const shared = this.sourceNames.has(current) || this.outputNames.has(current);
    if (shared) {
      value = this.node("Identity", [value], sym.dtype, {}, name);
    } else if (name !== undefined && name !== current) {
      this.rename(sym.name, current, name);
      value = { name, dtype: sym.dtype };
    }
    this.outputNames.add(value.name);
    this.outputs.push(valueInfo(value.name, value.dtype, dims));
    return value.name;
  }

  /** Marks a copy of `sym` as an output named `name`, leaving `sym` itself free to become another output. */
  copyOutput(sym: Sym, dims: readonly Dim[], name: string): string {
    const copy = this.node("Identity", [sym], sym.dtype, {}, name);
    this.outputNames.add(copy.name);
    this.outputs.push(valueInfo(copy.name, copy.dtype, dims));
    return copy.name;
  }

  /** Gives the value `current` (made as `original`) the name `name` everywhere in the graph. */
  private rename(original: string, current: string, name: string): void {
    this.claim(name);
    const swap = (names: string[] | null | undefined) => {
      names?.forEach((entry, i) => {
        if (entry === current) names[i] = name;
      });
    };
    const swapInside = (node: onnxProto.onnx.INodeProto) => {
      for (const attribute of node.attribute ?? []) {
        for (const graph of [attribute.g, ...(attribute.graphs ?? [])]) {
          for (const inner of graph?.node ?? []) {
            swap(inner.input);
            swapInside(inner);
          }
        }
      }
    };
    for (const node of this.nodes) {
      swap(node.input);
      swap(node.output);
      swapInside(node);
    }
    for (const info of this.valueInfos) if (info.name === current) info.name = name;
    this.aliases.set(original, name);
    if (current !== original) this.aliases.set(current, name);
  }

  /**
   * The recorded graph as the bytes of an ONNX model. With `outputs`, the model has only
   * those outputs (in that order) and only what they need: unused nodes, inputs and
   * initializers are left out.
   */
  toBytes(docString = "", outputs?: readonly string[]): Uint8Array {
    let graph: onnxProto.onnx.IGraphProto = {
      name: this.graphName,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      valueInfo: this.valueInfos,
    };
    if (outputs !== undefined) graph = this.pruned(outputs);
    const model = onnx.ModelProto.create({
      irVersion: this.base?.irVersion ?? IR_VERSION,
      opsetImport: this.base?.opsetImport ?? [{ domain: "", version: OPSET_VERSION }],
      producerName: "@a2s/onnxruntime",
      docString,
      graph,
      functions: this.base?.functions ?? [],
      metadataProps: this.base?.metadataProps ?? [],
    });
    return onnx.ModelProto.encode(model).finish();
  }

  /** The names of the graph inputs that `outputs` depend on. */
  inputsFor(outputs: readonly string[]): string[] {
    return (this.pruned(outputs).input ?? []).map((input) => input.name as string);
  }

  /** The names of the values that nodes compute for `outputs` (the nodes a run executes). */
  computedFor(outputs: readonly string[]): string[] {
    return (this.pruned(outputs).node ?? []).flatMap((node) => node.output ?? []);
  }

  private pruned(outputs: readonly string[]): onnxProto.onnx.IGraphProto {
    const needed = new Set(outputs);
    const kept: onnxProto.onnx.INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i] as onnxProto.onnx.INodeProto;
      if (!(node.output ?? []).some((name) => needed.has(name))) continue;
      kept.push(node);
      for (const name of namesRead(node)) needed.add(name);
    }
    const output = outputs.map((name) => {
      const info = this.outputs.find((o) => o.name === name);
      if (info === undefined) throw new InvalidCallError("graph", `${name} is not an output of the graph`);
      return info;
    });
    return {
      name: this.graphName,
      node: kept.reverse(),
      initializer: this.initializers.filter((tensor) => needed.has(tensor.name as string)),
      input: this.inputs.filter((input) => needed.has(input.name as string)),
      output,
      valueInfo: this.valueInfos.filter((info) => needed.has(info.name as string)),
    };
  }
}
