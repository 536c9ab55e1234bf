package verify

// Test-only exports for the external test package (package verify_test).

// DGCQRSeeds returns the QR texts of the EU DCC test data, to seed fuzzers.
var DGCQRSeeds = dgcQRSeeds

// HasComb reports whether the signer under kid has its table (p256.go).
func HasComb(t *Trust, kid []byte) bool {
	for _, s := range t.lookup(kid) {
		if s.comb.Load() != nil {
			return true
		}
	}
	return false
}

// CombsAlive is the number of tables alive.
func CombsAlive() int { return int(combs.Load()) }

// CombAfter and MaxCombs are p256.go's thresholds.
const CombAfter, MaxCombs = combAfter, maxCombs
