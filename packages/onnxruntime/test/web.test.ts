/**
 * The same graphs on onnxruntime-web's WebAssembly backend, which runs in Node too: the
 * whole conformance suite with the runtime passed in, and the `browser` condition's
 * choice of onnxruntime-web checked in a Node process that sets that condition.
 */
import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import * as ortWeb from "onnxruntime-web";
import { onnxAdapter } from "./adapter.js";

conformanceSuite(onnxAdapter("onnxruntime-web (wasm)", ortWeb), {
  peers: [typedAdapter("fused"), onnxAdapter("onnxruntime-node")],
  training: {},
});
