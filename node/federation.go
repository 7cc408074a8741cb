package node

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Bounds of what the federation keeps from peers.
const (
	// maxPegPackets is how many signature packets the node keeps to
	// serve and relay, its own included; the oldest go first.
	maxPegPackets = 256

	// maxEarlyPackets is how many packets for payouts this node has not
	// built yet it keeps, for a member a block ahead of it.
	maxEarlyPackets = 64

	// scanWithdrawalBlocks is how many blocks with withdrawals one round
	// looks at, oldest first, to find the first unpaid one.
	scanWithdrawalBlocks = 64
)

// pegAnnouncer relays signature packets to peers; *p2p.Server is one.
type pegAnnouncer interface {
	Announce(items ...p2p.InvItem)
}

// federation is this node's part in the pegbox federation. After every
// mainchain block, a member builds the payout of the oldest best-chain
// sideblock whose withdrawals are unpaid and may be paid (pegbox.
// PayoutAllowed), exactly as every other member builds it, signs it,
// sends its signatures to its peers as a PSBT, and broadcasts the payout
// once the signatures it gathered reach the threshold. One payout is in
// flight at a time: the next spends its change. Until the payout is mined,
// every block rebroadcasts it. Every node, member or not, relays the
// packets that spend the pegbox's coins.
type federation struct {
	params   *chainparams.Params
	db       *store.DB
	chain    *sideblock.Chain
	peg      *pegbox.Index
	wallet   *wallet.Wallet // nil: not a member
	follower *mainwatch.Follower
	peers    pegAnnouncer // nil without the peer protocol

	kick chan struct{}

	mu      sync.Mutex
	job     *payoutJob                // the payout being signed or in flight
	packets map[chainhash.Hash][]byte // by SHA256d of the bytes
	order   []chainhash.Hash          // packets, oldest first
	early   []*psbt.Packet            // for payouts not built yet
}

// payoutJob is one payout: its signing, and once complete the
// transaction. Its fields are guarded by federation.mu.
type payoutJob struct {
	side    chainhash.Hash
	txid    chainhash.Hash // of the unsigned transaction
	signing *pegbox.Signing
	signed  *wire.MsgTx // complete
}

func newFederation(params *chainparams.Params, db *store.DB, chain *sideblock.Chain,
	peg *pegbox.Index, wlt *wallet.Wallet) *federation {

	return &federation{
		params: params, db: db, chain: chain, peg: peg, wallet: wlt,
		kick:    make(chan struct{}, 1),
		packets: make(map[chainhash.Hash][]byte),
	}
}

// blockCommitted asks the federation loop for a round.
func (f *federation) blockCommitted() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// run does a round after every mainchain block until ctx is done.
func (f *federation) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		if err := f.round(ctx); err != nil {
			log.Warnf("Federation: %v", err)
		}
	}
}

// plan is what a round decided to sign.
type plan struct {
	side  chainhash.Hash
	tx    *wire.MsgTx
	coins []pegbox.Coin // the pegbox coins the payout was built from
	fed   *pegbox.Federation
	key   *btcec.PrivateKey
}

// round is one pass of the federation after a mainchain block.
func (f *federation) round(ctx context.Context) error {
	f.mu.Lock()
	job := f.job
	f.mu.Unlock()

	// A payout in flight: rebroadcast it until it is mined.
	if job != nil && job.signed != nil {
		var mined bool
		err := f.db.View(func(r store.Reader) error {
			_, ok, err := pegbox.PayoutOf(r, job.side)
			mined = ok
			return err
		})
		if err != nil {
			return err
		}
		if !mined {
			if err := f.follower.Broadcast(ctx, job.signed); err != nil {
				log.Warnf("Rebroadcast of payout %v: %v", job.signed.TxHash(), err)
			}
			return nil
		}
		log.Infof("Payout %v of sideblock %v is mined", job.signed.TxHash(), job.side)
		f.mu.Lock()
		f.job = nil
		f.mu.Unlock()
	}

	p, err := f.plan()
	if err != nil || p == nil {
		return err
	}
	txid := p.tx.TxHash()
	f.mu.Lock()
	if f.job != nil && f.job.txid == txid {
		f.mu.Unlock()
		return f.tryComplete(ctx)
	}
	f.mu.Unlock()

	signing, err := pegbox.NewSigning(p.tx, p.coins, p.fed, f.params.Main)
	if err != nil {
		return err
	}
	packet, err := signing.Sign(p.key)
	if err != nil {
		return err
	}
	var raw bytes.Buffer
	if err := packet.Serialize(&raw); err != nil {
		return err
	}
	f.mu.Lock()
	f.job = &payoutJob{side: p.side, txid: txid, signing: signing}
	early := f.early
	f.early = nil
	f.mu.Unlock()
	log.Infof("Federation: signed payout %v of sideblock %v (%d of %d signatures "+
		"needed)", txid, p.side, p.fed.Threshold, len(p.fed.Keys))
	f.keep(raw.Bytes(), true)
	for _, pk := range early {
		f.addPacket(pk)
	}
	return f.tryComplete(ctx)
}

// plan returns the payout this node should sign now, or nil.
func (f *federation) plan() (*plan, error) {
	if f.wallet == nil {
		return nil, nil
	}
	var out *plan
	err := f.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		fed, ok, err := pegbox.FederationAt(r, f.peg.EpochOf(tip.Height+1))
		if err != nil || !ok {
			return err
		}
		var key *btcec.PrivateKey
		for _, k := range fed.Keys {
			if ref, ok := f.wallet.OwnsStakeKey(k.SerializeCompressed()); ok {
				if key, err = f.wallet.Keys().PrivKey(ref); err != nil {
					return err
				}
				break
			}
		}
		if key == nil {
			return nil // not a member this epoch
		}
		_, sideTip, ok := f.chain.Tip()
		if !ok {
			return nil
		}
		blocks, err := sideblock.WithdrawalBlocks(r, 0, scanWithdrawalBlocks)
		if err != nil {
			return err
		}
		for _, wb := range blocks {
			if _, paid, err := pegbox.PayoutOf(r, wb.Hash); err != nil || paid {
				if err != nil {
					return err
				}
				continue
			}
			// The oldest unpaid block: pay it, or wait.
			block, info, err := f.chain.Block(wb.Hash)
			if err != nil {
				return err
			}
			if info == nil || !info.OnBestChain {
				return nil
			}
			ws := sideblock.BlockWithdrawals(block.Transactions)
			var amount int64
			for i := range ws {
				amount += ws[i].Amount()
			}
			paid, err := pegbox.PaidSince(r, tip.Height-f.params.PegRatePeriod, tip.Height)
			if err != nil {
				return err
			}
			err = pegbox.PayoutAllowed(f.params, sideTip-wb.Height+1,
				tip.Height-info.PubHeight+1, paid, amount)
			if err != nil {
				log.Debugf("Federation: payout of sideblock %v waits: %v", wb.Hash, err)
				return nil
			}
			pkScript, err := fed.PkScript(f.params.Main)
			if err != nil {
				return err
			}
			all, err := pegbox.Coins(r)
			if err != nil {
				return err
			}
			var coins []pegbox.Coin
			for _, c := range all {
				if bytes.Equal(c.PkScript, pkScript) {
					coins = append(coins, c)
				}
			}
			tx, err := pegbox.BuildPayout(wb.Hash, ws, coins, pkScript,
				f.params.SidechainID, f.params.DustLimit)
			if err != nil {
				return fmt.Errorf("payout of sideblock %v: %w", wb.Hash, err)
			}
			out = &plan{side: wb.Hash, tx: tx, coins: coins, fed: fed, key: key}
			return nil
		}
		return nil
	})
	return out, err
}

// tryComplete broadcasts the payout once its signatures reach the
// threshold.
func (f *federation) tryComplete(ctx context.Context) error {
	f.mu.Lock()
	job := f.job
	if job == nil || job.signed != nil {
		f.mu.Unlock()
		return nil
	}
	tx, ok, err := job.signing.Complete()
	if err != nil || !ok {
		f.mu.Unlock()
		return err
	}
	job.signed = tx
	f.mu.Unlock()
	log.Infof("Federation: payout %v of sideblock %v has %d signatures; broadcasting",
		tx.TxHash(), job.side, job.signing.Signers())
	return f.follower.Broadcast(ctx, tx)
}

// keep stores a packet to serve and relay, dropping the oldest beyond
// maxPegPackets, and announces it.
func (f *federation) keep(raw []byte, announce bool) {
	hash := chainhash.DoubleHashH(raw)
	f.mu.Lock()
	if _, ok := f.packets[hash]; ok {
		f.mu.Unlock()
		return
	}
	f.packets[hash] = raw
	f.order = append(f.order, hash)
	for len(f.order) > maxPegPackets {
		delete(f.packets, f.order[0])
		f.order = f.order[1:]
	}
	f.mu.Unlock()
	if announce && f.peers != nil {
		f.peers.Announce(p2p.PegItem(hash))
	}
}

// have and packet serve peers.
func (f *federation) have(hash chainhash.Hash) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.packets[hash]
	return ok
}

func (f *federation) packet(hash chainhash.Hash) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, ok := f.packets[hash]
	return raw, ok
}

// receive takes a packet from a peer: it relays a packet that spends
// pegbox coins, and adds its signatures to the payout this node signs; the
// federation loop broadcasts the payout when they complete it. It returns a
// *p2p.MisbehaviorError when the packet is the peer's fault.
func (f *federation) receive(raw []byte) error {
	p, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		return &p2p.MisbehaviorError{Score: pegMisbehaviorScore,
			Reason: fmt.Sprintf("peg signatures do not parse: %v", err)}
	}
	spendsPegbox := len(p.UnsignedTx.TxIn) > 0
	err = f.db.View(func(r store.Reader) error {
		for _, in := range p.UnsignedTx.TxIn {
			_, ok, err := pegbox.CoinAt(r, in.PreviousOutPoint)
			if err != nil {
				return err
			}
			if !ok {
				spendsPegbox = false
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil // our own trouble, not the peer's
	}
	if !spendsPegbox {
		log.Debugf("Federation: ignored signatures of %v, which spends no pegbox coins",
			p.UnsignedTx.TxHash())
		return nil
	}
	f.keep(append([]byte(nil), raw...), true)
	if err := f.addPacket(p); err != nil {
		return &p2p.MisbehaviorError{Score: pegMisbehaviorScore,
			Reason: fmt.Sprintf("peg signatures: %v", err)}
	}
	f.blockCommitted() // a round completes and broadcasts the payout
	return nil
}

// pegMisbehaviorScore is the ban score of a peg signature packet that does
// not parse or carries signatures that do not verify.
const pegMisbehaviorScore = 20

// addPacket adds a packet's signatures to the current payout, or keeps it
// for a payout this node has not built yet.
func (f *federation) addPacket(p *psbt.Packet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	job := f.job
	if job == nil || job.txid != p.UnsignedTx.TxHash() {
		f.early = append(f.early, p)
		if len(f.early) > maxEarlyPackets {
			f.early = f.early[1:]
		}
		return nil
	}
	n, err := job.signing.Add(p)
	if err != nil {
		if pegbox.IsErrorCode(err, pegbox.ErrOtherSpend) {
			return nil
		}
		return err
	}
	if n > 0 {
		log.Infof("Federation: %d new signatures of payout %v (%d signers)", n,
			job.txid, job.signing.Signers())
	}
	return nil
}
