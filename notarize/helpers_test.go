package notarize

import (
	"encoding/binary"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

// testParams returns dpowregtest's parameters with a second season: season
// 0 (dev notaries 0 to 4, threshold 3) from height 0, season 1 (dev
// notaries 3 to 7, threshold 3) from height 20.
func testParams() *chainparams.Params {
	p := chainparams.DpowRegtest
	np := *p.Notary
	keys := make([][33]byte, 5)
	for i := range keys {
		copy(keys[i][:], chainparams.DevNotaryKey(3+i).PubKey().SerializeCompressed())
	}
	np.Seasons = []chainparams.NotarySeason{p.Notary.Seasons[0],
		{StartHeight: 20, Pubkeys: keys, Threshold: 3}}
	if err := np.Check(); err != nil {
		panic(err)
	}
	p.Notary = &np
	return &p
}

// sliceChain is a Chain of block hashes by height.
type sliceChain []chainhash.Hash

func (c sliceChain) BlockHashAt(h int32) (chainhash.Hash, bool) {
	if h < 0 || int(h) >= len(c) {
		return chainhash.Hash{}, false
	}
	return c[h], true
}

// blockHash is the test chains' hash of the block at height h on branch b.
func blockHash(b byte, h int32) chainhash.Hash {
	var x [8]byte
	x[0] = b
	binary.BigEndian.PutUint32(x[4:], uint32(h))
	return chainhash.DoubleHashH(x[:])
}

// testChain returns a chain of tip height tip on branch 0.
func testChain(tip int32) sliceChain {
	c := make(sliceChain, tip+1)
	for h := range c {
		c[h] = blockHash(0, int32(h))
	}
	return c
}

// devKey is dev notary i's key.
func devKey(i int) *btcec.PrivateKey { return chainparams.DevNotaryKey(i) }

// p2wpkh is the P2WPKH script of a private key's public key.
func p2wpkh(k *btcec.PrivateKey) []byte {
	var pub [33]byte
	copy(pub[:], k.PubKey().SerializeCompressed())
	return NotaryScript(pub)
}

// notarizationTx builds a candidate with one P2WPKH input per key (value
// 10,000 sat each, from distinct fake outpoints), the output script nOut
// first and a change output, with confs confirmations, signed with
// SIGHASH_ALL by each input's key.
func notarizationTx(t testing.TB, nOut []byte, keys []*btcec.PrivateKey, confs int32) *Candidate {
	tx := wire.NewMsgTx(2)
	c := &Candidate{Tx: tx, Confirmations: confs}
	for i, k := range keys {
		prev := wire.OutPoint{Hash: chainhash.HashH([]byte{byte(i), 7}), Index: uint32(i)}
		tx.AddTxIn(wire.NewTxIn(&prev, nil, nil))
		c.Prevouts = append(c.Prevouts, wire.NewTxOut(10_000, p2wpkh(k)))
	}
	tx.AddTxOut(wire.NewTxOut(0, nOut))
	tx.AddTxOut(wire.NewTxOut(int64(len(keys))*10_000-1_000, p2wpkh(devKey(0))))
	signAll(t, c, keys, txscript.SigHashAll)
	return c
}

// signAll (re)signs every input of c with keys[i] and the sighash type ht,
// through btcd's signer.
func signAll(t testing.TB, c *Candidate, keys []*btcec.PrivateKey, ht txscript.SigHashType) {
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range c.Tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, c.Prevouts[i])
	}
	hashes := txscript.NewTxSigHashes(c.Tx, fetcher)
	for i, k := range keys {
		w, err := txscript.WitnessSignature(c.Tx, hashes, i,
			c.Prevouts[i].Value, c.Prevouts[i].PkScript, ht, k, true)
		if err != nil {
			t.Fatal(err)
		}
		c.Tx.TxIn[i].Witness = w
	}
}

// devKeys returns the dev notary keys of the given indexes.
func devKeys(idx ...int) []*btcec.PrivateKey {
	k := make([]*btcec.PrivateKey, len(idx))
	for i, n := range idx {
		k[i] = devKey(n)
	}
	return k
}

// mustEncode encodes p on params or fails the test.
func mustEncode(t testing.TB, p Payload, params *chainparams.Params) []byte {
	s, err := EncodePayload(p, params)
	if err != nil {
		t.Fatalf("EncodePayload(%+v): %v", p, err)
	}
	return s
}
