//! A transaction's payload as a call of one of the two contracts.

use clarimed_engine::clarity::Value;
use clarimed_engine::table::{find, Access, Contract};
use clarimed_engine::{check_arguments, principal_to_native, Principal};
use clarity::address::{
    C32_ADDRESS_VERSION_MAINNET_MULTISIG, C32_ADDRESS_VERSION_MAINNET_SINGLESIG, C32_ADDRESS_VERSION_TESTNET_MULTISIG, C32_ADDRESS_VERSION_TESTNET_SINGLESIG,
};
use stacks_codec::codec::TransactionPayload;

use crate::{Network, Rejection, Transaction};

/// A public function of one of the two contracts, with arguments of its types.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The contract called.
    pub contract: Contract,
    /// The function's name.
    pub function: String,
    /// Its arguments.
    pub args: Vec<Value>,
}

impl Transaction {
    /// The call the transaction makes, checked as [`Call::check`] says.
    pub fn contract_call(&self, network: &Network, deployer: &Principal) -> Result<Call, Rejection> {
        let TransactionPayload::ContractCall(call) = &self.wire().payload else {
            return Err(Rejection::Other(format!("clarimed runs contract calls only, and this is a {} transaction", self.wire().payload.name())));
        };
        let address = principal_to_native(&call.address.into());
        Call::check(network, deployer, &address, &call.contract_name, &call.function_name, call.function_args.clone())
    }
}

impl Call {
    /// The call of `function` of the contract `address.contract` with `args`, checked
    /// as the node checks a contract call against the contracts `deployer` deployed:
    /// the address's network, the contract, a public function of that name, the
    /// arguments' types.
    pub fn check(network: &Network, deployer: &Principal, address: &Principal, contract: &str, function: &str, args: Vec<Value>) -> Result<Call, Rejection> {
        if !address_version_of(network, address.version) {
            return Err(Rejection::BadAddressVersionByte);
        }
        let contract = Contract::ALL.into_iter().find(|c| address == deployer && c.name() == contract).ok_or(Rejection::NoSuchContract)?;
        let function = find(contract.name(), function).map_err(|_| Rejection::NoSuchPublicFunction)?;
        if function.access != Access::Public {
            return Err(Rejection::NoSuchPublicFunction);
        }
        check_arguments(contract.name(), function.name, &args).map_err(|error| Rejection::BadFunctionArgument(error.to_string()))?;
        Ok(Call { contract, function: function.name.to_string(), args })
    }
}

/// Whether an address version is one of the network's (single-sig or multi-sig).
fn address_version_of(network: &Network, version: u8) -> bool {
    if network.mainnet {
        version == C32_ADDRESS_VERSION_MAINNET_SINGLESIG || version == C32_ADDRESS_VERSION_MAINNET_MULTISIG
    } else {
        version == C32_ADDRESS_VERSION_TESTNET_SINGLESIG || version == C32_ADDRESS_VERSION_TESTNET_MULTISIG
    }
}
