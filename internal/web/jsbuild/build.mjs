// Builds the browser bundles of hearth's pages from npm packages, and the
// licence notices of everything bundled into them:
//
//   - static/age.js: the age file format (age-encryption), for the vault;
//   - static/leaflet.js and static/leaflet.css: the Leaflet map, for drawing
//     and showing the areas of agencies' requests, with Leaflet's images
//     inlined and the few rules of hearth's own map component.
//
// This file is the one place that defines how the bundles are made: "npm run
// build" writes into ../static, and TestBundlesReproducible runs "npm run
// build -- DIR" on a fresh copy to check that the committed files are exactly
// what it produces.
//
// Usage: node build.mjs [OUTDIR]

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(here, "..", "static"));
const rebuild = "// Generated, do not edit. Rebuild: cd internal/web/jsbuild && npm ci && npm run build";

const readJSON = (p) => JSON.parse(readFileSync(p, "utf8"));
const version = (name) => readJSON(join(here, "node_modules", name, "package.json")).version;

const common = {
  absWorkingDir: here,
  bundle: true,
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: false,
  // Licence comments ("/*! ... */", "@preserve") stay in the files
  // themselves; the full licence texts, which BSD licences ask to ship with
  // the binary form, go next to them.
  legalComments: "eof",
  metafile: true,
  logLevel: "warning",
};

// notices writes the licence texts of every package with a file in the given
// builds, found from esbuild's own list of inputs so a dependency added by an
// upgrade cannot be missed, under a heading that names the bundles.
function notices(file, heading, results) {
  const packages = new Map();
  for (const result of results) {
    for (const input of Object.keys(result.metafile.inputs)) {
      const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
      if (!m || packages.has(m[1])) continue;
      const dir = join(here, m[1]);
      const pkg = readJSON(join(dir, "package.json"));
      const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort();
      if (files.length === 0) throw new Error(`${pkg.name}@${pkg.version} has no licence file`);
      packages.set(m[1], { pkg, text: files.map((f) => readFileSync(join(dir, f), "utf8").trim()).join("\n\n") });
    }
  }
  const sections = [...packages.values()]
    .sort((a, b) => `${a.pkg.name}@${a.pkg.version}`.localeCompare(`${b.pkg.name}@${b.pkg.version}`, "en"))
    .map(({ pkg, text }) => `${pkg.name}@${pkg.version} (${pkg.license})\n\n${text}\n`);
  writeFileSync(
    join(outdir, file),
    `${heading} the following packages from npm.\n\n` +
      sections.join("\n" + "-".repeat(72) + "\n\n"),
  );
}

// age.js
{
  const file = "age.js.LICENSE.txt";
  const age = await esbuild.build({
    ...common,
    entryPoints: ["age-entry.js"],
    outfile: join(outdir, "age.js"),
    format: "esm",
    banner: {
      js: [
        `// age-encryption ${version("age-encryption")} (https://github.com/FiloSottile/typage) bundled with esbuild ${esbuild.version}.`,
        rebuild,
        `// Licences of the bundled packages: ${file}`,
      ].join("\n"),
    },
  });
  notices(file, "age.js bundles", [age]);
}

// leaflet.js and leaflet.css
{
  const file = "leaflet.js.LICENSE.txt";
  const js = await esbuild.build({
    ...common,
    entryPoints: ["leaflet-entry.js"],
    outfile: join(outdir, "leaflet.js"),
    format: "esm",
    banner: {
      js: [
        `// Leaflet ${version("leaflet")} (https://leafletjs.com) bundled with esbuild ${esbuild.version}.`,
        rebuild,
        `// Licences of the bundled packages: ${file}`,
      ].join("\n"),
    },
  });
  const css = await esbuild.build({
    ...common,
    entryPoints: ["leaflet-entry.css"],
    outfile: join(outdir, "leaflet.css"),
    // Leaflet's few images go inside the stylesheet: the pages' policy
    // allows images from data: URIs, and nothing is fetched for them.
    loader: { ".png": "dataurl" },
    banner: {
      css: [
        `/* Leaflet ${version("leaflet")}'s stylesheet and hearth's map rules (leaflet-entry.css), bundled with esbuild ${esbuild.version}.`,
        "   Generated, do not edit. Rebuild: cd internal/web/jsbuild && npm ci && npm run build",
        `   Licences of the bundled packages: ${file} */`,
      ].join("\n"),
    },
  });
  notices(file, "leaflet.js and leaflet.css bundle", [js, css]);
}
