// Package identity adds agencies, users and API keys, checking what is
// asked for as every caller must: the API, the command line, the DEMO
// data, the benchmark and the load test all come here.
package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hexwatch/hexwatch/pkg/auth"
	"github.com/hexwatch/hexwatch/pkg/intel"
	"github.com/hexwatch/hexwatch/pkg/store"
)

// MaxName bounds an agency's name and a key's label, in characters.
const MaxName = 200

// Taken means a name that must be unique is in use: the field and what to
// say of it. It unwraps to store.ErrConflict.
type Taken struct {
	intel.FieldError
}

func (t *Taken) Error() string { return t.Message }
func (t *Taken) Unwrap() error { return store.ErrConflict }

// AddAgency stores a new agency; the name is trimmed.
func AddAgency(ctx context.Context, db *store.DB, name, kind string, ev store.AuditEvent) (store.Agency, error) {
	name = strings.TrimSpace(name)
	var errs intel.FieldErrors
	if name == "" || utf8.RuneCountInString(name) > MaxName {
		errs = append(errs, intel.FieldError{Field: "name", Message: fmt.Sprintf("required, at most %d characters", MaxName)})
	}
	if !auth.ValidAgencyKind(kind) {
		errs = append(errs, intel.FieldError{Field: "kind", Message: "must be one of " + strings.Join(auth.AgencyKinds, ", ")})
	}
	if errs != nil {
		return store.Agency{}, errs
	}
	a, err := db.CreateAgency(ctx, name, kind, ev)
	if errors.Is(err, store.ErrConflict) {
		return a, &Taken{intel.FieldError{Field: "name", Message: fmt.Sprintf("an agency named %q exists", name)}}
	}
	return a, err
}

// NewUser is a user to add. An empty Password is generated.
type NewUser struct {
	Username, Password string
	Role               auth.Role
	Agency             string // its name
}

// AddUser stores a new user and returns it with the password when it was
// generated (to be shown once).
func AddUser(ctx context.Context, db *store.DB, nu NewUser, ev store.AuditEvent) (store.User, string, error) {
	var errs intel.FieldErrors
	if msg := auth.ValidateUsername(nu.Username); msg != "" {
		errs = append(errs, intel.FieldError{Field: "username", Message: msg})
	}
	generated := ""
	if nu.Password == "" {
		generated = auth.NewPassword()
		nu.Password = generated
	} else if msg := auth.ValidatePassword(nu.Password); msg != "" {
		errs = append(errs, intel.FieldError{Field: "password", Message: msg})
	}
	errs = append(errs, roleErrors(nu.Role)...)
	agency, fe, err := agencyNamed(ctx, db, nu.Agency)
	if err != nil {
		return store.User{}, "", err
	}
	if errs = append(append(errs, fe...), evaluatorErrors(nu.Role, agency)...); errs != nil {
		return store.User{}, "", errs
	}
	hash, err := auth.HashPassword(nu.Password)
	if err != nil {
		return store.User{}, "", err
	}
	u, err := db.CreateUser(ctx, store.NewUser{Username: nu.Username, PasswordHash: hash, Role: nu.Role, AgencyID: agency.ID}, ev)
	if errors.Is(err, store.ErrConflict) {
		return u, "", &Taken{intel.FieldError{Field: "username", Message: fmt.Sprintf("a user named %q exists", nu.Username)}}
	}
	if err != nil {
		return u, "", err
	}
	return u, generated, nil
}

// NewKey is an API key to issue.
type NewKey struct {
	Agency    string // its name
	Role      auth.Role
	Label     string
	CreatedBy string
}

// IssueKey stores a new API key and returns it with its secret, which is
// shown once and never stored.
func IssueKey(ctx context.Context, db *store.DB, nk NewKey, ev store.AuditEvent) (store.APIKey, string, error) {
	nk.Label = strings.TrimSpace(nk.Label)
	errs := roleErrors(nk.Role)
	if utf8.RuneCountInString(nk.Label) > MaxName {
		errs = append(errs, intel.FieldError{Field: "label", Message: fmt.Sprintf("at most %d characters", MaxName)})
	}
	agency, fe, err := agencyNamed(ctx, db, nk.Agency)
	if err != nil {
		return store.APIKey{}, "", err
	}
	if errs = append(append(errs, fe...), evaluatorErrors(nk.Role, agency)...); errs != nil {
		return store.APIKey{}, "", errs
	}
	secret, prefix := auth.NewAPIKey()
	k, err := db.CreateAPIKey(ctx, store.NewAPIKey{Hash: auth.HashSecret(secret), Prefix: prefix, Label: nk.Label,
		AgencyID: agency.ID, Role: nk.Role, CreatedBy: nk.CreatedBy}, ev)
	if err != nil {
		return k, "", err
	}
	return k, secret, nil
}

// HashNewPassword checks a password chosen for a user and hashes it.
func HashNewPassword(pw string) (string, error) {
	if msg := auth.ValidatePassword(pw); msg != "" {
		return "", intel.FieldErrors{{Field: "password", Message: msg}}
	}
	return auth.HashPassword(pw)
}

func roleErrors(r auth.Role) intel.FieldErrors {
	if r.Valid() {
		return nil
	}
	return intel.FieldErrors{{Field: "role", Message: "must be partner, analyst, chair, admin or evaluator"}}
}

// evaluatorErrors refuses the evaluator role outside police agencies:
// evaluation is a police intelligence handler's decision.
func evaluatorErrors(r auth.Role, a store.Agency) intel.FieldErrors {
	if r != auth.Evaluator || a.ID == uuid.Nil || a.Kind == "police" {
		return nil
	}
	return intel.FieldErrors{{Field: "role", Message: fmt.Sprintf("evaluator is for police agencies; %s is %s", a.Name, a.Kind)}}
}

// agencyNamed finds the agency of a name given in a request: a field
// error when there is none of that name, the database's error as it is
// (an outage is not a missing agency).
func agencyNamed(ctx context.Context, db *store.DB, name string) (store.Agency, intel.FieldErrors, error) {
	if strings.TrimSpace(name) == "" {
		return store.Agency{}, intel.FieldErrors{{Field: "agency", Message: "required: the name of an agency"}}, nil
	}
	a, err := db.AgencyByName(ctx, strings.TrimSpace(name))
	if errors.Is(err, store.ErrNotFound) {
		return a, intel.FieldErrors{{Field: "agency", Message: fmt.Sprintf("no agency named %q", name)}}, nil
	}
	return a, nil, err
}
