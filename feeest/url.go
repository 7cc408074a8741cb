package feeest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
)

// MaxFeeJSON bounds the body read from a fee URL.
const MaxFeeJSON = 64 << 10

// feeJSON is the answer of a fee URL: lnd's --feeurl format.
type feeJSON struct {
	FeeByBlockTarget map[string]json.Number `json:"fee_by_block_target"`
}

// maxParsedRate bounds a rate ParseFeeJSON accepts (21 million BTC per
// kvB): above it a figure is not a rate at all. The Tracker's ceiling
// refuses far lower rates.
const maxParsedRate = 2_100_000_000_000_000

// ParseFeeJSON reads a fee service's answer, {"fee_by_block_target":
// {"<blocks>": <sat/kvB>, ...}}, and returns the rate of its lowest target:
// the next block's, or the nearest the service gives. Targets must be
// whole numbers from 1, rates whole or fractional numbers from 0 up
// (fractions are rounded up). Other fields are ignored.
func ParseFeeJSON(data []byte) (target uint32, rate SatPerKVB, err error) {
	var f feeJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return 0, 0, fmt.Errorf("not fee JSON: %w", err)
	}
	if len(f.FeeByBlockTarget) == 0 {
		return 0, 0, fmt.Errorf("no fee_by_block_target in the answer")
	}
	targets := make([]uint32, 0, len(f.FeeByBlockTarget))
	rates := make(map[uint32]SatPerKVB, len(f.FeeByBlockTarget))
	for k, v := range f.FeeByBlockTarget {
		t, err := strconv.ParseUint(k, 10, 32)
		if err != nil || t == 0 {
			return 0, 0, fmt.Errorf("block target %q is not a whole number from 1", k)
		}
		x, err := v.Float64()
		if err != nil || math.IsNaN(x) || x < 0 || x > maxParsedRate {
			return 0, 0, fmt.Errorf("rate %q of target %d is not a number of sat/kvB "+
				"between 0 and %d", v.String(), t, int64(maxParsedRate))
		}
		targets = append(targets, uint32(t))
		rates[uint32(t)] = SatPerKVB(math.Ceil(x))
	}
	sort.Slice(targets, func(i, j int) bool { return targets[i] < targets[j] })
	return targets[0], rates[targets[0]], nil
}

// URL is the Source of a fee service the operator names (--publish.feeurl):
// each estimate GETs the URL and parses the answer (ParseFeeJSON).
type URL struct {
	URL    string
	Client *http.Client // nil: http.DefaultClient; the Tracker's Timeout bounds each fetch
}

// NextBlockRate implements Source.
func (u *URL) NextBlockRate(ctx context.Context) (SatPerKVB, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL, nil)
	if err != nil {
		return 0, err
	}
	client := u.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("the fee service answered HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeeJSON+1))
	if err != nil {
		return 0, fmt.Errorf("reading the fee service's answer: %w", err)
	}
	if len(body) > MaxFeeJSON {
		return 0, fmt.Errorf("the fee service's answer is longer than %d bytes", MaxFeeJSON)
	}
	_, rate, err := ParseFeeJSON(body)
	return rate, err
}
