module munjigi

go 1.26

require (
	github.com/fxamacker/cbor/v2 v2.9.6
	github.com/mattn/go-runewidth v0.0.31
	github.com/veraison/go-cose v1.3.0
)

require (
	github.com/clipperhouse/uax29/v2 v2.2.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
)
