// Package asert computes proof-of-work targets with aserti3-2d, the ASERT
// difficulty algorithm as Bitcoin Cash Node specifies it, for the pow
// engine's header chain.
//
// ASERT (absolutely scheduled exponentially rising targets) keeps no moving
// window. An anchor block fixes a schedule: one block every IdealBlockTime
// seconds from the anchor's parent's timestamp. The target for the block
// after an evaluation block is the anchor's target times 2 to the power of
// how far the evaluation block is ahead of (negative) or behind (positive)
// that schedule, measured in half-lives:
//
//	target = anchor_target · 2^((time_offset − IdealBlockTime·(height_offset + 1)) / HalfLife)
//
// A chain one half-life behind schedule mines at twice the anchor's target,
// one half-life ahead at half of it, whatever happened in between.
//
// The computation is integer-only so that every node agrees to the bit: the
// exponent in 16.16 fixed point with truncating division, its integer part
// as a shift, its fraction through a cubic approximation of 2^x evaluated in
// uint64, the product in math/big, then clamping to [1, PowLimit] and the
// compact encoding of btcd's blockchain package. NextTarget computes the
// bits, CheckBits refuses a header whose bits differ with a RuleError
// (ErrBadDifficulty), CheckParams validates a network's parameters, and
// ScheduleOffset tells how far a block is behind or ahead of schedule.
//
// The package is pure: no state, no logging, no clock. Which anchor governs
// a height (each algorithm switch starts a new one) is the header chain's
// concern. The tests run the published aserti3-2d vectors (testdata), fuzz
// the invariants, and simulate a chain whose hashrate jumps.
package asert
