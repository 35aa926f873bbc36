//! The mempool: signed transactions admitted as a node admits them, waiting for the
//! miner, and what became of those that were dropped.
//!
//! Admission follows the node's `will_admit_mempool_tx`: the transaction is
//! authenticated ([`Transaction::authenticate`], in [`Checked::new`]); its nonce may not be one the
//! account already spent ([`Rejection::BadNonce`]) and may run ahead of it by at
//! most [`MAXIMUM_TX_CHAINING`] ([`Rejection::TooMuchChaining`]); no other waiting
//! transaction may spend the same nonce ([`Rejection::ConflictingNonceInMempool`];
//! clarimed replaces nothing by fee); then the payload must call a public function
//! of one of the two contracts with arguments of its types. clarimed holds no STX,
//! so no balance is checked and no fee is taken. Last, the mempool must have room
//! for it ([`MempoolLimits`]): a full mempool refuses a new transaction and keeps
//! every one already waiting.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use clarimed_engine::{principal_to_string, Engine, ExecutionCost, Principal};
use clarimed_transactions::{Call, NonceMismatch, Rejection, Transaction, TESTNET};

/// How far past an account's next nonce the mempool takes transactions (the node's
/// `MAXIMUM_MEMPOOL_TX_CHAINING`).
pub const MAXIMUM_TX_CHAINING: u64 = 25;

/// How many dropped transactions the mempool remembers, to answer for them by txid;
/// an older one is unknown again, as a node's mempool forgets what it garbage-collects.
pub const DROPPED_KEPT: usize = 10_000;

/// How much the mempool holds at most: transactions pending (waiting, or in the
/// block being mined) and the total length of their bytes as signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolLimits {
    /// The most transactions pending. Default: [`DEFAULT_MAX_TRANSACTIONS`].
    pub max_transactions: usize,
    /// The most bytes of transactions pending. Default: [`DEFAULT_MAX_BYTES`].
    pub max_bytes: usize,
}

/// A thousand senders, each with the [`MAXIMUM_TX_CHAINING`] transactions a sender
/// may chain: 250 blocks of the default `--block-txs`.
pub const DEFAULT_MAX_TRANSACTIONS: usize = 1_000 * MAXIMUM_TX_CHAINING as usize;

/// Sixteen times a node's largest block (2 MiB); a contract call is a few hundred
/// bytes, so for them the count binds first.
pub const DEFAULT_MAX_BYTES: usize = 32 * 1024 * 1024;

impl Default for MempoolLimits {
    fn default() -> MempoolLimits {
        MempoolLimits { max_transactions: DEFAULT_MAX_TRANSACTIONS, max_bytes: DEFAULT_MAX_BYTES }
    }
}

/// A transaction the miner may include.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The transaction as signed.
    pub tx: Transaction,
    /// Its origin, the call's `tx-sender`.
    pub sender: Principal,
    /// The call it makes.
    pub call: Call,
}

/// Why the miner gave up on a transaction, by the Hiro API's `tx_status` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its cost alone is over the block limit.
    TooExpensive,
    /// Its nonce was spent by the time its turn came.
    StaleNonce,
    /// The engine refused it for another reason.
    Problematic,
}

impl Dropped {
    /// Every reason.
    pub const ALL: [Dropped; 3] = [Dropped::TooExpensive, Dropped::StaleNonce, Dropped::Problematic];

    /// The Hiro API's `tx_status` for it.
    pub fn status(self) -> &'static str {
        match self {
            Dropped::TooExpensive => "dropped_too_expensive",
            Dropped::StaleNonce => "dropped_stale_garbage_collect",
            Dropped::Problematic => "dropped_problematic",
        }
    }
}

/// What the mempool knows of a txid.
#[derive(Debug, Clone)]
pub enum Known {
    /// Waiting for a block, or in the block being mined.
    Pending(Arc<Pending>),
    /// Given up, with the transaction.
    Dropped(Arc<Pending>, Dropped),
}

/// Waiting transactions in the order they came, those in the block being mined,
/// and the dropped ones.
#[derive(Debug, Default)]
pub struct Mempool {
    waiting: VecDeque<Arc<Pending>>,
    /// Every pending transaction, waiting or in the block being mined, by txid.
    pending: HashMap<[u8; 32], Arc<Pending>>,
    /// The nonces they spend, by sender.
    nonces: BTreeSet<(Principal, u64)>,
    /// The last [`DROPPED_KEPT`] dropped transactions, and their order.
    dropped: HashMap<[u8; 32], (Arc<Pending>, Dropped)>,
    dropped_order: VecDeque<[u8; 32]>,
    /// The cost of each function's last mined call: the cost estimator.
    costs: HashMap<(&'static str, String), ExecutionCost>,
    /// What it holds at most, and the bytes of the pending transactions.
    limits: MempoolLimits,
    bytes: usize,
    /// The pending transactions that came ahead of their sender's next nonce (no
    /// transaction pending or mined spent the one before), and their bytes: they
    /// may hold half the mempool at most ([`Mempool::make_room`]).
    ahead: HashMap<[u8; 32], usize>,
    ahead_bytes: usize,
}

/// A transaction with what can be checked of it without the mempool: its
/// signatures, chain and fee (refused at once), and its payload (whose refusal the
/// node gives only after the nonce's, so it is kept for [`Mempool::admit`]). The
/// slow part, verifying signatures, happens here, outside the mempool's lock.
#[derive(Debug)]
pub struct Checked {
    tx: Transaction,
    sender: Principal,
    call: Result<Call, Rejection>,
}

impl Checked {
    /// Checks `tx` against the contracts `deployer` deployed.
    pub fn new(tx: Transaction, deployer: &Principal) -> Result<Checked, Rejection> {
        tx.authenticate(&TESTNET)?;
        if tx.is_sponsored() {
            return Err(Rejection::Other("clarimed does not take sponsored transactions".to_string()));
        }
        let call = tx.contract_call(&TESTNET, deployer);
        Ok(Checked { sender: tx.origin(), tx, call })
    }
}

impl Mempool {
    /// Whether `txid` is pending or mined: a transaction sent again is answered with
    /// its txid and changes nothing, as the node answers a repeat.
    pub fn knows<S>(&self, engine: &Engine<S>, txid: &[u8; 32]) -> Result<bool, Rejection> {
        // Pending, or mined: a block leaves the mempool only once committed.
        if self.pending.contains_key(txid) {
            return Ok(true);
        }
        engine.receipt(txid).map(|receipt| receipt.is_some()).map_err(|error| Rejection::Other(error.to_string()))
    }

    /// Admits a checked transaction or says why not: its nonce against the account's
    /// and the waiting transactions', then its payload.
    pub fn admit<S>(&mut self, engine: &Engine<S>, checked: Checked) -> Result<(), Rejection> {
        let Checked { tx, sender, call } = checked;
        if self.knows(engine, &tx.txid())? {
            return Ok(());
        }
        let expected = engine.nonce(&sender).map_err(|error| Rejection::Other(error.to_string()))?;
        let actual = tx.nonce();
        let principal = principal_to_string(&sender);
        if actual < expected {
            return Err(Rejection::BadNonce(NonceMismatch { expected, actual, principal, is_origin: true }));
        }
        let max_nonce = expected + 1 + MAXIMUM_TX_CHAINING;
        if actual > max_nonce {
            return Err(Rejection::TooMuchChaining { max_nonce, actual_nonce: actual, principal, is_origin: true });
        }
        if self.nonces.contains(&(sender.clone(), actual)) {
            return Err(Rejection::ConflictingNonceInMempool);
        }
        let call = call?;
        let ahead = actual > expected && !self.nonces.contains(&(sender.clone(), actual - 1));
        let length = tx.bytes().len();
        self.make_room(length, ahead)?;
        let pending = Arc::new(Pending { tx, sender, call });
        self.bytes += length;
        if ahead {
            self.ahead.insert(pending.tx.txid(), length);
            self.ahead_bytes += length;
        }
        self.pending.insert(pending.tx.txid(), pending.clone());
        self.nonces.insert((pending.sender.clone(), actual));
        self.waiting.push_back(pending);
        Ok(())
    }

    /// Refuses a transaction of `length` bytes if the mempool has no room for it.
    ///
    /// The node has no such bound (its mempool is a database, garbage-collected by
    /// age), so it has no reason of its own for "full". The answer is the node's
    /// shape for a refusal that is about the node rather than the transaction:
    /// `ServerFailureOther` with a message (`MemPoolRejection::Other`, which the node
    /// also answers when, for one, it cannot estimate a fee rate), HTTP 400 like every
    /// rejection, so a client handles it as it handles any refusal. Not
    /// `ServerFailureDatabase`: nothing failed. Not one of the transaction's own
    /// reasons (`TooMuchChaining`, `FeeTooLow`): the same transaction is admitted once
    /// the miner has made room.
    ///
    /// A transaction `ahead` of its sender's next nonce cannot be mined until the
    /// one before it comes, which may be never: keys cost nothing, so such
    /// transactions could fill the mempool for good and refuse every transaction
    /// that could be mined. They get half of it at most; the other half is always
    /// left to transactions the miner can take, which blocks drain.
    fn make_room(&self, length: usize, ahead: bool) -> Result<(), Rejection> {
        let MempoolLimits { max_transactions, max_bytes } = self.limits;
        if ahead && (self.ahead.len() >= max_transactions / 2 || self.ahead_bytes.saturating_add(length) > max_bytes / 2) {
            return Err(Rejection::Other(format!(
                "Mempool is full for transactions that wait for an earlier nonce: {} wait, the most it holds is half its room; send the earlier nonce first",
                self.ahead.len()
            )));
        }
        if self.pending.len() >= max_transactions {
            return Err(Rejection::Other(format!("Mempool is full: {max_transactions} transactions wait to be mined, the most it holds; send it again later")));
        }
        if self.bytes.saturating_add(length) > max_bytes {
            return Err(Rejection::Other(format!(
                "Mempool is full: {} bytes of transactions wait to be mined, and this one's {length} would pass the most it holds, {max_bytes}; send it again later",
                self.bytes
            )));
        }
        Ok(())
    }

    /// Bounds what the mempool holds from now on; transactions already pending stay.
    pub fn set_limits(&mut self, limits: MempoolLimits) {
        self.limits = limits;
    }

    /// What the mempool holds at most.
    pub fn limits(&self) -> MempoolLimits {
        self.limits
    }

    /// Whether any transaction waits for the miner.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// How many transactions wait.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Takes every waiting transaction, in the order they came, for the miner; they
    /// stay pending until [`Mempool::put_back`].
    pub(crate) fn take_waiting(&mut self) -> VecDeque<Arc<Pending>> {
        std::mem::take(&mut self.waiting)
    }

    /// After the block is committed (or given up): `gone`, mined or dropped, is no
    /// longer pending; `left`, what the miner left for a later block, waits again
    /// ahead of what came since. The miner names what is gone, not what is left:
    /// a block takes at most its size, and thousands may be left, under this lock.
    pub(crate) fn put_back<'p>(&mut self, mut left: VecDeque<Arc<Pending>>, gone: impl IntoIterator<Item = &'p Arc<Pending>>) {
        for pending in gone {
            let txid = pending.tx.txid();
            if self.pending.remove(&txid).is_some() {
                self.nonces.remove(&(pending.sender.clone(), pending.tx.nonce()));
                self.bytes = self.bytes.saturating_sub(pending.tx.bytes().len());
            }
            if let Some(length) = self.ahead.remove(&txid) {
                self.ahead_bytes = self.ahead_bytes.saturating_sub(length);
            }
        }
        left.append(&mut self.waiting);
        self.waiting = left;
    }

    /// Records a transaction the miner gave up on.
    pub(crate) fn drop_tx(&mut self, pending: Arc<Pending>, why: Dropped) {
        let txid = pending.tx.txid();
        if self.dropped.insert(txid, (pending, why)).is_none() {
            self.dropped_order.push_back(txid);
        }
        if self.dropped_order.len() > DROPPED_KEPT {
            if let Some(oldest) = self.dropped_order.pop_front() {
                self.dropped.remove(&oldest);
            }
        }
    }

    /// Learns what a mined call cost, for estimates.
    pub(crate) fn learn_cost(&mut self, call: &Call, cost: ExecutionCost) {
        self.costs.insert((call.contract.name(), call.function.clone()), cost);
    }

    /// The cost of `function`'s last mined call, if one was mined.
    pub fn estimated_cost(&self, contract: &str, function: &str) -> Option<ExecutionCost> {
        self.costs.iter().find(|((name, known), _)| *name == contract && known == function).map(|(_, cost)| *cost)
    }

    /// What the mempool knows of `txid`.
    pub fn find(&self, txid: &[u8; 32]) -> Option<Known> {
        if let Some(pending) = self.pending.get(txid) {
            return Some(Known::Pending(pending.clone()));
        }
        self.dropped.get(txid).map(|(pending, why)| Known::Dropped(pending.clone(), *why))
    }

    /// The nonces `sender`'s waiting transactions spend, in order.
    pub fn waiting_nonces(&self, sender: &Principal) -> Vec<u64> {
        self.nonces.range((sender.clone(), 0)..=(sender.clone(), u64::MAX)).map(|(_, nonce)| *nonce).collect()
    }
}

#[cfg(test)]
mod tests {
    use clarimed_engine::clarity::Value;
    use clarimed_engine::keys::SigningKey;
    use clarimed_engine::table::Contract;
    use clarimed_transactions::sign::{sign, Unsigned};

    use super::*;

    /// Distinct transactions for bookkeeping (their signatures are not checked here):
    /// one signed call with its nonce field rewritten.
    fn transactions(count: u64) -> Vec<Arc<Pending>> {
        let key = SigningKey::random();
        let args = vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)];
        let call = Unsigned {
            network: TESTNET,
            nonce: 0,
            fee: 10_000,
            deployer: &key.principal(),
            contract: "patient-consent",
            function: "update-patient-preferences",
            args: args.clone(),
            post_conditions: Vec::new(),
        };
        let signed = sign(&key, call).unwrap();
        // version, chain id, auth type, hash mode, signer: then the nonce.
        let at = 1 + 4 + 1 + 1 + 20;
        (0..count)
            .map(|nonce| {
                let mut bytes = signed.clone();
                bytes[at..at + 8].copy_from_slice(&nonce.to_be_bytes());
                let tx = Transaction::decode(&bytes).unwrap();
                let call = Call { contract: Contract::PatientConsent, function: "update-patient-preferences".to_string(), args: args.clone() };
                Arc::new(Pending { tx, sender: key.principal(), call })
            })
            .collect()
    }

    /// A signed call by `key` at `nonce`, checked against `deployer`'s contracts.
    fn checked(key: &SigningKey, deployer: &Principal, nonce: u64) -> Checked {
        let call = Unsigned {
            network: TESTNET,
            nonce,
            fee: 10_000,
            deployer,
            contract: "patient-consent",
            function: "update-patient-preferences",
            args: vec![Value::Bool(true), Value::Bool(false), Value::Bool(false)],
            post_conditions: Vec::new(),
        };
        Checked::new(Transaction::decode(&sign(key, call).unwrap()).unwrap(), deployer).unwrap()
    }

    #[test]
    fn a_full_mempool_refuses_a_new_transaction_keeps_the_others_and_has_room_once_they_are_mined() {
        let deployer = SigningKey::random().principal();
        let engine = Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch25).unwrap();
        let keys: Vec<SigningKey> = (0..3).map(|_| SigningKey::random()).collect();
        let length = checked(&keys[0], &deployer, 0).tx.bytes().len();
        for limits in [MempoolLimits { max_transactions: 2, max_bytes: usize::MAX }, MempoolLimits { max_transactions: 100, max_bytes: 2 * length }] {
            let mut mempool = Mempool::default();
            mempool.set_limits(limits);
            mempool.admit(&engine, checked(&keys[0], &deployer, 0)).unwrap();
            mempool.admit(&engine, checked(&keys[1], &deployer, 0)).unwrap();
            let refused = mempool.admit(&engine, checked(&keys[2], &deployer, 0)).unwrap_err();
            assert_eq!(refused.reason(), "ServerFailureOther");
            assert!(matches!(&refused, Rejection::Other(message) if message.starts_with("Mempool is full")), "{refused:?}");
            // Nothing waiting is lost, and one sent again is still known.
            assert_eq!(mempool.len(), 2);
            mempool.admit(&engine, checked(&keys[1], &deployer, 0)).unwrap();
            // In the block being mined, they still take their room.
            let batch = mempool.take_waiting();
            assert_eq!(batch.len(), 2);
            assert!(mempool.admit(&engine, checked(&keys[2], &deployer, 0)).is_err());
            // Mined: room again.
            mempool.put_back(VecDeque::new(), &batch);
            mempool.admit(&engine, checked(&keys[2], &deployer, 0)).unwrap();
            assert_eq!(mempool.len(), 1);
        }
    }

    #[test]
    fn transactions_ahead_of_their_senders_next_nonce_hold_half_the_mempool_at_most() {
        let deployer = SigningKey::random().principal();
        let engine = Engine::in_memory(&deployer, clarimed_engine::Epoch::Epoch25).unwrap();
        let mut mempool = Mempool::default();
        mempool.set_limits(MempoolLimits { max_transactions: 4, max_bytes: usize::MAX });
        // Nonce 1 of two fresh keys: each waits for a nonce 0 that may never come.
        let (first, second, third) = (SigningKey::random(), SigningKey::random(), SigningKey::random());
        mempool.admit(&engine, checked(&first, &deployer, 1)).unwrap();
        mempool.admit(&engine, checked(&second, &deployer, 1)).unwrap();
        let refused = mempool.admit(&engine, checked(&third, &deployer, 1)).unwrap_err();
        assert!(matches!(&refused, Rejection::Other(message) if message.contains("wait for an earlier nonce")), "{refused:?}");
        // The other half is left to transactions the miner can take: the next nonce,
        // and the one right after a pending one.
        mempool.admit(&engine, checked(&third, &deployer, 0)).unwrap();
        mempool.admit(&engine, checked(&third, &deployer, 1)).unwrap();
        assert_eq!(mempool.len(), 4);
        // Once those waiting ahead leave (mined or dropped), their room is free again.
        let batch = mempool.take_waiting();
        let (left, gone): (VecDeque<_>, VecDeque<_>) = batch.into_iter().partition(|pending| pending.sender == third.principal());
        mempool.put_back(left, &gone);
        mempool.admit(&engine, checked(&SigningKey::random(), &deployer, 1)).unwrap();
    }

    #[test]
    fn the_mempool_remembers_the_last_dropped_transactions_only() {
        let mut mempool = Mempool::default();
        let dropped = transactions(DROPPED_KEPT as u64 + 1);
        for pending in &dropped {
            mempool.drop_tx(pending.clone(), Dropped::StaleNonce);
        }
        assert!(mempool.find(&dropped[0].tx.txid()).is_none());
        assert!(matches!(mempool.find(&dropped[1].tx.txid()), Some(Known::Dropped(_, Dropped::StaleNonce))));
        assert!(matches!(mempool.find(&dropped[DROPPED_KEPT].tx.txid()), Some(Known::Dropped(..))));
    }

    #[test]
    fn a_mined_or_dropped_transaction_stops_being_pending_once_the_block_is_given_back() {
        let mut mempool = Mempool::default();
        let [mined, dropped, left]: [Arc<Pending>; 3] = transactions(3).try_into().unwrap();
        for pending in [&mined, &dropped, &left] {
            mempool.nonces.insert((pending.sender.clone(), pending.tx.nonce()));
            mempool.pending.insert(pending.tx.txid(), pending.clone());
            mempool.waiting.push_back(pending.clone());
        }
        let batch = mempool.take_waiting();
        assert_eq!(batch.len(), 3);
        assert!(mempool.is_empty());
        // Taken by the miner, all three are still pending.
        assert!(matches!(mempool.find(&mined.tx.txid()), Some(Known::Pending(_))));
        mempool.drop_tx(dropped.clone(), Dropped::Problematic);
        mempool.put_back(VecDeque::from([left.clone()]), [&mined, &dropped]);
        assert!(mempool.find(&mined.tx.txid()).is_none());
        assert!(matches!(mempool.find(&dropped.tx.txid()), Some(Known::Dropped(_, Dropped::Problematic))));
        assert!(matches!(mempool.find(&left.tx.txid()), Some(Known::Pending(_))));
        assert_eq!(mempool.waiting_nonces(&left.sender), vec![left.tx.nonce()]);
        assert_eq!(mempool.len(), 1);
    }
}
