// Command vulncheck fails when the code reaches a known vulnerability
// that the allow-list does not name. It reads govulncheck's JSON output
// on standard input:
//
//	go tool govulncheck -db file:///path/to/db -format json ./... | go run ./cmd/vulncheck ALLOW-LIST
//
// The allow-list holds one advisory a line, its ID and the reviewed reason
// it may stay; '#' starts a comment. make vulncheck runs it.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: govulncheck -format json ./... | vulncheck ALLOW-LIST")
		os.Exit(2)
	}
	if err := run(os.Stdin, os.Args[1], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

// message is the part of a govulncheck JSON message this command reads.
type message struct {
	Config *struct {
		ScannerName string `json:"scanner_name"`
	} `json:"config"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

func (f frame) String() string {
	return fmt.Sprintf("%s@%s %s.%s", f.Module, f.Version, f.Package, f.Function)
}

func run(in io.Reader, allowPath string, out io.Writer) error {
	allowed, err := readAllowList(allowPath)
	if err != nil {
		return err
	}
	// A finding is reachable when its trace starts at a function: the
	// code calls it. Module- and package-level findings are not.
	reached := map[string]frame{}
	configured := false
	dec := json.NewDecoder(in)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("reading govulncheck's output: %w", err)
		}
		configured = configured || m.Config != nil
		if f := m.Finding; f != nil && len(f.Trace) > 0 && f.Trace[0].Function != "" {
			// One symbol names the advisory: the first in order, so that
			// runs print the same.
			if have, ok := reached[f.OSV]; !ok || f.Trace[0].String() < have.String() {
				reached[f.OSV] = f.Trace[0]
			}
		}
	}
	// Output without govulncheck's opening message is not a scan: fail.
	if !configured {
		return errors.New("no govulncheck output to check: did the scan run?")
	}
	var ids []string
	for id := range reached {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var refused []string
	for _, id := range ids {
		where := reached[id].String()
		if reason, ok := allowed[id]; ok {
			fmt.Fprintf(out, "allowed  %s  %s: %s\n", id, where, reason)
			continue
		}
		fmt.Fprintf(out, "REACHED  %s  %s\n", id, where)
		refused = append(refused, id)
	}
	for id := range allowed {
		if _, ok := reached[id]; !ok {
			fmt.Fprintf(out, "stale    %s is allowed but no longer reached: take it off the list\n", id)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("%d known vulnerabilities reached and not allowed: %s", len(refused), strings.Join(refused, ", "))
	}
	fmt.Fprintf(out, "%d reachable advisories, all on the allow-list\n", len(ids))
	return nil
}

// readAllowList reads "ID reason" lines; every entry must give a reason.
func readAllowList(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if reason = strings.TrimSpace(reason); reason == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, n, id)
		}
		out[id] = reason
	}
	return out, sc.Err()
}
