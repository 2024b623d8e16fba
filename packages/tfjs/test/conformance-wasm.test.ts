import { conformanceSuite } from "@a2s/conformance";
import { tfjsAdapter } from "./adapter.js";
import { typedPeer } from "./typed-peer.js";

conformanceSuite(tfjsAdapter("wasm"), { peers: [typedPeer] });
