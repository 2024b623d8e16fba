/**
 * Records an ONNX graph node by node and serialises it as a ModelProto (standard
 * `ai.onnx` operators, opset 17) with onnx-proto's generated protobuf code.
 */
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

/** The `ai.onnx` opset every graph of this package imports. */
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

/**
 * Collects nodes, initializers, inputs and outputs of one graph. Values get generated
 * names unless one is given; `toBytes()` serialises the model.
 */
export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  /** Inputs and initializers: values no node of this graph produces. */
  private readonly sourceNames = new Set<string>();
  private readonly outputNames = new Set<string>();
  private readonly constants = new Map<string, Sym>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  private fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }

  /** Declares a graph input. */
  input(name: string, dtype: ElementType, dims: readonly Dim[]): Sym {
    if (this.sourceNames.has(name)) throw new Error(`graph input ${name} declared twice`);
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
    const name = outName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({
      opType,
      domain: "",
      input: inputs.map((s) => s.name),
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) =>
        typeof value === "number"
          ? { name: key, type: onnx.AttributeProto.AttributeType.INT, i: value }
          : { name: key, type: onnx.AttributeProto.AttributeType.INTS, ints: [...value] },
      ),
    });
    return { name, dtype };
  }

  /**
   * Marks `sym` as a graph output and returns the name to fetch it by. A graph input, a
   * constant or a value already output is passed through an Identity node first, since
   * an output must be produced by a node of its own.
   */
  output(sym: Sym, dims: readonly Dim[], name?: string): string {
    let value = sym;
    if (
      this.sourceNames.has(sym.name) ||
      this.outputNames.has(sym.name) ||
      (name !== undefined && name !== sym.name)
    ) {
      value = this.node("Identity", [sym], sym.dtype, {}, name);
    }
    this.outputNames.add(value.name);
    this.outputs.push(valueInfo(value.name, value.dtype, dims));
    return value.name;
  }

  /** The recorded graph as the bytes of an ONNX model. */
  toBytes(docString = ""): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET_VERSION }],
      producerName: "@a2s/onnxruntime",
      docString,
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
