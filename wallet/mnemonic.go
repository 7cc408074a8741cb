package wallet

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/tyler-smith/go-bip39"
	"github.com/tyler-smith/go-bip39/wordlists"
	"golang.org/x/text/unicode/norm"
)

// MnemonicWords is the number of words of a wallet's backup: BIP39 over
// 256 bits of entropy.
const MnemonicWords = 24

// entropyLen is the length of a version 2 seed file's entropy.
const entropyLen = 32

// MnemonicCode says what is wrong with a word list.
type MnemonicCode int

// The ways a word list can be wrong.
const (
	// MnemonicWordCount: not 24 words.
	MnemonicWordCount MnemonicCode = iota + 1
	// MnemonicUnknownWord: a word of no BIP39 list.
	MnemonicUnknownWord
	// MnemonicOtherLanguage: a word of another language's BIP39 list.
	MnemonicOtherLanguage
	// MnemonicChecksum: 24 English words whose checksum does not match.
	MnemonicChecksum
)

func (c MnemonicCode) String() string {
	switch c {
	case MnemonicWordCount:
		return "word count"
	case MnemonicUnknownWord:
		return "unknown word"
	case MnemonicOtherLanguage:
		return "other language"
	case MnemonicChecksum:
		return "checksum"
	default:
		return fmt.Sprintf("MnemonicCode(%d)", int(c))
	}
}

// MnemonicError is a word list ParseMnemonic refuses. Its message names
// the word and its position (from 1) in the list as the user typed it.
type MnemonicError struct {
	Code MnemonicCode
	// Count is the number of words given.
	Count int
	// Position (from 1) and Word are the first wrong word, for
	// MnemonicUnknownWord and MnemonicOtherLanguage.
	Position int
	Word     string
	// Language is the BIP39 list Word belongs to, for
	// MnemonicOtherLanguage; Suggestion an English word Word may be a
	// misspelling of (same first four letters), or "".
	Language   string
	Suggestion string
}

func (e *MnemonicError) Error() string {
	switch e.Code {
	case MnemonicWordCount:
		if e.Count == 0 {
			return fmt.Sprintf("no words given: a wallet's backup is %d words", MnemonicWords)
		}
		return fmt.Sprintf("%d words given, a wallet's backup is %d: a word is missing or extra",
			e.Count, MnemonicWords)
	case MnemonicUnknownWord:
		s := fmt.Sprintf("word %d '%s' is not a BIP39 English word", e.Position, shown(e.Word))
		if e.Suggestion != "" {
			s += fmt.Sprintf(" (did you mean '%s'?)", e.Suggestion)
		}
		return s
	case MnemonicOtherLanguage:
		return fmt.Sprintf("word %d '%s' is a BIP39 %s word: a wallet's backup is in English "+
			"(the words of another language derive other keys)", e.Position, shown(e.Word), e.Language)
	case MnemonicChecksum:
		return fmt.Sprintf("the checksum of the %d words does not match: a word is wrong or out of order",
			e.Count)
	default:
		return "bad word list"
	}
}

// shown is w for a message: printable, at most 24 characters.
func shown(w string) string {
	var b strings.Builder
	n := 0
	for _, r := range w {
		if n == 24 {
			b.WriteString("...")
			break
		}
		if !unicode.IsPrint(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// ErrMnemonic matches every *MnemonicError with errors.Is.
var ErrMnemonic = errors.New("bad word list")

// Is makes errors.Is(err, ErrMnemonic) hold.
func (e *MnemonicError) Is(target error) bool { return target == ErrMnemonic }

// MnemonicFromEntropy returns the 24 English BIP39 words of 32 bytes of
// entropy.
func MnemonicFromEntropy(entropy []byte) ([]string, error) {
	if len(entropy) != entropyLen {
		return nil, fmt.Errorf("entropy of %d bytes, want %d", len(entropy), entropyLen)
	}
	m, err := bip39.NewMnemonic(entropy)
	if err != nil {
		return nil, err
	}
	return strings.Fields(m), nil
}

// ParseMnemonic reads a wallet's backup: 24 English BIP39 words separated
// by white space, in any case. Numbers before the words, as backupseed
// prints them ("1." "2)" "3:"), are skipped. It returns the 32 bytes of
// entropy the words encode, or a *MnemonicError that says which word is
// wrong and how.
func ParseMnemonic(text string) ([]byte, error) {
	typed := MnemonicFields(text)
	words := make([]string, len(typed))
	for i, tok := range typed {
		words[i] = strings.ToLower(norm.NFKD.String(tok))
	}
	for i, w := range words {
		if _, ok := englishIndex()[w]; ok {
			continue
		}
		e := &MnemonicError{Code: MnemonicUnknownWord, Count: len(words), Position: i + 1, Word: typed[i]}
		if lang := otherLanguage(w); lang != "" {
			e.Code, e.Language = MnemonicOtherLanguage, lang
		} else {
			e.Suggestion = suggest(w)
		}
		return nil, e
	}
	if len(words) != MnemonicWords {
		return nil, &MnemonicError{Code: MnemonicWordCount, Count: len(words)}
	}
	// bip39's list is English unless SetWordList is called, which nothing
	// in this module does; the words were checked against English above.
	entropy, err := bip39.EntropyFromMnemonic(strings.Join(words, " "))
	if err != nil {
		return nil, &MnemonicError{Code: MnemonicChecksum, Count: len(words)}
	}
	if len(entropy) != entropyLen {
		return nil, &MnemonicError{Code: MnemonicWordCount, Count: len(words)}
	}
	return entropy, nil
}

// MnemonicFields returns the words of text as ParseMnemonic reads them,
// as typed: separated by white space, without the numbers before them.
func MnemonicFields(text string) []string {
	var words []string
	for _, tok := range strings.Fields(text) {
		if tok = stripNumber(tok); tok != "" {
			words = append(words, tok)
		}
	}
	return words
}

// IsMnemonicWord reports whether w is a BIP39 English word (in any case).
func IsMnemonicWord(w string) bool {
	_, ok := englishIndex()[strings.ToLower(w)]
	return ok
}

// stripNumber removes a position number ("12." "12)" "12:" or "12") from
// the front of tok.
func stripNumber(tok string) string {
	i := 0
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		i++
	}
	if i == 0 {
		return tok
	}
	if i == len(tok) {
		return ""
	}
	switch tok[i] {
	case '.', ')', ':':
		return tok[i+1:]
	}
	return tok
}

// suggest returns the English word with w's first four letters (BIP39's
// English words differ in them), or "".
func suggest(w string) string {
	if len(w) < 4 {
		return ""
	}
	return englishPrefix()[w[:4]]
}

var languages = []struct {
	name  string
	words []string
}{
	{"Spanish", wordlists.Spanish},
	{"French", wordlists.French},
	{"Italian", wordlists.Italian},
	{"Czech", wordlists.Czech},
	{"Japanese", wordlists.Japanese},
	{"Korean", wordlists.Korean},
	{"Chinese (simplified)", wordlists.ChineseSimplified},
	{"Chinese (traditional)", wordlists.ChineseTraditional},
}

var (
	indexOnce sync.Once
	english   map[string]int
	prefixes  map[string]string
	others    map[string]string // NFKD word -> language
)

func buildIndex() {
	english = make(map[string]int, len(wordlists.English))
	prefixes = make(map[string]string, len(wordlists.English))
	for i, w := range wordlists.English {
		english[w] = i
		if len(w) >= 4 {
			prefixes[w[:4]] = w
		}
	}
	others = make(map[string]string)
	for _, l := range languages {
		for _, w := range l.words {
			w = norm.NFKD.String(w)
			if _, ok := others[w]; !ok {
				others[w] = l.name
			}
		}
	}
}

func englishIndex() map[string]int {
	indexOnce.Do(buildIndex)
	return english
}

func englishPrefix() map[string]string {
	indexOnce.Do(buildIndex)
	return prefixes
}

// otherLanguage returns the language of the first other BIP39 list that
// holds w (NFKD), or "".
func otherLanguage(w string) string {
	indexOnce.Do(buildIndex)
	return others[w]
}
