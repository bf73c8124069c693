// Builds internal/web/static/age.js, the age file format for hearth's pages,
// and the licence notices of everything bundled into it. This file is the one
// place that defines how the bundle is made: "npm run build" writes into
// ../static, and TestAgeBundleReproducible runs "npm run build -- DIR" on a
// fresh copy to check that the committed files are exactly what it produces.
//
// Usage: node build.mjs [OUTDIR]

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, "..", "static"));
const bundle = "age.js";
const notices = "age.js.LICENSE.txt";

const readJSON = (p) => JSON.parse(readFileSync(p, "utf8"));
const age = readJSON(join(here, "node_modules", "age-encryption", "package.json"));

const banner = [
  `// age-encryption ${age.version} (https://github.com/FiloSottile/typage) bundled with esbuild ${esbuild.version}.`,
  "// Generated, do not edit. Rebuild: cd internal/web/jsbuild && npm ci && npm run build",
  `// Licences of the bundled packages: ${notices}`,
].join("\n");

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["age-entry.js"],
  outfile: join(outdir, bundle),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  // The noble libraries' "/*! ... */" notices stay in the file itself; the
  // full licence texts, which BSD-3-Clause asks to ship with the binary
  // form, go next to it.
  legalComments: "eof",
  banner: { js: banner },
  metafile: true,
  logLevel: "warning",
});

// Every package with a file in the bundle, found from esbuild's own list of
// inputs so a dependency added by an upgrade cannot be missed.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (!m || packages.has(m[1])) continue;
  const dir = join(here, m[1]);
  const pkg = readJSON(join(dir, "package.json"));
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort();
  if (files.length === 0) throw new Error(`${pkg.name}@${pkg.version} has no licence file`);
  packages.set(m[1], { pkg, text: files.map((f) => readFileSync(join(dir, f), "utf8").trim()).join("\n\n") });
}
const sections = [...packages.values()]
  .sort((a, b) => `${a.pkg.name}@${a.pkg.version}`.localeCompare(`${b.pkg.name}@${b.pkg.version}`, "en"))
  .map(({ pkg, text }) => `${pkg.name}@${pkg.version} (${pkg.license})\n\n${text}\n`);
writeFileSync(
  join(outdir, notices),
  `${bundle} bundles the following packages from npm.\n\n` + sections.join("\n" + "-".repeat(72) + "\n\n"),
);
