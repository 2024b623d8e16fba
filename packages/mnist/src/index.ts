// Node: the fs-free API of ./browser.js (re-exported whole, so both entries agree) plus
// the loader of files on disk.
export * from "./browser.js";
export { type LoadMnistOptions, loadMnist, mnistDataDir } from "./files.js";
