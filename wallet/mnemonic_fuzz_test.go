package wallet

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseMnemonic: any text is 32 bytes of entropy whose words parse
// back to it, or a *MnemonicError, never a panic.
func FuzzParseMnemonic(f *testing.F) {
	words := validWords(f)
	f.Add(strings.Join(words, " "))
	f.Add("1. " + strings.Join(words, "\n2. "))
	f.Add(strings.Repeat("abandon ", 23) + "art")
	f.Add(strings.Repeat("abandon ", 23) + "zoo")
	f.Add(strings.Repeat("abandon ", 11) + "about")
	f.Add(strings.Join(words[:23], " ") + " foo")
	f.Add(strings.Join(words[:23], " ") + " abandn")
	f.Add("ábaco " + strings.Join(words[1:], " "))
	f.Add("あいこくしん\u3000あいこくしん")
	f.Add("12) 13: 7 99999999999999999999. \x00 \xff")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		entropy, err := ParseMnemonic(text)
		if err != nil {
			var me *MnemonicError
			if !errors.As(err, &me) {
				t.Fatalf("%q: %v is not a *MnemonicError", text, err)
			}
			_ = me.Error()
			return
		}
		if len(entropy) != entropyLen {
			t.Fatalf("%q: %d bytes of entropy", text, len(entropy))
		}
		back, err := MnemonicFromEntropy(entropy)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseMnemonic(strings.Join(back, " "))
		if err != nil || string(again) != string(entropy) {
			t.Fatalf("%q: the words of its entropy parse to %x, %v", text, again, err)
		}
	})
}
