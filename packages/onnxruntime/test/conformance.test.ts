import { conformanceSuite } from "@a2s/conformance";
import { onnxAdapter, typedPeer } from "./adapter.js";

conformanceSuite(onnxAdapter, { peers: [typedPeer] });
