// Package arch holds the test of munjigi's house rules: the imports that
// must never exist (docs/architecture.md). It has no code of its own.
package arch
