package main

import (
	"context"
	"os"

	"github.com/sfsync/sfsync/reconciler/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}
