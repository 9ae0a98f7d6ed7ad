package main

import (
	"context"
	"errors"
	"fmt"
)

// errAuditBroken means `hexwatch audit verify` found the chain broken.
var errAuditBroken = errors.New("the audit log's hash chain is broken")

func auditCmd(ctx context.Context, env *environment, args []string) error {
	cfg, pos, err := loadInterspersed(flagSet(env, "audit"), args, env)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "verify" {
		return fmt.Errorf("%w: want verify", errUsage)
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	head, broken, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if broken != nil {
		fmt.Fprintln(env.stdout, broken.ID)
		return fmt.Errorf("%w at event %d (chain position %d, %d events checked): %s", errAuditBroken, broken.ID, broken.ChainSeq, head.Events, broken.Reason)
	}
	fmt.Fprintf(env.stderr, "audit log intact: %d events, each chained to the one before; newest hash %x "+
		"(keep it elsewhere: events cut from the end show only against it)\n", head.Events, head.Hash)
	return nil
}
