package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/store"
)

func migrateCmd(_ context.Context, env *environment, args []string) error {
	cfg, rest, err := config.Load(flagSet(env, "migrate"), args, env.getenv, config.Database)
	if err != nil {
		return err
	}
	var step func(*store.Migrator) error
	switch {
	case len(rest) == 1 && rest[0] == "up":
		step = (*store.Migrator).Up
	case len(rest) == 2 && rest[0] == "down":
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 1 {
			return fmt.Errorf("%w: down wants a positive number of migrations, got %q", errUsage, rest[1])
		}
		step = func(mg *store.Migrator) error { return mg.Down(n) }
	case len(rest) == 1 && rest[0] == "version":
		step = func(*store.Migrator) error { return nil }
	default:
		return fmt.Errorf("%w: want up, down N or version", errUsage)
	}

	mg, err := store.NewMigrator(cfg.MigrateURL())
	if err != nil {
		return err
	}
	mg.ForApp(cfg.DatabaseURL)
	defer mg.Close()
	if err := step(mg); err != nil {
		return err
	}
	v, dirty, err := mg.Version()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%d\n", v)
	if dirty {
		fmt.Fprintln(env.stderr, "schema is dirty: a migration failed half-way")
	}
	fmt.Fprintf(env.stderr, "schema version %d (this binary knows up to %d)\n", v, store.SchemaVersion)
	return nil
}
