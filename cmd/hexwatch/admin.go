package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/config"
	"github.com/hexwatch/hexwatch/pkg/identity"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// Operator commands print what they create on stdout alone (an id, a key,
// a password) and every message on stderr, so that they can be scripted.

// opCommand is an operator subcommand: `hexwatch NOUN VERB ...`.
type opCommand struct {
	verb, args, summary string
	flags               func(fs *flag.FlagSet) func() error
	run                 func(ctx context.Context, op *operator, pos []string) error
}

// operator is an open database and the identity that audit events name.
type operator struct {
	env   *environment
	db    *store.DB
	actor string
}

func (op *operator) event(action string) store.AuditEvent {
	return store.AuditEvent{Action: action, Actor: op.actor, Justification: "operator command line"}
}

// runOps dispatches `hexwatch NOUN VERB`, parsing flags wherever they stand.
func runOps(noun string, ops []opCommand) func(context.Context, *environment, []string) error {
	return func(ctx context.Context, env *environment, args []string) error {
		if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
			fmt.Fprintf(env.stderr, "usage: hexwatch %s VERB\n\nverbs:\n", noun)
			for _, o := range ops {
				fmt.Fprintf(env.stderr, "  %-8s %-32s %s\n", o.verb, o.args, o.summary)
			}
			if len(args) == 0 {
				return errUsage
			}
			return nil
		}
		for _, o := range ops {
			if o.verb != args[0] {
				continue
			}
			fs := flag.NewFlagSet(noun+" "+o.verb, flag.ContinueOnError)
			fs.SetOutput(env.stderr)
			fs.Usage = func() {
				fmt.Fprintf(env.stderr, "usage: hexwatch %s %s %s\n\n%s.\n\nflags:\n", noun, o.verb, o.args, o.summary)
				fs.PrintDefaults()
			}
			check := func() error { return nil }
			if o.flags != nil {
				check = o.flags(fs)
			}
			cfg, pos, err := loadInterspersed(fs, args[1:], env)
			if err != nil {
				return err
			}
			if err := check(); err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			db, err := openCurrent(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			return o.run(ctx, &operator{env: env, db: db, actor: operatorName()}, pos)
		}
		return fmt.Errorf("%w: unknown verb %q for %s", errUsage, args[0], noun)
	}
}

// loadInterspersed reads the configuration and flags that may stand
// before, between or after the positional arguments.
func loadInterspersed(fs *flag.FlagSet, args []string, env *environment) (config.Config, []string, error) {
	cfg, rest, err := config.Load(fs, args, env.getenv, config.Database)
	var pos []string
	for err == nil && len(rest) > 0 {
		pos = append(pos, rest[0])
		err = fs.Parse(rest[1:])
		rest = fs.Args()
	}
	return cfg, pos, err
}

// openCurrent opens the database and checks that its schema is the binary's.
func openCurrent(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, 2)
	if err == nil {
		db.SetCorroboration(store.Corroboration{Metres: cfg.CorroborationMetres, Days: cfg.CorroborationDays})
	}
	if err != nil {
		return nil, err
	}
	if _, err := db.Ready(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w (run `hexwatch migrate up` first if the schema is behind)", err)
	}
	return db, nil
}

func operatorName() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

func wantArgs(pos []string, n int, what string) error {
	if len(pos) != n {
		return fmt.Errorf("%w: want %s", errUsage, what)
	}
	return nil
}

// optionalBool is a boolean flag that knows whether it was given.
type optionalBool struct{ v *bool }

func (o *optionalBool) String() string {
	if o.v == nil {
		return ""
	}
	return strconv.FormatBool(*o.v)
}

func (o *optionalBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("true or false")
	}
	o.v = &b
	return nil
}

func (o *optionalBool) IsBoolFlag() bool { return true }

// agencyCmds are the agency commands and the flags they share.
type agencyCmds struct {
	kind        string
	selfGrading optionalBool
}

const selfGradingHelp = "the agency grades its own reports, which count at once (without: they wait for a police evaluator)"

func agencyCommands() []opCommand {
	a := &agencyCmds{}
	return []opCommand{
		{"add", "NAME --kind KIND [--self-grading]", "add a partner agency; prints its id (police grade their own reports unless --self-grading=false)",
			a.addFlags, a.add},
		{"set", "NAME --self-grading=true|false", "say whether an agency grades its own reports (reports already stored keep their status)",
			a.setFlags, a.set},
		{"list", "", "list the agencies", nil, listAgencies},
	}
}

func (a *agencyCmds) addFlags(fs *flag.FlagSet) func() error {
	fs.StringVar(&a.kind, "kind", "", "one of "+strings.Join(auth.AgencyKinds, ", "))
	fs.Var(&a.selfGrading, "self-grading", selfGradingHelp)
	return func() error {
		if !auth.ValidAgencyKind(a.kind) {
			return fmt.Errorf("--kind must be one of %s", strings.Join(auth.AgencyKinds, ", "))
		}
		return nil
	}
}

func (a *agencyCmds) add(ctx context.Context, op *operator, pos []string) error {
	if err := wantArgs(pos, 1, "one agency NAME"); err != nil {
		return err
	}
	ag, err := identity.AddAgency(ctx, op.db, pos[0], a.kind, op.event(store.ActionAdmin))
	if err != nil {
		return refused(err)
	}
	if a.selfGrading.v != nil && *a.selfGrading.v != ag.SelfGrading {
		if err := op.db.SetSelfGrading(ctx, ag.ID, *a.selfGrading.v, op.event(store.ActionAdmin)); err != nil {
			return err
		}
	}
	fmt.Fprintln(op.env.stdout, ag.ID)
	return nil
}

func (a *agencyCmds) setFlags(fs *flag.FlagSet) func() error {
	fs.Var(&a.selfGrading, "self-grading", selfGradingHelp)
	return func() error {
		if a.selfGrading.v == nil {
			return errors.New("--self-grading=true or --self-grading=false is required")
		}
		return nil
	}
}

func (a *agencyCmds) set(ctx context.Context, op *operator, pos []string) error {
	if err := wantArgs(pos, 1, "one agency NAME"); err != nil {
		return err
	}
	ag, err := op.db.AgencyByName(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return refused(fmt.Errorf("no agency named %q", pos[0]))
	}
	if err != nil {
		return err
	}
	return op.db.SetSelfGrading(ctx, ag.ID, *a.selfGrading.v, op.event(store.ActionAdmin))
}

func listAgencies(ctx context.Context, op *operator, _ []string) error {
	as, err := op.db.Agencies(ctx)
	if err != nil {
		return err
	}
	w := table(op.env.stdout, "ID\tNAME\tKIND\tSELF-GRADING")
	for _, a := range as {
		fmt.Fprintf(w, "%s\t%s\t%s\t%v\n", a.ID, a.Name, a.Kind, a.SelfGrading)
	}
	return w.Flush()
}

// userCmds are the user commands and the flags they share.
type userCmds struct{ role, agency string }

func userCommands() []opCommand {
	u := &userCmds{}
	return []opCommand{
		{"add", "USERNAME --role ROLE --agency NAME", "add a user; password from stdin, or generated and printed",
			func(fs *flag.FlagSet) func() error { return roleAndAgency(fs, &u.role, &u.agency, "", "user") }, u.add},
		{"passwd", "USERNAME", "set a user's password from stdin, or a generated one that is printed", nil, setPassword},
		{"disable", "USERNAME", "disable a user and end their sessions", nil, disableUser},
		{"list", "", "list the users", nil, listUsers},
	}
}

func (u *userCmds) add(ctx context.Context, op *operator, pos []string) error {
	if err := wantArgs(pos, 1, "one USERNAME"); err != nil {
		return err
	}
	pw, err := op.password()
	if err != nil {
		return err
	}
	made, generated, err := identity.AddUser(ctx, op.db, identity.NewUser{Username: pos[0], Password: pw, Role: auth.Role(u.role), Agency: u.agency},
		op.event(store.ActionAdmin))
	if err != nil {
		return refused(err)
	}
	if generated != "" {
		fmt.Fprintln(op.env.stdout, generated)
	}
	fmt.Fprintf(op.env.stderr, "created user %s (%s)\n", made.Username, made.ID)
	return nil
}

func setPassword(ctx context.Context, op *operator, pos []string) error {
	return op.changeUser(ctx, pos, func(ch *store.UserChange) error {
		pw, err := op.password()
		if err != nil {
			return err
		}
		if pw == "" {
			pw = auth.NewPassword()
			fmt.Fprintln(op.env.stdout, pw)
		}
		hash, err := identity.HashNewPassword(pw)
		if err != nil {
			return refused(err)
		}
		ch.PasswordHash = &hash
		return nil
	})
}

func disableUser(ctx context.Context, op *operator, pos []string) error {
	return op.changeUser(ctx, pos, func(ch *store.UserChange) error {
		yes := true
		ch.Disabled = &yes
		return nil
	})
}

func listUsers(ctx context.Context, op *operator, _ []string) error {
	us, err := op.db.Users(ctx)
	if err != nil {
		return err
	}
	w := table(op.env.stdout, "ID\tUSERNAME\tROLE\tAGENCY\tDISABLED")
	for _, u := range us {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\n", u.ID, u.Username, u.Role, u.AgencyName, u.Disabled)
	}
	return w.Flush()
}

// roleAndAgency registers --role and --agency and returns their check.
func roleAndAgency(fs *flag.FlagSet, role, agency *string, defaultRole, whose string) func() error {
	fs.StringVar(role, "role", defaultRole, "partner, analyst, chair or admin")
	fs.StringVar(agency, "agency", "", "name of the "+whose+"'s agency")
	return func() error {
		if !auth.Role(*role).Valid() {
			return errors.New("--role must be partner, analyst, chair or admin")
		}
		if *agency == "" {
			return errors.New("--agency is required")
		}
		return nil
	}
}

func (op *operator) changeUser(ctx context.Context, pos []string, change func(*store.UserChange) error) error {
	if err := wantArgs(pos, 1, "one USERNAME"); err != nil {
		return err
	}
	u, err := op.db.UserByName(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no user named %q", pos[0])
	}
	if err != nil {
		return err
	}
	var ch store.UserChange
	if err := change(&ch); err != nil {
		return err
	}
	_, err = op.db.UpdateUser(ctx, u.ID, ch, op.event(store.ActionAdmin))
	return err
}

// password reads a new password from standard input when one is piped
// in (the usage of user add and user passwd says so); "" when none is.
func (op *operator) password() (string, error) {
	if f, ok := op.env.stdin.(*os.File); ok {
		if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice != 0 {
			return "", nil
		}
	}
	line, err := bufio.NewReader(io.LimitReader(op.env.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// refused is an identity action's error as the command line says it: what
// was wrong with the arguments as a usage error, anything else (a
// database outage) as it is.
func refused(err error) error {
	var fes intel.FieldErrors
	if errors.As(err, &fes) {
		return fmt.Errorf("%w: %v", errUsage, fes)
	}
	return err
}

func keyCommands() []opCommand {
	var role, agency, label string
	return []opCommand{
		{"create", "--agency NAME --role ROLE [--label TEXT]", "create an API key; prints it, once",
			func(fs *flag.FlagSet) func() error {
				fs.StringVar(&label, "label", "", "what the key is for, e.g. the sending system")
				return roleAndAgency(fs, &role, &agency, "partner", "key")
			},
			func(ctx context.Context, op *operator, pos []string) error {
				if err := wantArgs(pos, 0, "no arguments besides flags"); err != nil {
					return err
				}
				k, key, err := identity.IssueKey(ctx, op.db, identity.NewKey{Agency: agency, Role: auth.Role(role), Label: label, CreatedBy: op.actor},
					op.event(store.ActionKeyCreated))
				if err != nil {
					return refused(err)
				}
				fmt.Fprintln(op.env.stdout, key)
				fmt.Fprintf(op.env.stderr, "created key %s (%s) for %s; it is shown only now\n", k.Prefix, k.ID, agency)
				return nil
			}},
		{"revoke", "ID", "revoke an API key for good", nil,
			func(ctx context.Context, op *operator, pos []string) error {
				if err := wantArgs(pos, 1, "one key ID"); err != nil {
					return err
				}
				id, err := uuid.Parse(pos[0])
				if err != nil {
					return fmt.Errorf("%w: %q is not a key id", errUsage, pos[0])
				}
				_, err = op.db.RevokeAPIKey(ctx, id, op.event(store.ActionKeyRevoked))
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no key %s", id)
				}
				return err
			}},
		{"list", "", "list the API keys (never the keys themselves)", nil,
			func(ctx context.Context, op *operator, pos []string) error {
				ks, err := op.db.APIKeys(ctx)
				if err != nil {
					return err
				}
				w := table(op.env.stdout, "ID\tPREFIX\tAGENCY\tROLE\tLABEL\tREVOKED\tLAST USED")
				for _, k := range ks {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.AgencyName, k.Role, k.Label, when(k.RevokedAt), when(k.LastUsedAt))
				}
				return w.Flush()
			}},
	}
}

func table(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
