package nodeapi

// PosStatus is the pos engine's chain as Info shows it; node's posNode is
// one.
type PosStatus interface {
	PosStatus() PosInfo
}

// PosInfo is what PosStatus reports: the fork choice's head block and its
// slot, the state root after it, the chain's checkpoints, and the error
// that stopped the chain (nil while it runs).
type PosInfo struct {
	Head, StateRoot                [32]byte
	HeadSlot                       uint64
	JustifiedEpoch, FinalizedEpoch uint64
	Stopped                        error

	// Validators is the number of validator keys; Proposed, Attested
	// and Refused the validator client's counters.
	Validators                  int
	Proposed, Attested, Refused uint64
}
