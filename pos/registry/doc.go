// Package registry is the validator registry of the pos engine as a pure
// state transition over a plain State: deposits and top-ups, the
// activation queue with its churn limit, effective balances with
// hysteresis, voluntary exits through the exit queue, withdrawal after the
// withdrawability delay, and the forced exit of a slashed validator. The
// rules are those of the Ethereum phase0 specification
// (process_deposit without its Merkle proof, process_registry_updates,
// process_effective_balance_updates, initiate_validator_exit,
// process_voluntary_exit without its signature, and the registry's part of
// slash_validator), with amounts in satoshis of the sidechain coin.
//
// ApplyDeposit, VoluntaryExit, Slash, Penalize and Withdraw change one
// validator during an epoch; ProcessEpoch ends the epoch. Every refusal is
// a RuleError with a code, and a refused call leaves the state unchanged.
// Encode gives the canonical encoding the state hash is taken over, and
// Decode parses it strictly.
//
// Not wired: no deposit transaction, exit message or engine feeds it yet.
// Signatures (the deposit's proof of possession, the exit's signature) are
// the engine's to check. docs/protocol.md §14.7 says what it does.
package registry
