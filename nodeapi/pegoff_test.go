package nodeapi

import (
	"context"
	"testing"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
)

// TestPegOffUnderPow: on a pow network without notaries the peg's
// commands say the peg is off, before they look at anything else.
func TestPegOffUnderPow(t *testing.T) {
	b := New(Env{Params: &chainparams.PowRegtest})
	ctx := context.Background()
	_, err := b.PegIn(ctx, api.PegInRequest{Amount: 100_000, PSBTOnly: true})
	wantAPICode(t, "PegIn", err, api.ErrFailedPrecondition)
	_, err = b.PegOut(ctx, api.PegOutRequest{Amount: 100_000})
	wantAPICode(t, "PegOut", err, api.ErrFailedPrecondition)

	// A mainstake network goes on to the other checks.
	m := New(Env{Params: &chainparams.Regtest})
	_, err = m.PegIn(ctx, api.PegInRequest{Amount: 100_000, PSBTOnly: true})
	if api.IsErrorCode(err, api.ErrFailedPrecondition) {
		t.Fatalf("PegIn on regtest: %v", err)
	}
}
