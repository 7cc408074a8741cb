// Package powparams adapts a network's pow parameters (chainparams.PowParams)
// to the pow engine's header chain.
//
// Difficulty implements headerchain.Difficulty with pow/asert over the
// network's schedule of eras: the child of a block at height h−1 is in the
// era whose FromHeight is the largest at most h. The era's first block is
// its anchor and carries the era's initial bits; each later block carries
// aserti3-2d's target from the anchor (height FromHeight, those bits, and
// the anchor parent time: the era's AnchorParentTime, or if that is zero the
// timestamp of the block at FromHeight − 1 on the chain being extended)
// and from its parent's height and timestamp, with the era's half-life,
// ideal block time and pow limit. So an algorithm switch starts a new
// schedule with its own bits, and blocks of one era never depend on
// another era's difficulty. CheckBits says the same as a headerchain
// RuleError with code ErrBadBits, wrapping asert's ErrBadDifficulty.
//
// Genesis builds the network's genesis block (chainparams.PowGenesis) as a
// headerchain.Block, and IndexParams the index's consensus limits.
package powparams
