// A Clarinet project of both contracts, deployed as Clarity 2 at an epoch, in a
// temporary directory: the contracts of `contracts/` (v2), or of `contracts/v1/`.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** The project's directory; `sources` is "contracts" or "contracts/v1". */
export function project(epoch, sources = "contracts") {
  const dir = mkdtempSync(join(tmpdir(), `clarimed-simnet-${epoch}-`));
  for (const file of ["patient-consent.clar", "record-management.clar"]) cpSync(here(`../${sources}/${file}`), join(dir, file));
  cpSync(here("../contracts/settings"), join(dir, "settings"), { recursive: true });
  const manifest = readFileSync(here("../contracts/Clarinet.toml"), "utf8").replaceAll("epoch = 2.5", `epoch = ${epoch}`);
  if (!manifest.includes(`epoch = ${epoch}`)) throw new Error("the manifest names no epoch to replace");
  writeFileSync(join(dir, "Clarinet.toml"), manifest);
  return dir;
}
