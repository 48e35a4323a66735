// Builds the dashboard into ../wwwroot/ (served by Functions.Realtime at /dashboard/).
//   node build.mjs          one production build (minified, with source map)
//   node build.mjs --watch  rebuild on change while developing
import { build, context } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, "..", "wwwroot");
const watch = process.argv.includes("--watch");

/** Static files copied verbatim next to app.js. */
const assets = [
  [join(here, "index.html"), "index.html"],
  [join(here, "app.css"), "app.css"],
  [join(here, "node_modules", "uplot", "dist", "uPlot.min.css"), "uPlot.min.css"],
];

async function copyAssets() {
  await mkdir(outDir, { recursive: true });
  for (const [from, name] of assets) {
    await copyFile(from, join(outDir, name));
  }
}

/** @type {import("esbuild").BuildOptions} */
const options = {
  absWorkingDir: here,
  entryPoints: [join(here, "src", "main.ts")],
  outfile: join(outDir, "app.js"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  minify: !watch,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "info",
  plugins: [
    {
      name: "copy-assets",
      setup(b) {
        b.onEnd(async (result) => {
          if (result.errors.length === 0) await copyAssets();
        });
      },
    },
  ],
};

if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log(`watching; output in ${outDir}`);
} else {
  try {
    await build(options);
  } catch {
    process.exit(1);
  }
  console.log(`dashboard built into ${outDir}`);
}
