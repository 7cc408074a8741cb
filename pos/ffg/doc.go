// Package ffg is Casper FFG justification and finalization, the inactivity
// leak and the attestation rewards of the pos engine, as pure functions of
// the Ethereum consensus specifications: phase0's
// weigh_justification_and_finalization, and Altair's inactivity scores,
// inactivity penalties and participation-flag rewards.
//
// Justification. ProcessJustification takes the state's justification bits
// and its previous justified, current justified and finalized checkpoints,
// the epoch being processed, the balance totals (total active effective
// balance, and the unslashed target-voting balance of the previous and the
// current epoch) and the two epochs' checkpoint roots. After the first two
// epochs it shifts the bits, makes the current justified checkpoint the
// previous one, justifies each epoch whose target balance is a
// supermajority (3·target ≥ 2·total, exact in 128 bits: Supermajority),
// and applies the four finalization rules on the old checkpoints (Rule234,
// Rule23, Rule123, Rule12, the later overriding the earlier as in the
// specification). The Outcome says what happened.
//
// The leak. InInactivityLeak is is_in_inactivity_leak: the previous epoch
// more than MinEpochsToInactivityPenalty (4) epochs past the finalized one.
// UpdateInactivityScore is the per-validator step of
// process_inactivity_updates: a missed target adds InactivityScoreBias, a
// timely one takes one point off, and outside the leak every score
// recovers by InactivityScoreRecoveryRate. InactivityPenalty is
// effective balance · score / (bias · InactivityPenaltyQuotient) for an
// eligible validator without a timely target.
//
// Rewards. A RewardContext holds the epoch's totals (active increments,
// base reward per increment from the integer square root of the total
// active balance, participating increments per flag); FlagDelta is
// get_flag_index_deltas for one validator and flag with the Altair weights
// (source 14, target 26, head 14 of 64), nothing for participants in the
// leak and no penalty for a missed head; EpochDeltas adds them and the
// inactivity penalty per validator; ProposerReward is the proposer's
// share for including attestations (Altair's replacement for phase0's
// inclusion-delay reward). The pos engine has no sync committee; its
// weight is kept so the others keep their values.
//
// Each function reads only what it is given and does one pass at most,
// so the engine can fold them into its single pass over the validators.
// Errors are RuleErrors with codes (error.go). Tests run the four rules
// one by one, random epochs for the properties (the finalized epoch never
// decreases, only a justified checkpoint is finalized), and compare
// justification, flag deltas, inactivity penalties and score updates with
// github.com/protolambda/zrnt v0.34.1 (imported by tests only).
package ffg
