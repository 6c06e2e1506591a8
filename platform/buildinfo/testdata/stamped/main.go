// Command stamped prints its version, for TestLinkerFlags.
package main

import (
	"fmt"

	"github.com/sfsync/sfsync/platform/buildinfo"
)

func main() {
	fmt.Println(buildinfo.String("stamped"))
}
