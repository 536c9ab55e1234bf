// Command debversion prints the Debian version of the release being built
// from this checkout (VERSION, when set, is read as a tag is), for
// scripts/release.sh. See deploy.DebianVersion for the mapping.
package main

import (
	"fmt"
	"os"

	"munjigi/deploy"
)

func main() {
	v, err := deploy.FromGit(".", os.Getenv("VERSION"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "release version: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(v)
}
