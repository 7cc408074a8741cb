package dashboard

import _ "embed"

//go:embed assets/panels/lottery.js
var lotteryJS []byte

//go:embed assets/panels/peg.js
var pegJS []byte

// MainstakePanels returns the mainstake engine's pages: the Lottery (its
// draws, missed slots, tickets and plots) and the Peg (the federation,
// the pegbox, deposits and withdrawals, the supply audit).
func MainstakePanels() []Panel {
	return []Panel{
		{ID: "lottery", Title: "Lottery", Script: lotteryJS},
		{ID: "peg", Title: "Peg", Script: pegJS},
	}
}
