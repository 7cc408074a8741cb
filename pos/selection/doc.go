// Package selection chooses who proposes and who attests under the pos
// engine: the swap-or-not shuffle, committees, balance-weighted proposers
// and the RANDAO seeds they are drawn from, exactly as the phase0 Ethereum
// consensus specifications define them.
//
// The shuffle. ShuffledIndex is compute_shuffled_index: SHUFFLE_ROUND_COUNT
// rounds (90 on mainnet, 10 in the minimal preset, Params.ShuffleRoundCount)
// of swap-or-not, each with a pivot from sha256(seed ‖ round) and one bit
// per position from sha256(seed ‖ round ‖ position/256). UnshuffledIndex is
// its inverse. ShuffleList computes the whole permuted list at once, round
// by round over the list, hashing once per 256 positions instead of twice
// per index per round; its result is, entry for entry, the per-index one
// (list[i] = original[ShuffledIndex(i)]). UnshuffleList inverts it.
//
// Committees. Committee is compute_committee, one index at a time, and
// serves as the reference. Shuffling is what an engine keeps per epoch: the
// active indices shuffled once with ShuffleList, from which
// Shuffling.BeaconCommittee (get_beacon_committee) and Shuffling.Committee
// cut subslices, and Shuffling.Assignment (get_committee_assignment) finds
// a validator's slot, committee and position. CommitteeCountPerSlot is
// get_committee_count_per_slot.
//
// Proposers. ProposerIndex is compute_proposer_index of phase0 (unchanged
// up to Deneb): candidates in shuffled order, each accepted when its
// effective balance times 255 reaches MAX_EFFECTIVE_BALANCE times a random
// byte, so the chance of proposing is proportional to effective balance.
// Electra's 16-bit random value is not implemented. ProposerSeed derives a
// slot's seed from the epoch's proposer seed, and EpochProposers computes
// an epoch's proposers. Where the specification loops forever,
// ProposerIndex stops after 65536 candidates with ErrNoProposer; with
// random hashes that has a probability below 2^-369.
//
// Seeds. Mixes is the ring of RANDAO mixes: Mixes.Reveal xors a block's
// reveal hash into its epoch's mix (process_randao; MixReveal alone),
// Mixes.EndEpoch carries the mix into the next epoch
// (process_randao_mixes_reset), and Mixes.Seed is get_seed, a hash of the
// domain, the epoch and the mix from MIN_SEED_LOOKAHEAD+1 epochs earlier
// (SeedFromMix alone). The domains are DomainBeaconProposer for proposers
// and DomainBeaconAttester for committees.
//
// Params holds the constants; Mainnet and Minimal are the specifications'
// presets. All hashing is crypto/sha256. Errors are RuleErrors with codes
// (error.go). The package is pure: no state beyond Mixes and Shuffling, no
// logging, no clock; the pos engine that will call it is not written yet.
//
// Tests run consensus-spec-tests shuffling vectors (testdata/shuffling, see
// its README) through the per-index, list and inverse forms, and compare
// every function with github.com/protolambda/zrnt, an independent
// implementation imported only by tests.
package selection
