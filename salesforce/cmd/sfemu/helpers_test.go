package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/sfsync/sfsync/salesforce/internal/emu"
)

// startEmu runs sfemu with args until the test ends and returns its
// endpoints and a function that stops it and returns its log.
func startEmu(t *testing.T, ctx context.Context, args []string, getenv func(string) string) (emu.Endpoints, func() string) {
	t.Helper()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan emu.Endpoints, 1)
	var logs bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- run(runCtx, args, getenv, &bytes.Buffer{}, &logs, func(e emu.Endpoints) { ready <- e })
	}()
	var ep emu.Endpoints
	select {
	case ep = <-ready:
	case code := <-exited:
		stop()
		t.Fatalf("sfemu exited with %d before listening:\n%s", code, logs.String())
	case <-ctx.Done():
		stop()
		t.Fatal("sfemu did not start")
	}
	return ep, func() string {
		stop()
		select {
		case code := <-exited:
			if code != 0 {
				t.Fatalf("exit code %d:\n%s", code, logs.String())
			}
		case <-ctx.Done():
			t.Fatal("sfemu did not stop")
		}
		return logs.String()
	}
}
