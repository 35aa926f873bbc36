// What simnet charges, and the one way its cost may differ from a node's: simnet
// deploys a contract with a contract-data-size of 0 where a node records the size of
// its constants, so each contract load simnet charges is short by that contract's
// constants' size, in runtime and in read_length alike. A call loads the contract it
// calls once, plus patient-consent once per `contract-call?`.

/** Simnet's cost of a call, under the node's field names. */
export const simnetCost = (costs) => ({
  runtime: costs.total.runtime,
  read_count: costs.total.readCount,
  read_length: costs.total.readLength,
  write_count: costs.total.writeCount,
  write_length: costs.total.writeLength,
});

/**
 * How many `contract-call?`s into patient-consent explain `native - simnet` for a call
 * of `contract` (`{ calls }`), or why none do (`{ error }`); `constants` holds each
 * contract's constants' size.
 */
export function contractCallsExplaining(contract, native, simnet, constants) {
  for (const d of ["read_count", "write_count", "write_length"]) {
    if (native[d] !== simnet[d]) return { error: `${d} ${native[d]} natively, ${simnet[d]} on simnet` };
  }
  const gap = native.runtime - simnet.runtime;
  if (native.read_length - simnet.read_length !== gap) {
    return { error: `runtime is short by ${gap} on simnet but read_length by ${native.read_length - simnet.read_length}` };
  }
  const calls = (gap - constants[contract]) / constants["patient-consent"];
  if (!Number.isInteger(calls) || calls < 0) {
    return { error: `runtime and read_length differ by ${gap}, which no count of contract loads explains` };
  }
  return { calls };
}
