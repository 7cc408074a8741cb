package dashboard

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Search limits.
const (
	// maxQuery is the longest search the dashboard reads; a longer one
	// is not found.
	maxQuery = 128

	// callTimeout bounds each API call a search or a decoding makes.
	callTimeout = 10 * time.Second
)

var (
	hexID       = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	heightQuery = regexp.MustCompile(`^[0-9]{1,10}$`)
	addrQuery   = regexp.MustCompile(`^[0-9A-Za-z]{14,100}$`)
)

// Found is a search's answer: what the query names, and its canonical
// form, which the Explorer then shows.
type Found struct {
	// Kind is one of "sideblock", "sidetx", "deposit", "refused_deposit",
	// "payout", "maintx", "address".
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// notFound answers a search or a lookup that named nothing the node
// knows. It never repeats the query: the page shows what was typed, as
// text.
func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
}

// writeJSON writes v as the answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// call returns a context for one API call with the read-only credential.
func (d *Dashboard) call(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	return metadata.AppendToOutgoingContext(ctx, "authorization", d.cred), cancel
}

// serveSearch answers /dashboard/data/search?q=: a sidechain height, a
// sideblock hash, a txid of either chain (a sidechain transaction, a
// deposit, a refused deposit or a payout on the mainchain), or a
// sidechain address. Anything else, malformed input included, is "not
// found".
func (d *Dashboard) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxQuery {
		writeJSON(w, http.StatusOK, map[string]string{"error": "not found"})
		return
	}
	ctx, cancel := d.call(r.Context())
	defer cancel()
	found, err := d.search(ctx, q)
	switch {
	case err != nil:
		log.Warnf("Dashboard: search: %v", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the node did not answer"})
	case found == nil:
		// A search that names nothing succeeds with nothing found.
		writeJSON(w, http.StatusOK, map[string]string{"error": "not found"})
	default:
		writeJSON(w, http.StatusOK, found)
	}
}

// search returns what q names, nil for nothing, or an error when the API
// failed otherwise than with NotFound or InvalidArgument.
func (d *Dashboard) search(ctx context.Context, q string) (*Found, error) {
	side := apiv1.NewSidechainServiceClient(d.cfg.Conn)
	peg := apiv1.NewPegServiceClient(d.cfg.Conn)
	switch {
	case heightQuery.MatchString(q):
		height, err := strconv.ParseUint(q, 10, 31)
		if err != nil {
			return nil, nil
		}
		b, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Height{Height: height}, Limit: 1})
		if err := absent(err); err != nil || b == nil {
			return nil, err
		}
		return &Found{Kind: "sideblock", ID: b.Hash}, nil
	case hexID.MatchString(q):
		id := strings.ToLower(q)
		b, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{Block: &apiv1.GetBlockRequest_Hash{Hash: id}, Limit: 1})
		if err := absent(err); err != nil {
			return nil, err
		} else if b != nil {
			return &Found{Kind: "sideblock", ID: b.Hash}, nil
		}
		tx, err := side.GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: id})
		if err := absent(err); err != nil {
			return nil, err
		} else if tx != nil {
			return &Found{Kind: "sidetx", ID: tx.Txid}, nil
		}
		dep, err := peg.GetDeposit(ctx, &apiv1.GetDepositRequest{Deposit: &apiv1.GetDepositRequest_Txid{Txid: id}})
		if err := absent(err); err != nil {
			return nil, err
		} else if dep != nil {
			if dep.GetRefused() != nil {
				return &Found{Kind: "refused_deposit", ID: id}, nil
			}
			return &Found{Kind: "deposit", ID: id}, nil
		}
		pay, err := peg.VerifyPayout(ctx, &apiv1.VerifyPayoutRequest{Txid: id})
		if err := absent(err); err != nil {
			return nil, err
		} else if pay != nil && pay.Seen {
			return &Found{Kind: "payout", ID: id}, nil
		}
		// Any other mainchain transaction the node can find: the
		// wallet's, or one btcd knows (its mempool, or its blocks with
		// --txindex).
		mt, err := apiv1.NewMainchainServiceClient(d.cfg.Conn).GetMainTransaction(ctx,
			&apiv1.GetMainTransactionRequest{Txid: id})
		if err := absent(err); err != nil {
			return nil, err
		} else if mt != nil {
			return &Found{Kind: "maintx", ID: mt.Txid}, nil
		}
		return nil, nil
	case addrQuery.MatchString(q):
		bal, err := side.GetAddressBalance(ctx, &apiv1.GetAddressBalanceRequest{Address: q})
		if err := absent(err); err != nil || bal == nil {
			return nil, err
		}
		return &Found{Kind: "address", ID: bal.Address}, nil
	}
	return nil, nil
}

// absent returns nil for a call that succeeded or found nothing (NotFound,
// or InvalidArgument for a query that cannot name that kind of thing), and
// the error otherwise.
func absent(err error) error {
	switch status.Code(err) {
	case codes.OK, codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition:
		return nil
	}
	return err
}

// TxInput is a decoded transaction's input.
type TxInput struct {
	PrevOutpoint string `json:"prev_outpoint"`
	Sequence     uint32 `json:"sequence"`
	WitnessItems int    `json:"witness_items"`
}

// TxOutput is a decoded transaction's output.
type TxOutput struct {
	ValueSat int64  `json:"value_sat"`
	Script   string `json:"script"`
	Type     string `json:"type"`
	Address  string `json:"address"`
	OpReturn bool   `json:"op_return"`
}

// DecodedTx is a sidechain transaction as the Explorer shows it: the API's
// answer and its decoded body.
type DecodedTx struct {
	Tx       json.RawMessage `json:"tx"`
	Version  int32           `json:"version"`
	LockTime uint32          `json:"lock_time"`
	Size     int             `json:"size"`
	Inputs   []TxInput       `json:"inputs"`
	Outputs  []TxOutput      `json:"outputs"`
}

// serveTx answers /dashboard/data/tx/<txid>: the sidechain transaction
// with its inputs and outputs decoded by btcd's wire and txscript.
func (d *Dashboard) serveTx(w http.ResponseWriter, r *http.Request, txid string) {
	d.serveDecoded(w, r, txid, d.cfg.SideParams, func(ctx context.Context, id string) (string, proto.Message, error) {
		tx, err := apiv1.NewSidechainServiceClient(d.cfg.Conn).GetTransaction(ctx,
			&apiv1.GetTransactionRequest{Txid: id})
		return tx.GetRawHex(), tx, err
	})
}

// serveMainTx answers /dashboard/data/maintx/<txid>: a mainchain
// transaction the node finds (GetMainTransaction), decoded the same way.
func (d *Dashboard) serveMainTx(w http.ResponseWriter, r *http.Request, txid string) {
	d.serveDecoded(w, r, txid, d.cfg.MainParams, func(ctx context.Context, id string) (string, proto.Message, error) {
		tx, err := apiv1.NewMainchainServiceClient(d.cfg.Conn).GetMainTransaction(ctx,
			&apiv1.GetMainTransactionRequest{Txid: id})
		return tx.GetRawHex(), tx, err
	})
}

// serveDecoded answers with the transaction txid that get finds, decoded
// with the addresses of params: the API's answer under "tx", and its
// inputs and outputs.
func (d *Dashboard) serveDecoded(w http.ResponseWriter, r *http.Request, txid string, params *chaincfg.Params,
	get func(ctx context.Context, id string) (string, proto.Message, error)) {

	if !hexID.MatchString(txid) {
		notFound(w)
		return
	}
	ctx, cancel := d.call(r.Context())
	defer cancel()
	rawHex, msg, err := get(ctx, strings.ToLower(txid))
	if err != nil {
		if absent(err) == nil {
			notFound(w)
			return
		}
		log.Warnf("Dashboard: transaction %s: %v", txid, err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the node did not answer"})
		return
	}
	decoded, err := decodeTx(rawHex, msg, params)
	if err != nil {
		log.Warnf("Dashboard: transaction %s: %v", txid, err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the transaction could not be decoded"})
		return
	}
	writeJSON(w, http.StatusOK, decoded)
}

// decodeTx decodes the transaction rawHex, which the API's answer msg
// carries, naming output addresses with params.
func decodeTx(rawHex string, msg proto.Message, params *chaincfg.Params) (*DecodedTx, error) {
	raw, err := hex.DecodeString(rawHex)
	if err != nil {
		return nil, err
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, err
	}
	apiJSON, err := restJSON.Marshal(msg)
	if err != nil {
		return nil, err
	}
	out := &DecodedTx{Tx: apiJSON, Version: tx.Version, LockTime: tx.LockTime, Size: len(raw),
		Inputs: []TxInput{}, Outputs: []TxOutput{}}
	for _, in := range tx.TxIn {
		out.Inputs = append(out.Inputs, TxInput{
			PrevOutpoint: in.PreviousOutPoint.String(), Sequence: in.Sequence,
			WitnessItems: len(in.Witness),
		})
	}
	for _, o := range tx.TxOut {
		class, addrs, _, _ := txscript.ExtractPkScriptAddrs(o.PkScript, params)
		to := TxOutput{ValueSat: o.Value, Script: hex.EncodeToString(o.PkScript),
			Type: class.String(), OpReturn: class == txscript.NullDataTy}
		if len(addrs) == 1 && params != nil {
			to.Address = addrs[0].EncodeAddress()
		}
		out.Outputs = append(out.Outputs, to)
	}
	return out, nil
}

// servePeg answers /dashboard/data/peg: the API's GetPegInfo as the REST
// gateway writes it, under "info", or, when the node cannot tell yet
// (before the first federation is elected), its message under
// "unavailable", so that the Peg page shows it rather than fail.
func (d *Dashboard) servePeg(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := d.call(r.Context())
	defer cancel()
	info, err := apiv1.NewPegServiceClient(d.cfg.Conn).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	switch status.Code(err) {
	case codes.OK:
	case codes.FailedPrecondition, codes.Unavailable, codes.NotFound:
		writeJSON(w, http.StatusOK, map[string]string{"unavailable": status.Convert(err).Message()})
		return
	default:
		log.Warnf("Dashboard: peg info: %v", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the node did not answer"})
		return
	}
	data, err := restJSON.Marshal(info)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "encoding failed"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]json.RawMessage{"info": data})
}
