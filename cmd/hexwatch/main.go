// Command hexwatch is the multi-agency hotspot mapping service: one binary
// that serves the API and map, migrates the database and runs operator tasks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the binary.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may use of the process: no globals.
type environment struct {
	getenv func(string) string
	// stdin is read only by the commands whose usage says so (a new
	// user's password).
	stdin          io.Reader
	stdout, stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "migrate the database and serve the API and map", serve},
		{"migrate", "up | down N | version", "apply, revert or show schema migrations", migrateCmd},
		{"agency", "add|list", "manage partner agencies", runOps("agency", agencyCommands())},
		{"user", "add|passwd|disable|list", "manage users", runOps("user", userCommands())},
		{"key", "create|revoke|list", "manage API keys of partner systems", runOps("key", keyCommands())},
		{"import", "FILE --agency NAME [--format F] [--dry-run]", "load a CSV, NDJSON or GeoJSON file of reports, with progress", importCmd},
		{"demo", "[--reports N] [--seed S]", "create the DEMO agencies and users (new passwords, printed) and, into an empty database, DEMO reports", demoCmd},
		{"purge", "", "erase the reports past their review date (retention), with erasure audit events", purgeCmd},
		{"audit", "verify", "check the audit log's hash chain; exit 1 naming the first broken event", auditCmd},
		{"bench", "[--reports N] [--growth A,B,C] [--duration D]", "measure ingestion, hotspots, throughput, footprint and growth against their baselines", benchCmd},
		{"loadtest", "[--duration D]", "mixed load on loopback; checks every accepted report is stored exactly once", loadtestCmd},
		{"scaletest", "[--reports N]", "a private primary and hot standby with an instance on each: replication, identical answers, stale answers without the primary", scaletestCmd},
		{"version", "", "print the version", versionCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &environment{os.Getenv, os.Stdin, os.Stdout, os.Stderr}, os.Args[1:]))
}

func run(ctx context.Context, env *environment, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.stderr, "hexwatch %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(env.stderr, "hexwatch %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "hexwatch: unknown command %q\n\n", args[0])
	usage(env.stderr)
	return 2
}

var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hexwatch COMMAND [ARGS]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hexwatch COMMAND --help' for the flags of a command.")
}

// flagSet is a subcommand's flag set, with a usage line naming its arguments.
func flagSet(env *environment, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	for _, c := range commands() {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(env.stderr, "usage: hexwatch %s %s\n\n%s.\n\nflags:\n", c.name, c.args, c.summary)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
