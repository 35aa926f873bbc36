// Random runs on Clarinet's simnet, checked step by step against the native engine,
// at epochs 3.0, 3.3 and 3.4 (the epochs simnet runs with the chain's own costs; its
// 4.0 costs are a draft equal to 3.4's, so 4.0 is checked against stacks-core's own
// Clarity in the Rust tests instead).
//
// The plan of each run comes from the native engine
// (`target/debug/examples/simnet_plan EPOCH SEED STEPS`, which `cargo test` builds):
// every call with what the native engine answered, every chain step with both
// heights after it, and the final state. Here each step is run on a simnet deployed
// at that epoch and compared: result, print events, the five cost dimensions, the
// Stacks and tenure heights, and at the end every data-map entry and data var.
//
// One known difference is allowed for, and only that one: simnet deploys a contract
// with a contract-data-size of 0 where a node records the size of its constants, so
// each contract load simnet charges is short by that contract's constants' size, in
// runtime and read_length alike (see journey-costs.mjs).
//
// STEPS (default 250) and SEEDS (default "1") set the run; a longer run is
// `STEPS=2000 SEEDS=1,2,3,4,5,6,7,8,9,10 node differential.mjs`.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initSimnet } from "@stacks/clarinet-sdk";
import { cvToHex, hexToCV } from "@stacks/transactions";
import { project } from "./project.mjs";
import { contractCallsExplaining, simnetCost } from "./shortfall.mjs";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
// Simnet logs every print event on the console: this run's own lines go to `log`.
const log = console.log;
console.log = () => {};
const planner = here("../target/debug/examples/simnet_plan");
const steps = Number(process.env.STEPS ?? 250);
const seeds = (process.env.SEEDS ?? "1").split(",").map(Number);
const epochs = (process.env.EPOCHS ?? "3.0,3.3,3.4").split(",");

/** The print events simnet reports for a call, as hex. */
const printed = (events) => events.filter((e) => e.event === "print_event").map((e) => cvToHex(e.data.value).slice(2));

async function run(epoch, seed) {
  const lines = execFileSync(planner, [epoch, String(seed), String(steps)], { encoding: "utf8", maxBuffer: 1 << 28 }).trim().split("\n").map((l) => JSON.parse(l));
  const header = lines.shift();
  const { state } = lines.pop();
  const dir = project(epoch);
  const problems = [];
  let compared = 0;
  try {
    const simnet = await initSimnet(join(dir, "Clarinet.toml"), true, { trackCosts: true, trackCoverage: false });
    if (simnet.deployer !== header.deployer) throw new Error(`simnet deploys as ${simnet.deployer}, the plan as ${header.deployer}`);
    lines.forEach((step, index) => {
      const at = `${epoch} seed ${seed} step ${index + 1}`;
      if (step.advance) {
        if (step.advance === "burn") simnet.mineEmptyBlocks(step.count);
        else simnet.mineEmptyStacksBlocks(step.count);
      } else {
        const call = step.call;
        const run = call.read_only ? simnet.callReadOnlyFn : simnet.callPublicFn;
        const outcome = run.call(simnet, call.contract, call.function, call.args.map((hex) => hexToCV(hex)), call.sender);
        const result = cvToHex(outcome.result);
        const name = `${call.contract}.${call.function}`;
        if (result !== call.result) problems.push(`${at} ${name}: result ${result} on simnet, ${call.result} natively`);
        const events = printed(outcome.events);
        if (JSON.stringify(events) !== JSON.stringify(call.events)) problems.push(`${at} ${name}: events ${JSON.stringify(events)} on simnet, ${JSON.stringify(call.events)} natively`);
        const cost = contractCallsExplaining(call.contract, call.cost, simnetCost(outcome.costs), header.constants_size);
        if (cost.error) problems.push(`${at} ${name}: ${cost.error}`);
        compared += 1;
      }
      const expected = step.advance ? step : step.call;
      const tenure = simnet.burnBlockHeight;
      if (simnet.blockHeight !== expected.stacks_height || tenure !== expected.tenure_height) {
        problems.push(`${at}: heights (stacks, tenure) (${simnet.blockHeight}, ${tenure}) on simnet, (${expected.stacks_height}, ${expected.tenure_height}) natively`);
      }
    });
    // The state, entry by entry: every row the native engine holds, as simnet holds it.
    for (const [place, value] of state) {
      const [contract, name, key] = place.split("::");
      const held = key === undefined ? simnet.getDataVar(contract, name) : simnet.getMapEntry(contract, name, hexToCV(`0x${key}`));
      if (cvToHex(held) !== `0x${value}`) problems.push(`${epoch} seed ${seed} state ${place}: ${cvToHex(held)} on simnet, 0x${value} natively`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`epoch ${epoch}, seed ${seed}: ${compared} calls and ${state.length} state entries compared, ${problems.length} differ`);
  return problems;
}

let problems = [];
for (const epoch of epochs) {
  for (const seed of seeds) problems = problems.concat(await run(epoch, seed));
}
for (const problem of problems.slice(0, 40)) log(`MISMATCH ${problem}`);
log(`\n${problems.length === 0 ? "0 divergences" : `${problems.length} divergences`} (results, events, costs, heights, state) at ${epochs.join(", ")}`);
process.exit(problems.length === 0 ? 0 : 1);
