package verify

import (
	"strings"
	"unicode/utf8"
)

// MaskFullName masks a name given as one string, as the door masks a
// pass holder's (see maskName): a Korean, Chinese or Japanese name keeps
// its first and last character around a star (山田太郎 → 山*郎); any other
// keeps its given names and the initial of its last word (John Doe →
// John D***). A single word is taken for a surname and keeps only its
// initial (Madonna → M***): every name is masked, whatever its script or
// length. The authority's server masks the names it returns with this.
func MaskFullName(name string) string {
	// Cleaned whole (no cut, whose ellipsis is no letter of any script);
	// maskName cuts each part.
	name = Sanitize(name, utf8.RuneCountInString(name)+1)
	if full := strings.ReplaceAll(name, " ", ""); full != "" && isCJK(full) {
		return maskCJK(full)
	}
	i := strings.LastIndexByte(name, ' ')
	if i < 0 {
		return maskName(name, "", "", "")
	}
	return maskName(name[i+1:], name[:i], "", "")
}
