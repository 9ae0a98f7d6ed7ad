package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// The demo's agencies and users are fictional and labelled as such.
var (
	demoAgencies = []struct{ name, kind string }{
		{"DEMO Police", "police"},
		{"DEMO City Council", "local_authority"},
		{"DEMO Schools Partnership", "education"},
		{"DEMO Health Trust", "health"},
		{"DEMO Youth Justice Service", "youth_justice"},
		{"DEMO Outreach Charity", "voluntary"},
	}
	demoUsers = []struct {
		username string
		role     auth.Role
		agency   string
	}{
		{"demo-partner", auth.Partner, "DEMO City Council"},
		{"demo-analyst", auth.Analyst, "DEMO Police"},
		{"demo-chair", auth.Chair, "DEMO City Council"},
		{"demo-admin", auth.Admin, "DEMO Police"},
	}
)

// demo loads the DEMO identities and prints the users' credentials.
func demo(ctx context.Context, env *environment, args []string) error {
	cfg, pos, err := loadInterspersed(flagSet(env, "demo"), args, env)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
		return err
	}
	db, err := openCurrent(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	op := &operator{env: env, db: db, actor: operatorName()}
	return op.demoIdentities(ctx)
}

// demoIdentities makes sure the demo agencies and users exist and gives
// each demo user a fresh password, printed on stdout.
func (op *operator) demoIdentities(ctx context.Context) error {
	for _, a := range demoAgencies {
		_, err := op.db.CreateAgency(ctx, a.name, a.kind, op.event(store.ActionAdmin))
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	fmt.Fprintln(op.env.stderr, "DEMO users (synthetic demonstration accounts; never use them with real intelligence):")
	for _, u := range demoUsers {
		pw := auth.NewPassword()
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		existing, err := op.db.UserByName(ctx, u.username)
		switch {
		case errors.Is(err, store.ErrNotFound):
			a, err := op.db.AgencyByName(ctx, u.agency)
			if err != nil {
				return err
			}
			_, err = op.db.CreateUser(ctx, store.NewUser{Username: u.username, PasswordHash: hash, Role: u.role, AgencyID: a.ID}, op.event(store.ActionAdmin))
			if err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := op.db.UpdateUser(ctx, existing.ID, store.UserChange{PasswordHash: &hash}, op.event(store.ActionAdmin)); err != nil {
				return err
			}
		}
		fmt.Fprintf(op.env.stdout, "%-8s %-14s %s\n", u.role, u.username, pw)
	}
	return nil
}
