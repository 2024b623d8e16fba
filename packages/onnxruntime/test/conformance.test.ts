import { conformanceSuite } from "@a2s/conformance";
import { typedAdapter } from "@a2s/typed/conformance";
import { onnxAdapter } from "./adapter.js";

// @a2s/typed is the peer whose checkpoints must load here, and which must load ours; the
// training tier runs with its default floors, through the trainer's fused step.
conformanceSuite(onnxAdapter("onnxruntime"), { peers: [typedAdapter("fused")], training: {} });
