package config

import (
	"slices"
	"sort"
	"strings"

	"munjigi/internal/words"
)

// distance is the edit distance between a and b: insertions, deletions,
// substitutions and swaps of two neighbours ("tpye" is one edit from
// "type"), the mistakes fingers make.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j]: a[:i] to b[:j]; three rows are all a swap needs.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// close is how many edits still read as a slip for a name this long:
// one for a short name, up to three for a long one.
func close(name string) int {
	return max(1, min(3, len([]rune(name))/4))
}

// nearest are the names a person most likely meant by name, best first
// (several when they tie): a slip of the fingers (venue.typ, polcy), the
// right key in the wrong section (verdict_hold at the top, for
// kiosk.verdict_hold), or the start of a longer one (store.retention).
// None when nothing is near enough to be a guess worth reading.
func nearest(name string, known []string) []string {
	leaf := name[strings.LastIndex(name, ".")+1:]
	best, score := []string(nil), 1<<30
	for _, k := range known {
		kleaf := k[strings.LastIndex(k, ".")+1:]
		s := 1 << 30
		if d := distance(name, k); d <= close(name) {
			s = d
		}
		if !sameSection(name, k) {
			// The right name in the wrong place costs two edits more
			// than its slips: a name begun in its own section is the
			// likelier meaning.
			if d := distance(leaf, kleaf); d <= 1 && len(leaf) > 2 {
				s = min(s, d+2)
			}
		}
		if len(leaf) >= 4 && strings.HasPrefix(kleaf, leaf) && sameSection(name, k) {
			s = min(s, 1)
		}
		switch {
		case s < score:
			best, score = []string{k}, s
		case s == score && s < 1<<30:
			best = append(best, k)
		}
	}
	sort.Strings(best)
	if len(best) > 3 {
		return nil // a guess among many is no guess
	}
	return best
}

func sameSection(a, b string) bool {
	sa, _, _ := strings.Cut(a, ".")
	sb, _, _ := strings.Cut(b, ".")
	return strings.Contains(a, ".") == strings.Contains(b, ".") && sa == sb
}

// knownKeys are every key, sorted.
func knownKeys() []string {
	keys := make([]string, 0, len(kinds()))
	for k := range kinds() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// unknownKey is the advice for a key that is not one: the nearest key,
// else the keys of its section, else where they are all listed. env is
// the variable's name when it came from the environment: nil when no
// setting's variable is near it (it may be another program's).
func unknownKey(key, env string) *words.Error {
	if env != "" {
		// Compared without the MUNJIGI_ they all share.
		names := make([]string, 0, len(kinds()))
		for _, k := range knownKeys() {
			names = append(names, strings.TrimPrefix(envName(k), "MUNJIGI_"))
		}
		near := nearest(strings.TrimPrefix(env, "MUNJIGI_"), names)
		if len(near) == 0 {
			return nil
		}
		for i := range near {
			near[i] = "MUNJIGI_" + near[i]
		}
		return words.New(words.UnknownKeyNear, env, or(near))
	}
	if near := nearest(key, knownKeys()); len(near) > 0 {
		return words.New(words.UnknownKeyNear, key, or(near))
	}
	if sec, _, ok := strings.Cut(key, "."); ok {
		if leaves, ok := sections()[sec]; ok {
			return words.New(words.UnknownKeyIn, key, sec, strings.Join(prefixed(sec, leaves), ", "))
		}
	}
	return words.New(words.UnknownKey, key)
}

// unknownSection is the advice for a section that is not one.
func unknownSection(name string) *words.Error {
	var secs []string
	for s := range sections() {
		secs = append(secs, s)
	}
	sort.Strings(secs)
	if near := nearest(name, secs); len(near) > 0 {
		return words.New(words.UnknownSectionNear, name, or(near))
	}
	if near := nearest(name, knownKeys()); len(near) > 0 {
		return words.New(words.UnknownKeyNear, name, or(near))
	}
	return words.New(words.UnknownSection, name, strings.Join(secs, ", "))
}

// or joins names as "a or b": the sentence says them.
func or(names []string) words.Text {
	if len(names) == 1 {
		return words.T(words.One, names[0])
	}
	return words.T(words.Or, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// envName is the variable that sets key.
func envName(key string) string {
	return "MUNJIGI_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}
