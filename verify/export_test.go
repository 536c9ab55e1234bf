package verify

// Test-only exports for the external test package (package verify_test).

// DGCQRSeeds returns the QR texts of the EU DCC test data, to seed fuzzers.
var DGCQRSeeds = dgcQRSeeds
