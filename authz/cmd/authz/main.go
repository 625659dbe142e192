// Command authz is Eco²'s ext-authz: Envoy ext_authz over gRPC and HTTP (ADR 0005).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"eco2/authz/internal/app"
	"eco2/authz/internal/config"
)

func main() {
	cfg, err := config.Parse(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "authz:", err)
		os.Exit(2)
	}
	// A check allocates little and lives briefly: trade a little memory for less GC work
	// unless the operator chose (GOGC, GOMEMLIMIT still apply).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	a, err := app.New(cfg, log)
	if err != nil {
		log.Error("authz: startup failed", "err", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.Run(ctx); err != nil {
		log.Error("authz: exited", "err", err)
		os.Exit(1)
	}
}
