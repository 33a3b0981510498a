// Checks Flux scripts with Flux's own parser and type checker (@influxdata/flux-lsp-browser,
// WebAssembly): syntax, imports, and the parameters and types of standard-library calls.
// Usage: node flux_check.mjs <package dir>  < scripts.json  -> one JSON array of true/false.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
// The package's glue module imports the .wasm as an ES module, which Node 20 cannot; load a
// copy that takes the instance from us instead.
const glue = readFileSync(join(dir, "flux-lsp-browser_bg.js"), "utf8")
  .replace("import * as wasm from './flux-lsp-browser_bg.wasm';",
    "let wasm;\nexport function __setWasm(w) { wasm = w; cachedInt32Memory0 = new Int32Array(wasm.memory.buffer); cachedUint8Memory0 = new Uint8Array(wasm.memory.buffer); }")
  .replace("cachedInt32Memory0 = new Int32Array(wasm.memory.buffer);\ncachedUint8Memory0 = new Uint8Array(wasm.memory.buffer);\n", "");
const copy = join(mkdtempSync(join(tmpdir(), "flux-check-")), "glue.mjs");
writeFileSync(copy, glue);
const bg = await import(pathToFileURL(copy));
const module = await WebAssembly.compile(readFileSync(join(dir, "flux-lsp-browser_bg.wasm")));
const imports = {};
for (const imp of WebAssembly.Module.imports(module)) {
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] = bg[imp.name];
}
bg.__setWasm((await WebAssembly.instantiate(module, imports)).exports);

const scripts = JSON.parse(readFileSync(0, "utf8"));
console.log(JSON.stringify(scripts.map((script) => {
  try {
    return new bg.Flux(script).is_valid();
  } catch {
    return false;
  }
})));
