/** The built playground (examples/playground/dist), served by Vite's preview server on loopback. */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type PreviewServer, preview } from "vite";

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function servePlayground(): Promise<Served> {
  const root = dirname(createRequire(import.meta.url).resolve("@a2s/playground/package.json"));
  if (!existsSync(join(root, "dist", "index.html"))) {
    throw new Error(
      `${root}/dist is not built: run pnpm --filter @a2s/playground build (turbo builds it before these tests)`,
    );
  }
  // No config file: only the built files are served, as any static server would.
  const server: PreviewServer = await preview({
    root,
    configFile: false,
    logLevel: "warn",
    preview: { host: "127.0.0.1", port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("the preview server reported no URL");
  return { url, close: () => server.close() };
}
