package main

import (
	"context"
	"fmt"

	"github.com/hexwatch/hexwatch/pkg/store"
)

func versionCmd(_ context.Context, env *environment, args []string) error {
	if err := flagSet(env, "version").Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "hexwatch %s (schema %d)\n", version, store.SchemaVersion)
	return nil
}
