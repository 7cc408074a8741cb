package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/chainparams"
)

// Addresses of other chains and networks, with the program of the fake's
// addresses.
var (
	witnessProgram = []byte{0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4, 0x54, 0x94,
		0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6}
	testnetMainAddress = p2wpkh(&chaincfg.TestNet3Params)
	mainnetSideAddress = p2wpkh(chainparams.Mainnet.Side)
	signetSideAddress  = p2wpkh(chainparams.Signet.Side)
)

func p2wpkh(params *chaincfg.Params) string {
	a, err := btcutil.NewAddressWitnessPubKeyHash(witnessProgram, params)
	if err != nil {
		panic(err)
	}
	return a.String()
}

// validArgs are, for every command, arguments the fake node accepts; the
// tests that need a well-formed call (a stopped node, a frozen node) use
// them.
var validArgs = map[string][]string{
	"status":                nil,
	"statehash":             {"--height", "5"},
	"tickets":               {"--limit", "2"},
	"winner":                {"10"},
	"publication":           {"11"},
	"publications":          nil,
	"missed":                nil,
	"newaddress":            nil,
	"balance":               {"--minconf", "0"},
	"stake create":          {"--amount", "300000000", "--lock-blocks", "1000", "--force"},
	"stake list":            nil,
	"stake withdraw":        {"3"},
	"stake renew":           {"3", "--lock-blocks", "100", "--force"},
	"stake topup":           {"3", "--amount", "50000"},
	"block":                 {"2"},
	"tx":                    {strings.Repeat("ab", 32)},
	"utxos":                 {apitest.SideAddress},
	"addresshistory":        {apitest.SideAddress, "--blocks", "5", "--reversed"},
	"sidebalance":           nil,
	"sideaddress":           nil,
	"send":                  {"--to", apitest.OtherSideAddress, "--amount", "1", "--force"},
	"sendrawtx":             {"0200000001" + strings.Repeat("00", 36) + "00ffffffff0100000000000000000000000000"},
	"estimatefee":           nil,
	"peg info":              nil,
	"peg in":                {"--amount", "200000", "--to", apitest.SideAddress, "--force"},
	"peg deposits":          nil,
	"peg refused":           nil,
	"peg coins":             nil,
	"peg deposit":           {apitest.DepositTxID(0).String()},
	"peg out":               {"--amount", "70000", "--to", apitest.MainAddress, "--force"},
	"peg status":            {apitest.WithdrawalTxID(1).String()},
	"peg verify":            {apitest.PayoutTxID(0).String()},
	"subscribe sideblocks":  {"--all"},
	"subscribe lottery":     nil,
	"subscribe deposits":    {"--all"},
	"subscribe withdrawals": {"--all"},
	"subscribe wallet":      {"--all"},
	"bans list":             nil,
	"bans add":              {"192.0.2.0/24", "--duration", "90m", "--reason", "spam"},
	"bans remove":           {"198.51.100.7"},
	"stop":                  nil,
	"debuglevel":            {"info,PEER=debug"},
	"peers list":            nil,
	"peers connect":         {"192.0.2.7:18555"},
	"peers disconnect":      {"192.0.2.8:18555"},
	"sendmain":              {"--to", apitest.MainAddress, "--amount", "10000", "--force"},
	"listunspent":           {"--minconf", "0"},
	"listtransactions":      {"--reversed"},
	"bumpfee":               {apitest.WalletTxID.String(), "--feerate", "10", "--force"},
	"changepassword":        {"--current-file", "testdata/passphrase", "--new-file", "testdata/passphrase"},
	"backupseed":            {"--passphrase-file", "testdata/passphrase"},
	"sideunspent":           nil,
	"sidetransactions":      {"--blocks", "5", "--reversed"},
	"create":                {"--passphrase-file", "testdata/passphrase"},
	"unlock":                {"--passphrase-file", "testdata/passphrase"},
	"alarms":                nil,
	"subscribe alarms":      nil,
	"confirmations":         {"1"},
	"mining template":       {"--longpollid", "other"},
	"mining submit":         {"01" + strings.Repeat("00", 80)},
	"mining info":           {"--blocks", "3"},
	"pool stats":            nil,
	"pool workers":          {apitest.PoolWorkerB},
	"pool blocks":           {"--reversed", "--limit", "2"},
	"pool audit":            {"--offset", "1"},
	"pool payouts":          nil,
}

// badCase is one bad command line: the exit code and a part of the
// message it must give.
type badCase struct {
	args []string
	code int
	want string
}

// badInputs are, for every command, the bad inputs and what sidecli must
// say about them: zero, negative, huge and non-numeric numbers, addresses
// of the other chain or of another network, malformed and unknown ids and
// heights, unknown and misplaced options, missing and extra arguments.
// Exit 2 is a usage error that sidecli finds itself; exit 1 is the node's
// error, passed on in the user's terms.
var badInputs = map[string][]badCase{
	"status": {
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
		{[]string{"--bogus"}, ExitUsage, "unknown option --bogus: status takes no options"},
		{[]string{"--amount", "5"}, ExitUsage, "--amount is not an option of status: it is one of peg in, peg out, send, sendmain, stake create"},
	},
	"statehash": {
		{[]string{"--height", "-1"}, ExitUsage, "--height -1 is negative: want 0 or more blocks (a mainchain height)"},
		{[]string{"--height", "x"}, ExitUsage, "--height x is not a number"},
		{[]string{"--height", "1.5"}, ExitUsage, "--height 1.5: want a whole number of blocks"},
		{[]string{"--height", "99999999999"}, ExitUsage, "--height 99999999999 is above the maximum, 2147483647 blocks"},
		{[]string{"--height", "999999999999999999999"}, ExitUsage, "is above the maximum"},
		{[]string{"--height"}, ExitUsage, "--height needs a value"},
		{[]string{"--height", "12"}, ExitNodeError, "no state hash for height 12: the tip is at height 11"},
	},
	"tickets": {
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1 is negative: want 0 or more items"},
		{[]string{"--limit", "ten"}, ExitUsage, "--limit ten is not a number"},
		{[]string{"--limit", "5000"}, ExitNodeError, "--limit 5000 is above the maximum page size"},
		{[]string{"--limit", "99999999999"}, ExitUsage, "--limit 99999999999 is above the maximum"},
		{[]string{"--offset", "-5"}, ExitUsage, "--offset -5 is negative"},
		{[]string{"--reversed=yes"}, ExitUsage, "--reversed takes no value"},
	},
	"winner": {
		{[]string{"-1"}, ExitUsage, "<height> -1 is negative: want 0 or more blocks (a mainchain height)"},
		{[]string{"--", "-1"}, ExitUsage, "<height> -1 is negative"},
		{[]string{"x"}, ExitUsage, "<height> x is not a number"},
		{[]string{"99999999999"}, ExitUsage, "<height> 99999999999 is above the maximum"},
		{nil, ExitUsage, "missing the argument <height> (Mainchain block height)"},
		{[]string{"10", "11"}, ExitUsage, `unexpected arguments ["11"]`},
		{[]string{"9"}, ExitNodeError, "no winner after block 9"},
	},
	"publication": {
		{[]string{"-7"}, ExitUsage, "<height> -7 is negative"},
		{[]string{"tip"}, ExitUsage, "<height> tip is not a number"},
		{[]string{"12"}, ExitNodeError, "no publication in block 12"},
	},
	"publications": {
		{[]string{"x"}, ExitUsage, `unexpected arguments ["x"]`},
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1 is negative"},
	},
	"missed": {
		{[]string{"--offset", "x"}, ExitUsage, "--offset x is not a number"},
		{[]string{"--limit", "5000"}, ExitNodeError, "--limit 5000 is above the maximum page size"},
	},
	"newaddress": {
		{[]string{"extra"}, ExitUsage, "unexpected arguments"},
		{[]string{"--to", apitest.MainAddress}, ExitUsage, "--to is not an option of newaddress"},
	},
	"balance": {
		{[]string{"--minconf", "-1"}, ExitUsage, "--minconf -1 is negative: want 0 or more confirmations"},
		{[]string{"--minconf", "six"}, ExitUsage, "--minconf six is not a number"},
		{[]string{"--minconf", "99999999999"}, ExitUsage, "--minconf 99999999999 is above the maximum"},
	},
	"stake create": {
		{[]string{"--amount", "300000000", "--lock-blocks", "5", "--wait", "--psbt"}, ExitUsage, "--wait waits for a registration the node pays, and --psbt has another wallet pay it: give one"},
		{[]string{"--amount", "0", "--lock-blocks", "5"}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"--amount", "-5", "--lock-blocks", "5"}, ExitUsage, "--amount -5: want a positive number of sat"},
		{[]string{"--amount=-5", "--lock-blocks", "5"}, ExitUsage, "--amount -5: want a positive number of sat"},
		{[]string{"--amount", "2100000000000001", "--lock-blocks", "5"}, ExitUsage, "--amount 2100000000000001 is above the maximum, 2100000000000000 sat"},
		{[]string{"--amount", "99999999999999999999", "--lock-blocks", "5"}, ExitUsage, "--amount 99999999999999999999 is above the maximum"},
		{[]string{"--amount", "1btc", "--lock-blocks", "5"}, ExitUsage, "--amount 1btc is not a number: want a whole number of sat"},
		{[]string{"--amount", "0.5", "--lock-blocks", "5"}, ExitUsage, "--amount 0.5: amounts are whole satoshis"},
		{[]string{"--amount", "100000", "--lock-blocks", "0"}, ExitUsage, "--lock-blocks 0: want a positive number of blocks"},
		{[]string{"--amount", "1000", "--lock-blocks", "20"}, ExitUsage, "--amount 1000 is below the minimum stake on regtest, 10000 sat"},
		{[]string{"--amount", "100000", "--lock-blocks", "999999"}, ExitUsage, "--lock-blocks 999999 is above the maximum, 5000 blocks (the most a stake can stay locked on regtest)"},
		{[]string{"--amount", "100000", "--lock-blocks", "-1"}, ExitUsage, "--lock-blocks -1: want a positive number of blocks"},
		{[]string{"--amount", "100000", "--lock-blocks", "5", "--feerate", "-1"}, ExitUsage, "--feerate -1 is negative: want 0 or more sat/vB"},
		{[]string{"--amount", "100000", "--lock-blocks", "5", "--feerate", "10001"}, ExitUsage, "--feerate 10001 is above the maximum, 10000 sat/vB"},
		{[]string{"--amount", "1"}, ExitUsage, "missing --lock-blocks (Mainchain blocks the stake stays locked"},
		{[]string{"--amount", "--lock-blocks", "5"}, ExitUsage, "--amount needs a value"},
		{[]string{"--amount", "100000", "--lock-blocks", "5", "--owner-pubkey", "02ab"}, ExitUsage, "--owner-pubkey 02ab: want a 33-byte compressed public key, 66 hex digits starting 02 or 03"},
		{[]string{"--amount", "100000", "--lock-blocks", "5", "--owner-pubkey", "04" + strings.Repeat("ab", 32)}, ExitUsage, "want a 33-byte compressed public key"},
		{[]string{"--amount", "100000", "--lock-blocks", "5", "--owner-pubkey", "02" + strings.Repeat("ff", 32)}, ExitUsage, "not a point of the curve"},
	},
	"stake renew": {
		{[]string{"3"}, ExitUsage, "missing --lock-blocks: the new stake's lock"},
		{[]string{"3", "--lock-blocks", "10", "--signed-psbt", "cHNidP8B"}, ExitUsage, "the signed PSBT carries its lock; give one"},
		{[]string{"3", "--lock-blocks", "0"}, ExitUsage, "--lock-blocks 0: want a positive number of blocks"},
		{[]string{"3", "--lock-blocks", "999999"}, ExitUsage, "--lock-blocks 999999 is above the maximum, 5000 blocks"},
		{[]string{"three", "--lock-blocks", "10"}, ExitUsage, "<ticket> three: want a ticket id"},
		{[]string{"3", "--lock-blocks", "10", "--feerate", "-2"}, ExitUsage, "--feerate -2 is negative"},
		{[]string{"--lock-blocks", "10"}, ExitUsage, "ticket"},
	},
	"stake list": {
		{[]string{"--limit", "x"}, ExitUsage, "--limit x is not a number"},
	},
	"stake withdraw": {
		{[]string{"three"}, ExitUsage, "<ticket> three: want a ticket id"},
		{[]string{"-1"}, ExitUsage, "<ticket> -1: want a ticket id"},
		{[]string{strings.Repeat("ab", 32) + ":x"}, ExitUsage, "the output index x is not a number"},
		{[]string{"ab:1"}, ExitUsage, "want 64 hex digits, got 2 characters"},
		{[]string{"3", "--to", apitest.SideAddress}, ExitUsage, "a sidechain address was given where a mainchain address is expected"},
		{[]string{"3", "--to", testnetMainAddress}, ExitUsage, "is a testnet3 or signet mainchain address, and this is regtest (--network)"},
		{[]string{"3", "--feerate", "-2"}, ExitUsage, "--feerate -2 is negative"},
	},
	"alarms": {
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
		{[]string{"--limit", "5"}, ExitUsage, "--limit is not an option of alarms"},
	},
	"subscribe alarms": {
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
		{[]string{"--all"}, ExitUsage, "--all is not an option of subscribe alarms"},
	},
	"mining template": {
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
		{[]string{"--longpollid", strings.Repeat("x", 300)}, ExitNodeError, "--longpollid has 300 characters"},
		{[]string{"--blocks", "3"}, ExitUsage, "--blocks is not an option of mining template"},
	},
	"mining submit": {
		{nil, ExitUsage, "no block: give it as <hex>, or with --file"},
		{[]string{"zz"}, ExitUsage, "<hex> is not hex"},
		{[]string{"abc"}, ExitUsage, "<hex> is not hex"},
		{[]string{"00"}, ExitUsage, "<hex> is 1 bytes: a block is an 80-byte header and a body"},
		{[]string{"-1"}, ExitUsage, "<hex> is not hex"},
		{[]string{"--file", "testdata/no-such-file"}, ExitUsage, "--file testdata/no-such-file cannot be read: no such file or directory"},
		{[]string{"--file", "testdata/passphrase", "00"}, ExitUsage, "give the block as <hex> or with --file, not both"},
		{[]string{"--file", "testdata/passphrase"}, ExitUsage, "--file testdata/passphrase is not hex"},
		{[]string{strings.Repeat("00", 81)}, ExitInvalid, "the node did not accept the block: high-hash"},
		{[]string{"01", "02"}, ExitUsage, `unexpected arguments ["02"]`},
	},
	"mining info": {
		{[]string{"--blocks", "0"}, ExitUsage, "--blocks 0"},
		{[]string{"--blocks", "121"}, ExitUsage, "--blocks 121 is above the maximum, 120 blocks"},
		{[]string{"--blocks", "-3"}, ExitUsage, "--blocks -3: want a positive number of blocks"},
		{[]string{"--blocks", "x"}, ExitUsage, "--blocks x is not a number"},
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
	},
	"pool stats": {
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
		{[]string{"--limit", "5"}, ExitUsage, "--limit is not an option of pool stats"},
	},
	"pool workers": {
		{[]string{"bob", "--limit", "2"}, ExitUsage, "give <worker> or the paging options (--offset, --limit, --reversed), not both"},
		{[]string{"bob", "--reversed"}, ExitUsage, "not both"},
		{[]string{strings.Repeat("w", 257)}, ExitUsage, "<worker> has 257 bytes, more than a worker name may (256)"},
		{[]string{"carol"}, ExitNodeError, `the pool has no <worker> "carol"`},
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1"},
		{[]string{"--limit", "5000"}, ExitNodeError, "limit 5000 is above the maximum page size"},
		{[]string{"bob", "alice"}, ExitUsage, `unexpected arguments ["alice"]`},
	},
	"pool blocks": {
		{[]string{"--offset", "x"}, ExitUsage, "--offset x is not a number"},
		{[]string{"--limit", "5000"}, ExitNodeError, "limit 5000 is above the maximum page size"},
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
	},
	"pool audit": {
		{[]string{"--offset", "-2"}, ExitUsage, "--offset -2"},
		{[]string{"extra"}, ExitUsage, `unexpected arguments ["extra"]`},
	},
	"pool payouts": {
		{[]string{"--limit", "1.5"}, ExitUsage, "--limit 1.5"},
		{[]string{"--worker", "bob"}, ExitUsage, "unknown option --worker"},
	},
	"confirmations": {
		{nil, ExitUsage, "missing the argument <id>"},
		{[]string{"-1"}, ExitUsage, "<id> -1: want a sidechain transaction id or block hash (64 hex digits) or a sidechain height"},
		{[]string{"<script>alert(1)</script>"}, ExitUsage, "want a sidechain transaction id or block hash"},
		{[]string{"99999999999"}, ExitUsage, "<id> 99999999999: want a sidechain transaction id or block hash"},
		{[]string{strings.Repeat("zz", 32)}, ExitUsage, "is not a sidechain transaction id or block hash: it is not hex"},
		{[]string{strings.Repeat("ab", 32)}, ExitNodeError, "no sidechain transaction or block"},
		{[]string{apitest.DepositTxID(0).String()}, ExitNodeError, "is a mainchain transaction, not a sidechain transaction or block"},
		{[]string{"9"}, ExitNodeError, "the best sidechain has no block at height 9"},
		{[]string{"1", "2"}, ExitUsage, `unexpected arguments ["2"]`},
	},
	"stake topup": {
		{[]string{"three", "--amount", "5"}, ExitUsage, "<ticket> three: want a ticket id"},
		{[]string{"3", "--amount", "0"}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"3", "--amount", "0.5"}, ExitUsage, "--amount 0.5: amounts are whole satoshis"},
		{[]string{"3"}, ExitUsage, "missing --amount"},
		{[]string{"999", "--amount", "5"}, ExitNodeError, "not one of this wallet's stakes"},
	},
	"block": {
		{[]string{"-1"}, ExitUsage, "<block> -1: want a sidechain block hash (64 hex digits) or a sidechain height"},
		{[]string{"tip"}, ExitUsage, "<block> tip: want a sidechain block hash"},
		{[]string{strings.Repeat("zz", 32)}, ExitUsage, "is not a sidechain block hash: it is not hex"},
		{[]string{"9"}, ExitNodeError, "block shows sidechain blocks"},
		{[]string{"2", "--limit", "-3"}, ExitUsage, "--limit -3 is negative"},
	},
	"tx": {
		{[]string{"abcd"}, ExitUsage, "<txid> abcd is not a sidechain or mainchain transaction id: want 64 hex digits, got 4 characters"},
		{[]string{strings.Repeat("zz", 32)}, ExitUsage, "it is not hex"},
		{[]string{strings.Repeat("01", 32)}, ExitNodeError, "and btcd does not know it: btcd needs --txindex to find confirmed transactions of others"},
		{[]string{strings.Repeat("01", 32), "--verbose"}, ExitNodeError, "is not in this node's wallet"},
		{nil, ExitUsage, "missing the argument <txid>"},
	},
	"utxos": {
		{[]string{apitest.MainAddress}, ExitUsage, "a mainchain address was given where a sidechain address is expected"},
		{[]string{signetSideAddress}, ExitUsage, "is a testnet3 or signet sidechain address, and this is regtest"},
		{[]string{"nonsense"}, ExitUsage, "<address> nonsense is not a sidechain address"},
		{nil, ExitUsage, "missing the argument <address>"},
	},
	"addresshistory": {
		{[]string{apitest.MainAddress}, ExitUsage, "a mainchain address was given where a sidechain address is expected"},
		{[]string{mainnetSideAddress}, ExitUsage, "is a mainnet sidechain address, and this is regtest (--network): give a regtest sidechain address"},
		{[]string{"<script>alert(1)</script>"}, ExitUsage, "is not a sidechain address"},
		{[]string{apitest.SideAddress, "--blocks", "-1"}, ExitUsage, "--blocks -1 is negative: want 0 or more sideblocks"},
		{[]string{apitest.SideAddress, "--blocks", "10001"}, ExitUsage, "--blocks 10001 is above the maximum, 10000 sideblocks"},
		{[]string{apitest.SideAddress, "--limit", "5000"}, ExitNodeError, "--limit 5000 is above the maximum page size"},
		{nil, ExitUsage, "missing the argument <address>"},
	},
	"sendmain": {
		{[]string{"--to", apitest.SideAddress, "--amount", "10000"}, ExitUsage, "--to " + apitest.SideAddress + ": a sidechain address was given where a mainchain address is expected"},
		{[]string{"--to", testnetMainAddress, "--amount", "10000"}, ExitUsage, "is a testnet3 or signet mainchain address, and this is regtest (--network)"},
		{[]string{"--to", apitest.MainAddress, "--amount", "0"}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"--to", apitest.MainAddress, "--amount", "-3"}, ExitUsage, "--amount -3: want a positive number of sat"},
		{[]string{"--to", apitest.MainAddress, "--amount", "0.1"}, ExitUsage, "--amount 0.1: amounts are whole satoshis"},
		{[]string{"--to", apitest.MainAddress, "--amount", "99999999999999999999"}, ExitUsage, "is above the maximum"},
		{[]string{"--to", apitest.MainAddress, "--amount", "1000", "--feerate", "10001"}, ExitUsage, "--feerate 10001 is above the maximum, 10000 sat/vB"},
		{[]string{"--to", apitest.MainAddress, "--amount", "1000", "--feerate", "-1"}, ExitUsage, "--feerate -1 is negative: want 0 or more sat/vB"},
		{[]string{"--to", apitest.MainAddress, "--amount", "1000"}, ExitUsage, "cannot be undone, and standard input is not a terminal to confirm it on: add --force"},
		{[]string{"--to", "nonsense", "--amount", "1000", "--force"}, ExitUsage, "--to nonsense is not a mainchain address"},
		{[]string{"--amount", "1000"}, ExitUsage, "missing --to (Mainchain address to pay)"},
	},
	"listunspent": {
		{[]string{"--minconf", "-1"}, ExitUsage, "--minconf -1 is negative: want 0 or more confirmations"},
		{[]string{"--minconf", "x"}, ExitUsage, "--minconf x is not a number"},
		{[]string{"--limit", "5000"}, ExitNodeError, "--limit 5000 is above the maximum page size"},
		{[]string{"extra"}, ExitUsage, "unexpected arguments"},
	},
	"listtransactions": {
		{[]string{"--offset", "-1"}, ExitUsage, "--offset -1 is negative"},
		{[]string{"--minconf", "1"}, ExitUsage, "--minconf is not an option of listtransactions"},
	},
	"bumpfee": {
		{[]string{apitest.WalletTxID.String()}, ExitUsage, "missing --feerate"},
		{[]string{apitest.WalletTxID.String(), "--feerate", "0", "--force"}, ExitUsage, "--feerate 0: want a positive number of sat/vB"},
		{[]string{apitest.WalletTxID.String(), "--feerate", "-4", "--force"}, ExitUsage, "--feerate -4: want a positive number of sat/vB"},
		{[]string{apitest.WalletTxID.String(), "--feerate", "10001", "--force"}, ExitUsage, "--feerate 10001 is above the maximum, 10000 sat/vB"},
		{[]string{"abcd", "--feerate", "10", "--force"}, ExitUsage, "<txid> abcd is not a mainchain transaction id"},
		{[]string{apitest.WalletTxID.String(), "--feerate", "10"}, ExitUsage, "add --force"},
		{[]string{strings.Repeat("07", 32), "--feerate", "10", "--force"}, ExitNodeError, "listtransactions shows the wallet's transactions"},
		{[]string{apitest.ConfirmedTxID.String(), "--feerate", "10", "--force"}, ExitNodeError, "already confirmed"},
		{[]string{apitest.WalletTxID.String(), "--feerate", "2", "--force"}, ExitNodeError, "--feerate 2 is not above 2 sat/vB"},
	},
	"changepassword": {
		{[]string{"x"}, ExitUsage, "unexpected arguments"},
		{nil, ExitUsage, "Current wallet passphrase: give it as a line of standard input"},
		{[]string{"--current-file", "testdata/none", "--new-file", "testdata/passphrase"}, ExitUsage, "--current-file testdata/none: cannot read it: no such file or directory"},
		{[]string{"--current-file", "testdata/wrongpassphrase", "--new-file", "testdata/passphrase"}, ExitNodeError, "the current passphrase: wrong wallet passphrase"},
		{[]string{"--current-file", "testdata/passphrase", "--new-file", "testdata/emptypassphrase"}, ExitUsage, "--new-file testdata/emptypassphrase is empty"},
	},
	"backupseed": {
		{[]string{"--force"}, ExitUsage, "--force is not an option of backupseed"},
		{nil, ExitUsage, "Wallet passphrase: give it as a line of standard input"},
		{[]string{"--passphrase-file", "testdata/wrongpassphrase"}, ExitNodeError, "passphrase: wrong wallet passphrase"},
	},
	"create": {
		{[]string{"x"}, ExitUsage, "unexpected arguments"},
		{nil, ExitUsage, "New wallet passphrase: give it as a line of standard input"},
		{[]string{"--passphrase-file", "testdata/emptypassphrase"}, ExitUsage, "--passphrase-file testdata/emptypassphrase is empty"},
		{[]string{"--restore"}, ExitUsage, "--restore reads the 24 words of the backup from standard input: give them there"},
		{[]string{"--restore", "abandon", "art"}, ExitUsage, "create takes no arguments: give the words of a backup with --restore on standard input"},
		{[]string{"abandon"}, ExitUsage, "never on the command line, where the shell's history keeps them"},
		{[]string{"--mnemonic-file", "testdata/none"}, ExitUsage, "--mnemonic-file testdata/none: cannot read it: no such file or directory"},
		{[]string{"--mnemonic-file", "testdata/emptypassphrase"}, ExitUsage, "no words given: a wallet's backup is 24 words: no wallet was created"},
		{[]string{"--mnemonic-file", "testdata/mnemonic-23words"}, ExitUsage, "23 words given, a wallet's backup is 24: a word is missing or extra: no wallet was created"},
		{[]string{"--mnemonic-file", "testdata/mnemonic-unknownword"}, ExitUsage, "word 7 'foo' is not a BIP39 English word: no wallet was created"},
		{[]string{"--mnemonic-file", "testdata/mnemonic-checksum"}, ExitUsage, "the checksum of the 24 words does not match: a word is wrong or out of order"},
		{[]string{"--mnemonic-file", "testdata/mnemonic-spanish"}, ExitUsage, "word 1 'ábaco' is a BIP39 Spanish word: a wallet's backup is in English"},
		{[]string{"--mnemonic-file", "testdata/mnemonic"}, ExitUsage, "New wallet passphrase: give it as a line of standard input"},
	},
	"unlock": {
		{nil, ExitUsage, "Wallet passphrase: give it as a line of standard input"},
		{[]string{"--passphrase-file", "testdata/wrongpassphrase"}, ExitNodeError, "passphrase: wrong wallet passphrase"},
		{[]string{"--passphrase-file", "testdata/none"}, ExitUsage, "--passphrase-file testdata/none: cannot read it"},
	},
	"sidetransactions": {
		{[]string{"--blocks", "-1"}, ExitUsage, "--blocks -1 is negative: want 0 or more sideblocks"},
		{[]string{"--blocks", "10001"}, ExitUsage, "--blocks 10001 is above the maximum, 10000 sideblocks"},
		{[]string{"--blocks", "many"}, ExitUsage, "--blocks many is not a number"},
		{[]string{"--limit", "5000"}, ExitNodeError, "--limit 5000 is above the maximum page size"},
	},
	"sideunspent": {
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1 is negative"},
	},
	"sidebalance": {
		{[]string{apitest.MainAddress}, ExitUsage, "a mainchain address was given where a sidechain address is expected"},
		{[]string{mainnetSideAddress}, ExitUsage, "is a mainnet sidechain address, and this is regtest (--network): give a regtest sidechain address"},
	},
	"sideaddress": {
		{[]string{"x"}, ExitUsage, "unexpected arguments"},
	},
	"send": {
		{[]string{"--to", apitest.MainAddress, "--amount", "1"}, ExitUsage, "--to " + apitest.MainAddress + ": a mainchain address was given where a sidechain address is expected"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "0"}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "-1"}, ExitUsage, "--amount -1: want a positive number of sat"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "21000000000000000"}, ExitUsage, "is above the maximum, 2100000000000000 sat"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "lots"}, ExitUsage, "--amount lots is not a number"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "1", "--feerate", "-1"}, ExitUsage, "--feerate -1 is negative: want 0 or more sat/vB"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "1", "--feerate", "10001"}, ExitUsage, "--feerate 10001 is above the maximum, 10000 sat/vB"},
		{[]string{"--amount", "1"}, ExitUsage, "missing --to (Sidechain address to pay)"},
		{[]string{"--to", apitest.OtherSideAddress, "--amount", "9000000000", "--force"}, ExitNodeError, "9000000000 asked for"},
		{[]string{"--to", "--amount", "1"}, ExitUsage, "--to needs a value"},
	},
	"sendrawtx": {
		{[]string{"zz"}, ExitUsage, "<hex> is not hex"},
		{[]string{"00"}, ExitUsage, "<hex> is not a transaction: 1 bytes"},
		{[]string{""}, ExitUsage, "<hex> is empty"},
	},
	"estimatefee": {
		{[]string{"1"}, ExitUsage, "unexpected arguments"},
		{[]string{"--feerate", "2"}, ExitUsage, "--feerate is not an option of estimatefee"},
	},
	"peg info": {
		{[]string{"x"}, ExitUsage, "unexpected arguments"},
	},
	"peg in": {
		{[]string{"--amount", "200000", "--to", apitest.MainAddress}, ExitUsage, "a mainchain address was given where a sidechain address is expected"},
		{[]string{"--amount", "200000", "--to", mainnetSideAddress}, ExitUsage, "is a mainnet sidechain address, and this is regtest"},
		{[]string{"--amount", "0", "--to", apitest.SideAddress}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"--amount", "-200000", "--to", apitest.SideAddress}, ExitUsage, "--amount -200000: want a positive number of sat"},
		{[]string{"--amount", "1e6", "--to", apitest.SideAddress}, ExitUsage, "--amount 1e6 is not a number"},
		{[]string{"--amount", "200000", "--to", apitest.SideAddress, "--feerate", "x"}, ExitUsage, "--feerate x is not a number: want a whole number of sat/vB"},
		{[]string{"--amount", "100", "--to", apitest.SideAddress, "--force"}, ExitNodeError, "--amount 100 is below"},
	},
	"peg deposits": {
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1 is negative"},
	},
	"peg refused": {
		{[]string{"--offset", "-1"}, ExitUsage, "--offset -1 is negative"},
	},
	"peg coins": {
		{[]string{"--limit", "-1"}, ExitUsage, "--limit -1 is negative"},
	},
	"peg deposit": {
		{[]string{"zz"}, ExitUsage, "<deposit> zz is not a mainchain transaction id (or txid:vout): want 64 hex digits"},
		{[]string{strings.Repeat("ab", 32) + ":-1"}, ExitUsage, "the output index -1 is not a number"},
		{[]string{strings.Repeat("00", 32)}, ExitNodeError, "no deposit in transaction"},
		{nil, ExitUsage, "missing the argument <deposit>"},
		{[]string{"--wait", "zz"}, ExitUsage, "<deposit> zz is not a mainchain transaction id (or txid:vout)"},
	},
	"peg out": {
		{[]string{"--amount", "70000", "--to", apitest.SideAddress}, ExitUsage, "a sidechain address was given where a mainchain address is expected"},
		{[]string{"--amount", "70000", "--to", testnetMainAddress}, ExitUsage, "is a testnet3 or signet mainchain address, and this is regtest"},
		{[]string{"--amount", "0", "--to", apitest.MainAddress}, ExitUsage, "--amount 0: want a positive number of sat"},
		{[]string{"--amount", "70000", "--to", apitest.MainAddress, "--fee", "-1"}, ExitUsage, "--fee -1 is negative: want 0 or more sat"},
		{[]string{"--amount", "70000", "--to", apitest.MainAddress, "--feerate", "x"}, ExitUsage, "--feerate x is not a number: want a whole number of sat/vB"},
		{[]string{"--amount", "70000", "--to", apitest.MainAddress, "--fee", "10", "--force"}, ExitNodeError, "--fee 10 is below"},
		{[]string{"--amount", "70000"}, ExitUsage, "missing --to (Mainchain address to pay"},
	},
	"peg status": {
		{[]string{"--wait", strings.Repeat("00", 32)}, ExitNodeError, "no withdrawal in transaction"},
		{[]string{"zz"}, ExitUsage, "<withdrawal> zz is not a sidechain transaction id (or txid:vout)"},
		{[]string{strings.Repeat("00", 32)}, ExitNodeError, "no withdrawal in transaction"},
		{nil, ExitUsage, "missing the argument <withdrawal>"},
	},
	"peg verify": {
		{nil, ExitUsage, "name the payout by its mainchain transaction id, or give it with --raw"},
		{[]string{"--raw", "zz"}, ExitUsage, "--raw is not hex"},
		{[]string{"abc"}, ExitUsage, "<txid> abc is not a mainchain transaction id"},
		{[]string{strings.Repeat("00", 32)}, ExitNodeError, "no payout 0000"},
		{[]string{apitest.PayoutTxID(1).String()}, ExitInvalid, "the payout is not valid: output 1 pays"},
	},
	"subscribe sideblocks": {
		{[]string{"--height", "3"}, ExitUsage, "--height needs --hash"},
		{[]string{"--height", "-1", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "--height -1 is negative"},
		{[]string{"--all", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "--all and --hash both say where to start: give one"},
		{[]string{"--height", "1", "--hash", "abcd"}, ExitUsage, "--hash abcd is not a sidechain block hash"},
	},
	"subscribe lottery": {
		{[]string{"--height", "x", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "--height x is not a number"},
		{[]string{"--height", "99999999999", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "is above the maximum, 2147483647 blocks (a mainchain height)"},
		{[]string{"--height", "9", "--hash", strings.Repeat("ab", 32)}, ExitNodeError, "cursor: unknown block"},
	},
	"subscribe deposits": {
		{[]string{"--height", "3"}, ExitUsage, "--height needs --hash"},
		{[]string{"--height", "-1", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "--height -1 is negative"},
		{[]string{"--height", "1", "--hash", "abcd"}, ExitUsage, "--hash abcd is not a mainchain block hash"},
		{[]string{"--height", "9", "--hash", strings.Repeat("ab", 32)}, ExitNodeError, "cursor: unknown block"},
	},
	"subscribe withdrawals": {
		{[]string{"--height", "3"}, ExitUsage, "--height needs --hash"},
		{[]string{"--all", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "--all and --hash both say where to start: give one"},
		{[]string{"--height", "1", "--hash", "abcd"}, ExitUsage, "--hash abcd is not a sidechain block hash"},
		{[]string{"--height", "9", "--hash", strings.Repeat("ab", 32)}, ExitNodeError, "unknown"},
		{[]string{"--height", "99999999999", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "is above the maximum, 2147483647 blocks (a sidechain height)"},
	},
	"subscribe wallet": {
		{[]string{"--height", "3"}, ExitUsage, "--height needs --hash"},
		{[]string{"x"}, ExitUsage, `unexpected arguments ["x"]`},
		{[]string{"--height", "99999999999", "--hash", strings.Repeat("ab", 32)}, ExitUsage, "is above the maximum, 2147483647 blocks (a mainchain height)"},
		{[]string{"--height", "1", "--hash", "abcd"}, ExitUsage, "--hash abcd is not a mainchain block hash"},
		{[]string{"--height", "9", "--hash", strings.Repeat("ab", 32)}, ExitNodeError, "cursor: unknown block"},
	},
	"bans list": {
		{[]string{"x"}, ExitUsage, `unexpected arguments ["x"]`},
		{[]string{"--duration", "1h"}, ExitUsage, "--duration is not an option of bans list"},
	},
	"bans add": {
		{nil, ExitUsage, "missing the argument <target>"},
		{[]string{"192.0.2.1", "--duration", "1500ms"}, ExitUsage, "--duration 1.5s: want whole seconds"},
		{[]string{"192.0.2.1", "--duration", "87601h"}, ExitUsage, "--duration 87601h0m0s is above the maximum, 87600h (10 years)"},
		{[]string{"192.0.2.1", "--duration", "-1h"}, ExitUsage, "--duration -1h: want a positive duration"},
		{[]string{"192.0.2.1", "--duration", "soon"}, ExitUsage, "--duration soon is not a duration"},
		{[]string{"192.0.2.1", "--reason", strings.Repeat("x", 257)}, ExitUsage, "--reason of 257 bytes is above the maximum, 256 bytes"},
		{[]string{"a b"}, ExitUsage, "holds a space"},
	},
	"bans remove": {
		{nil, ExitUsage, "missing the argument <target>"},
		{[]string{"203.0.113.9"}, ExitNodeError, "203.0.113.9"},
	},
	"stop": {
		{[]string{"now"}, ExitUsage, `unexpected arguments ["now"]`},
		{[]string{"--force"}, ExitUsage, "--force is not an option of stop"},
	},
	"debuglevel": {
		{[]string{"--show", "info"}, ExitUsage, "--show lists the levels and <spec> sets them: give one"},
		{[]string{"info, PEER=debug"}, ExitUsage, "holds a space: separate entries with commas"},
		{[]string{"  "}, ExitUsage, "<spec> is empty"},
		{[]string{"loud"}, ExitNodeError, `unknown log level "loud"`},
		{[]string{"NOPE=debug"}, ExitNodeError, `unknown log subsystem "NOPE"`},
		{[]string{"info", "extra"}, ExitUsage, `unexpected arguments ["extra"]`},
	},
	"peers list": {
		{[]string{"all"}, ExitUsage, `unexpected arguments ["all"]`},
	},
	"peers connect": {
		{nil, ExitUsage, "missing the argument <address>"},
		{[]string{"a b:1"}, ExitUsage, "holds a space"},
		{[]string{"192.0.2.7"}, ExitNodeError, "is not host:port"},
		{[]string{"unreachable:18555"}, ExitNodeError, "could not connect to unreachable:18555"},
	},
	"peers disconnect": {
		{nil, ExitUsage, "missing the argument <peer>"},
		{[]string{"99"}, ExitNodeError, `no session with <peer> "99"`},
	},
}

// notUserTerms matches what a message in the user's terms never holds: a
// Go error identifier, a proto field name, a strconv or encoding/hex
// message, go-flags' quoting.
var notUserTerms = regexp.MustCompile("\\bErr[A-Z]|_sat\\b|_address\\b|_sat_|fee_rate|lock_blocks|raw_hex|raw_tx_hex|" +
	"strconv|invalid syntax|parsing \"|encoding/hex|invalid byte|`|\\bflag `")

// checkMessage checks one failing run against its case.
func checkMessage(t *testing.T, what string, r result, tc badCase) {
	t.Helper()
	if r.code != tc.code {
		t.Errorf("%s: exit %d, want %d; stderr %q", what, r.code, tc.code, r.stderr)
	}
	if !strings.Contains(r.stderr, tc.want) {
		t.Errorf("%s: stderr %q does not contain %q", what, r.stderr, tc.want)
	}
	if m := notUserTerms.FindString(r.stderr); m != "" {
		t.Errorf("%s: stderr %q holds %q, not the user's terms", what, r.stderr, m)
	}
	if tc.code != ExitInvalid && r.stdout != "" {
		t.Errorf("%s: stdout %q on a failure", what, r.stdout)
	}
}

// TestBadInputs runs every command's bad inputs against a node and
// checks the exit code and the message of each.
func TestBadInputs(t *testing.T) {
	n := startNode(t)
	cases := 0
	for path, list := range badInputs {
		for _, tc := range list {
			args := append(strings.Fields(path), tc.args...)
			r := n.run(args...)
			checkMessage(t, "sidecli "+strings.Join(args, " "), r, tc)
			cases++
		}
	}
	t.Logf("%d commands, %d bad inputs", len(badInputs), cases)
}

// TestEveryCommandIsCovered keeps the tables complete: every command has
// valid arguments and bad inputs, and the tables name no other command.
func TestEveryCommandIsCovered(t *testing.T) {
	known := map[string]bool{}
	for _, spec := range commands() {
		known[spec.path] = true
		if _, ok := validArgs[spec.path]; !ok {
			t.Errorf("validArgs has no entry for %q", spec.path)
		}
		if len(badInputs[spec.path]) == 0 {
			t.Errorf("badInputs has no case for %q", spec.path)
		}
	}
	for path := range badInputs {
		if !known[path] {
			t.Errorf("badInputs names %q, which is no command", path)
		}
	}
	for path := range validArgs {
		if !known[path] {
			t.Errorf("validArgs names %q, which is no command", path)
		}
	}
}

// TestValidArgs checks that validArgs are accepted, so that the tests of
// the stopped and frozen node fail for the reason they test.
func TestValidArgs(t *testing.T) {
	n := startNode(t)
	for path, args := range validArgs {
		if strings.HasPrefix(path, "subscribe") {
			continue // they run until interrupted
		}
		if path == "bans remove" {
			// An address the node discouraged.
			n.backend.Discourage(args[0], "invalid message")
		}
		if path == "peers disconnect" {
			n.backend.AddPeerSession(args[0], true)
		}
		if path == "tx" {
			// A transaction the fake holds.
			args = []string{n.backend.SideBlocks[n.backend.SideBest[2]].TxIDs[3].String()}
		}
		r := n.run(append(strings.Fields(path), args...)...)
		if r.code != ExitOK {
			t.Errorf("sidecli %s %q: exit %d, stderr %q", path, args, r.code, r.stderr)
		}
	}
}

// TestStoppedNode checks every command against an address where nothing
// listens: "cannot reach the node", exit 3.
func TestStoppedNode(t *testing.T) {
	n := startNode(t)
	dead := deadAddr(t)
	for path, args := range validArgs {
		r := runEnv(nil, append(append([]string{"--datadir", n.dataDir,
			"--network", "regtest", "--rpcserver", dead}, strings.Fields(path)...), args...)...)
		checkMessage(t, "sidecli "+path+" (stopped node)", r, badCase{code: ExitUnreachable,
			want: "cannot reach the node at " + dead + ": nothing answers there"})
	}
}

// TestFrozenNode checks a node that accepts the connection and never
// answers: "did not answer within --timeout", exit 3, and not "cannot
// reach".
func TestFrozenNode(t *testing.T) {
	n := startNode(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c // held open, never read
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		for c := range accepted {
			c.Close()
		}
	})
	for _, path := range []string{"status", "peg in", "send"} {
		r := runEnv(nil, append(append([]string{"--datadir", n.dataDir, "--network", "regtest",
			"--rpcserver", lis.Addr().String(), "--timeout", "200ms"}, strings.Fields(path)...),
			validArgs[path]...)...)
		checkMessage(t, "sidecli "+path+" (frozen node)", r, badCase{code: ExitUnreachable,
			want: "did not answer within --timeout 200ms"})
	}
}

// TestWrongCertificate checks a node whose certificate is not --tlscert:
// exit 3, a message about the certificate, not "cannot reach".
func TestWrongCertificate(t *testing.T) {
	n := startNode(t)
	other := startNode(t)
	r := n.run("--tlscert", filepath.Join(other.netDir, api.TLSCertFilename), "status")
	// --tlscert after the command is still a connection option.
	checkMessage(t, "status with another node's certificate", r, badCase{code: ExitUnreachable,
		want: "refused the TLS connection: its certificate is not --tlscert (signed by another key)"})
}

// TestMisplacedAndUnknown checks options on the wrong side of the command,
// and unknown commands.
func TestMisplacedAndUnknown(t *testing.T) {
	for _, tc := range []badCase{
		{[]string{"--amount", "5", "send", "--to", apitest.SideAddress}, ExitUsage,
			"--amount is an option of peg in, peg out, send, sendmain, stake create, stake topup, not a connection option: put it after the command (sidecli send --amount ...)"},
		{[]string{"stauts"}, ExitUsage, "unknown command stauts (did you mean status?)"},
		{[]string{"peg", "bogus"}, ExitUsage, "peg has no subcommand bogus: it has coins, deposit, deposits, in, info, out, refused, status, verify"},
		{[]string{"peg"}, ExitUsage, "a subcommand is needed: coins, deposit, deposits, in, info, out, refused, status, verify"},
		{nil, ExitUsage, "no command given"},
		{[]string{"--bogus", "status"}, ExitUsage, "unknown option --bogus: the connection options are --network"},
		{[]string{"-x", "status"}, ExitUsage, "unknown option -x"},
		{[]string{"--network", "moonnet", "status"}, ExitUsage, `unknown network "moonnet": --network (or SIDECLI_NETWORK) is one of mainnet`},
		{[]string{"--timeout", "soon", "status"}, ExitUsage, "--timeout soon is not a duration: write it as 30s, 2m or 1h"},
		{[]string{"--timeout", "-1s", "status"}, ExitUsage, "--timeout -1s: want a positive duration"},
		{[]string{"help", "nosuch"}, ExitUsage, `no command "nosuch"`},
		{[]string{"--envfile", "/nonexistent/sidecli.env", "status"}, ExitUsage, "--envfile /nonexistent/sidecli.env: no such file"},
	} {
		r := runEnv(nil, tc.args...)
		checkMessage(t, "sidecli "+strings.Join(tc.args, " "), r, tc)
	}
}

// TestHelp checks sidecli help: every command by group, the exit codes,
// and each command's own help with its units.
func TestHelp(t *testing.T) {
	r := runEnv(nil, "help")
	wantOK(t, r)
	for _, alias := range [][]string{{"--help"}, {"-h"}, {"--network=regtest", "--help"}} {
		if other := runEnv(nil, alias...); other.code != 0 || other.stdout != r.stdout {
			t.Errorf("sidecli %q differs from sidecli help", alias)
		}
	}
	for _, spec := range commands() {
		if !strings.Contains(r.stdout, "  "+spec.path+" ") {
			t.Errorf("sidecli help does not list %q", spec.path)
		}
		if !strings.Contains(r.stdout, "\n"+spec.group+":\n") {
			t.Errorf("sidecli help has no group %q", spec.group)
		}
	}
	for _, want := range []string{"Exit codes:", "4  checked and invalid", "--rpcserver=HOST[:PORT]",
		"SIDECLI_ENVFILE", "sat/vB"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sidecli help lacks %q", want)
		}
	}
	for _, spec := range commands() {
		words := strings.Fields(spec.path)
		viaHelp := runEnv(nil, append([]string{"help"}, words...)...)
		viaFlag := runEnv(nil, append(words, "--help")...)
		wantOK(t, viaHelp)
		wantOK(t, viaFlag)
		if viaHelp.stdout != viaFlag.stdout {
			t.Errorf("sidecli help %s and %s --help differ", spec.path, spec.path)
		}
		if !strings.Contains(viaHelp.stdout, spec.long[:20]) {
			t.Errorf("sidecli help %s lacks its description:\n%s", spec.path, viaHelp.stdout)
		}
	}
	// Units are in every numeric option's help.
	for path, want := range map[string][]string{
		"stake create": {"--amount=SAT", "in sat", "sat/vB"},
		"send":         {"--amount=SAT", "sat/kB"},
		"peg out":      {"--fee=SAT", "sat/kB"},
		"balance":      {"--minconf=N", "mainchain blocks"},
	} {
		r := runEnv(nil, append([]string{"help"}, strings.Fields(path)...)...)
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("sidecli help %s lacks %q", path, w)
			}
		}
	}
}

// TestEnvFile checks the env file the devnet writes: a node needs no
// flag once it is read, from --envfile or SIDECLI_ENVFILE, and the
// environment and the flags override it.
func TestEnvFile(t *testing.T) {
	n := startNode(t)
	file := filepath.Join(t.TempDir(), "sidecli.env")
	content := "# written by the devnet\n" +
		"export SIDECLI_NETWORK=regtest\n" +
		"export SIDECLI_RPCSERVER=" + n.addr + "\n" +
		"export SIDECLI_DATADIR='" + n.dataDir + "'\n" +
		"OTHER=ignored\n"
	if err := writeFile(file, content); err != nil {
		t.Fatal(err)
	}
	wantOK(t, runEnv(nil, "--envfile", file, "status"))
	wantOK(t, runEnv(map[string]string{EnvEnvFile: file}, "status"))

	// The environment overrides a file it names, and a flag the
	// environment.
	dead := deadAddr(t)
	r := runEnv(map[string]string{EnvEnvFile: file, EnvRPCServer: dead}, "status")
	checkMessage(t, "environment over the env file", r, badCase{code: ExitUnreachable, want: dead})
	wantOK(t, runEnv(map[string]string{EnvEnvFile: file, EnvRPCServer: dead}, "--rpcserver", n.addr, "status"))

	// A file named with --envfile overrides the environment (another
	// node's file after sourcing one), and a flag overrides the file.
	wantOK(t, runEnv(map[string]string{EnvRPCServer: dead, EnvNetwork: "mainnet"}, "--envfile", file, "status"))
	r = runEnv(nil, "--envfile", file, "--rpcserver", dead, "status")
	checkMessage(t, "a flag over --envfile", r, badCase{code: ExitUnreachable, want: dead})

	// Everything from the environment alone, as after sourcing the file.
	wantOK(t, runEnv(map[string]string{EnvNetwork: "regtest", EnvRPCServer: n.addr,
		EnvDataDir: n.dataDir}, "status"))

	if err := writeFile(file, "SIDECLI_RPCSERVER\n"); err != nil {
		t.Fatal(err)
	}
	checkMessage(t, "a bad env file", runEnv(nil, "--envfile", file, "status"),
		badCase{code: ExitUsage, want: "line 1: want KEY=VALUE"})
}

// TestExitCodesDistinct keeps the documented exit codes distinct.
func TestExitCodesDistinct(t *testing.T) {
	codes := []int{ExitOK, ExitNodeError, ExitUsage, ExitUnreachable, ExitInvalid}
	sorted := append([]int(nil), codes...)
	sort.Ints(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			t.Fatalf("exit codes %v are not distinct", codes)
		}
	}
}

// TestTranslate checks the rewriting of the node's messages.
func TestTranslate(t *testing.T) {
	f := fields{"amount_sat": "--amount", "fee_sat": "--fee", "fee_rate_sat_kb": "--feerate",
		"destination_address": "--to"}
	for in, want := range map[string]string{
		"amount_sat 5 + fee_sat 10 is above":             "--amount 5 + --fee 10 is above",
		"ErrMempoolLowFee: fee_rate_sat_kb 1 below 1000": "--feerate 1 below 1000",
		"refused (ErrDepositDust)":                       "refused (deposit dust)",
		"destination_address x: bad":                     "--to x: bad",
		"the amount_satoshi field":                       "the amount_satoshi field",
	} {
		if got := translate(in, f); got != want {
			t.Errorf("translate(%q) = %q, want %q", in, got, want)
		}
	}
}

// writeFile writes a small test file.
func writeFile(path, content string) error {
	var b bytes.Buffer
	b.WriteString(content)
	return osWriteFile(path, b.Bytes())
}

var osWriteFile = func(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

// TestUnquoteShell checks the quoting the env file may use, as the devnet
// writes it and as a shell reads it.
func TestUnquoteShell(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                     "plain",
		"'/a b/c'":                  "/a b/c",
		`'it'\''s data'`:            "it's data",
		`"a \"b\" \$c"`:             `a "b" $c`,
		`a\ b`:                      "a b",
		`"/x/'y'"`:                  "/x/'y'",
		"127.0.0.1:18560":           "127.0.0.1:18560",
		`'/home/u/.devnet/node-a'`:  "/home/u/.devnet/node-a",
		`"/home/u/.devnet/node-a"'`: "",
	} {
		got, ok := unquoteShell(in)
		if want == "" {
			if ok {
				t.Errorf("unquoteShell(%q) = %q, want an open quote", in, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("unquoteShell(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
