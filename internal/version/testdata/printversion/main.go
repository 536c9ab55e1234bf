// Command printversion prints version.String(), for TestStamped.
package main

import (
	"fmt"

	"munjigi/internal/version"
)

func main() { fmt.Println(version.String()) }
